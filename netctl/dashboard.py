"""The school dashboard: what a school admin wants to see first about each of their sites.

For one site: its title, the devices online per SSID now ("Schule-Lernen: 32"), the APs with a problem and
why, today's curve of devices online, and what is switched off and until when (timed SSID switches,
overlays such as exam mode, school calendars, SSIDs switched off without an end). The service
(:class:`DashboardService`, ``nc.dashboard``) reads the stored facts through the acting user's scope;
the functions here assemble them and do no I/O.

- devices per SSID: each AP's ``clients:<ssid>@<radio>`` samples of its latest poll (within
  :data:`FRESH_S`), summed per SSID over radios and APs; an AP that is down counts nothing (its last
  numbers are old). The SSIDs the WLANs window lists come first (0 when nobody is on them).
- today's curve: the ``clients`` series of the site's APs since local midnight, summed per
  :data:`STEP_S` (each AP's highest value in the step).

Raises (the service): PermissionDenied (the role may not view), NotFound (a site outside the scope).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netctl import timers
from netctl.errors import NetctlError
from netctl.i18n import _
from netctl.reports import ssid_of
from netctl.selection import Selection

if TYPE_CHECKING:
    from netctl.core import Session
    from netctl.overlays import OverlayService
    from netctl.poll.ops import MonitorService
    from netctl.schedule.calendars import CalendarService
    from netctl.ssids import SsidService

#: a poll older than this says nothing about who is online now (seconds)
FRESH_S = 15 * 60
#: the curve's resolution (seconds)
STEP_S = 300
#: the states that need no one to look
WELL = ("up",)

Point = tuple[float, float]


@dataclass(frozen=True)
class SsidDevices:
    """Devices online on one SSID at the site now; ``enabled`` None when the config does not say."""

    ssid: str
    devices: int
    enabled: bool | None = None


@dataclass(frozen=True)
class Problem:
    """An AP that is not up: its state, since when (ISO), and why in the poll's words."""

    ap: str
    state: str
    since: str | None
    reason: str


@dataclass(frozen=True)
class SwitchedOff:
    """Something switched off (or changed) for a while: ``what`` (an SSID, an overlay's name), ``kind``
    (``timer``, ``overlay``, ``calendar``, ``off``), ``until_local`` (None: no end set) and ``why``."""

    what: str
    kind: str
    until_local: str | None
    why: str


@dataclass(frozen=True)
class SiteDashboard:
    """One site's dashboard (see the module docstring)."""

    site: str
    title: str
    tenant: str
    timezone: str
    aps: int
    counts: dict[str, int]
    ssids: list[SsidDevices]
    problems: list[Problem]
    curve: list[Point]
    start: float
    end: float
    switched_off: list[SwitchedOff] = field(default_factory=list)

    @property
    def devices(self) -> int:
        """Devices online at the site now (all SSIDs)."""
        return sum(s.devices for s in self.ssids)


# -- pure assembly ------------------------------------------------------------------------------------
def latest_ssid_counts(rows: Iterable[Mapping[str, Any]], now: float) -> dict[str, float]:
    """One AP's ``clients:*`` rows (``{epoch, metric, value}``) → clients per SSID at its latest poll,
    summed over radios; {} when that poll is older than :data:`FRESH_S`."""
    rows = [r for r in rows if ssid_of(str(r["metric"])) is not None]
    if not rows:
        return {}
    latest = max(float(r["epoch"]) for r in rows)
    if now - latest > FRESH_S:
        return {}
    out: dict[str, float] = {}
    for row in rows:
        if float(row["epoch"]) == latest:
            ssid = str(ssid_of(str(row["metric"])))
            out[ssid] = out.get(ssid, 0.0) + float(row["value"])
    return out


def devices_per_ssid(per_ap: Mapping[str, Mapping[str, float]], down: Iterable[str],
                     configured: Sequence[tuple[str, bool]] = ()) -> list[SsidDevices]:
    """Clients per SSID of each AP (:func:`latest_ssid_counts`) summed over the APs not ``down``; the
    ``configured`` SSIDs (name, enabled) first in their order, then the others by name."""
    skip = set(down)
    totals: dict[str, float] = {}
    for ap, counts in per_ap.items():
        if ap in skip:
            continue
        for ssid, value in counts.items():
            totals[ssid] = totals.get(ssid, 0.0) + value
    out = [SsidDevices(name, round(totals.get(name, 0.0)), enabled) for name, enabled in configured]
    known = {name for name, _ in configured}
    out += [SsidDevices(name, round(value)) for name, value in sorted(totals.items()) if name not in known]
    return out


