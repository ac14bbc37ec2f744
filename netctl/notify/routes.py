"""Alert routes, the pure part: which alert events a route takes, quiet hours, batches, the message.

A route sends the alert events of the APs it matches (tenant, site, minimum severity, alert kinds)
to one or more Apprise URLs (e-mail, Matrix, Teams, Telegram, JSON webhooks, …), kept as secret
references because the URLs hold tokens and passwords. Events wait in an outbox
(:mod:`netctl.notify.outbox`, the I/O) for the route's grouping window, so a site outage is one
message listing its APs; during quiet hours (local time of the site) they are held until the window
ends, critical ones too unless the route lets them pass.

Nothing here reads the database, the clock or the network: callers pass the time and the site's zone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from netctl.errors import ConfigError

SEVERITIES = ("info", "warning", "critical")
ACK_HINT = 'netctl alerts ack ID [--note "what is being done"]'


@dataclass(frozen=True)
class Route:
    """One alert route; ``kinds`` empty takes every alert kind, ``group_s`` is the grouping window."""

    name: str
    urls: tuple[str, ...]
    tenant: str | None = None
    site: str | None = None
    min_severity: str = "warning"
    kinds: tuple[str, ...] = ()
    quiet: str | None = None
    critical_in_quiet: bool = True
    group_s: float = 60.0
    enabled: bool = True


def check_route(route: Route) -> None:
    """Raise ConfigError naming what is wrong with ``route`` (URLs in clear, a bad window, …)."""
    from netctl.inventory.secrets import is_reference
    from netctl.poll.health import in_window

    if not route.urls:
        raise ConfigError(f"route {route.name!r} needs at least one URL",
                          hint="store the Apprise URL with `netctl secret set NAME` and give --url secret:NAME")
    for url in route.urls:
        if not is_reference(url):
            raise ConfigError(f"route {route.name!r}: a URL must be a secret reference (it holds tokens and passwords)",
                              hint="store it with `netctl secret set NAME` and give --url secret:NAME")
    if route.min_severity not in SEVERITIES:
        raise ConfigError(f"unknown severity {route.min_severity!r}", hint="use one of: " + ", ".join(SEVERITIES))
    if route.quiet:
        in_window(route.quiet, dt.time(0, 0))  # raises ConfigError for a malformed window
    if route.group_s < 0:
        raise ConfigError(f"route {route.name!r}: the group window must be 0 seconds or more",
                          hint="0 sends at once; 120 waits two minutes for more alerts of the same site")


def matches(route: Route, event: dict[str, Any]) -> bool:
    """True when ``route`` takes ``event`` (muted events — maintenance, flapping — go nowhere)."""
    if not route.enabled or event.get("muted"):
        return False
    if route.tenant and event.get("tenant") != route.tenant:
        return False
    if route.site and event.get("site") != route.site:
        return False
    if route.kinds and event.get("kind") not in route.kinds:
        return False
    severity = event.get("severity") or "warning"
    rank = SEVERITIES.index(severity) if severity in SEVERITIES else 1
    return rank >= SEVERITIES.index(route.min_severity)


def held_until(route: Route, event: dict[str, Any], now: float, zone: str) -> float | None:
    """When ``event`` may be sent if quiet hours hold it at ``now`` (epoch seconds), else None.

    ``zone`` is the site's time zone; the window may wrap past midnight.
    """
    from netctl.poll.health import in_window

    if not route.quiet:
        return None
    if route.critical_in_quiet and event.get("severity") == "critical":
        return None
    local = dt.datetime.fromtimestamp(now, ZoneInfo(zone))
    if not in_window(route.quiet, local):
        return None
    end = dt.time.fromisoformat(route.quiet.split("-", 1)[1].strip())
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += dt.timedelta(days=1)
    return ends.timestamp()


def due_batches(queued: Iterable[dict[str, Any]], now: float
                ) -> list[tuple[tuple[str, str], list[dict[str, Any]]]]:
    """The outbox items to send at ``now``, one batch per (route, site), sorted by key.

    A batch goes when its earliest item is due; the items queued after it within the window go with it.
    """
    batches: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in queued:
        batches.setdefault((item["route"], item["site"] or ""), []).append(item)
    return [(key, sorted(items, key=lambda i: i["id"])) for key, items in sorted(batches.items())
            if min(i["due_ts"] for i in items) <= now]


def _summary(events: Sequence[dict[str, Any]]) -> str:
    if len(events) == 1:
        return f"{events[0]['kind']} on {events[0]['ap']}"
    counts = Counter(e["kind"] for e in events)
    return ", ".join(f"{kind} on {n} AP{'s' if n > 1 else ''}" for kind, n in sorted(counts.items()))


def _acked(event: dict[str, Any]) -> str:
    if not event.get("acked_by"):
        return ""
    return f" — acknowledged by {event['acked_by']}" + (f": {event['ack_note']}" if event.get("ack_note") else "")


def compose(site: str, events: Sequence[dict[str, Any]], *, held: str | None = None,
            site_title: str | None = None) -> tuple[str, str]:
    """Title and plain-text body of one message for ``events`` of ``site``.

    The title sums the batch up (``[netctl] Grundschule Neudorf (gs-neudorf): down on 25 APs``); the
    body lists every alert with its id (and who acknowledged it, when an event carries ``acked_by`` and
    ``ack_note``) and says how to acknowledge the open ones. ``held`` names the quiet hours that held it.
    """
    opened = [e for e in events if e["event"] != "closed"]
    closed = [e for e in events if e["event"] == "closed"]
    parts = ([_summary(opened)] if opened else []) + ([f"resolved: {_summary(closed)}"] if closed else [])
    where = f"{site_title} ({site})" if site_title and site_title != site else site
    title = f"[netctl] {where}: " + "; ".join(parts)
    lines: list[str] = []
    if opened:
        lines.append(f"New at {site} ({len(opened)}):")
        lines += [f"  #{e['id']} {e['ap']} {e['kind']} ({e.get('severity') or 'warning'}) since "
                  f"{e.get('first_seen')}: {e.get('message') or ''}{_acked(e)}" for e in opened]
    if closed:
        lines.append(f"Resolved at {site} ({len(closed)}):")
        lines += [f"  #{e['id']} {e['ap']} {e['kind']} (since {e.get('first_seen')}, back {e.get('closed')})"
                  for e in closed]
    if held:
        lines.append(f"(held during quiet hours {held})")
    waiting = [e for e in opened if not e.get("acked_by")]
    if waiting:
        lines += ["", f"Acknowledge: {ACK_HINT}", f'  e.g. netctl alerts ack {waiting[0]["id"]} --note "on my way"']
    return title, "\n".join(lines)
