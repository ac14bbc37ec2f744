"""The German catalog: extract the marked texts, update the ``.po``, compile the ``.mo`` (Babel, a test extra).

    python -m tests.helpers.catalog            # update netctl/locale/de/LC_MESSAGES/netctl.po, compile .mo
    make catalog                               # the same

``update`` adds the texts marked with ``_``, ``N_`` or ``ngettext`` in the TUI, the CLI and the status
words to the ``.po`` (keeping every translation; a text no longer marked is dropped) and compiles the
``.mo`` next to it; translate the new entries (empty ``msgstr``) and run it again.
``tests/unit/test_catalog.py`` fails when a marked text has no German entry or the ``.mo`` is stale.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
#: where people read netctl's words: the TUI, the CLI's human output, the status words, the school dashboard
SOURCES = ("tui", "netctl/cli", "netctl/status_words.py", "netctl/dashboard.py", "netctl/ssids.py",
           "netctl/reports.py")
PO = ROOT / "netctl/locale/de/LC_MESSAGES/netctl.po"
MO = PO.with_suffix(".mo")


def _files() -> Iterator[Path]:
    for source in SOURCES:
        path = ROOT / source
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def extract() -> Catalog:
    """Every marked text of :data:`SOURCES` as a template catalog (msgid → where it is used)."""
    template = Catalog(project="netctl", charset="utf-8")
    for path in _files():
        for lineno, message, comments, context in extract_from_file("python", str(path), keywords=DEFAULT_KEYWORDS):
            template.add(message, None, [(str(path.relative_to(ROOT)), lineno)], auto_comments=comments,
                         context=context)
    return template


def read(path: Path = PO) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale="de", domain="netctl")


def compile_mo(catalog: Catalog) -> bytes:
    """The ``.mo`` bytes of ``catalog`` (the same ``.po`` always gives the same bytes)."""
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def untranslated(catalog: Catalog, template: Catalog) -> list[str]:
    """The marked texts of ``template`` that have no German entry in ``catalog`` (empty or fuzzy)."""
    missing = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        strings = entry.string if entry is not None else None
        texts = list(strings) if isinstance(strings, (list, tuple)) else [strings]
        if entry is None or entry.fuzzy or not all(texts):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def update() -> list[str]:
    """Bring the ``.po`` up to the marked texts and compile the ``.mo``; returns the untranslated ones."""
    template = extract()
    catalog = read() if PO.exists() else Catalog(locale="de", domain="netctl", project="netctl", charset="utf-8",
                                                 copyright_holder="the netctl authors", fuzzy=False)
    created = catalog.creation_date
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.creation_date = created  # the .po changes only where its texts do
    out = io.BytesIO()
    write_po(out, catalog, width=120, sort_output=True, omit_header=False, include_previous=False)
    PO.parent.mkdir(parents=True, exist_ok=True)
    PO.write_bytes(out.getvalue())
    MO.write_bytes(compile_mo(read()))
    return untranslated(read(), template)


if __name__ == "__main__":
    left = update()
    print(f"{PO.relative_to(ROOT)}: {len(left)} text(s) to translate" + "".join(f"\n  {t}" for t in left))
    sys.exit(1 if left else 0)
