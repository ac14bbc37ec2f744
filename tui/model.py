"""Pure data shaping for the screens: AP rows, filtering, sorting, formatting, site health, alert groups.

Nothing here touches Textual or the database, so the rules are tested directly and filtering 10,000
APs happens on plain tuples, not on widgets.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from netctl import status_words
from netctl.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from netctl.selection import Selection

STATES = ("up", "degraded", "down")
#: how a state is marked wherever it is shown (the overview's counts, the AP page's banner)
STATE_MARK = {"up": "▲", "degraded": "◆", "down": "▼", "unknown": "?"}


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
    #: the site's title as people call it ("Grundschule Meiderich")
    site_title: str = ""
    tags: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    role: str = ""
    #: the WLAN controller the AP is behind, and its group on it ("" for an AP on its own)
    controller: str = ""
    ap_group: str = ""

    def haystack(self) -> str:
        """The row's words in lower case, made once per row (a filter keystroke searches 100,000 rows)."""
        text: str | None = self.__dict__.get("_haystack")
        if text is None:
            text = " ".join((self.name, self.site, self.site_title, self.tenant, self.kind, self.state, self.config,
                             self.platform, *self.tags, *self.groups, self.controller, self.ap_group)).lower()
            self.__dict__["_haystack"] = text  # the row is frozen: its fields, and so its words, never change
        return text


#: column key, title (English; shown through ``_``: :func:`ap_columns`), least width (0 = the rest of the line:
#: the site's title, so a wide terminal shows it whole)
AP_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", N_("AP"), 18),
    ("site", N_("Site"), 0),
    ("state", N_("Status"), 7),
    ("clients", N_("Devices"), 4),
    ("uptime", N_("Uptime"), 6),
    ("config", N_("Config"), 6),
    ("last_seen", N_("Seen"), 5),
)


def ap_columns() -> tuple[tuple[str, str, int], ...]:
    """:data:`AP_COLUMNS` with their titles in the language in use, each as wide as its title and, for the
    status and the config, as their longest word in that language (the site's title gets the rest)."""
    words = {"state": [status_words.word(s) for s in status_words.HEALTH],
             "config": [status_words.config_word(s) for s in status_words.CONFIG]}
    return tuple((key, _(title), width and max(width, len(_(title)), *map(len, words.get(key, []))))
                 for key, title, width in AP_COLUMNS)


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
    aps: Sequence[Mapping[str, Any]],
    status: Mapping[str, Any] | None = None,
    config_status: Any = None,
    titles: Mapping[str, str] | None = None,
) -> list[ApRow]:
    """Join inventory rows with the poll status and config status of each AP (by name), and each
    site's title (``titles``: site → title)."""
    health = {str(s["name"]): s for s in (status or {}).get("aps", [])}
    config = _config_map(config_status) if config_status is not None else {}
    titles = titles or {}
    rows = []
    empty: Mapping[str, Any] = {}
    for ap in aps:  # 100,000 APs: positional fields, each value looked up once
        get = ap.get
        name = str(ap["name"])
        h = health.get(name, empty)
        hget = h.get
        clients, uptime = hget("clients"), hget("uptime")
        site = str(get("site") or hget("site") or "")
        rows.append(
            ApRow(
                name,
                site,
                str(get("tenant") or hget("tenant") or ""),
                str(get("site_kind") or get("kind") or hget("kind") or ""),
                str(hget("state") or "unknown"),
                int(clients) if isinstance(clients, (int, float)) else None,
                float(uptime) if isinstance(uptime, (int, float)) else None,
                config.get(name, "-"),
                _last_seen(h) if h else None,
                hget("latency_ms"),
                str(get("platform") or ""),
                tuple(hget("unavailable") or ()),
                str(titles.get(site) or ""),
                _names(get("tags")),
                _names(get("groups")),
                str(get("role") or ""),
                str(get("controller") or ""),
                str(get("ap_group") or ""),
            )
        )
    return rows


def _names(value: Any) -> tuple[str, ...]:
    """Tags or groups of an AP row (a list, or JSON text when read raw) as a tuple of names."""
    if not value:
        return ()
    if isinstance(value, str):
        value = json.loads(value)
    return tuple(str(v) for v in value or ())


def _last_seen(health: Mapping[str, Any]) -> dt.datetime | None:
    """When the AP last answered: its last poll, or for a down AP the moment it went down."""
    if health.get("last_ok"):
        return parse_time(health["last_ok"])
    if health.get("state") == "down":
        return parse_time(health.get("since"))
    return parse_time(health.get("last_poll"))


