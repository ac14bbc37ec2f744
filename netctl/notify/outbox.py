"""Alert routes, the I/O: the outbox in the database and delivery through Apprise.

:func:`route_events` queues every event a route matches and sends what is due; it runs after each
recorded poll (:func:`netctl.poll.store.deliver`), so a batch goes out at the first poll after its
grouping window or its quiet hours end. It never raises: a failed delivery is stored on the outbox
row and on the alert (``notify_error``).

Secrets: a route's URLs are secret references, resolved only here, right before Apprise sends. While
Apprise sends, the log records of Apprise and of the HTTP libraries under it have the URL and its
token-like parts (password, path segments, query values) masked, and so have the errors stored.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import sqlite_utils

from netctl.inventory.secrets import MASK
from netctl.notify.routes import Route, compose, due_batches, held_until, matches

DEFAULT_TIMEZONE = "Europe/Berlin"
#: how long sent, failed and dropped outbox rows are kept (the alerts keep their outcome longer)
KEEP_SENT_S = 30 * 86400
#: how long a claim on a batch being sent holds (longer than any Apprise send takes)
CLAIM_S = 600.0
#: loggers that may print a URL, a path or a token while Apprise sends
_LOGGERS = ("apprise", "urllib3", "urllib3.connectionpool", "urllib3.connection", "requests")


def route_from_row(row: dict[str, Any]) -> Route:
    return Route(name=row["name"], urls=tuple(json.loads(row["urls"])), tenant=row.get("tenant"),
                 site=row.get("site"), min_severity=row.get("min_severity") or "warning",
                 kinds=tuple(json.loads(row.get("kinds") or "[]")), quiet=row.get("quiet"),
                 critical_in_quiet=bool(row.get("critical_in_quiet", 1)), group_s=float(row.get("group_s") or 0),
                 enabled=bool(row.get("enabled", 1)))


def route_to_row(route: Route) -> dict[str, Any]:
    return {"name": route.name, "urls": json.dumps(list(route.urls)), "tenant": route.tenant, "site": route.site,
            "min_severity": route.min_severity, "kinds": json.dumps(list(route.kinds)), "quiet": route.quiet,
            "critical_in_quiet": int(route.critical_in_quiet), "group_s": float(route.group_s),
            "enabled": int(route.enabled)}


def load_routes(db: sqlite_utils.Database) -> dict[str, Route]:
    if "alert_routes" not in db.table_names():
        return {}
    return {row["name"]: route_from_row(row) for row in db.table("alert_routes").rows_where(order_by="name")}


def site_zones(db: sqlite_utils.Database) -> dict[str, tuple[str, str | None]]:
    """site -> (time zone, title) for every site; the zone is its tenant's ``timezone`` variable, else
    Europe/Berlin."""
    zones: dict[str, tuple[str, str | None]] = {}
    for row in db.query("select s.name, s.title, t.vars from sites s left join tenants t on t.name = s.tenant"):
        raw = row["vars"]
        tenant_vars = json.loads(raw) if isinstance(raw, str) and raw else {}
        zones[row["name"]] = (str(tenant_vars.get("timezone") or DEFAULT_TIMEZONE), row["title"])
    return zones


def route_events(db: sqlite_utils.Database, events: Sequence[dict[str, Any]], now: float | None = None
                 ) -> list[dict[str, Any]]:
    """Queue ``events`` for the routes that match them, then send the batches due at ``now``.

    Returns one delivery dict per batch sent (route, site, alerts, ok, error). Never raises.
    """
    from netctl.poll.store import WRITE_LOCK
    from netctl.store.db import transaction

    now = time.time() if now is None else now
    routes = load_routes(db)
    if not routes:
        return []
    rows = [{"route": route.name, "site": event.get("site") or event.get("ap") or "", "alert": event.get("id"),
             "event": json.dumps(event, default=str), "queued_ts": now, "due_ts": now + route.group_s,
             "state": "pending"}
            for event in events if event.get("event") in ("opened", "closed")
            for route in routes.values() if matches(route, event)]
    if rows:
        with WRITE_LOCK, transaction(db):
            db.table("alert_outbox").insert_all(rows)
    return flush(db, now, routes)


def flush(db: sqlite_utils.Database, now: float | None = None, routes: dict[str, Route] | None = None
          ) -> list[dict[str, Any]]:
    """Send every batch of the outbox that is due at ``now``; hold what quiet hours hold. Never raises.

    Rows sent (or failed, or dropped) more than :data:`KEEP_SENT_S` ago are deleted first.
    """
    from netctl.poll.store import WRITE_LOCK
    from netctl.store.db import transaction

    now = time.time() if now is None else now
    routes = load_routes(db) if routes is None else routes
    if "alert_outbox" not in db.table_names():
        return []
    with WRITE_LOCK, transaction(db):
        db.execute("delete from alert_outbox where state not in ('pending', 'sending') and sent_ts < ?",
                   [now - KEEP_SENT_S])
        # a process that died while sending leaves its claim: after CLAIM_S the batch is tried again
        db.execute("update alert_outbox set state = 'pending' where state = 'sending' and sent_ts < ?",
                   [now - CLAIM_S])
    queued = []
    for row in db.table("alert_outbox").rows_where("state = 'pending'", order_by="id"):
        row["event"] = json.loads(row["event"])
        queued.append(row)
    batches = due_batches(queued, now)
    if not batches:
        return []
    zones = site_zones(db)
    deliveries: list[dict[str, Any]] = []
    for (name, site), batch in batches:
        route = routes.get(name)
        if route is None or not route.enabled:
            _finish(db, batch, "dropped", now, f"route {name} removed or disabled before sending")
            continue
        zone, site_title = zones.get(site, (DEFAULT_TIMEZONE, None))
        holds = {item["id"]: held_until(route, item["event"], now, zone) for item in batch}
        waiting = [item for item in batch if holds[item["id"]] is not None]
        if waiting:
            with WRITE_LOCK, transaction(db):
                db.conn.executemany("update alert_outbox set due_ts = ?, held = ? where id = ?",
                                    [(holds[i["id"]], f"{route.quiet} {zone}", i["id"]) for i in waiting])
        ready = _claim(db, [item for item in batch if holds[item["id"]] is None], now)
        if not ready:
            continue
        held = next((item["held"] for item in ready if item.get("held")), None)
        title, body = compose(site, _with_acks(db, [item["event"] for item in ready]), held=held,
                              site_title=site_title)
        ok, error = send(db, route, title, body)
        _finish(db, ready, "sent" if ok else "failed", now, error)
        deliveries.append({"route": name, "site": site, "alerts": [i["alert"] for i in ready], "ok": ok,
                           "error": error, "title": title})
    return deliveries


def _with_acks(db: sqlite_utils.Database, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with who acknowledged their alert meanwhile (``acked_by``, ``ack_note``)."""
    ids = [e["id"] for e in events if e.get("id")]
    acks = {row["id"]: row for row in db.query(
        f"select id, acked_by, ack_note from alerts where acked_by is not null and id in ({', '.join('?' * len(ids))})",
        ids)} if ids else {}
    return [{**e, **{k: acks[e["id"]][k] for k in ("acked_by", "ack_note")}} if e.get("id") in acks else e
            for e in events]


