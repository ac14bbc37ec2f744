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


def test_ssid_list_and_timers_in_german_and_their_json_unchanged(api: Any) -> None:
    """What a school admin reads about a school's WLANs; the names, the timer's text and --json stay as they are."""
    from tests.helpers.access import seed

    seed(api.session.db)
    guest = next(s["name"] for s in api.ssids.site_ssids("gs-meiderich") if "Free" in s["name"])
    api.session.db["ssid_timers"].insert({"site": "gs-meiderich", "ssid": guest, "enabled": 1,
                                          "until": "2030-01-01T16:00:00+00:00", "who": "sam", "created": "2026-11-28",
                                          "state": "active", "tries": 0})
    db = Path(api.session.db_path)
    listed = [line.split() for line in run(db, "--lang", "de", "ssid", "list", "gs-meiderich").output.splitlines()]
    assert listed[0] == ["SSID", "ZUSTAND", "SIE", "DÜRFEN", "ZEITSCHALTUNG"]
    row = listed[[line[0] for line in listed].index(guest)]
    assert row[:5] == [guest, "an", "schalten", "an", "bis"] and row[-2:] == ["von", "sam"], row
    timers = [line.split() for line in run(db, "--lang", "de", "ssid", "timers").output.splitlines()]
    assert timers[0] == ["ID", "STANDORT", "SSID", "ZEITSCHALTUNG", "ZEITZONE", "ZUSTAND", "GRUND"]
    assert timers[2][:5] == ["1", "gs-meiderich", guest, "an", "bis"] and timers[2][-1] == "aktiv"
    english = run(db, "ssid", "timers", env={"NETCTL_LANG": "en"}).output.splitlines()
    assert english[0].split() == ["ID", "SITE", "SSID", "TIMER", "ZONE", "STATE", "REASON"]
    assert f"{guest}  on until " in english[2] and english[2].split()[-1] == "active"
    for command in (["ssid", "list", "gs-meiderich"], ["ssid", "timers", "--all"]):
        english = json.loads(run(db, *command, "--json", env={"NETCTL_LANG": "en"}).output)
        assert json.loads(run(db, "--lang", "de", *command, "--json").output) == english, command