def curve(per_ap: Mapping[str, Iterable[Point]], start: float, end: float, step: int = STEP_S) -> list[Point]:
    """Devices online over ``start``–``end``: per ``step``, the sum over APs of each AP's highest value in it."""
    buckets: dict[float, dict[str, float]] = {}
    for ap, points in per_ap.items():
        for when, value in points:
            if start <= when <= end:
                bucket = buckets.setdefault(float(int(when) // step * step), {})
                bucket[ap] = max(bucket.get(ap, value), value)
    return [(when, sum(values.values())) for when, values in sorted(buckets.items())]


def problems(status_rows: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """The APs of ``status()["aps"]`` that are not up, down first, each with its stored reasons."""
    order = {"down": 0, "degraded": 1, "unknown": 2}
    out = []
    for row in status_rows:
        state = str(row.get("state") or "unknown")
        if state in WELL:
            continue
        reasons = [str(r) for r in row.get("reasons") or []]
        reason = "; ".join(reasons) or (_("not polled yet") if state == "unknown" else _("no reason recorded"))
        out.append(Problem(str(row["name"]), state, row.get("since"), reason))
    return sorted(out, key=lambda p: (order.get(p.state, 3), p.ap))


def switched_off(disabled: Iterable[str], timed: Sequence[Mapping[str, Any]], overlays: Sequence[Mapping[str, Any]],
                 calendar: Mapping[str, Any] | None) -> list[SwitchedOff]:
    """What is off (or changed) for a while at a site, each once, soonest end first, open-ended last.

    ``disabled``: the SSIDs switched off in the site's config (``site_ssids``); ``timed``: its active
    SSID timers (``ssid_timers``); ``overlays``: active overlays covering its APs (``list_overlays``);
    ``calendar``: ``calendars.show(site)`` (None: no rules).
    """
    out: list[tuple[str, SwitchedOff]] = []
    seen: set[str] = set()
    for timer in timed:
        seen.add(str(timer["ssid"]))
        state = _("on") if timer.get("enabled") else _("off")
        who = str(timer.get("who") or "?").split(" ")[0]
        out.append((str(timer["until"]), SwitchedOff(str(timer["ssid"]), "timer", str(timer["until_local"]),
                                                     _("switched {state} by {who}").format(state=state, who=who))))
    changes = list((calendar or {}).get("changes") or [])
    for wanted in (calendar or {}).get("now") or []:
        ssid = str(wanted["ssid"])
        if wanted["enabled"] or ssid in seen:
            continue
        seen.add(ssid)
        back = next((c for c in changes if c["ssid"] == ssid and c["enabled"]), None)
        out.append((str(back["at"]) if back else "~", SwitchedOff(ssid, "calendar", back["at_local"] if back else None,
                                                                  str(wanted["because"]))))
    for name in disabled:
        if name not in seen:
            seen.add(name)
            out.append(("~", SwitchedOff(name, "off", None, _("switched off, no end set"))))
    for overlay in overlays:
        changed = ", ".join(sorted(overlay.get("vars") or {}))
        out.append((str(overlay["until"]), SwitchedOff(
            str(overlay["name"]), "overlay", str(overlay["until_local"]),
            _("changes {vars} on {n} AP(s) (by {who})").format(vars=changed, n=len(overlay.get("aps") or []),
                                                              who=str(overlay.get("who") or "?").split(" ")[0]))))
    return [item for _key, item in sorted(out, key=lambda pair: (pair[0] == "~", pair[0]))]


def day_start(now: dt.datetime, zone: str) -> dt.datetime:
    """Local midnight of ``now``'s day in ``zone``."""
    local = now.astimezone(timers.zone(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


# -- the service ----------------------------------------------------------------------------------------
class DashboardService:
    """``nc.dashboard``: the school dashboard of the sites in the acting user's scope.

    Given the session and the services whose facts it shows (read only; nothing is sent to an AP).
    """

    def __init__(self, session: Session, *, monitor: MonitorService, ssids: SsidService,
                 calendars: CalendarService, overlays: OverlayService) -> None:
        self.session = session
        self.monitor = monitor
        self.ssids = ssids
        self.calendars = calendars
        self.overlays = overlays

    def home_sites(self) -> list[str]:
        """The sites the acting user may see, by tenant and name."""
        return [str(row["name"]) for row in self.session.visible_sites()]

    def site(self, site: str, *, now: dt.datetime | None = None) -> SiteDashboard:
        """The dashboard of ``site`` (NotFound outside the scope)."""
        from netctl.poll.store import series

        self.session.require("view")
        self.session.require_site(site)
        now = now or dt.datetime.now(dt.UTC)
        row = next(r for r in self.session.visible_sites() if r["name"] == site)
        zone = self.session.site_timezone(site)
        start = day_start(now, zone).timestamp()
        status = self.monitor.status(Selection(site=site))
        aps = [ap for ap in status["aps"] if ap.get("role") != "controller"]
        down = [str(ap["name"]) for ap in aps if ap["state"] == "down"]
        db = self.session.db
        stamp = now.timestamp()
        latest = {str(ap["name"]): latest_ssid_counts(series(db, str(ap["name"]), "clients:*", stamp - FRESH_S,
                                                             now=stamp), stamp) for ap in aps}
        points = {str(ap["name"]): [(float(r["epoch"]), float(r["value"]))
                                    for r in series(db, str(ap["name"]), "clients", start, now=stamp)]
                  for ap in aps}
        try:  # the names the WLANs window lists (rendered from the site's config, nothing sent)
            configured: list[dict[str, Any]] = self.ssids.site_ssids(site)
        except NetctlError:
            configured = []
        disabled = [str(s["name"]) for s in configured if not s["enabled"]]
        calendar = self.calendars.show(site, days=2, now=now) if self.calendars.list_calendars(site) else None
        overlays = [o for o in self.overlays.list_overlays(now=now) if set(o["aps"]) & {a["name"] for a in aps}]
        return SiteDashboard(
            site=site, title=str(row.get("title") or site), tenant=str(row["tenant"]), timezone=zone,
            aps=len(aps), counts=status["sites"].get(site) or {},
            ssids=devices_per_ssid(latest, down, [(str(s["name"]), bool(s["enabled"])) for s in configured]),
            problems=problems(aps), curve=curve(points, start, stamp), start=start, end=stamp,
            switched_off=switched_off(disabled, self.ssids.ssid_timers(site=site, now=now), overlays,
                                      calendar),
        )


__all__ = ["DashboardService", "Problem", "SiteDashboard", "SsidDevices", "SwitchedOff", "curve",
           "devices_per_ssid", "latest_ssid_counts", "problems", "switched_off"]
