"""The language choice: explicit beats environment, unknown locales fall back to English."""

from __future__ import annotations

import pytest

from netctl import i18n


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.choose("en")


@pytest.mark.parametrize(("value", "code"), [
    ("de_DE.UTF-8", "de"), ("de", "de"), ("de-AT", "de"), ("C", "en"), ("POSIX", "en"),
    ("en_GB.UTF-8", "en"), ("fr_FR.UTF-8", None), ("", "en"),
])
def test_normalise(value, code):
    assert i18n.normalise(value) == code


def test_explicit_language_wins_over_the_environment():
    assert i18n.choose("de", env={"LANG": "en_US.UTF-8"}) == "de"
    assert i18n.current() == "de"


def test_environment_order_and_unknown_locale():
    assert i18n.choose(env={"NETCTL_LANG": "de", "LANG": "C"}) == "de"
    assert i18n.choose(env={"LC_ALL": "fr_FR.UTF-8", "LANG": "de_DE.UTF-8"}) == "en"
    assert i18n.choose(env={}) == "en"


def test_unknown_explicit_language_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="en, de"):
        i18n.choose("fr")


def test_english_is_the_code_itself():
    i18n.choose("en")
    assert i18n._("Access points") == "Access points"
    assert i18n.ngettext("{n} AP", "{n} APs", 2) == "{n} APs"
