"""A user's own language (``netctl users set-lang``, migration 021): it beats the locale, ``--lang`` and
``$NETCTL_LANG`` beat it, and ``netctl tui`` opens in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from netctl import i18n
from netctl.api import Netctl
from netctl.cli import cli
from netctl.errors import ConfigError, NotFound, PermissionDenied
from netctl.store import open_db
from tests.helpers.tui import add_users, seed_city


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.choose("en")


@pytest.fixture
def city(tmp_path: Path) -> Path:
    path = tmp_path / "city.db"
    db = open_db(path, create=True)
    seed_city(db, aps_per_site=1)
    add_users(db)
    db.conn.close()
    return path


@pytest.mark.parametrize(("env", "lang", "user", "used"), [
    ({"LANG": "C"}, None, "de", "de"),                 # no choice but the locale: the user's wins
    ({"LANG": "de_DE.UTF-8"}, None, "en", "en"),
    ({"NETCTL_LANG": "en", "LANG": "C"}, None, "de", "en"),  # $NETCTL_LANG wins
    ({}, "en", "de", "en"),                            # --lang wins
    ({"LANG": "de_DE.UTF-8"}, None, None, "de"),       # no preference: the locale stays
    ({}, None, "fr", "en"),                            # a stored language netctl no longer has: ignored
])
def test_a_users_language_beats_the_locale_not_the_option_or_netctl_lang(env, lang, user, used) -> None:
    i18n.choose(lang, env=env)
    assert i18n.prefer(user) == used == i18n.current()


def test_set_language_own_or_as_admin_and_refuse_what_netctl_does_not_speak(city: Path) -> None:
    sam = Netctl(city, user="sam")
    assert sam.access.language() is None
    assert sam.access.set_language("sam", "de_DE.UTF-8") == "de" and sam.access.language() == "de"
    with pytest.raises(PermissionDenied):
        sam.access.set_language("eva", "de")
    with pytest.raises(ConfigError, match="netctl speaks en, de, not 'fr'"):
        sam.access.set_language("sam", "fr")
    ada = Netctl(city, user="ada")
    assert ada.access.set_language("sam", None) is None and sam.access.language() is None
    with pytest.raises(NotFound):
        ada.access.set_language("mallory", "de")


def test_netctl_tui_opens_in_the_users_language(city: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.app import NetctlApp

    opened: list[str] = []
    monkeypatch.setattr(NetctlApp, "run", lambda self: opened.append(i18n.current()))

    def run(*args: str, **env: str) -> Any:
        return CliRunner().invoke(cli, ["--db", str(city), *args], env={"NETCTL_LANG": "", "LANG": "C", **env},
                                  catch_exceptions=False)

    set_lang = run("--user", "sam", "users", "set-lang", "sam", "de")
    assert set_lang.exit_code == 0 and set_lang.output == "sam: language de\n"
    run("tui", "--user", "sam")
    run("--lang", "en", "tui", "--user", "sam")
    run("tui", "--user", "sam", NETCTL_LANG="en")
    run("tui", "--user", "eva")
    assert opened == ["de", "en", "en", "en"]
    assert run("users", "set-lang", "sam").exit_code == 2  # neither a language nor --clear
    assert run("users", "set-lang", "sam", "--clear").output == "sam: language not set (the environment decides)\n"
