"""The language netctl speaks to people: English in the code, other languages from gettext catalogs.

Every text a person reads (the TUI, the CLI's tables and messages, reports) is written in English in
the code and passed through :func:`_` (or :func:`ngettext` where a count decides the form). The
catalogs live in the package (``netctl/locale/<lang>/LC_MESSAGES/netctl.mo``, compiled from the
``.po`` next to it), so an installed netctl carries them.

    choose(lang)      pick the language: ``lang`` if given (``--lang de``), else ``$NETCTL_LANG``,
                      else the locale (``$LC_ALL``, ``$LC_MESSAGES``, ``$LANG``); English otherwise
    prefer(lang)      a user's own language (``netctl users set-lang``): wins over the locale, not over
                      ``--lang`` or ``$NETCTL_LANG``
    current()         the language in use ("en", "de")
    _(text)           ``text`` in the language in use
    ngettext(s, p, n) the singular or plural form for ``n``
    pgettext(ctx, text) ``text`` where ``ctx`` ("report") needs a translation of its own
    N_(text)          marks a text for the catalog without translating it yet (module-level constants:
                      translate them where they are shown, with ``_(CONSTANT)``)

Machine output (``--json``, CSV columns, exit codes, the audit trail, logs) stays English.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

DOMAIN = "netctl"
#: the languages that have a catalog; English is the code's own
LANGUAGES = ("en", "de")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_current = "en"
#: what chose the language in use: "option" (``--lang``), "NETCTL_LANG", "locale", "user" or "default"
_source = "default"


def locale_dir() -> Path:
    """The folder of compiled catalogs (``<lang>/LC_MESSAGES/netctl.mo``)."""
    return Path(str(resources.files("netctl").joinpath("locale")))


def _from_environment(env: Mapping[str, str]) -> tuple[str, str] | None:
    """The first language the environment names, with where it was named (``NETCTL_LANG`` or ``locale``)."""
    for name in ("NETCTL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return value, "NETCTL_LANG" if name == "NETCTL_LANG" else "locale"
    return None


def normalise(lang: str) -> str | None:
    """``de_DE.UTF-8`` → ``de``; ``C``/``POSIX`` → ``en``; None for a language netctl has no catalog for."""
    code = lang.split(".", 1)[0].split("@", 1)[0].split("_", 1)[0].split("-", 1)[0].strip().lower()
    if code in ("c", "posix", ""):
        return "en"
    return code if code in LANGUAGES else None


def choose(lang: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """Use ``lang`` (else the environment's language); returns the language now in use.

    An explicit ``lang`` that netctl has no catalog for raises :class:`ValueError` naming the
    languages it has; a locale it does not know falls back to English silently (it is the
    machine's, not the user's choice).
    """
    if lang is not None:
        code = normalise(lang)
        if code is None:
            raise ValueError(f"netctl speaks {', '.join(LANGUAGES)}, not {lang!r}")
        return _use(code, "option")
    found = _from_environment(os.environ if env is None else env)
    if found is None:
        return _use("en", "default")
    return _use(normalise(found[0]) or "en", found[1])


def prefer(lang: str | None) -> str:
    """Use a user's own language ``lang`` (None or one netctl has no catalog for: keep the language in use)
    unless ``--lang`` or ``$NETCTL_LANG`` chose one; it wins over the locale. Returns the language in use."""
    code = normalise(lang) if lang else None
    if code is not None and _source not in ("option", "NETCTL_LANG"):
        _use(code, "user")
    return _current


def source() -> str:
    """What chose the language in use: ``option``, ``NETCTL_LANG``, ``locale``, ``user`` or ``default``."""
    return _source


def _use(code: str, chosen_by: str) -> str:
    global _translations, _current, _source
    if code == "en":
        _translations = gettext.NullTranslations()
    else:
        _translations = gettext.translation(DOMAIN, localedir=locale_dir(), languages=[code], fallback=True)
    _current, _source = code, chosen_by
    return code


def current() -> str:
    return _current


def _(text: str) -> str:
    return _translations.gettext(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def pgettext(context: str, text: str) -> str:
    """``text`` in the language in use, where the same English word needs another translation in ``context``
    (the report's ``Uptime`` is a share of hours, the AP page's a running time)."""
    return _translations.pgettext(context, text)


def N_(text: str) -> str:
    return text
