"""Pure data shaping for the screens: AP rows, filtering, sorting, formatting, site health.

Nothing here touches Textual or the database, so the rules are tested directly and filtering 10,000
APs happens on plain tuples, not on widgets.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netctl.selection import Selection

STATES = ("up", "degraded", "down")


@dataclass(frozen=True)
class ApRow:
    """One line of the access point table."""

    name: str
    site: str
    tenant: str
    kind: str
    state: str = "unknown"
    clients: int | None = None
    uptime: float | None = None
    config: str = "-"
    last_seen: dt.datetime | None = None
    latency_ms: float | None = None
    platform: str = ""
    #: what the last good poll asked for and the agent did not serve (shown "n/a", never 0 or "-")
    unavailable: tuple[str, ...] = ()

    def haystack(self) -> str:
        return " ".join((self.name, self.site, self.tenant, self.kind, self.state, self.config, self.platform)).lower()


#: column key, title, width (0 = the rest of the line)
AP_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", "AP", 20),
    ("site", "Site", 14),
    ("state", "Status", 8),
    ("clients", "Cl", 4),
    ("uptime", "Uptime", 7),
    ("config", "Config", 8),
    ("last_seen", "Seen", 0),
)


def parse_time(value: Any) -> dt.datetime | None:
    """ISO text or epoch seconds → aware UTC datetime (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def ago(when: dt.datetime | None, now: dt.datetime) -> str:
    """``12s`` / ``5m`` / ``3h`` / ``2d`` ago, ``never`` for None."""
    if when is None:
        return "never"
    secs = max(0, int((now - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs // size}{unit}"
    return f"{secs}s"


def duration(seconds: float | None) -> str:
    """Uptime as ``3d04h`` / ``5h12m`` / ``42s``."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s >= 86400:
        return f"{s // 86400}d{(s % 86400) // 3600:02d}h"
    if s >= 3600:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


def _config_map(config_status: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """{ap: status} from ``config_status()`` (one dict per AP with ``ap`` and ``status``)."""
    return {str(item["ap"]): str(item.get("status") or "-") for item in config_status}


def build_rows(
    aps: Sequence[Mapping[str, Any]], status: Mapping[str, Any] | None = None, config_status: Any = None
) -> list[ApRow]:
    """Join inventory rows with the poll status and config status of each AP (by name)."""
    health = {str(s["name"]): s for s in (status or {}).get("aps", [])}
    config = _config_map(config_status) if config_status is not None else {}
    rows = []
    for ap in aps:
        name = str(ap["name"])
        h = health.get(name, {})
        clients = h.get("clients")
        rows.append(
            ApRow(
                name=name,
                site=str(ap.get("site") or h.get("site") or ""),
                tenant=str(ap.get("tenant") or h.get("tenant") or ""),
                kind=str(ap.get("site_kind") or ap.get("kind") or h.get("kind") or ""),
                state=str(h.get("state") or "unknown"),
                clients=int(clients) if isinstance(clients, (int, float)) else None,
                uptime=float(h["uptime"]) if isinstance(h.get("uptime"), (int, float)) else None,
                config=config.get(name, "-"),
                last_seen=_last_seen(h),
                latency_ms=h.get("latency_ms"),
                platform=str(ap.get("platform") or ""),
                unavailable=tuple(h.get("unavailable") or ()),
            )
        )
    return rows


def _last_seen(health: Mapping[str, Any]) -> dt.datetime | None:
    """When the AP last answered: its last poll, or for a down AP the moment it went down."""
    if health.get("last_ok"):
        return parse_time(health["last_ok"])
    if health.get("state") == "down":
        return parse_time(health.get("since"))
    return parse_time(health.get("last_poll"))


def filter_rows(rows: Sequence[ApRow], query: str) -> list[ApRow]:
    """Keep rows matching every word of ``query``; ``field:value`` words match one field.

    ``gs- down`` → rows containing both; ``state:down site:gs-meiderich`` → those fields.
    """
    words = query.lower().split()
    if not words:
        return list(rows)
    plain = [w for w in words if ":" not in w]
    fielded = [w.split(":", 1) for w in words if ":" in w]
    out = []
    for row in rows:
        hay = row.haystack()
        if any(w not in hay for w in plain):
            continue
        if any(str(getattr(row, f, "")).lower().find(v) < 0 for f, v in fielded):
            continue
        out.append(row)
    return out


def sort_rows(rows: Sequence[ApRow], key: str, reverse: bool = False) -> list[ApRow]:
    """Sort by one column; empty values always last; the name breaks ties."""
    present = [r for r in rows if getattr(r, key) is not None]
    missing = [r for r in rows if getattr(r, key) is None]
    present.sort(key=lambda r: r.name)
    present.sort(key=lambda r: getattr(r, key), reverse=reverse)
    return present + sorted(missing, key=lambda r: r.name)


def cells(row: ApRow, now: dt.datetime) -> tuple[str, ...]:
    """The table text of one row, in AP_COLUMNS order."""
    return (
        row.name,
        row.site,
        row.state,
        ("n/a" if "clients" in row.unavailable else "-") if row.clients is None else str(row.clients),
        duration(row.uptime),
        row.config,
        ago(row.last_seen, now),
    )


class LazyCells(Sequence[tuple[str, ...]]):
    """Table text of rows, formatted only when a row is drawn (10,000 rows, ~25 on screen)."""

    def __init__(self, rows: Sequence[ApRow], now: dt.datetime) -> None:
        self._rows = rows
        self._now = now

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [cells(r, self._now) for r in self._rows[index]]
        return cells(self._rows[index], self._now)


def state_counts(states: Iterable[str]) -> dict[str, int]:
    counts = {s: 0 for s in (*STATES, "unknown")}
    for s in states:
        counts[s if s in counts else "unknown"] += 1
    return counts


@dataclass(frozen=True)
class SiteHealth:
    """One node of the overview tree."""

    name: str
    tenant: str
    kind: str
    title: str
    counts: dict[str, int]
    open_alerts: int = 0
    last_poll: dt.datetime | None = None


def site_health(
    sites: Sequence[Mapping[str, Any]],
    rows: Sequence[ApRow],
    alerts: Sequence[Mapping[str, Any]],
    status: Mapping[str, Any] | None,
) -> list[SiteHealth]:
    """Counts per site from the AP rows, open alerts per site, last poll time per site."""
    by_site: dict[str, list[ApRow]] = {}
    for row in rows:
        by_site.setdefault(row.site, []).append(row)
    last_poll: dict[str, dt.datetime] = {}
    for ap in (status or {}).get("aps", []):
        when = parse_time(ap.get("last_poll"))
        where = str(ap.get("site"))
        if when and (where not in last_poll or when > last_poll[where]):
            last_poll[where] = when
    open_alerts: dict[str, int] = {}
    for alert in alerts:
        where = str(alert.get("site") or "")
        open_alerts[where] = open_alerts.get(where, 0) + 1
    out = []
    for site in sites:
        name = str(site["name"])
        out.append(
            SiteHealth(
                name,
                str(site["tenant"]),
                str(site.get("kind") or ""),
                str(site.get("title") or name),
                state_counts(r.state for r in by_site.get(name, [])),
                open_alerts.get(name, 0),
                last_poll.get(name),
            )
        )
    return out


def counts_text(counts: Mapping[str, int]) -> str:
    """``▲12 ◆1 ▼0`` style summary (up / degraded / down, then unknown if any)."""
    text = f"▲{counts.get('up', 0)} ◆{counts.get('degraded', 0)} ▼{counts.get('down', 0)}"
    if counts.get("unknown"):
        text += f" ?{counts['unknown']}"
    return text


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff between two config texts (empty when equal)."""
    return "".join(
        difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name)
    )


SELECTION_KEYS = ("tenant", "site", "kind", "group", "tag", "role", "platform")


def parse_selection(text: str) -> Selection:
    """``gs-* site=gs-meiderich tag=bus`` → Selection (names/globs plus ``key=value`` filters).

    Raises ValueError naming the bad word when a key is unknown.
    """
    from netctl.selection import Selection

    names: list[str] = []
    filters: dict[str, Any] = {}
    for word in text.split():
        key, eq, value = word.partition("=")
        if not eq:
            names.append(word)
        elif key in SELECTION_KEYS and value:
            filters[key] = value
        else:
            raise ValueError(
                f"unknown selection word {word!r}: use NAME, GLOB or one of "
                + ", ".join(f"{k}=…" for k in SELECTION_KEYS)
            )
    return Selection(names=tuple(names), **filters)