def _claim(db: sqlite_utils.Database, items: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    """The items this process may send: each moved from pending to sending here, in one transaction
    (another process flushing at the same time finds them taken and skips them)."""
    from netctl.poll.store import WRITE_LOCK
    from netctl.store.db import transaction

    claimed = []
    with WRITE_LOCK, transaction(db):
        for item in items:
            cursor = db.execute("update alert_outbox set state = 'sending', sent_ts = ? "
                                "where id = ? and state = 'pending'", [now, item["id"]])
            if cursor.rowcount == 1:
                claimed.append(item)
    return claimed


def _finish(db: sqlite_utils.Database, items: list[dict[str, Any]], state: str, now: float,
            error: str | None) -> None:
    from netctl.poll.store import WRITE_LOCK
    from netctl.store.db import transaction

    with WRITE_LOCK, transaction(db):
        db.conn.executemany("update alert_outbox set state = ?, sent_ts = ?, error = ? where id = ?",
                            [(state, now, error, i["id"]) for i in items])
        alerts = [i["alert"] for i in items if i.get("alert")]
        if state == "sent":
            db.conn.executemany("update alerts set notified = notified + 1 where id = ?", [(a,) for a in alerts])
        elif error:
            db.conn.executemany("update alerts set notify_error = ? where id = ?", [(error, a) for a in alerts])


def send(db: sqlite_utils.Database, route: Route, title: str, body: str) -> tuple[bool, str | None]:
    """Resolve the route's URLs and send one message through Apprise: (ok, error with secrets masked)."""
    from netctl.errors import NetctlError
    from netctl.inventory.secrets import resolve_secret

    try:
        urls = [resolve_secret(db, ref, tenant=route.tenant) for ref in route.urls]
    except NetctlError as exc:
        return False, f"route {route.name}: {exc}"
    secrets = sorted({part for url in urls for part in secret_parts(url)}, key=len, reverse=True)
    with _masked_logs(secrets) as warnings:
        ok, problem = _apprise_send(urls, title, body)
    if ok:
        return True, None
    detail = "; ".join(dict.fromkeys(warnings)) or problem or "Apprise reported a failure"
    return False, f"route {route.name}: {mask(detail, secrets)}"


def _apprise_send(urls: Sequence[str], title: str, body: str) -> tuple[bool, str | None]:
    import apprise

    asset = apprise.AppriseAsset(app_id="netctl", app_desc="netctl alerts", storage_mode="memory")
    sender = apprise.Apprise(asset=asset)
    for number, url in enumerate(urls, 1):
        if not sender.add(url):
            return False, f"URL {number} of the route is not one Apprise knows (see its list of services)"
    try:
        return bool(sender.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)), None
    except Exception as exc:  # noqa: BLE001 - a plugin's failure is delivery data, never a crash of the poll
        return False, f"{type(exc).__name__}: {exc}"


