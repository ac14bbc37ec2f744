"""School calendars: when an SSID should be on or off, from iCalendar events and public holidays.

Pure logic, no I/O: parsing an iCalendar text, the state a set of calendar rules asks for at one
moment, and the moments that state changes. The service that stores the rules and the scheduler's
``calendars`` job that applies them through the targeted SSID switch live in
:mod:`netctl.schedule.calendars`.

A rule ties one calendar to one SSID of one site, in one of two modes:

- ``off-during``: the SSID is off while an event runs (holidays, exam days, a zoo closed for an event);
- ``on-during``: the SSID is on only while an event runs (school hours).

Public holidays of a German state (``holidays``: ``NW``, ``HE``, …) count as events of a rule that
names the state. Several rules on one SSID combine so that *off wins*: the SSID is off if any
``off-during`` rule has an event now; otherwise, if ``on-during`` rules exist, it is on only while one
of them has an event; otherwise it is on. Date-only events and times without a zone are read in the
site's time zone.

Raises: ConfigError (a calendar that cannot be read, a bad mode or state code).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from netctl.errors import ConfigError

OFF_DURING = "off-during"
ON_DURING = "on-during"
MODES = (OFF_DURING, ON_DURING)
#: the largest calendar accepted (bytes): a school year of events is a few hundred kB at most
MAX_ICS_BYTES = 2_000_000
#: at most this many event occurrences are expanded per rule and window (a runaway RRULE stops here)
MAX_OCCURRENCES = 5_000
#: how far ``transitions`` looks ahead at most (days)
MAX_DAYS = 400


@dataclass(frozen=True)
class Rule:
    """One stored calendar rule: ``ics`` asks ``ssid`` at ``site`` to be off/on during its events."""

    site: str
    ssid: str
    name: str
    mode: str
    ics: str = ""
    holidays: str | None = None
    summary: str | None = None  # only events whose SUMMARY matches this glob (case-insensitive)
    zone: str = "Europe/Berlin"


@dataclass(frozen=True)
class Occurrence:
    """One event (or public holiday) of a rule, as an interval in UTC."""

    start: dt.datetime
    end: dt.datetime
    summary: str
    rule: str


@dataclass
class Wanted:
    """What the rules on one SSID ask for at one moment, and why (for the audit and ``show``)."""

    site: str
    ssid: str
    enabled: bool
    because: str
    rules: list[str] = field(default_factory=list)


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"unknown calendar mode {mode!r}", hint="use off-during (e.g. holidays) or on-during "
                                                                   "(e.g. school hours)")
    return mode


def check_state(code: str | None) -> str | None:
    """A German state code for public holidays (``NW``, ``HE`` …), upper-cased; None stays None."""
    if not code:
        return None
    import holidays

    known = holidays.country_holidays("DE").subdivisions
    if code.upper() not in known:
        raise ConfigError(f"unknown German state {code!r} for public holidays",
                          hint="use one of: " + ", ".join(s for s in known if len(s) == 2))
    return code.upper()


def parse(text: str | bytes, source: str) -> Any:
    """An ``icalendar.Calendar`` from ``text``; ConfigError naming ``source`` when it is not one."""
    import icalendar

    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > MAX_ICS_BYTES:
        raise ConfigError(f"{source}: calendar is {len(raw)} bytes, more than {MAX_ICS_BYTES}",
                          hint="export only the events netctl needs (one school year)")
    if b"BEGIN:VCALENDAR" not in raw[:4096].upper():
        raise ConfigError(f"{source}: not an iCalendar file (no BEGIN:VCALENDAR)",
                          hint="export the calendar as .ics (iCalendar) and import that file or its URL")
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ConfigError(f"{source}: cannot read the calendar: {exc}",
                          hint="check the file in a calendar application, then export it again") from exc
    events = calendar.walk("VEVENT")
    if not events:
        raise ConfigError(f"{source}: the calendar has no events", hint="export a calendar that has events")
    for event in events:
        if event.get("DTSTART") is None:
            raise ConfigError(f"{source}: event {str(event.get('SUMMARY', '?'))!r} has no start (DTSTART)",
                              hint="fix or remove that event and export again")
    return calendar


def _utc(value: dt.date | dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), zone)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC)


def occurrences(rule: Rule, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
    """The rule's events (and public holidays) overlapping ``[start, end)``, ordered by start."""
    zone = ZoneInfo(rule.zone)
    found: list[Occurrence] = []
    if rule.ics:
        import recurring_ical_events

        calendar = parse(rule.ics, f"calendar {rule.name!r}")
        query = recurring_ical_events.of(calendar)
        # all-day events are dates in the site's zone: ask in local time, a day wider, then cut exactly below
        wider = (start.astimezone(zone) - dt.timedelta(days=1), end.astimezone(zone) + dt.timedelta(days=1))
        for count, event in enumerate(query.between(*wider)):
            if count >= MAX_OCCURRENCES:
                raise ConfigError(f"calendar {rule.name!r}: more than {MAX_OCCURRENCES} events in the window",
                                  hint="a repeating event without an end? give it an end (UNTIL or COUNT)")
            summary = str(event.get("SUMMARY", ""))
            if rule.summary and not fnmatch.fnmatch(summary.lower(), rule.summary.lower()):
                continue
            first = _utc(event.decoded("DTSTART"), zone)
            last = _end(event, first, zone)
            if last > first:
                found.append(Occurrence(first, last, summary, rule.name))
    if rule.holidays:
        import holidays

        local_start, local_end = start.astimezone(zone).date(), end.astimezone(zone).date()
        days = holidays.country_holidays("DE", subdiv=rule.holidays,
                                         years=range(local_start.year, local_end.year + 1))
        for day, name in sorted(days.items()):
            if local_start <= day <= local_end:
                first = _utc(day, zone)
                found.append(Occurrence(first, _utc(day + dt.timedelta(days=1), zone), str(name), rule.name))
    return sorted((o for o in found if o.start < end and o.end > start), key=lambda o: (o.start, o.end))