#: ``field:value`` words of the AP filter (``field=value`` too, as on the push screen): matched as text
TEXT_FIELDS = ("name", "site", "tenant", "kind", "group", "tag", "role", "platform", "controller", "state", "config")
#: ``field:>N`` words: field name → ApRow attribute, compared as numbers
NUMBER_FIELDS = {"clients": "clients", "uptime": "uptime", "latency": "latency_ms"}
_FIELD_WORD = re.compile(r"^([A-Za-z_]+)[:=](.*)$")
_COMPARISON = re.compile(r"^(>=|<=|>|<|=)?(-?\d+(?:\.\d+)?)$")
_GLOB = "*?["


@dataclass(frozen=True)
class Term:
    """One word of the AP filter: ``field`` ("" for a plain word), ``op`` (``~`` text, or a comparison)."""

    field: str
    op: str
    value: str

    @property
    def number(self) -> float:
        return float(self.value)


def parse_filter(query: str) -> tuple[Term, ...]:
    """The AP filter in the CLI's selection words: ``gs-* site:gs-meiderich tag=bus state:down clients:>100``.

    A plain word matches anywhere (name, site and its title, tenant, tags, …), one with ``*?[`` is a
    name glob; ``field:value`` (or ``field=value``) matches one field (a site by name or title, a tag or
    group by any of them, ``controller:du-ac01`` the APs behind that controller); ``clients:>100``
    compares (``> >= < <= =``, also ``uptime`` in seconds and ``latency`` in ms). Raises ValueError
    naming the bad word and what would work.
    """
    terms = []
    for word in query.split():
        match = _FIELD_WORD.match(word)
        if match is None:
            terms.append(Term("", "~", word))
            continue
        field, value = match.group(1).lower(), match.group(2)
        if field in NUMBER_FIELDS:
            compared = _COMPARISON.match(value)
            if compared is None:
                raise ValueError(f"{word}: compare with a number, e.g. {field}:>100 or {field}:<=5")
            terms.append(Term(field, compared.group(1) or "=", compared.group(2)))
        elif field in TEXT_FIELDS:
            terms.append(Term(field, "~", value))
        else:
            raise ValueError(f"unknown filter {field}: use one of "
                             + ", ".join(f"{f}:" for f in (*TEXT_FIELDS, *NUMBER_FIELDS)) + " (clients:>100)")
    return tuple(terms)


def _like(texts: Iterable[str], pattern: str) -> bool:
    """True when any of ``texts`` contains ``pattern`` (or matches it, when it is a glob); case ignored."""
    pattern = pattern.lower()
    if any(c in pattern for c in _GLOB):
        return any(fnmatch.fnmatchcase(t.lower(), pattern) for t in texts)
    return any(pattern in t.lower() for t in texts)


def _compare(value: float | None, op: str, number: float) -> bool:
    if value is None:
        return False
    return {">": value > number, ">=": value >= number, "<": value < number, "<=": value <= number,
            "=": value == number}[op]


def term_matches(row: ApRow, term: Term) -> bool:
    if term.field in NUMBER_FIELDS:
        return _compare(getattr(row, NUMBER_FIELDS[term.field]), term.op, term.number)
    if term.field == "":
        if any(c in term.value for c in _GLOB):
            return _like([row.name], term.value)
        return term.value.lower() in row.haystack()
    texts = {"site": (row.site, row.site_title), "tag": row.tags, "group": row.groups}.get(term.field)
    return _like(texts if texts is not None else (str(getattr(row, term.field, "")),), term.value)


def filter_rows(rows: Sequence[ApRow], query: str | Sequence[Term]) -> list[ApRow]:
    """Keep rows matching every word of ``query`` (:func:`parse_filter`; ValueError for a bad word).

    ``gs- down`` → rows containing both; ``state:down site:gs-meiderich clients:>10`` → those fields.
    """
    terms = parse_filter(query) if isinstance(query, str) else tuple(query)
    kept = list(rows)
    for term in terms:  # one word at a time, each over what the words before it kept
        if term.field == "" and not any(c in term.value for c in _GLOB):
            needle = term.value.lower()  # a plain word: a substring of the row's words (100,000 rows per key)
            kept = [row for row in kept if needle in row.haystack()]
        else:
            kept = [row for row in kept if term_matches(row, term)]
    return kept


def narrow(rows: Sequence[ApRow], words: Sequence[str], terms: Sequence[Term]) -> tuple[list[ApRow], list[str]]:
    """The rows (with their :meth:`ApRow.haystack` ``words``, in step) matching plain ``terms``
    (:func:`plain_words`): what :func:`filter_rows` keeps, by one substring test per row and word."""
    kept, texts = list(rows), list(words)
    for term in terms:
        needle = term.value.lower()
        mask = [needle in text for text in texts]
        kept, texts = list(compress(kept, mask)), list(compress(texts, mask))
    return kept, texts


