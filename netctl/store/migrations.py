"""The schema of netctl, in one place, as ordered migrations.

Each migration runs once, inside a transaction, and is recorded in ``_migrations``. Append new
migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlite_utils

from netctl.store.db import transaction

Migration = Callable[[sqlite_utils.Database], None]


def m001_inventory(db: sqlite_utils.Database) -> None:
    """Global variables, tenants, sites, groups, access points, encrypted secrets.

    JSON columns (``vars``, ``snmp``, ``groups``, ``tags``, ``globals.value``) hold JSON text.
    Secrets are never stored here in clear: ``credentials`` and the SNMP keys are references.
    """
    db.table("globals").create({"key": str, "value": str}, pk="key", not_null={"key"})
    db.table("tenants").create({"name": str, "title": str, "vars": str}, pk="name", not_null={"name"},
                               defaults={"vars": "{}"})
    db.table("sites").create(
        {"name": str, "tenant": str, "kind": str, "title": str, "address": str, "lat": float, "lon": float,
         "vars": str},
        pk="name", foreign_keys=[("tenant", "tenants", "name")], not_null={"name", "tenant", "kind"},
        defaults={"vars": "{}"},
    )
    db.table("sites").create_index(["tenant"])
    db.table("groups").create({"tenant": str, "name": str, "vars": str}, pk=("tenant", "name"),
                              foreign_keys=[("tenant", "tenants", "name")], not_null={"tenant", "name"},
                              defaults={"vars": "{}"})
    db.table("aps").create(
        {"name": str, "tenant": str, "site": str, "role": str, "platform": str, "address": str, "port": int,
         "model": str, "serial": str, "vehicle_id": str, "snmp": str, "credentials": str,
         "groups": str, "tags": str, "vars": str, "created": str, "updated": str},
        pk="name", not_null={"name", "tenant", "site", "platform", "address"},
        foreign_keys=[("tenant", "tenants", "name"), ("site", "sites", "name")],
        defaults={"role": "ap", "groups": "[]", "tags": "[]", "vars": "{}", "snmp": "{}"},
    )
    db.table("aps").create_index(["site"])
    db.table("aps").create_index(["tenant"])
    db.table("secrets").create({"name": str, "ciphertext": str, "updated": str}, pk="name")


def m002_config(db: sqlite_utils.Database) -> None:
    """Config versions (backups), config status per AP, audit trail.

    ``config_versions.text`` is masked (secrets and volatile lines); ``sealed`` is the full text
    encrypted with the secret store's key, so a restore can push it back. No foreign keys to
    ``aps``: history and audit outlive a removed AP.
    """
    db.table("config_versions").create(
        {"id": int, "ap": str, "version": int, "created": str, "hash": str, "format": str, "source": str,
         "text": str, "sealed": str},
        pk="id", not_null={"ap", "version", "hash", "text"},
    )
    db.table("config_versions").create_index(["ap", "version"], unique=True)
    db.table("config_versions").create_index(["ap", "hash"])
    db.table("config_status").create(
        {"ap": str, "status": str, "reason": str, "version": int, "template": str, "intended_hash": str,
         "intended": str, "diff": str, "last_attempt": str, "updated": str},
        pk="ap", not_null={"ap", "status"},
    )
    db.table("config_status").create_index(["status"])
    db.table("audit").create(
        {"id": int, "run": str, "ts": str, "who": str, "action": str, "selection": str, "template": str,
         "ap": str, "rendered_hash": str, "diff": str, "outcome": str, "reason": str, "rpc_error_tag": str,
         "dry_run": int, "transcript": str},
        pk="id", not_null={"run", "ts", "who", "action", "ap", "outcome"},
    )
    db.table("audit").create_index(["ts"])
    db.table("audit").create_index(["ap", "ts"])


def m003_poll(db: sqlite_utils.Database) -> None:
    """Poll samples, roll-ups, health, alerts, maintenance windows, notifiers, jobs and job runs.

    ``samples`` holds one row per AP x metric x poll (``ts`` in epoch seconds) for a short window;
    the retention job folds it into ``samples_5m`` and ``samples_1h`` (avg/min/max/n) and deletes
    what is older than each window. ``health`` holds the current state per AP, so status never
    aggregates samples. No foreign keys to ``aps``: history outlives a removed AP. (``m005_series``
    re-keys the three sample tables by a series id.)
    """
    for name in ("samples", "samples_5m", "samples_1h"):
        extra = "" if name == "samples" else ", min REAL, max REAL, n INTEGER"
        db.execute(f"CREATE TABLE [{name}] (ap TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL, "
                   f"value REAL{extra}, PRIMARY KEY (ap, metric, ts)) WITHOUT ROWID")
    db.table("samples").create_index(["ts"])
    db.table("health").create(
        {"ap": str, "state": str, "since": str, "since_ts": float, "last_poll": str, "last_poll_ts": float,
         "last_ok": str, "misses": int, "oks": int, "uptime": float, "clients": int, "latency_ms": float,
         "cpu": float, "mem": float, "radios_down": int, "reasons": str, "error_kind": str, "error": str,
         "counters": str, "baseline": float, "changes": str, "flapping": int, "sys_name": str},
        pk="ap", defaults={"state": "unknown", "misses": 0, "oks": 0, "reasons": "[]", "changes": "[]",
                           "flapping": 0},
    )
    db.table("alerts").create(
        {"id": int, "ap": str, "kind": str, "severity": str, "message": str, "state": str, "first_seen": str,
         "last_seen": str, "closed": str, "count": int, "muted": int, "mute_reason": str, "acked_by": str,
         "acked_at": str, "ack_note": str, "notified": int, "notify_error": str},
        pk="id", not_null={"ap", "kind", "state"},
        defaults={"state": "open", "count": 1, "muted": 0, "notified": 0},
    )
    db.table("alerts").create_index(["ap", "state"])
    db.table("alerts").create_index(["state"])
    db.table("maintenance").create(
        {"id": int, "name": str, "selection": str, "starts": str, "ends": str, "reason": str, "created_by": str,
         "created": str},
        pk="id", not_null={"selection", "starts", "ends"},
    )
    db.table("notifiers").create({"name": str, "kind": str, "target": str, "enabled": int, "options": str},
                           pk="name", not_null={"kind", "target"}, defaults={"enabled": 1, "options": "{}"})
    db.table("poll_settings").create({"key": str, "value": str}, pk="key")
    db.table("jobs").create(
        {"name": str, "job": str, "interval_s": float, "selection": str, "enabled": int, "options": str,
         "created": str},
        pk="name", not_null={"job", "interval_s"}, defaults={"enabled": 1, "selection": "{}", "options": "{}"},
    )
    db.table("job_runs").create(
        {"id": int, "job": str, "started": str, "ended": str, "status": str, "aps": int, "failures": int,
         "detail": str, "pid": int, "host": str},
        pk="id", not_null={"job", "started", "status"},
    )
    db.table("job_runs").create_index(["job", "started"])
    db.table("job_runs").create_index(["status"])


def m004_access(db: sqlite_utils.Database) -> None:
    """Users with a role and a scope."""
    db.table("users").create({"name": str, "role": str, "scope": str, "os_login": str, "allowed_actions": str,
                        "created": str}, pk="name", defaults={"scope": "{}", "allowed_actions": "[]"})


SAMPLE_TABLES = ("samples", "samples_5m", "samples_1h")


def m005_series(db: sqlite_utils.Database) -> None:
    """Samples keyed by a series id instead of the AP and metric names: about half the bytes per row.

    Every sample row of ``m003_poll`` repeated the AP and metric names (about 20 bytes) and ``samples``
    carried an index on ``ts`` nearly as large as the table. Now ``series`` names each AP x metric
    once and the three sample tables are ``(series, ts, value[, min, max, n])``, WITHOUT ROWID with
    primary key ``(series, ts)``: a few bytes of id in place of the names, and no ``ts`` index (a day
    of 1-minute polls: 56 bytes per stored row before, 27 after, both after ``VACUUM``). The
    retention job walks the primary key series by series (``series in (select id from series) and
    ts < ?``), which is faster than the ``ts`` index was, because it deletes and folds whole runs of
    adjacent rows instead of looking up each row the index names.

    Rows of ``series`` are never deleted (no foreign keys to ``aps``: history outlives a removed AP),
    so a writer may cache the ids it has seen. Existing rows are copied over with their values as
    they were.
    """
    db.table("series").create({"id": int, "ap": str, "metric": str}, pk="id", not_null={"ap", "metric"})
    db.table("series").create_index(["ap", "metric"], unique=True)
    names = " union ".join(f"select ap, metric from [{table}]" for table in SAMPLE_TABLES)
    db.execute(f"insert into series (ap, metric) select ap, metric from ({names}) order by ap, metric")
    for table in SAMPLE_TABLES:
        rollup = table != "samples"
        extra = ", min, max, n" if rollup else ""
        typed = ", min REAL, max REAL, n INTEGER" if rollup else ""
        db.execute(f"ALTER TABLE [{table}] RENAME TO [{table}_m003]")
        db.execute(f"CREATE TABLE [{table}] (series INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL{typed}, "
                   "PRIMARY KEY (series, ts)) WITHOUT ROWID")
        db.execute(f"insert into [{table}] (series, ts, value{extra}) "
                   f"select s.id, old.ts, old.value{extra.replace(', ', ', old.')} from [{table}_m003] old "
                   "join series s on s.ap = old.ap and s.metric = old.metric order by s.id, old.ts")
        db.execute(f"DROP TABLE [{table}_m003]")


def m006_host_keys(db: sqlite_utils.Database) -> None:
    """Pinned SSH host keys per AP (see :mod:`netctl.hostkeys`): one row per AP and key type.

    ``key`` is the base64 key blob, ``fingerprint`` its SHA256 fingerprint as OpenSSH prints it,
    ``seen_by`` who pinned it, ``source`` how (first contact, trust, import). No foreign key to
    ``aps``: a pin outlives a removed AP, like its history.
    """
    db.table("host_keys").create(
        {"ap": str, "key_type": str, "key": str, "fingerprint": str, "first_seen": str, "seen_by": str,
         "source": str},
        pk=("ap", "key_type"), not_null={"ap", "key_type", "key", "fingerprint", "first_seen"},
    )


def m007_owners_settings(db: sqlite_utils.Database) -> None:
    """Jobs get an owner; ``settings`` holds what only an admin sets.

    A job runs with its owner's scope and rights, re-checked at each run. Jobs that exist already
    (the default ``poll`` and ``retention`` jobs, and any added before jobs had owners) belong to
    ``@system``: only admins change them, and they run as the admin who runs them.
    ``settings`` is key/value text; ``secret_file_dir`` is the one directory ``file:`` references
    may read (none: ``file:`` references are refused).
    """
    db.table("jobs").add_column("owner", str)
    db.execute("update jobs set owner = '@system'")
    db.table("settings").create({"key": str, "value": str}, pk="key", not_null={"key"})


def m008_push_journal(db: sqlite_utils.Database) -> None:
    """The push journal (:mod:`netctl.push.journal`): each AP's lock and the intent of the run holding it.

    One row per AP while a push, converge or restore is changing it; deleted in the transaction
    that records the AP's result. ``sealed`` is the configuration about to be sent (encrypted like
    stored versions), ``host``/``pid``/``pid_start`` the holding process, ``orphan_seen`` when a
    later run first found the holder gone.
    """
    db.table("push_intents").create(
        {"ap": str, "run": str, "action": str, "platform": str, "template": str, "intended_hash": str,
         "sealed": str, "who": str, "host": str, "pid": int, "pid_start": str, "started": str, "expires": str,
         "confirm_timeout": int, "orphan_seen": str},
        pk="ap", not_null={"ap", "run", "action", "sealed", "host", "pid", "started", "expires"},
    )


def m009_series_labels(db: sqlite_utils.Database) -> None:
    """Per-interface series keyed by ifIndex (``in_bps:if<N>``), the interface name kept as ``label``.

    Series of interfaces that shared a name were stored as ``in_bps:<name> (ifIndex N)``: they become
    ``in_bps:ifN`` labelled ``<name>`` here. Series named only by the interface (``in_bps:eth0``) cannot
    be mapped without the agent; the first poll that serves that interface takes the series over
    (:func:`netctl.poll.store.series_ids`), so its history goes on under the ifIndex.
    """
    import re

    db.execute("ALTER TABLE series ADD COLUMN label TEXT")
    pattern = re.compile(r"^(in_bps|out_bps):(.*) \(ifIndex (\d+)\)$")
    renamed = []
    for series_id, metric in db.execute("select id, metric from series where metric like '%(ifIndex %)'").fetchall():
        match = pattern.match(metric)
        if match:
            renamed.append((f"{match.group(1)}:if{match.group(3)}", match.group(2), series_id))
    db.conn.executemany("update or ignore series set metric = ?, label = ? where id = ?", renamed)



def m010_health_unavailable(db: sqlite_utils.Database) -> None:
    """``health.unavailable``: what the AP's last good poll asked for and the agent did not serve, with why.

    JSON ``{"clients": "the agent served no unifiVapTable …", …}``, so status, the CLI and the TUI say
    "not available" instead of showing nothing or a zero. NULL for APs not polled since.
    """
    db.execute("ALTER TABLE health ADD COLUMN unavailable TEXT")


def m011_auto_converge(db: sqlite_utils.Database) -> None:
    """Automatic convergence (:mod:`netctl.push.autoconverge`): how often a pending AP's config was tried
    again since it came back (``retries``) and when the next try is due (``retry_at``, ISO time)."""
    db.execute("ALTER TABLE config_status ADD COLUMN retries INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE config_status ADD COLUMN retry_at TEXT")


def _add_default_job(db: sqlite_utils.Database, job: str, interval_s: float = 60.0) -> None:
    """Give a database that has its jobs already a new default job (a fresh one gets it with the others)."""
    if db.table("jobs").count:
        db.table("jobs").insert({"name": job, "job": job, "interval_s": interval_s, "selection": "{}",
                                 "enabled": 1, "options": "{}", "owner": "@system",
                                 "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
                                pk="name", ignore=True)


def m012_ssid_timers(db: sqlite_utils.Database) -> None:
    """Timed SSID switches (:mod:`netctl.timers`): ``ssid_timers``, one row per ``--until`` switch.

    ``enabled`` is the state the SSID was switched to (the revert switches it the other way) and
    ``until`` when (UTC ISO); ``state`` is active, reverted, cancelled or failed, ``reason`` why (or
    why the last revert try failed); ``tries``/``retry_at`` the back-off of failed reverts;
    ``claimed_by``/``claimed_until`` the run reverting it now (so two runs never both switch it);
    ``ended``/``ended_by`` when and by whom it was reverted or cancelled. A database that has its
    jobs already gets the default ``timers`` job here (a fresh one gets it with the other defaults).
    """
    db.table("ssid_timers").create(
        {"id": int, "site": str, "ssid": str, "enabled": int, "until": str, "who": str, "created": str,
         "state": str, "reason": str, "tries": int, "retry_at": str, "claimed_by": str, "claimed_until": str,
         "ended": str, "ended_by": str},
        pk="id", not_null={"site", "ssid", "enabled", "until", "who", "created", "state"},
        defaults={"state": "active", "tries": 0},
    )
    db.table("ssid_timers").create_index(["state", "until"])
    db.table("ssid_timers").create_index(["site", "ssid"])
    _add_default_job(db, "timers")


def m013_calendars(db: sqlite_utils.Database) -> None:
    """School calendars (:mod:`netctl.schedule.calendars`): ``calendars``, one rule per site and name.

    ``ics`` is the iCalendar text as imported from ``source`` (a file or URL, kept for the record:
    the scheduler never fetches), ``mode`` off-during or on-during, ``holidays`` a German state whose
    public holidays count as events, ``summary`` a glob on the events' SUMMARY. A database that has
    its jobs already gets the default ``calendars`` job here.
    """
    db.table("calendars").create(
        {"id": int, "site": str, "name": str, "ssid": str, "mode": str, "source": str, "ics": str,
         "holidays": str, "summary": str, "who": str, "created": str, "updated": str},
        pk="id", not_null={"site", "name", "ssid", "mode", "who", "created"},
    )
    db.table("calendars").create_index(["site", "name"], unique=True)
    _add_default_job(db, "calendars")


def m014_overlays(db: sqlite_utils.Database) -> None:
    """Named, time-boxed variable overlays (:mod:`netctl.overlays`, "exam mode"): ``overlays``.

    ``kind``/``target`` (and ``tenant`` for a group) say which APs it covers, ``vars`` its variables
    (JSON), ``until`` when it ends (UTC ISO); ``state`` is active or ended, with ``ended``/``ended_by``/
    ``reason``. The ``timers`` job ends due overlays.
    """
    db.table("overlays").create(
        {"id": int, "name": str, "kind": str, "target": str, "tenant": str, "vars": str, "until": str, "who": str,
         "created": str, "state": str, "ended": str, "ended_by": str, "reason": str},
        pk="id", not_null={"name", "kind", "target", "vars", "until", "who", "created", "state"},
        defaults={"state": "active"},
    )
    db.table("overlays").create_index(["state", "until"])


def m015_alert_routes(db: sqlite_utils.Database) -> None:
    """Alert routes and their outbox (:mod:`netctl.notify.outbox`): ``alert_routes``, ``alert_outbox``.

    ``alert_routes``: one row per route, ``urls`` a JSON list of secret references to Apprise URLs
    (never the URLs: they hold tokens), the match (``tenant``, ``site``, ``min_severity``, ``kinds`` as
    JSON), ``quiet`` hours (``HH:MM-HH:MM`` in the site's time zone), ``critical_in_quiet`` (1: critical
    alerts pass them) and ``group_s``, the grouping window. ``alert_outbox``: one row per alert event
    and route, ``pending`` until ``due_ts`` (queued + window, or the end of quiet hours), ``sending``
    while a process sends it, then ``sent`` or ``failed`` (with ``error``, secrets masked).
    Acknowledgement (who, when, note) lives on ``alerts`` since ``m003_poll``.
    """
    db.table("alert_routes").create(
        {"name": str, "urls": str, "tenant": str, "site": str, "min_severity": str, "kinds": str, "quiet": str,
         "critical_in_quiet": int, "group_s": float, "enabled": int, "who": str, "created": str},
        pk="name", not_null={"urls", "min_severity"},
        defaults={"min_severity": "warning", "kinds": "[]", "critical_in_quiet": 1, "group_s": 60.0, "enabled": 1},
    )
    db.table("alert_outbox").create(
        {"id": int, "route": str, "site": str, "alert": int, "event": str, "queued_ts": float, "due_ts": float,
         "held": str, "state": str, "sent_ts": float, "error": str},
        pk="id", not_null={"route", "event", "queued_ts", "due_ts", "state"}, defaults={"state": "pending"},
    )
    db.table("alert_outbox").create_index(["state", "due_ts"])


def m016_firmware(db: sqlite_utils.Database) -> None:
    """Firmware images (:mod:`netctl.firmware`): one row per stored image.

    ``file`` is the image's file name in the firmware folder (beside the database, or
    ``$NETCTL_FIRMWARE_DIR``); ``sha256`` and ``size`` are what an AP must hold after the upload;
    (``platform``, ``version``) names one image. Upgrades themselves are audited (``firmware-upgrade``).
    """
    db.table("firmware").create(
        {"id": int, "platform": str, "version": str, "file": str, "sha256": str, "size": int, "source": str,
         "who": str, "added": str},
        pk="id", not_null={"platform", "version", "file", "sha256", "size"},
    )
    db.table("firmware").create_index(["platform", "version"], unique=True)


def m017_controllers(db: sqlite_utils.Database) -> None:
    """WLAN controllers and the APs behind them (:mod:`netctl.controllers`).

    ``aps`` gains ``controller`` (the name of the inventory entry with ``role: controller`` the AP is
    configured and monitored through), ``mac`` (``aa:bb:cc:dd:ee:ff``, how the controller knows it) and
    ``ap_group`` (its group or tag on the controller). ``controller_aps`` holds what each controller's AP
    table listed at its last good poll, one row per controller and MAC (``ssids`` JSON: clients per SSID,
    NULL when the controller serves no per-SSID counts; ``status`` up, down, joining, failed, standby or
    unknown, ``state`` the controller's own word; ``first_seen``/``last_seen`` ISO times).
    ``controller_polls`` holds each controller's last poll: when, whether its tables were read, why not,
    how many APs and the problems met (JSON list). No foreign keys to ``aps``: like health, what a poll
    saw outlives a removed entry.
    """
    db.execute("ALTER TABLE aps ADD COLUMN controller TEXT")
    db.execute("ALTER TABLE aps ADD COLUMN mac TEXT")
    db.execute("ALTER TABLE aps ADD COLUMN ap_group TEXT")
    db.table("aps").create_index(["controller"])
    db.table("controller_aps").create(
        {"controller": str, "mac": str, "name": str, "ip": str, "model": str, "serial": str, "status": str,
         "state": str, "ap_group": str, "clients": int, "ssids": str, "radios": int, "radios_down": int,
         "uptime_s": float, "ap_id": int, "first_seen": str, "last_seen": str},
        pk=("controller", "mac"), not_null={"controller", "mac", "status", "first_seen", "last_seen"},
    )
    db.table("controller_polls").create(
        {"controller": str, "last_poll": str, "last_ok": str, "ok": int, "error_kind": str, "error": str,
         "aps": int, "problems": str},
        pk="controller", not_null={"controller", "last_poll", "ok"}, defaults={"problems": "[]"},
    )


def m018_sample_chunks(db: sqlite_utils.Database) -> None:
    """Raw samples in compressed chunks per series instead of one row per sample (``samples`` goes).

    ``sample_heads`` holds each series' open chunk (10-byte records appended per poll, its newest
    sample as ``last_ts``/``last_value``, the time ``wend`` it closes at, indexed), ``sample_chunks`` the
    closed ones (``(series, start, data)`` WITHOUT ROWID, ``data`` in :mod:`netctl.poll.chunks`' format).
    How they are written and read: :mod:`netctl.poll.history`. Every row of ``samples`` is converted,
    value for value (a NULL value, which no version wrote, is dropped); ``samples_5m`` and
    ``samples_1h`` stay as they are.
    """
    from netctl.poll import history

    db.execute("CREATE TABLE sample_heads (series INTEGER PRIMARY KEY, wend INTEGER NOT NULL, "
               "start INTEGER NOT NULL, last_ts INTEGER NOT NULL, last_value REAL, data BLOB NOT NULL)")
    db.execute("CREATE INDEX sample_heads_wend ON sample_heads (wend)")
    db.execute("CREATE TABLE sample_chunks (series INTEGER NOT NULL, start INTEGER NOT NULL, data BLOB NOT NULL, "
               "PRIMARY KEY (series, start)) WITHOUT ROWID")
    history.load(db, db.execute("select series, ts, value from samples order by series, ts"))
    db.execute("DROP TABLE samples")


def m019_web_passwords(db: sqlite_utils.Database) -> None:
    """A user's password for ``netctl serve`` (the TUI in a browser): ``users.web_password`` holds a salted
    scrypt hash (:mod:`netctl.web.auth`), NULL for users who may not log in there. Browser sessions stay in
    the server's memory, never in the database."""
    db.execute("ALTER TABLE users ADD COLUMN web_password TEXT")


def m023_ap_ids(db: sqlite_utils.Database) -> None:
    """``aps.ap_id``: the AP's ID on its controller (a Huawei AC's ``ap-id N``) when the inventory gives
    one; NULL: the AC's configuration numbers it by the rule of :func:`netctl.inventory.vars.behind_controller`."""
    db.execute("ALTER TABLE aps ADD COLUMN ap_id INTEGER")


def m021_user_language(db: sqlite_utils.Database) -> None:
    """``users.lang``: the language a user reads netctl's TUI in (``en``, ``de``; NULL: no preference, the
    environment decides). ``--lang`` and ``$NETCTL_LANG`` still win (netctl.i18n)."""
    db.execute("ALTER TABLE users ADD COLUMN lang TEXT")


MIGRATIONS: list[tuple[str, Migration]] = [
    ("001_inventory", m001_inventory),
    ("002_config", m002_config),
    ("003_poll", m003_poll),
    ("004_access", m004_access),
    ("005_series", m005_series),
    ("006_host_keys", m006_host_keys),
    ("007_owners_settings", m007_owners_settings),
    ("008_push_journal", m008_push_journal),
    ("009_series_labels", m009_series_labels),
    ("010_health_unavailable", m010_health_unavailable),
    ("011_auto_converge", m011_auto_converge),
    ("012_ssid_timers", m012_ssid_timers),
    ("013_calendars", m013_calendars),
    ("014_overlays", m014_overlays),
    ("015_alert_routes", m015_alert_routes),
    ("016_firmware", m016_firmware),
    ("017_controllers", m017_controllers),
    ("018_sample_chunks", m018_sample_chunks),
    ("019_web_passwords", m019_web_passwords),
    ("021_user_language", m021_user_language),
    ("023_ap_ids", m023_ap_ids),
]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    if "_migrations" not in db.table_names():
        db.table("_migrations").create({"name": str, "applied": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db.table("_migrations").rows}
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        with transaction(db):
            step(db)
            db.table("_migrations").insert({"name": name, "applied": dt.datetime.now(dt.UTC).isoformat()})
        applied.append(name)
    return applied
