"""Alert routes end to end: polls recorded, alerts queued, grouped and sent through Apprise to real
local peers (an aiosmtpd SMTP server and an http.server receiver on 127.0.0.1), quiet hours with a
clock the test passes, and the route's URL never in clear in the CLI's output, the logs or the database.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from netctl.errors import ConfigError
from netctl.poll.model import PollResult
from tests.helpers.poll import dead, good, record
from tests.helpers.receivers import http_receiver, smtp_server


@pytest.fixture
def schools(api: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A tenant with two schools: gs-neudorf with 25 APs, gs-altstadt with one; a secret key for the store."""
    monkeypatch.setenv("NETCTL_SECRET_KEY", Fernet.generate_key().decode())
    for name in ("NETCTL_DB", "NETCTL_USER", "NETCTL_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    db = api.session.db
    db["tenants"].insert({"name": "du", "title": "Duisburg", "vars": json.dumps({"timezone": "Europe/Berlin"})})
    db["sites"].insert_all([{"name": "gs-neudorf", "tenant": "du", "kind": "school", "vars": "{}",
                             "title": "Grundschule Neudorf"},
                            {"name": "gs-altstadt", "tenant": "du", "kind": "school", "vars": "{}"}])
    snmp = json.dumps({"version": "2c", "port": 1161, "community": "secret:x"})
    db["aps"].insert_all([{"name": f"gs-neudorf-ap{n}", "tenant": "du", "site": "gs-neudorf",
                           "platform": "netconf-wlan", "address": f"127.0.1.{n}", "snmp": snmp} for n in range(1, 26)]
                         + [{"name": "gs-altstadt-ap1", "tenant": "du", "site": "gs-altstadt",
                             "platform": "netconf-wlan", "address": "127.0.2.1", "snmp": snmp}])
    api.monitor.set_health_rules(down_after_misses=1)
    yield api


def neudorf(make: Any, ts: float) -> list[PollResult]:
    return [make(f"gs-neudorf-ap{n}", ts) for n in range(1, 26)]


def berlin(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Berlin")).timestamp()


def test_a_site_outage_is_one_mail_listing_its_aps_and_one_when_they_are_back(schools: Any) -> None:
    t0 = berlin("2026-11-27T10:00:00")
    with smtp_server() as smtp:
        schools.inventory.set_secret("du/noc-mail", smtp.url("it@schule.example"))
        schools.routes.add("schools", ["secret:du/noc-mail"], tenant="du", group_s=120)
        events = record(schools, neudorf(dead, t0) + [good("gs-altstadt-ap1", t0)], t0)
        assert len(events) == 25
        record(schools, neudorf(dead, t0 + 60), t0 + 60)
        assert smtp.mails == []  # still inside the grouping window
        record(schools, neudorf(dead, t0 + 125), t0 + 125)
        [outage] = smtp.wait(1)
        record(schools, neudorf(good, t0 + 180), t0 + 180)
        record(schools, neudorf(good, t0 + 310), t0 + 310)
        mails = smtp.wait(2)
    assert len(mails) == 2
    assert outage.recipients == ["it@schule.example"] and outage.sender == "netctl@schule.example"
    assert outage.subject == "[netctl] Grundschule Neudorf (gs-neudorf): down on 25 APs"
    ids = {a["ap"]: a["id"] for a in schools.monitor.alerts(open_only=False)}
    for n in range(1, 26):
        assert f"#{ids[f'gs-neudorf-ap{n}']} gs-neudorf-ap{n} down" in outage.body
    assert "New at gs-neudorf (25):" in outage.body and "netctl alerts ack ID" in outage.body
    back = mails[1]
    assert back.subject == "[netctl] Grundschule Neudorf (gs-neudorf): resolved: down on 25 APs"
    assert "Resolved at gs-neudorf (25):" in back.body and "gs-neudorf-ap25" in back.body
    assert all(a["notified"] == 2 for a in schools.monitor.alerts(open_only=False))  # opened and resolved


def test_quiet_hours_hold_a_warning_until_morning_but_a_critical_alert_passes(schools: Any) -> None:
    night = berlin("2026-11-27T23:00:00")
    with smtp_server() as smtp:
        schools.inventory.set_secret("du/night-mail", smtp.url("hausmeister@schule.example"))
        schools.routes.add("night", ["secret:du/night-mail"], site="gs-altstadt", min_severity="info",
                           quiet="22:00-06:30", critical_in_quiet=True, group_s=0)
        events = record(schools, [good("gs-altstadt-ap1", night, cpu=97.0)], night)
        assert [(e["kind"], e["severity"]) for e in events] == [("cpu-high", "warning")]
        schools.monitor.ack_alert(events[0]["id"], note="Lüfter prüfen")  # someone saw it before the mail went
        schools.routes.flush(now=night + 3600)
        assert smtp.wait(1, timeout=0.5) == []  # held: quiet hours until 06:30 local time
        record(schools, [dead("gs-altstadt-ap1", night + 3700)], night + 3700)
        [urgent] = smtp.wait(1)  # the AP went down: critical alerts pass quiet hours
        assert urgent.subject == "[netctl] gs-altstadt: down on gs-altstadt-ap1"
        assert "cpu-high" not in urgent.body
        sent = schools.routes.flush(now=berlin("2026-11-28T06:29:00"))
        assert sent == [] and len(smtp.wait(2, timeout=0.5)) == 1
        sent = schools.routes.flush(now=berlin("2026-11-28T06:31:00"))
        mails = smtp.wait(2)
    assert [d["ok"] for d in sent] == [True]
    assert len(mails) == 2 and mails[1].recipients == ["hausmeister@schule.example"]
    # the night's summary: the warning opened, and closed when the AP went down
    assert mails[1].subject == ("[netctl] gs-altstadt: cpu-high on gs-altstadt-ap1; "
                                "resolved: cpu-high on gs-altstadt-ap1")
    assert "held during quiet hours 22:00-06:30 Europe/Berlin" in mails[1].body
    assert f"acknowledged by {schools.session.user_name}: Lüfter prüfen" in mails[1].body
    outbox = schools.session.db["alert_outbox"]
    assert {r["state"] for r in outbox.rows} == {"sent"}
    schools.routes.flush(now=berlin("2026-12-27T06:00:00"))
    assert outbox.count == 3  # kept 30 days
    schools.routes.flush(now=berlin("2026-12-29T06:00:00"))
    assert outbox.count == 0


def test_json_webhook_through_apprise_and_the_url_never_in_clear(schools: Any, tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token, path_token = secrets.token_hex(12), secrets.token_hex(12)
    db_path = str(schools.session.db_path)
    runner = CliRunner()

    def netctl(*args: str, code: int = 0) -> str:
        from netctl.cli import cli

        result = runner.invoke(cli, ["--db", db_path, *args], prog_name="netctl", catch_exceptions=False)
        assert result.exit_code == code, (args, result.output)
        return result.output + result.stderr

    outputs: list[str] = []
    with http_receiver() as hook:
        schools.inventory.set_secret("du/teams", f"json://netctl:{token}@{hook.base()}/hooks/{path_token}")
        schools.inventory.set_secret("du/gone", f"json://netctl:{token}@127.0.0.1:9/hooks/{path_token}")
        outputs.append(netctl("alerts", "route", "add", "teams", "--url", "secret:du/teams", "--tenant", "du",
                              "--kind", "down", "--group", "0"))
        outputs.append(netctl("alerts", "route", "add", "gone", "--url", "secret:du/gone", "--tenant", "du",
                              "--kind", "down", "--group", "0"))
        clear = f"json://netctl:{token}@{hook.base()}/hooks/{path_token}"
        with pytest.raises(ConfigError, match="must be a secret reference") as refused:  # main() prints it
            netctl("alerts", "route", "add", "clear", "--url", clear)
        outputs.append(f"error: {refused.value}")
        outputs.append(netctl("alerts", "route", "list"))
        listed = json.loads(netctl("alerts", "route", "list", "--json"))
        assert [(r["name"], r["urls"]) for r in listed] == [("gone", ["secret:du/gone"]),
                                                            ("teams", ["secret:du/teams"])]
        outputs.append(netctl("alerts", "route", "test", "teams"))
        outputs.append(netctl("alerts", "route", "test", "gone", code=1))
        t0 = berlin("2026-11-27T10:00:00")
        record(schools, [dead("gs-altstadt-ap1", t0)], t0)
        outputs.append(netctl("alerts", "list"))
        posts = list(hook.posts)
    assert [p["path"] for p in posts] == [f"/hooks/{path_token}"] * 2
    assert posts[0]["json"]["title"] == "[netctl] test of alert route teams"
    assert posts[1]["json"]["title"] == "[netctl] gs-altstadt: down on gs-altstadt-ap1"
    assert "netctl alerts ack" in posts[1]["json"]["message"]
    assert "gone: route gone:" in outputs[5] and "127.0.0.1" in outputs[5]  # the failure says where, not the token
    [alert] = schools.monitor.alerts()
    assert alert["notified"] == 1 and alert["notify_error"].startswith("route gone:")
    dump = "\n".join(schools.session.db.conn.iterdump())
    logs = caplog.text
    assert "secret:du/teams" in dump and "JSON" in logs  # the reference is stored and Apprise did log
    for where, text in (("CLI output", "\n".join(outputs)), ("logs", logs), ("database", dump)):
        assert token not in text, where
        assert path_token not in text, where


def test_routes_stay_within_the_users_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from netctl.errors import NotFound, PermissionDenied
    from tests.helpers.access import as_user, make_scope_db

    monkeypatch.setenv("NETCTL_SECRET_KEY", Fernet.generate_key().decode())
    db_path = make_scope_db(tmp_path)
    ada, eva, sam = (as_user(db_path, name) for name in ("ada", "eva", "sam"))
    with http_receiver() as hook:
        for name in ("duisburg/it", "moers/it", "city"):
            ada.inventory.set_secret(name, f"json://{hook.base()}/{name.replace('/', '-')}")
        ada.routes.add("city", ["secret:city"])
        eva.routes.add("duisburg", ["secret:duisburg/it"], tenant="duisburg")
        eva.routes.add("meiderich", ["secret:duisburg/it"], site="gs-meiderich")
        for tenant, site, ref in ((None, None, "secret:duisburg/it"), ("moers", None, "secret:moers/it"),
                                  (None, "gs-moers-mitte", "secret:moers/it")):
            with pytest.raises(ConfigError, match="beyond your scope"):
                eva.routes.add("wider", [ref], tenant=tenant, site=site)
        with pytest.raises(ConfigError, match="taken"):
            eva.routes.add("city", ["secret:duisburg/it"], tenant="duisburg")  # never replaces the admin's
        assert [r["name"] for r in eva.routes.list_routes()] == ["duisburg", "meiderich"]
        assert [r["name"] for r in ada.routes.list_routes()] == ["city", "duisburg", "meiderich"]
        assert eva.routes.list_routes()[1]["tenant"] == "duisburg"  # a site's route takes the site's tenant
        for act in (lambda: eva.routes.remove("city"), lambda: eva.routes.test("city")):
            with pytest.raises(NotFound):
                act()
        with pytest.raises(PermissionDenied):
            sam.routes.add("mine", ["secret:duisburg/it"], site="gs-meiderich")
        assert eva.routes.test("meiderich")["ok"]
        assert [p["path"] for p in hook.posts] == ["/duisburg-it"]
    for nc in (ada, eva, sam):
        nc.close()


def test_a_teams_workflow_card_through_apprise(schools: Any, tmp_path: Path) -> None:
    """Teams' Power Automate workflows take an Adaptive Card over HTTPS: here a local TLS receiver."""
    with http_receiver(status=202, tls=tmp_path) as teams:
        schools.inventory.set_secret("du/teams", f"workflows://{teams.base()}/wf01/sig0123456789?verify=no&image=no")
        schools.routes.add("teams", ["secret:du/teams"], site="gs-neudorf", group_s=0)
        t0 = berlin("2026-11-27T10:00:00")
        record(schools, neudorf(dead, t0)[:3], t0)
        posts = list(teams.posts)
    [post] = posts
    assert post["path"].startswith("/workflows/wf01/triggers/manual/paths/invoke?")
    assert "sig=sig0123456789" in post["path"]
    [card] = post["json"]["attachments"]
    texts = {block.get("id"): block["text"] for block in card["content"]["body"] if block["type"] == "TextBlock"}
    assert texts["title"] == "[netctl] Grundschule Neudorf (gs-neudorf): down on 3 APs"
    shown = texts["body"].replace("\\", "")  # Teams renders Markdown: the plain text comes escaped
    assert "gs-neudorf-ap3 down (critical)" in shown and 'netctl alerts ack 1 --note "on my way"' in shown


def test_two_processes_flushing_at_once_send_a_batch_once(schools: Any) -> None:
    """The scheduler's poll and a cron `netctl poll` may flush together: each batch is claimed before it goes."""
    from netctl.api import Netctl

    t0 = berlin("2026-11-27T10:00:00")
    with smtp_server() as smtp:
        schools.inventory.set_secret("du/noc-mail", smtp.url())
        schools.routes.add("schools", ["secret:du/noc-mail"], tenant="du", group_s=120)
        record(schools, neudorf(dead, t0), t0)
        others = [Netctl(schools.session.db_path) for _ in range(3)]
        start = threading.Barrier(len(others))
        sent: list[list[dict[str, Any]]] = []

        def flush(nc: Any) -> None:
            start.wait(timeout=5)
            sent.append(nc.routes.flush(now=t0 + 130))

        threads = [threading.Thread(target=flush, args=(nc,)) for nc in others]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        for nc in others:
            nc.close()
        mails = smtp.wait(2, timeout=1.0)
    assert len(mails) == 1 and mails[0].subject.endswith("down on 25 APs")
    assert sorted(len(batches) for batches in sent) == [0, 0, 1]


def test_the_real_command_prints_no_token_at_any_log_level(schools: Any) -> None:
    """A real process: netctl's debug log and Apprise's warnings (Python's last-resort handler) on stderr."""
    token = secrets.token_hex(12)
    schools.inventory.set_secret("du/gone", f"json://netctl:{token}@127.0.0.1:9/hooks/{token}")
    schools.routes.add("gone", ["secret:du/gone"], tenant="du")
    env = {**os.environ, "NETCTL_LOG": "debug"}
    done = subprocess.run([sys.executable, "-m", "netctl.cli", "--db", str(schools.session.db_path),
                           "alerts", "route", "test", "gone"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 1
    assert "gone: route gone: A Connection error occurred sending JSON notification to 127.0.0.1" in done.stdout
    assert token not in done.stdout + done.stderr
