"""The TUI tests' small city written straight into a database, and waiting for a Textual app.

The clock is fixed (:data:`NOW`) and the APs' addresses are loopback port 9, where nothing answers.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlite_utils

from netctl.api import Netctl
from netctl.poll import history

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
SITES = [
    ("gs-meiderich", "duisburg", "school", "Grundschule Meiderich"),
    ("gym-hamborn", "duisburg", "school", "Abtei-Gymnasium Hamborn"),
    ("zoo-duisburg", "duisburg", "zoo", "Zoo Duisburg"),
    ("dvg-fleet", "duisburg", "transit", "DVG Busse und Bahnen"),
    ("gs-moers-mitte", "moers", "school", "Grundschule Moers-Mitte"),
]
PLATFORM = {"school": "netconf-wlan", "zoo": "openconfig-wlan", "transit": "openwrt"}


def seed_city(db: sqlite_utils.Database, aps_per_site: int = 3, extra_aps: int = 0) -> None:
    """Tenants, sites and APs as rows (addresses on loopback port 9: nothing answers there)."""
    db.table("tenants").insert_all(
        [
            {"name": "duisburg", "title": "Stadt Duisburg", "vars": "{}"},
            {"name": "moers", "title": "Stadt Moers", "vars": "{}"},
        ]
    )
    db.table("sites").insert_all(
        [{"name": n, "tenant": t, "kind": k, "title": title, "vars": "{}"} for n, t, k, title in SITES]
    )
    rows = [
        {
            "name": f"{n}-ap{i:02d}",
            "tenant": t,
            "site": n,
            "platform": PLATFORM[k],
            "address": "127.0.0.1",
            "port": 9,
            "model": "WLAN-AP 5",
            "serial": f"SN{n[:3].upper()}{i:02d}",
        }
        for n, t, k, _ in SITES
        for i in range(1, aps_per_site + 1)
    ]
    rows += [
        {
            "name": f"bulk-{i:05d}",
            "tenant": "duisburg",
            "site": SITES[i % 4][0],
            "platform": "openwrt",
            "address": "127.0.0.1",
            "port": 9,
        }
        for i in range(extra_aps)
    ]
    db.table("aps").insert_all(rows, batch_size=2000)


def add_users(db: sqlite_utils.Database) -> None:
    boot = Netctl(db)
    boot.access.add_user("ada", "admin", os_login="no-such-login")
    boot.access.add_user("eva", "engineer", tenants=["duisburg"])
    boot.access.add_user("sam", "school-admin", sites=["gs-meiderich"])


async def settle(pilot: Any) -> None:
    """Wait until every worker has reported and the screen has processed the messages.

    Idle means no running worker over three consecutive rounds: a screen that was just mounted
    starts its worker a moment after the key press that opened it.
    """
    app = pilot.app
    idle = 0
    for _ in range(200):
        await pilot.pause()
        await app.workers.wait_for_complete()
        idle = 0 if any(w.is_running for w in app.workers) else idle + 1
        if idle >= 3:
            return
    running = [w.name for w in app.workers if w.is_running]
    raise AssertionError(f"the screen never settled: workers still running after 200 rounds: {running}")


async def choose_in_palette(pilot: Any, query: str) -> None:
    """Open the command palette, type ``query``, wait for its background search and choose the first hit."""
    await pilot.press("ctrl+p", *query)
    for _ in range(100):
        await pilot.pause(0.01)
        if pilot.app.screen.query_one("CommandList").option_count:
            break
    await pilot.press("enter")


def text_of(widget: Any, width: int = 78) -> str:
    """The plain text a Static shows (Rich renderables rendered at ``width``)."""
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


def iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def seed_activity(db: sqlite_utils.Database) -> None:
    """Health, samples, alerts, a maintenance window, job runs, config versions, status and audit.

    Written as rows in the poll and config tables, at fixed times before NOW, so every screen shows
    the same thing on every run.
    """
    states = {"gs-meiderich-ap02": "down", "zoo-duisburg-ap03": "degraded", "dvg-fleet-ap02": "down"}
    health = []
    for ap in db["aps"].rows:
        state = states.get(ap["name"], "up")
        up = state != "down"
        health.append(
            {
                "ap": ap["name"],
                "state": state,
                "since": iso(NOW - dt.timedelta(hours=3)),
                "last_poll": iso(NOW - dt.timedelta(seconds=40)),
                "last_ok": iso(NOW - dt.timedelta(seconds=40 if up else 4000)),
                "uptime": 3 * 86400 + 4 * 3600 if up else None,
                "clients": 17 if up else None,
                "latency_ms": 4.2 if up else None,
                "cpu": 12.0,
                "mem": 41.0,
                "radios_down": 0,
                "reasons": "[]" if state == "up" else json.dumps([["x", f"{state} for a test"]]),
            }
        )
    db.table("health").insert_all(health)
    samples: list[dict[str, Any]] = []
    for step in range(24):
        ts = int((NOW - dt.timedelta(hours=23 - step)).timestamp())
        for metric, value in (
            ("clients", 5 + step % 7 * 3),
            ("latency_ms", 3 + step % 4),
            ("in_bps", 1e6 + step * 1e5),
            ("out_bps", 2e5 + step * 1e4),
            ("clients:Schule-Lernen@radio0", 9),
            ("clients:Schule-Verwaltung@radio1", 4),
            ("in_bps:if1", 1e6),
            ("out_bps:if1", 2e5),
        ):
            samples.append({"metric": metric, "ts": ts, "value": float(value)})
    metrics = sorted({s["metric"] for s in samples})
    db.table("series").insert_all([{"id": i, "ap": "gs-meiderich-ap01", "metric": m,
                              "label": "eth0" if m.endswith(":if1") else None} for i, m in enumerate(metrics, 1)])
    ids = {m: i for i, m in enumerate(metrics, 1)}
    rows = [{"series": ids[s["metric"]], "ts": s["ts"], "value": s["value"]} for s in samples]
    db.table("samples_1h").insert_all([{**r, "min": r["value"], "max": r["value"], "n": 1} for r in rows])
    history.write(db, [(r["series"], r["ts"], r["value"]) for r in rows])  # raw samples: compressed chunks
    db.table("alerts").insert_all(
        [
            {
                "id": 1,
                "ap": "gs-meiderich-ap02",
                "kind": "down",
                "severity": "critical",
                "message": "no answer to SNMP",
                "state": "open",
                "first_seen": iso(NOW - dt.timedelta(minutes=50)),
                "last_seen": iso(NOW),
            },
            {
                "id": 2,
                "ap": "zoo-duisburg-ap03",
                "kind": "cpu",
                "severity": "warning",
                "message": "CPU above 90%",
                "state": "open",
                "first_seen": iso(NOW - dt.timedelta(minutes=20)),
                "last_seen": iso(NOW),
            },
            {
                "id": 3,
                "ap": "gs-meiderich-ap01",
                "kind": "latency",
                "severity": "warning",
                "message": "latency high",
                "state": "closed",
                "first_seen": iso(NOW - dt.timedelta(days=1)),
                "last_seen": iso(NOW - dt.timedelta(hours=20)),
                "closed": iso(NOW - dt.timedelta(hours=20)),
            },
            {
                "id": 4,
                "ap": "dvg-fleet-ap02",
                "kind": "down",
                "severity": "critical",
                "message": "no answer to SNMP",
                "state": "open",
                "first_seen": iso(NOW - dt.timedelta(hours=2)),
                "last_seen": iso(NOW),
            },
        ]
    )
    db.table("maintenance").insert(
        {
            "id": 1,
            "name": "zoo switch swap",
            "selection": '{"site": "zoo-duisburg"}',
            "starts": "2030-01-10T06:00:00+00:00",
            "ends": "2030-01-10T08:00:00+00:00",
            "reason": "new PoE switch",
            "created_by": "ada",
            "created": iso(NOW),
        }
    )
    # the default poll job and eva's nightly backup
    db.table("jobs").insert_all([
        {"name": "poll", "job": "poll", "interval_s": 60.0, "enabled": 1, "owner": "@system", "selection": "{}",
         "options": "{}", "created": iso(NOW)},
        {"name": "backup", "job": "backup", "interval_s": 86400.0, "enabled": 1, "owner": "eva",
         "selection": '{"tenant": "duisburg"}', "options": "{}", "created": iso(NOW)},
    ])
    db.table("job_runs").insert_all(
        [
            {
                "id": 1,
                "job": "poll",
                "started": iso(NOW - dt.timedelta(minutes=5)),
                "ended": iso(NOW - dt.timedelta(minutes=5) + dt.timedelta(seconds=3)),
                "status": "ok",
                "aps": 15,
                "failures": 2,
                "detail": '{"timeout": 2}',
            },
            {
                "id": 2,
                "job": "backup",
                "started": iso(NOW - dt.timedelta(hours=1)),
                "ended": iso(NOW - dt.timedelta(hours=1) + dt.timedelta(seconds=12)),
                "status": "failed",
                "aps": 0,
                "failures": 0,
                "detail": "secret store key missing",
            },
        ]
    )
    db.table("config_versions").insert_all(
        [
            {
                "ap": "gs-meiderich-ap01",
                "version": 1,
                "created": iso(NOW - dt.timedelta(days=2)),
                "hash": "a1" * 8,
                "format": "xml",
                "source": "backup",
                "text": "<ap>\n  <channel>1</channel>\n</ap>\n",
                "sealed": "",
            },
            {
                "ap": "gs-meiderich-ap01",
                "version": 2,
                "created": iso(NOW - dt.timedelta(days=1)),
                "hash": "b2" * 8,
                "format": "xml",
                "source": "push",
                "text": "<ap>\n  <channel>6</channel>\n</ap>\n",
                "sealed": "",
            },
        ]
    )
    config_status: list[dict[str, Any]] = [
        {"ap": "gs-meiderich-ap01", "status": "applied", "version": 2, "updated": iso(NOW)},
        {"ap": "gs-meiderich-ap02", "status": "pending", "reason": "unreachable", "updated": iso(NOW)},
        {"ap": "zoo-duisburg-ap01", "status": "drifted", "updated": iso(NOW)},
    ]
    db.table("config_status").insert_all(config_status)
    db.table("audit").insert(
        {
            "run": "r1",
            "ts": iso(NOW - dt.timedelta(days=1)),
            "who": "eva",
            "action": "push",
            "selection": "site=gs-meiderich",
            "template": "ap.xml.j2",
            "ap": "gs-meiderich-ap01",
            "outcome": "applied",
            "dry_run": 0,
        }
    )


def seed_dashboard(db: sqlite_utils.Database) -> None:
    """On top of :func:`seed_activity`: gs-meiderich-ap03 polled a minute before NOW with 20 + 3 clients on
    Schule-Lernen (two radios), and sam's guest WLAN switched off until six hours after NOW (16:30 in Berlin),
    so gs-meiderich has 32 devices on Schule-Lernen and 4 on Schule-Verwaltung."""
    ids = {"clients:Schule-Lernen@radio0": 100, "clients:Schule-Lernen@radio1": 101}
    db.table("series").insert_all([{"id": i, "ap": "gs-meiderich-ap03", "metric": m} for m, i in ids.items()])
    ts = int(NOW.timestamp()) - 60
    history.write(db, [(100, ts, 20.0), (101, ts, 3.0)])
    db.table("ssid_timers").insert({"site": "gs-meiderich", "ssid": "Duisburg-Free-WLAN", "enabled": 0,
                                    "until": iso(NOW + dt.timedelta(hours=6)), "who": "sam",
                                    "created": iso(NOW), "state": "active"})
