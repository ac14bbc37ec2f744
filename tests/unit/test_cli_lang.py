"""``netctl --lang de``: human tables in German with the plain status words; ``--json`` stays as it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from netctl import i18n
from netctl.cli import cli
from tests.helpers.poll import T0, add_city, dead, good, record


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    i18n.choose("en")


@pytest.fixture
def city(api: Any) -> Path:
    add_city(api)
    api.session.db["sites"].update("school1", {"title": "Grundschule Eins"})
    api.monitor.set_health_rules(down_after_misses=1)
    record(api, [good("ap1", T0), dead("ap2", T0)], T0)
    return Path(api.session.db_path)


def run(db: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, ["--db", str(db), *args], env=env, catch_exceptions=False)


def test_status_in_german_with_plain_words_titles_and_what_each_word_means(city: Path) -> None:
    text = run(city, "--lang", "de", "status").output
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert lines[0] == "AP STANDORT ZUSTAND SEIT GERÄTE RTT_MS CPU% SPEICHER% LAUFZEIT GRUND"
    assert any(line.startswith("ap1 school1 in Betrieb ") for line in lines)
    assert any(line.startswith("ap2 school1 ausgefallen ") for line in lines)
    assert "STANDORT NAME IN BETRIEB EINGESCHRÄNKT AUSGEFALLEN UNGEPRÜFT GESAMT" in lines
    assert "school1 Grundschule Eins 1 0 1 0 2" in lines
    assert "3 AP(s): 1 in Betrieb, 0 eingeschränkt, 1 ausgefallen, 1 ungeprüft" in lines
    assert "ausgefallen: hat auf die letzten Abfragen nicht geantwortet: sein WLAN ist wahrscheinlich weg" in lines


def test_english_by_default_and_netctl_lang_from_the_environment(city: Path) -> None:
    english = run(city, "status", env={"NETCTL_LANG": "", "LANG": "C"}).output
    assert english.splitlines()[0].split() == ["AP", "SITE", "STATE", "SINCE", "CLIENTS", "RTT_MS", "CPU%", "MEM%",
                                               "UPTIME", "WHY"]
    assert "working: answers every poll and reports no problem" in english
    assert "ZUSTAND" in run(city, "status", env={"NETCTL_LANG": "de"}).output
    assert "ZUSTAND" in run(city, "status", env={"NETCTL_LANG": "", "LC_ALL": "de_DE.UTF-8"}).output


def test_json_is_the_same_in_every_language(city: Path) -> None:
    english = json.loads(run(city, "status", "--json", env={"NETCTL_LANG": "en"}).output)
    german = json.loads(run(city, "--lang", "de", "status", "--json").output)
    assert german == english and german["aps"][1]["state"] == "down"


def test_a_language_netctl_does_not_speak_is_refused_naming_the_choices(city: Path) -> None:
    result = run(city, "--lang", "fr", "status")
    assert result.exit_code == 2
    assert "netctl speaks en, de, not 'fr': use --lang en or --lang de" in result.output


def test_alerts_in_german_and_their_json_unchanged(city: Path) -> None:
    listed = run(city, "--lang", "de", "alerts", "list").output.splitlines()
    assert listed[0].split() == ["ID", "AP", "ART", "STUFE", "ZUSTAND", "ZUERST", "ZULETZT", "STUMM", "BESTÄTIGT_VON",
                                 "MELDUNG"]
    english = json.loads(run(city, "alerts", "list", "--json").output)
    assert json.loads(run(city, "--lang", "de", "alerts", "list", "--json").output) == english
    acked = run(city, "--lang", "de", "alerts", "ack", str(english[0]["id"])).output
    assert acked.startswith(f"Alarm {english[0]['id']} (ap2 down) bestätigt von ")