def plain_words(terms: Sequence[Term]) -> bool:
    """Whether every word of a filter is a plain word (no field, no glob): typing on after such a filter
    (``gs`` → ``gs-m``, ``gs`` → ``gs down``) only narrows what it matched."""
    return all(t.field == "" and not any(c in t.value for c in _GLOB) for t in terms)


def describe_filter(terms: Sequence[Term], titles: Mapping[str, str]) -> str:
    """What the filter selects, in words for a title: ``at Grundschule Meiderich (gs-meiderich), tagged bus,
    with clients > 100`` ("" for no filter). ``titles``: site → title, the sites known by name."""
    words = {"tag": N_("tagged {value}"), "group": N_("in group {value}"), "tenant": N_("of tenant {value}"),
             "name": N_("named {value}"), "controller": N_("behind {value}")}
    parts = []
    for term in terms:
        if term.field in NUMBER_FIELDS:
            parts.append(_("with {field} {op} {value}").format(field=term.field, op=term.op, value=term.value))
        elif term.field == "site":
            title = titles.get(term.value)
            if term.value in titles and title and title != term.value:
                parts.append(_("at {title} ({site})").format(title=title, site=term.value))
            elif term.value in titles:
                parts.append(_("at {site}").format(site=term.value))
            else:
                parts.append(_("at sites like {site}").format(site=term.value))
        elif term.field in words:
            parts.append(_(words[term.field]).format(value=term.value))
        elif term.field:
            parts.append(f"{term.field} {term.value}")
        elif any(c in term.value for c in _GLOB):
            parts.append(_(words["name"]).format(value=term.value))
        else:
            parts.append(_("matching {value}").format(value=repr(term.value)))
    return ", ".join(parts)


def sort_rows(rows: Sequence[ApRow], key: str, reverse: bool = False) -> list[ApRow]:
    """Sort by one column; empty values always last; the name breaks ties."""
    present = [r for r in rows if getattr(r, key) is not None]
    missing = [r for r in rows if getattr(r, key) is None]
    present.sort(key=lambda r: r.name)
    present.sort(key=lambda r: getattr(r, key), reverse=reverse)
    return present + sorted(missing, key=lambda r: r.name)


def cells(row: ApRow, now: dt.datetime) -> tuple[str, ...]:
    """The table text of one row, in AP_COLUMNS order: the site by its title, status and config in plain
    words (:mod:`netctl.status_words`)."""
    return (
        row.name,
        row.site_title or row.site,
        status_words.word(row.state),
        (_("n/a") if "clients" in row.unavailable else "-") if row.clients is None else str(row.clients),
        duration(row.uptime),
        status_words.config_word(row.config) if row.config != "-" else "-",
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
    #: open alerts nobody acknowledged yet (the ⚠ badge), and those someone is on
    open_alerts: int = 0
    last_poll: dt.datetime | None = None
    acked_alerts: int = 0
    #: devices online at the site: the clients its APs reported at their last poll (None: no AP reported any)
    devices: int | None = None


def site_health(
    sites: Sequence[Mapping[str, Any]],
    rows: Sequence[ApRow],
    alerts: Sequence[Mapping[str, Any]],
    status: Mapping[str, Any] | None,
) -> list[SiteHealth]:
    """Counts per site from the AP rows, open alerts per site (unacknowledged; acknowledged apart), last
    poll time per site."""
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
    acked_alerts: dict[str, int] = {}
    for alert in alerts:
        where = str(alert.get("site") or "")
        taken = alert_status(alert)
        if taken != "closed":
            bucket = open_alerts if taken == "open" else acked_alerts
            bucket[where] = bucket.get(where, 0) + 1
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
                acked_alerts.get(name, 0),
                devices_online(by_site.get(name, [])),
            )
        )
    return out


def devices_online(rows: Iterable[ApRow]) -> int | None:
    """How many devices (pupils' tablets, teachers' laptops, …) are on the WLAN of ``rows``: the sum of their
    clients at the last poll; None when no AP reported a number (never polled, or the agent does not say)."""
    counts = [row.clients for row in rows if row.clients is not None]
    return sum(counts) if counts else None


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


SELECTION_KEYS = ("tenant", "site", "kind", "group", "tag", "role", "platform", "controller")


def parse_selection(text: str) -> Selection:
    """``gs-* site=gs-meiderich tag=bus`` → Selection (names/globs plus ``key=value`` filters; ``key:value``
    as in the AP filter is the same).

    Raises ValueError naming the bad word when a key is unknown.
    """
    from netctl.selection import Selection

    names: list[str] = []
    filters: dict[str, Any] = {}
    for word in text.split():
        match = _FIELD_WORD.match(word)
        if match is None and "=" not in word:
            names.append(word)
        elif match is not None and match.group(1) in SELECTION_KEYS and match.group(2):
            filters[match.group(1)] = match.group(2)
        else:
            raise ValueError(
                f"unknown selection word {word!r}: use NAME, GLOB or one of "
                + ", ".join(f"{k}=…" for k in SELECTION_KEYS)
            )
    return Selection(names=tuple(names), **filters)