def apprise_knows(url: str) -> bool:
    """True when Apprise has a service for ``url`` (checked with the URL's secrets masked in the logs)."""
    import apprise

    with _masked_logs(secret_parts(url)):
        return apprise.Apprise.instantiate(url) is not None


def secret_parts(url: str) -> list[str]:
    """The URL and its parts that may be secrets: the password, and whatever looks like a token (8+
    characters with a digit, or 20+) among the user, a host without dots (``tgram://TOKEN/…``), the path
    segments, the query values and the fragment."""
    split = urlsplit(url)
    parts = [url] + ([split.password] if split.password else [])
    host = split.netloc.rpartition("@")[2]  # host[:port]; Telegram's bot token is ID:SECRET there
    candidates = [split.username or "", split.fragment] + ([] if "." in host else [host, *host.split(":")])
    candidates += [seg for seg in split.path.split("/") if seg] + [v for _key, v in parse_qsl(split.query)]
    for part in candidates + [unquote(c) for c in candidates]:
        if len(part) >= 20 or (len(part) >= 8 and any(ch.isdigit() for ch in part)):
            parts.append(part)
    return parts


def mask(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class _MaskFilter(logging.Filter):
    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = secrets
        self.warnings: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:
            text += f" ({record.exc_info[1]})"
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = mask(text, self.secrets), ()
        if record.levelno >= logging.WARNING:
            self.warnings.append(record.msg)
        return True


@contextmanager
def _masked_logs(secrets: Sequence[str]) -> Iterator[list[str]]:
    """Mask ``secrets`` in the records of Apprise's and the HTTP libraries' loggers; yield their warnings."""
    names = set(_LOGGERS) | {name for name in logging.root.manager.loggerDict
                             if name.startswith(("apprise.", "urllib3.", "requests."))}
    loggers = [logging.getLogger(name) for name in sorted(names)]
    masker = _MaskFilter(secrets)
    for logger in loggers:
        logger.addFilter(masker)
    try:
        yield masker.warnings
    finally:
        for logger in loggers:
            logger.removeFilter(masker)
