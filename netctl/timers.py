"""Timed SSID switches that undo themselves: "guest WLAN off until 17:00".

``netctl ssid off SITE SSID --until 17:00`` switches the SSID off now and stores a timer (table
``ssid_timers``): the site, the SSID, the state it was switched to, until when (UTC), who and when.
The scheduler's ``timers`` job (every minute) switches each due timer's SSID back through the same
targeted switch, as the system, audited; the timer lives in the database, so a controller restart
does not lose it. A timer is ``active`` until it is ``reverted``, ``cancelled`` (switching the same
SSID again, before its time) or ``failed`` (it can no longer be reverted: the site or SSID is gone).
A revert that fails on an AP keeps the timer active and due, tried again after a back-off
(:func:`after_failure`), with the reason stored.

Everything here is pure (no database, no device, the clock passed in): reading ``--until``
(:func:`parse_until`), choosing the due timers (:func:`due`), describing one (:func:`describe`).
The I/O is :class:`netctl.ssids.SsidService` (``set_ssid_enabled``, ``revert_due_timers``).

Raises: ConfigError (an ``--until`` that cannot be read or has passed, an unknown time zone).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from netctl.errors import ConfigError

#: the time zone of a tenant without a ``timezone`` variable
DEFAULT_TIMEZONE = "Europe/Berlin"
#: how far ahead a timer may end
MAX_AHEAD = dt.timedelta(days=31)
#: wait before the next try after 1, 2, 3 … failed reverts (seconds); the last one repeats
BACKOFF_S = (60, 120, 300, 600, 900)
#: timer states
ACTIVE, REVERTED, CANCELLED, FAILED = "active", "reverted", "cancelled", "failed"

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_DURATION = re.compile(r"^(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,5})m)?$")
_FORMS = ("give a clock time today (17:00, in the site's time zone {zone}), a date and time "
          "(2026-11-28T07:30, or with an offset: 2026-11-28T07:30+01:00) or a duration (90m, 2h, 1h30m, 1d)")


def zone(name: str) -> dt.tzinfo:
    """The time zone named ``name`` (a tenant's ``timezone`` variable). Raises ConfigError."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r}",
                          hint="set the tenant's variable timezone to a name such as Europe/Berlin or UTC") from exc


def _local(moment: dt.datetime, tz: dt.tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def parse_until(value: str, now: dt.datetime, timezone: str = DEFAULT_TIMEZONE, *,
                flag: str = "--until") -> dt.datetime:
    """When a timed change given as ``value`` ends, as an aware UTC datetime.

    ``value`` is a clock time today in ``timezone`` (``17:00``), an ISO date and time (without an
    offset it is in ``timezone``) or a duration from ``now`` (``90m``, ``2h``, ``1h30m``, ``1d``).
    The end must lie after ``now`` and at most :data:`MAX_AHEAD` ahead: a clock time that has passed
    today is refused, never taken as tomorrow. Raises ConfigError naming the value (as the option
    ``flag`` of the command that took it: ``--until``, ``--at``) and the forms.
    """
    tz = zone(timezone)
    text = value.strip()
    forms = _FORMS.format(zone=timezone)
    by_hand = "switch without --until and back by hand; " if flag == "--until" else ""
    clock = _CLOCK.match(text)
    duration = _DURATION.match(text) if text and text[-1] in "dhm" else None
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        if hour > 23 or minute > 59:
            raise ConfigError(f"cannot read {flag} {value!r}: there is no such time of day", hint=forms)
        today = now.astimezone(tz).date()
        until = dt.datetime.combine(today, dt.time(hour, minute), tzinfo=tz)
        if until <= now:
            raise ConfigError(
                f"{flag} {value!r}: {text} today ({timezone}) has passed already (it is {_local(now, tz)} there)",
                hint="give a later time today, or for tomorrow a date and time (e.g. "
                     f"{(today + dt.timedelta(days=1)).isoformat()}T{hour:02d}:{minute:02d}) or a duration (90m, 2h)")
    elif duration:
        days, hours, minutes = (int(g or 0) for g in duration.groups())
        span = dt.timedelta(days=days, hours=hours, minutes=minutes)
        if not span:
            raise ConfigError(f"cannot read {flag} {value!r}: a duration must be longer than nothing", hint=forms)
        if span > MAX_AHEAD:
            raise ConfigError(f"{flag} {value!r} lies more than {MAX_AHEAD.days} days ahead",
                              hint=by_hand + forms)
        until = now + span
    else:
        if len(text) < 16 or not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
            raise ConfigError(f"cannot read {flag} {value!r}", hint=forms)
        try:
            until = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ConfigError(f"cannot read {flag} {value!r}: {exc}", hint=forms) from exc
        if until.tzinfo is None:
            until = until.replace(tzinfo=tz)
        if until <= now:
            raise ConfigError(
                f"{flag} {value!r} has passed already (it is {now.astimezone(tz):%Y-%m-%d %H:%M} in {timezone})",
                hint=forms)
    if until - now > MAX_AHEAD:
        raise ConfigError(f"{flag} {value!r} lies more than {MAX_AHEAD.days} days ahead",
                          hint=by_hand + forms)
    return until.astimezone(dt.UTC)


def _when(text: Any) -> dt.datetime | None:
    if not text:
        return None
    moment = dt.datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def due(timers: Iterable[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """The ``ssid_timers`` rows to revert at ``now``: active, their time come, their back-off over and
    not claimed by a run that is still reverting them; the oldest first."""
    ready = []
    for row in timers:
        if row.get("state") != ACTIVE:
            continue
        until, retry, claimed = _when(row["until"]), _when(row.get("retry_at")), _when(row.get("claimed_until"))
        if until is None or until > now or (retry and retry > now) or (claimed and claimed > now):
            continue
        ready.append((until, int(row["id"]), row))
    return [row for _until, _id, row in sorted(ready, key=lambda item: (item[0], item[1]))]


def after_failure(tries: int, now: dt.datetime) -> dict[str, Any]:
    """The timer's fields after revert try number ``tries`` (1-based) failed: when to try again."""
    wait = BACKOFF_S[min(max(tries, 1), len(BACKOFF_S)) - 1]
    return {"tries": tries, "retry_at": (now + dt.timedelta(seconds=wait)).isoformat(timespec="seconds")}


def until_text(until: dt.datetime | str, timezone: str, now: dt.datetime) -> str:
    """``17:00`` when ``until`` is today in ``timezone`` (as of ``now``), else ``2026-11-28 07:30``."""
    tz = zone(timezone)
    moment = _when(until) if isinstance(until, str) else until
    assert moment is not None
    local = moment.astimezone(tz)
    return local.strftime("%H:%M") if local.date() == now.astimezone(tz).date() else local.strftime("%Y-%m-%d %H:%M")


def describe(timer: dict[str, Any], timezone: str, now: dt.datetime) -> str:
    """A timer as an operator says it: ``off until 17:00 by ada``."""
    who = str(timer.get("who") or "?").split(" ")[0]
    state = "on" if timer.get("enabled") else "off"
    return f"{state} until {until_text(str(timer['until']), timezone, now)} by {who}"


__all__ = ["ACTIVE", "CANCELLED", "DEFAULT_TIMEZONE", "FAILED", "REVERTED", "after_failure", "describe", "due",
           "parse_until", "until_text", "zone"]
