"""School calendars stored per site and applied by the scheduler (``netctl calendar …``): ``Netctl.calendars``.

A calendar rule (:mod:`netctl.calendars`, the pure part) ties an iCalendar file, a URL of one, or a
German state's public holidays to one SSID of one site. The text is stored when it is imported, so
the scheduler never fetches anything and a restarted controller applies the same rules. The
``calendars`` job (every minute) computes what each SSID should be now and, only where that differs
from the site's wish (the ``ssids_disabled`` site variable), switches it through the targeted SSID
change (:meth:`netctl.ssids.SsidService.set_ssid_enabled`), audited as ``@system (calendar NAME, run
as USER)``. Applying is idempotent: a second run changes nothing. An active timed switch
(``--until``) on that SSID is a person's decision and wins until it ends.

Raises: PermissionDenied (the user may not switch that SSID), NotFound (site out of scope, unknown
calendar), ConfigError (a calendar that cannot be read or fetched, an SSID the site does not have).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from netctl import calendars
from netctl.core import Session
from netctl.errors import ConfigError, NetctlError, NotFound
from netctl.selection import Selection
from netctl.ssids import SSIDS_DISABLED, SsidService
from netctl.store.db import transaction

#: how long fetching a calendar URL may take (seconds)
FETCH_TIMEOUT_S = 10.0


def fetch(source: str) -> str:
    """The text of an iCalendar file or ``http(s)://`` URL (bounded in size and time)."""
    if source.startswith(("http://", "https://")):
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310 - http(s) only
                raw = response.read(calendars.MAX_ICS_BYTES + 1)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ConfigError(f"cannot fetch calendar {source}: {getattr(exc, 'reason', exc)}",
                              hint="check the URL in a browser, or download the .ics and import the file") from exc
    elif "://" in source:
        raise ConfigError(f"cannot fetch calendar {source}: only files and http(s) URLs",
                          hint="download the .ics and import the file")
    else:
        path = Path(source)
        try:
            with path.open("rb") as handle:
                raw = handle.read(calendars.MAX_ICS_BYTES + 1)
        except OSError as exc:
            raise ConfigError(f"cannot read calendar {source}: {exc.strerror or exc}",
                              hint="check the path (netctl reads it once, when you import it)") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8 text at byte {exc.start}",
                          hint="export the calendar as .ics (iCalendar is UTF-8 text)") from exc