def _end(event: Any, first: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """An event's end: DTEND, else DTSTART + DURATION, else the whole day of a date-only event (RFC 5545)."""
    if event.get("DTEND") is not None:
        return _utc(event.decoded("DTEND"), zone)
    if event.get("DURATION") is not None:
        return first + event.decoded("DURATION")
    if not isinstance(event.decoded("DTSTART"), dt.datetime):
        return first + dt.timedelta(days=1)
    return first


def wanted(rules: Sequence[Rule], at: dt.datetime) -> list[Wanted]:
    """What the rules ask of each (site, SSID) at ``at``: one :class:`Wanted` per SSID, ordered."""
    out = []
    for (site, ssid), group in sorted(by_ssid(rules).items()):
        out.append(_wanted_one(site, ssid, group, at, at + dt.timedelta(seconds=1)))
    return out


def _wanted_one(site: str, ssid: str, rules: Sequence[Rule], at: dt.datetime, until: dt.datetime) -> Wanted:
    spans = [o for rule in rules for o in occurrences(rule, at, until)]
    return _state_from(site, ssid, rules, spans, at)


def transitions(rules: Sequence[Rule], start: dt.datetime, days: float) -> list[dict[str, Any]]:
    """When the wanted state of each SSID changes within ``days`` from ``start``:
    ``[{site, ssid, at, enabled, because}]`` ordered by time (the state at ``start`` first)."""
    days = min(max(days, 0.0), MAX_DAYS)
    start = start.astimezone(dt.UTC)
    end = start + dt.timedelta(days=days)
    out: list[dict[str, Any]] = []
    for (site, ssid), group in sorted(by_ssid(rules).items()):
        spans = [o for rule in group for o in occurrences(rule, start, end)]
        moments = sorted({start} | {m for o in spans for m in (o.start, o.end) if start <= m < end})
        last: bool | None = None
        for moment in moments:
            state = _state_from(site, ssid, group, spans, moment)
            if state.enabled != last:
                out.append({"site": site, "ssid": ssid, "at": moment.isoformat(timespec="minutes"),
                            "enabled": state.enabled, "because": state.because})
                last = state.enabled
    return sorted(out, key=lambda row: (row["at"], row["site"], row["ssid"]))


def _state_from(site: str, ssid: str, rules: Sequence[Rule], spans: Iterable[Occurrence],
                at: dt.datetime) -> Wanted:
    """:func:`_wanted_one` over occurrences already expanded (no re-parsing per moment)."""
    running: dict[str, list[Occurrence]] = {rule.name: [] for rule in rules}
    for span in spans:
        if span.start <= at < span.end:
            running[span.rule].append(span)
    names = [r.name for r in rules]
    for rule in rules:
        if rule.mode == OFF_DURING and running[rule.name]:
            summary = running[rule.name][0].summary or "event"
            return Wanted(site, ssid, False, f"{summary} ({rule.name}, off during its events)", names)
    ons = [r for r in rules if r.mode == ON_DURING]
    for rule in ons:
        if running[rule.name]:
            summary = running[rule.name][0].summary or "event"
            return Wanted(site, ssid, True, f"{summary} ({rule.name}, on during its events)", names)
    if ons:
        return Wanted(site, ssid, False, "no event of " + ", ".join(r.name for r in ons) + " (on only during them)",
                      names)
    return Wanted(site, ssid, True, "no event of " + ", ".join(names) + " (off only during them)", names)


def by_ssid(rules: Sequence[Rule]) -> dict[tuple[str, str], list[Rule]]:
    grouped: dict[tuple[str, str], list[Rule]] = {}
    for rule in rules:
        grouped.setdefault((rule.site, rule.ssid), []).append(rule)
    return grouped
