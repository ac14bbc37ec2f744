"""Monthly site reports: uptime from the hourly roll-ups with gaps counted apart, devices per SSID,
incidents, scope, escaping in HTML and CSV, and the ``netctl report`` command's output and exit codes.

History is seeded the real way: poll results built by hand go through the store's recording step
(:func:`netctl.poll.store.record_results`), then the retention job folds them into hourly roll-ups and
drops the raw samples and 5-minute roll-ups, as it would a month later.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from netctl.core import os_login
from netctl.errors import ConfigError, NotFound
from netctl.poll.model import PollResult
from netctl.poll.store import apply_retention
from netctl.reports import build_report, duration, hourly, parse_month, ssid_of, to_csv, to_html
from tests.helpers.poll import add_city, dead, record

HOSTILE = '<script>alert("x")</script>&'
FORMULA = "=HYPERLINK(\"http://evil\")"
#: 2026-10-05 00:00 UTC; October 2026 in Berlin has 745 hours (the clocks go back on the 25th)
H0 = dt.datetime(2026, 10, 5, tzinfo=dt.UTC).timestamp()
NOW = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC).timestamp()


def answer(ap: str, ts: float, ssids: dict[str, int]) -> PollResult:
    values = {"sys_name": ap, "uptime_s": 1000.0, "cpu": 5.0, "mem": 30.0, "clients": sum(ssids.values()),
              "radios_down": 0,
              "ssids": [{"index": i, "ssid": name, "radio": "ng", "clients": n}
                        for i, (name, n) in enumerate(ssids.items())]}
    return PollResult(ap, True, latency_ms=2.0, values=values, ts=ts)


@pytest.fixture
def month(api: Any) -> Any:
    """ap1: answers for 24 h, misses for 6 h (a down alert, acknowledged), answers once more (closed), then
    nothing; ap2: answers for 10 h with a hostile SSID. Three polls an hour, then rolled up."""
    add_city(api)
    api.session.db["sites"].update("school1", {"title": f"Grundschule {HOSTILE}"})
    api.monitor.set_health_rules(down_after_misses=1)
    for step in range(30 * 3 + 1):
        ts = H0 + step * 1200
        results = [answer("ap1", ts, {"Schule": 20}) if step < 24 * 3 or step == 30 * 3 else dead("ap1", ts)]
        if step < 10 * 3:
            results.append(answer("ap2", ts, {"Schule": 10, HOSTILE: 4, FORMULA: 1}))
        record(api, results, ts)
        if step == 24 * 3:
            [alert] = api.monitor.alerts()
            api.monitor.ack_alert(alert["id"], note="on it")
    apply_retention(api.session.db, now=H0 + 5 * 86400)
    assert api.session.db.execute("select count(*) from samples_5m").fetchone()[0] == 0
    return api


def test_uptime_counts_hours_without_data_apart(month: Any) -> None:
    report = month.reports.report("school1", "2026-10", now=NOW)
    assert report.hours == 745 and report.timezone == "Europe/Berlin"
    assert report.start == "2026-10-01T00:00+02:00" and report.end == "2026-11-01T00:00+01:00"
    ap1, ap2 = report.aps
    assert (ap1.name, ap1.up_hours, ap1.down_hours, ap1.no_data_hours) == ("ap1", 25, 6, 745 - 31)
    assert ap1.uptime_pct == pytest.approx(100 * 25 / 31, abs=0.01)
    assert (ap2.up_hours, ap2.down_hours, ap2.no_data_hours, ap2.uptime_pct) == (10, 0, 735, 100.0)
    assert report.site_uptime.up_hours == 35 and report.site_uptime.down_hours == 6
    assert report.site_uptime.no_data_hours == 2 * 745 - 41
    # the hourly roll-ups are kept 30 days: on 2 November 12:00 UTC the hours before 3 October 12:00 are gone
    assert report.expired_hours == 2 * 24 + 14
    assert "the first 62 hours are older" in to_csv(report) and "The first 62 hours" in to_html(report)
    assert month.reports.report("school1", "2026-10", now=H0 + 6 * 86400).expired_hours == 0


def test_the_running_month_reads_samples_not_rolled_up_yet(api: Any) -> None:
    add_city(api)
    api.monitor.set_health_rules(down_after_misses=1)
    start = H0 + 7 * 3600
    for step in range(6):  # 07:00 up, 07:20 up, 07:40 down, 08:00 down, ... (no retention job ran)
        ts = start + step * 1200
        record(api, [answer("ap1", ts, {"Gast": 3}) if step < 2 else dead("ap1", ts)], ts)
    report = api.reports.report("school1", "2026-10", now=start + 2 * 3600 + 60)
    [ap1, ap2] = report.aps
    assert (ap1.up_hours, ap1.down_hours) == (pytest.approx(2 / 3, abs=0.001), pytest.approx(4 / 3, abs=0.001))
    assert ap2.hours_with_data == 0 and ap2.uptime_pct is None
    [day, whole] = [d for d in report.devices if d.ssid == "Gast"]
    assert day.day == "2026-10-05" and whole.day is None and whole.peak == 3 and whole.hours == 1


def test_devices_per_ssid_per_day_and_month(month: Any) -> None:
    report = month.reports.report("school1", "2026-10", now=NOW)
    rows = {(d.ssid, d.day): d for d in report.devices}
    # 5 October (local day from 02:00 UTC): 10 h with both APs (30 devices), then 12 h of ap1 alone (20)
    day = rows[("Schule", "2026-10-05")]
    assert (day.peak, day.hours) == (30, 22) and day.average == pytest.approx((10 * 30 + 12 * 20) / 22, abs=0.1)
    assert day.peak_at == "2026-10-05T02:00+02:00"
    whole = rows[("Schule", None)]
    assert whole.hours == 25 and whole.peak == 30
    assert rows[(HOSTILE, None)].average == 4 and rows[(FORMULA, None)].peak == 1


def test_incidents_of_the_month(month: Any) -> None:
    report = month.reports.report("school1", "2026-10", now=NOW)
    [incident] = report.incidents
    assert (incident.kind, incident.ap, incident.acked_by) == ("down", "ap1", month.session.user_name)
    assert incident.opened == "2026-10-06T02:00+02:00" and incident.closed == "2026-10-06T08:00+02:00"
    assert incident.duration_s == 6 * 3600 and duration(incident.duration_s) == "6 h 00 min"
    assert month.reports.report("school1", "2026-11", now=NOW).incidents == []


def test_a_month_without_data_says_so(month: Any) -> None:
    report = month.reports.report("school1", "2026-09", now=NOW)
    assert not report.has_data and report.site_uptime.uptime_pct is None
    assert "No data for this month" in to_html(report) and "100" not in to_html(report).split("<h2>Uptime")[1]
    [summary] = [r for r in csv.DictReader(io.StringIO(to_csv(report))) if r["section"] == "summary"]
    assert summary["message"].endswith("no data for this month")
    assert {r["uptime_pct"] for r in csv.DictReader(io.StringIO(to_csv(report))) if r["section"] == "uptime"} == {""}


def test_scope_and_unknown_sites(month: Any) -> None:
    from netctl.api import Netctl

    month.access.add_user("boss", "admin", os_login=os_login())
    month.access.add_user("schooladmin", "school-admin", sites=["school1"])
    with Netctl(month.session.db_path, user="schooladmin") as school:
        assert school.reports.report("school1", "2026-10", now=NOW).site_uptime.up_hours == 35
        with pytest.raises(NotFound) as hidden:
            school.reports.report("fleet", "2026-10", now=NOW)
        with pytest.raises(NotFound) as missing:
            school.reports.report("nosuch", "2026-10", now=NOW)
        with pytest.raises(NotFound, match=r"did you mean school1\?"):
            school.reports.report("school2", "2026-10", now=NOW)
    assert str(hidden.value).replace("fleet", "X") == str(missing.value).replace("nosuch", "X")
    assert month.reports.report("fleet", "2026-10", now=NOW).aps[0].name == "bus1"


def test_html_is_self_contained_and_escaped(month: Any) -> None:
    page = to_html(month.reports.report("school1", "2026-10", now=NOW))
    assert "<script" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page
    assert "Grundschule &lt;script&gt;" in page
    assert "src=" not in page and "href=" not in page and "http://" not in page.replace("http://evil", "")


def test_csv_parses_back_one_table_with_a_section_column(month: Any) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(month.reports.report("school1", "2026-10", now=NOW)))))
    assert [r["section"] for r in rows][:4] == ["summary", "uptime", "uptime", "uptime"]
    uptime = {r["ap"]: r for r in rows if r["section"] == "uptime"}
    assert uptime["ap1"]["up_hours"] == "25" and uptime["ap1"]["no_data_hours"] == "714"
    assert uptime[""]["uptime_pct"] == f"{100 * 35 / 41:.2f}".rstrip("0")
    ssids = {r["ssid"] for r in rows if r["section"] == "devices"}
    assert ssids == {"Schule", HOSTILE, "'" + FORMULA}  # a formula is text in a spreadsheet
    [incident] = [r for r in rows if r["section"] == "incidents"]
    assert (incident["kind"], incident["ap"], incident["duration"]) == ("down", "ap1", "6 h 00 min")


def test_pure_helpers() -> None:
    assert ssid_of("clients:Gast@WLAN@5g") == "Gast@WLAN" and ssid_of("clients") is None
    rows = [{"metric": "up", "epoch": 7200, "value": 1.0, "resolution": "1h"},
            {"metric": "up", "epoch": 7500, "value": 0.0, "resolution": "5m"},
            {"metric": "up", "epoch": 10800, "value": 0.0, "resolution": "5m"},
            {"metric": "up", "epoch": 11100, "value": 1.0, "resolution": "raw"}]
    assert hourly(rows) == {("up", 7200): 1.0, ("up", 10800): 0.5}
    for bad in ("2026-13", "2026-1", "Nov 2026", "", "2026-11-01"):
        with pytest.raises(ConfigError, match="YYYY-MM"):
            parse_month(bad, NOW, "Europe/Berlin")
    with pytest.raises(ConfigError, match="not begun"):
        parse_month("2026-12", NOW, "Europe/Berlin")
    empty = build_report({"name": "s", "tenant": "t"}, "2026-10", "UTC", *parse_month("2026-10", NOW, "UTC"),
                         NOW, {"ap": []}, [])
    assert empty.hours == 744 and empty.aps[0].no_data_hours == 744 and not empty.has_data


# -- the command ------------------------------------------------------------------------------------
def run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    from netctl.cli import main

    try:
        main(["--db", str(db), *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_command_formats_and_exit_codes(month: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = Path(month.session.db_path)
    code, out, _ = run(capsys, db, "report", "--site", "school1", "--month", "2026-10", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["site_uptime"]["up_hours"] == 35 and data["has_data"]
    assert [a["name"] for a in data["aps"]] == ["ap1", "ap2"] and data["incidents"][0]["kind"] == "down"
    code, out, _ = run(capsys, db, "report", "--site", "school1", "--month", "2026-10")
    assert code == 0 and out.startswith("section,site,ap,")
    target = tmp_path / "oktober.html"
    code, _, err = run(capsys, db, "report", "--site", "school1", "--month", "2026-10", "--format", "html",
                       "--output", str(target))
    assert code == 0 and target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and "oktober" in err
    sheet = tmp_path / "oktober.csv"
    assert run(capsys, db, "report", "--site", "school1", "--month", "2026-10", "-o", str(sheet))[0] == 0
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbfsection,")
    for bad in ("2026-13", "oct", "2026/10"):
        code, _, err = run(capsys, db, "report", "--site", "school1", "--month", bad)
        assert code == 2 and "YYYY-MM" in err
    code, _, err = run(capsys, db, "report", "--site", "schol1", "--month", "2026-10")
    assert code == 3 and "did you mean school1?" in err
    code, out, err = run(capsys, db, "report", "--site", "fleet", "--month", "2026-09", "--format", "html")
    assert code == 0 and "no data for 2026-09" in err and "No data for this month" in out


def test_the_html_page_in_german_and_the_csv_in_english(month: Any) -> None:
    """The page people read follows the language (headings, labels, sentences; the report's uptime is
    Verfügbarkeit); names, numbers, times and the CSV stay as they are."""
    from netctl import i18n

    report = month.reports.report("school1", "2026-10", now=NOW)
    english_csv = to_csv(report)
    i18n.choose("de")
    try:
        page, german_csv = to_html(report), to_csv(report)
    finally:
        i18n.choose("en")
    assert '<html lang="de">' in page and "<p>Monat 2026-10 (" in page and "Zeitzone Europe/Berlin" in page
    assert "<h2>Verfügbarkeit</h2>" in page and "<th>Stunden ohne Daten</th>" in page
    assert "<h2>Geräte je SSID</h2>" in page and "<h2>Störungen</h2>" in page and "<td>6 h 00 min</td>" in page
    assert "<th>bestätigt von</th>" in page and "Grundschule &lt;script&gt;" in page
    assert "Uptime" not in page and "hours" not in page
    assert german_csv == english_csv
    assert '<html lang="en">' in to_html(report) and "<h2>Uptime</h2>" in to_html(report)
