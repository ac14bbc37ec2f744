"""The German catalog is complete and compiled: every text marked in the TUI, the CLI's human output and the
status words has a German entry, the checked-in ``.mo`` is the ``.po`` compiled, and placeholders survive."""

from __future__ import annotations

import re

import pytest

from netctl import i18n, status_words
from tests.helpers import catalog

PLACEHOLDER = re.compile(r"\{(\w*)\}")


@pytest.fixture(scope="module")
def german() -> catalog.Catalog:
    return catalog.read()


def test_every_marked_text_has_a_german_entry(german: catalog.Catalog) -> None:
    missing = catalog.untranslated(german, catalog.extract())
    assert missing == [], f"no German for {missing}: run `make catalog` and translate the empty msgstr lines"


def test_the_checked_in_mo_is_the_po_compiled(german: catalog.Catalog) -> None:
    assert catalog.MO.read_bytes() == catalog.compile_mo(german), "stale netctl.mo: run `make catalog`"


def test_translations_keep_the_placeholders(german: catalog.Catalog) -> None:
    wrong = []
    for message in german:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        wrong += [(ids[0], s) for s in strings if set(PLACEHOLDER.findall(s)) != wanted]
    assert wrong == []


def test_status_words_in_both_languages() -> None:
    try:
        assert (status_words.word("degraded"), status_words.config_word("pending")) == ("limited", "waiting")
        i18n.choose("de")
        assert status_words.word("degraded") == "eingeschränkt"
        assert status_words.explain("degraded").startswith("antwortet, aber")
        assert status_words.config_word("pending") == "wartet" and "converge" in status_words.config_explain("pending")
        assert status_words.word("no-such-state") == "no-such-state" and status_words.explain("x") == ""
        german = [status_words.word(s) for s in status_words.HEALTH]
        assert len(set(german)) == len(german)  # one word per state
    finally:
        i18n.choose("en")