class CalendarService:
    """Calendar rules per site and SSID, and applying them: ``Netctl.calendars``.

    Given the session and the SSID service (reading a site's SSIDs and time zone, switching one).
    """

    def __init__(self, session: Session, *, ssids: SsidService) -> None:
        self.session = session
        self.db = session.db
        self.ssids = ssids

    # -- rules ----------------------------------------------------------------------------------
    def import_calendar(self, site: str, source: str | None, *, ssid: str, mode: str = calendars.OFF_DURING,
                        name: str | None = None, holidays: str | None = None, summary: str | None = None,
                        replace: bool = False, now: dt.datetime | None = None) -> dict[str, Any]:
        """Store a rule: ``source`` (a .ics file or URL; None with ``holidays`` only) switches ``ssid``
        at ``site`` off (or on, ``mode``) during its events; ``summary`` keeps only events whose
        SUMMARY matches that glob. ``name`` defaults to the file name. The SSID must be one the
        site's APs broadcast. ``replace`` updates a rule of that name. Returns the rule as listed."""
        self.session.require("ssid-toggle", ssid)
        self.session.require_site(site)
        calendars.check_mode(mode)
        state = calendars.check_state(holidays)
        if not source and not state:
            raise ConfigError("a calendar needs a source (.ics file or URL) or --holidays STATE",
                              hint="e.g. netctl calendar import SITE ferien.ics --ssid NAME")
        name = (name or (Path(source.rstrip("/")).stem if source else f"holidays-{state}")).strip()
        if not name or any(c.isspace() for c in name):
            raise ConfigError(f"bad calendar name {name!r}", hint="give --name without spaces, e.g. ferien-2026")
        text = fetch(source) if source else ""
        if text:
            calendars.parse(text, source or name)
        known = [row["name"] for row in self.ssids.site_ssids(site)]
        if ssid not in known:
            raise ConfigError(f"site {site!r} has no SSID named {ssid!r}",
                              hint="its SSIDs are: " + (", ".join(known) or "none"))
        existing = list(self.db.table("calendars").rows_where("site = ? and name = ?", [site, name]))
        if existing and not replace:
            raise ConfigError(f"site {site!r} has a calendar named {name!r} already",
                              hint="add --replace to update it, or give another --name")
        stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        row = {"site": site, "name": name, "ssid": ssid, "mode": mode, "source": source or "", "ics": text,
               "holidays": state, "summary": summary or None, "who": self.session.who(), "updated": stamp}
        with transaction(self.db):
            if existing:
                self.db.table("calendars").update(existing[0]["id"], row)
            else:
                self.db.table("calendars").insert({**row, "created": stamp})
        return next(r for r in self.list_calendars(site) if r["name"] == name)

    def list_calendars(self, site: str | None = None) -> list[dict[str, Any]]:
        """Rules on the sites the acting user may see: ``[{site, name, ssid, mode, source, holidays,
        summary, events, who, updated}]`` (``events``: how many VEVENTs the stored calendar holds)."""
        self.session.require("view")
        if site is not None:
            self.session.require_site(site)
        visible = {r["name"] for r in self.session.visible_sites()}
        rows = self.db.table("calendars").rows_where(order_by="site, name")
        return [_listed(row) for row in rows if row["site"] in visible and (site is None or row["site"] == site)]

    def remove_calendar(self, site: str, name: str) -> None:
        """Delete a rule (the SSID keeps the state it has now)."""
        row = self._rule_row(site, name)
        self.session.require("ssid-toggle", row["ssid"])
        with transaction(self.db):
            self.db.table("calendars").delete(row["id"])

    def show(self, site: str, *, days: float = 14.0, now: dt.datetime | None = None) -> dict[str, Any]:
        """What the site's rules ask for now and when that changes within ``days``:
        ``{site, timezone, now: [{ssid, enabled, because, current}], changes: [{ssid, at, at_local, enabled,
        because}], calendars: [...]}``."""
        self.session.require("view")
        self.session.require_site(site)
        now = now or dt.datetime.now(dt.UTC)
        rules = self._rules(site=site)
        zone = self.ssids.site_timezone(site)
        disabled = set(self._site_vars(site).get(SSIDS_DISABLED) or [])
        states = [{"ssid": w.ssid, "enabled": w.enabled, "because": w.because, "current": w.ssid not in disabled}
                  for w in calendars.wanted(rules, now)]
        changes = []
        for change in calendars.transitions(rules, now, days):
            local = dt.datetime.fromisoformat(change["at"]).astimezone(ZoneInfo(zone))
            changes.append({"ssid": change["ssid"], "at": change["at"],
                            "at_local": local.strftime("%a %Y-%m-%d %H:%M"), "enabled": change["enabled"],
                            "because": change["because"]})
        return {"site": site, "timezone": zone, "now": states, "changes": changes,
                "calendars": self.list_calendars(site)}

    # -- applying (the scheduler's ``calendars`` job) -------------------------------------------------
    def apply_calendars(self, *, site: str | None = None, now: dt.datetime | None = None, concurrency: int = 20,
                        confirm_timeout: int = 60) -> list[dict[str, Any]]:
        """Bring every SSID with rules, within the acting user's scope and rights, to the state its rules
        ask for now (only ``site``'s, if given). One dict per SSID: ``{site, ssid, enabled, ok, changed,
        reason, aps}``; an SSID already in that state, or under an active timed switch, is left alone
        (``changed`` false)."""
        now = now or dt.datetime.now(dt.UTC)
        visible = {r["name"] for r in self.session.visible_sites()}
        rules = [r for r in self._rules(site) if r.site in visible and self.session.can("ssid-toggle", r.ssid)]
        timed = {(t["site"], t["ssid"]): t for t in self.db.table("ssid_timers").rows_where("state = 'active'")}
        done = []
        for (site, ssid), group in sorted(calendars.by_ssid(rules).items()):
            base = {"site": site, "ssid": ssid, "ok": True, "changed": False, "aps": {}}
            try:
                want = calendars.wanted(group, now)[0]
            except ConfigError as exc:
                done.append({**base, "enabled": None, "ok": False, "reason": exc.message})
                continue
            current = ssid not in set(self._site_vars(site).get(SSIDS_DISABLED) or [])
            if (site, ssid) in timed:
                until = timed[(site, ssid)]["until"]
                done.append({**base, "enabled": current,
                             "reason": f"a timed switch is active until {until}: it wins until it ends"})
                continue
            if want.enabled == current:
                done.append({**base, "enabled": current, "reason": f"already {'on' if current else 'off'}: "
                                                                   f"{want.because}"})
                continue
            names = ", ".join(want.rules)
            acting = self.ssids.using(self.session.acting_for(f"calendar {names}"))
            try:
                results = acting.set_ssid_enabled(site, ssid, want.enabled, concurrency=concurrency,
                                                  confirm_timeout=confirm_timeout, note=f"calendar: {want.because}")
            except NetctlError as exc:
                done.append({**base, "enabled": want.enabled, "ok": False, "reason": exc.message})
                continue
            bad = [r for r in results if not r.ok]
            reason = (f"switched {'on' if want.enabled else 'off'}: {want.because}" if not bad else
                      f"switched {'on' if want.enabled else 'off'} ({want.because}); not yet on "
                      + ", ".join(f"{r.ap} ({r.status})" for r in bad) + ": they get it when they come back")
            done.append({**base, "enabled": want.enabled, "ok": not bad, "changed": True, "reason": reason,
                         "aps": {r.ap: r.status for r in results}})
        return done

    # -- helpers --------------------------------------------------------------------------------
    def _rules(self, site: str | None = None) -> list[calendars.Rule]:
        where, args = ("site = ?", [site]) if site else (None, [])
        rows = self.db.table("calendars").rows_where(where, args, order_by="site, name")
        return [calendars.Rule(site=r["site"], ssid=r["ssid"], name=r["name"], mode=r["mode"], ics=r["ics"] or "",
                               holidays=r["holidays"], summary=r["summary"], zone=self.ssids.site_timezone(r["site"]))
                for r in rows]

    def _rule_row(self, site: str, name: str) -> dict[str, Any]:
        self.session.require_site(site)
        rows = list(self.db.table("calendars").rows_where("site = ? and name = ?", [site, name]))
        if not rows:
            raise NotFound(f"no calendar named {name!r} at site {site!r}",
                           hint=f"list them with: netctl calendar list {site}")
        return rows[0]

    def _site_vars(self, site: str) -> dict[str, Any]:
        raw = self.db.table("sites").get(site).get("vars") or "{}"
        return dict(json.loads(raw) if isinstance(raw, str) else raw)


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    events = row["ics"].upper().count("BEGIN:VEVENT") if row.get("ics") else 0
    return {"site": row["site"], "name": row["name"], "ssid": row["ssid"], "mode": row["mode"],
            "source": row["source"] or None, "holidays": row["holidays"], "summary": row["summary"],
            "events": events, "who": row["who"], "updated": row["updated"]}


def calendars_job(db_path: str, selection_json: str = "{}", *, user: str | None = None,
                  options: str | dict[str, Any] | None = None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The scheduler's ``calendars`` job: apply every calendar rule (one dict per SSID with rules).

    A default job (every minute), run as the admin running the scheduler; ``now`` is the clock (tests
    pass their own). ``selection_json`` may name a site to apply only that one. Options
    ``confirm_timeout`` (seconds, default 60).
    """
    from netctl.api import Netctl

    opts = json.loads(options) if isinstance(options, str) else dict(options or {})
    only = Selection.from_json(selection_json or "{}").site
    nc = Netctl(db_path, user=user)
    try:
        return nc.calendars.apply_calendars(site=only, now=now, confirm_timeout=int(opts.get("confirm_timeout") or 60))
    finally:
        nc.close()