# -- alerts ----------------------------------------------------------------------------------------
#: the order of the alert window's sections: what nobody took yet, what someone is on, what is over
ALERT_STATUSES = ("open", "acked", "closed")
SEVERITY_RANK = {"info": 0, "warning": 1, "major": 2, "critical": 3}


def alert_status(alert: Mapping[str, Any]) -> str:
    """``open`` (nobody acknowledged it), ``acked`` (open, someone is on it) or ``closed``."""
    if str(alert.get("state") or "open") != "open":
        return "closed"
    return "acked" if alert.get("acked_by") else "open"


def alert_counts(alerts: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many alerts are open (unacknowledged), acknowledged and closed."""
    counts = dict.fromkeys(ALERT_STATUSES, 0)
    for alert in alerts:
        counts[alert_status(alert)] += 1
    return counts


@dataclass(frozen=True)
class AlertGroup:
    """The alerts of one kind at one site in one status (newest first): one row of the alert window.

    Grouped as the notifications group them (:mod:`netctl.notify.routes`: one message per site,
    ``down on 25 APs``), so 25 APs down at a school are one row, not 25.
    """

    status: str
    site: str
    kind: str
    alerts: tuple[Mapping[str, Any], ...]

    @property
    def grouped(self) -> bool:
        return len(self.alerts) > 1

    @property
    def key(self) -> str:
        """The row's key: ``open:SITE:KIND`` for a group, the alert id for a single alert."""
        return f"{self.status}:{self.site}:{self.kind}" if self.grouped else str(self.alerts[0].get("id"))

    @property
    def aps(self) -> list[str]:
        return list(dict.fromkeys(str(a.get("ap") or "") for a in self.alerts))

    @property
    def severity(self) -> str:
        return max((str(a.get("severity") or "") for a in self.alerts), key=lambda s: SEVERITY_RANK.get(s, 1))

    @property
    def first_seen(self) -> dt.datetime | None:
        return min(filter(None, (parse_time(a.get("first_seen")) for a in self.alerts)), default=None)

    @property
    def what(self) -> str:
        """``down on 3 APs: no answer to SNMP`` (the message when all share it), or one alert's message."""
        messages = {str(a.get("message") or "") for a in self.alerts}
        if not self.grouped:
            return messages.pop() or self.kind
        aps = len(self.aps)
        text = ngettext("{kind} on {n} AP", "{kind} on {n} APs", aps).format(kind=self.kind, n=aps)
        if len(self.alerts) != aps:
            text += ", " + _("{n} times").format(n=len(self.alerts))
        message = messages.pop() if len(messages) == 1 else ""
        return text + (f": {message}" if message else "")


def group_alerts(alerts: Iterable[Mapping[str, Any]]) -> list[AlertGroup]:
    """Alerts grouped by status, site and kind: open groups first, then acknowledged, then closed; newest
    first within each (by the newest alert's id)."""
    buckets: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for alert in alerts:
        key = (alert_status(alert), str(alert.get("site") or ""), str(alert.get("kind") or ""))
        buckets.setdefault(key, []).append(alert)
    groups = [AlertGroup(status, site, kind, tuple(sorted(items, key=lambda a: -int(a.get("id") or 0))))
              for (status, site, kind), items in buckets.items()]
    groups.sort(key=lambda g: (ALERT_STATUSES.index(g.status), -int(g.alerts[0].get("id") or 0)))
    return groups


def zone_info(zone: str) -> dt.tzinfo:
    """The time zone named ``zone`` (a site's, ``Europe/Berlin``); UTC for a name the system does not know."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def local_time(when: dt.datetime | None, zone: str, now: dt.datetime, *, date: bool = False) -> str:
    """``07:30 Europe/Berlin (3h ago)`` in the site's zone; the date too when it is not today there (or
    ``date``). ``-`` for None; an unknown zone reads as UTC."""
    if when is None:
        return "-"
    tz = zone_info(zone)
    zone = zone if tz is not dt.UTC else "UTC"
    local = when.astimezone(tz)
    same_day = local.date() == now.astimezone(tz).date()
    text = local.strftime("%H:%M" if same_day and not date else "%Y-%m-%d %H:%M")
    return _("{time} {zone} ({ago} ago)").format(time=text, zone=zone, ago=ago(when, now))
