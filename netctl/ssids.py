"""SSIDs of a site switched on or off, now or until a time (``netctl ssid …``): ``Netctl.ssids``.

A switch is a targeted change (:mod:`netctl.push.targeted`): only that SSID's enabled state is sent,
through the push's safe path. A switch may be timed (``--until``): :mod:`netctl.timers` reads the
time and picks the due timers, this module stores them and switches them back
(:meth:`SsidService.revert_due_timers`, the scheduler's ``timers`` job :func:`timers_job`).

Raises: PermissionDenied (the acting user may not switch that SSID), NotFound (unknown site, or one
outside the scope), ConfigError (an SSID the site does not have, a bad ``--until``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

from netctl import timers
from netctl.core import Session
from netctl.errors import ConfigError, NetctlError, NotFound
from netctl.i18n import _
from netctl.platforms import get_platform
from netctl.push.ops import ConfigService
from netctl.push.run import PushResult
from netctl.render.engine import RenderResult, config_hash
from netctl.results import Results
from netctl.runner import Progress
from netctl.selection import Scope, Selection
from netctl.store.db import transaction

#: the site variable that lists the SSIDs switched off at a site (read by the AP templates)
SSIDS_DISABLED = "ssids_disabled"
#: how long a run may hold a timer it reverts before another run may take it over (seconds)
CLAIM_S = 600
_SSID_NAMES = re.compile(r"<ssid>\s*<name>([^<]+)</name>|\.ssid='([^']+)'")


def ssid_names(config: str) -> list[str]:
    """SSID names in a rendered AP config (NETCONF/OpenConfig XML or OpenWrt uci lines), in order."""
    names: list[str] = []
    for match in _SSID_NAMES.finditer(config):
        name = match.group(1) or match.group(2)
        if name not in names:
            names.append(name)
    return names


def ssid_diff_text(preview: list[dict[str, Any]]) -> str:
    """A targeted SSID change's preview (:meth:`AccessService.ssid_change_plan`) as one text, per AP."""
    parts = []
    for row in preview:
        if not row["ok"]:
            parts.append(f"### {row['ap']}: {row['status']}: {row['reason']}")
        elif row["changed"]:
            parts.append(f"### {row['ap']}\n{row['diff']}")
        else:
            parts.append(f"### {row['ap']}: " + _("in sync (nothing to send)"))
    return "\n".join(parts) or _("(the site has no AP that netctl configures)")


def timer_words(timer: dict[str, Any]) -> str:
    """A timed switch as people read it (``off until 17:00 by ada``, German ``aus bis 17:00 von ada``); the
    timer's ``text`` says the same in English for the audit trail and --json."""
    words = _("on until {until} by {who}") if timer["enabled"] else _("off until {until} by {who}")
    return words.format(until=timer["until_local"], who=str(timer.get("who") or "?").split(" ")[0])


class SsidService:
    """Switching a site's SSIDs on and off, now or timed: ``Netctl.ssids``.

    Given the session and the configuration service: a switch renders and pushes through it, with
    a session granted ``push``/``render`` for that one operation (:meth:`Session.granting`).
    """

    def __init__(self, session: Session, *, config: ConfigService) -> None:
        self.session = session
        self.db = session.db
        self.config = config

    def using(self, session: Session) -> SsidService:
        """This service over another session of the same database (a timer's, :meth:`Session.as_timer`)."""
        return SsidService(session, config=self.config.using(session))

    #: a timer row of :meth:`ssid_timers` in the language in use (for the TUI, which reads the facade)
    timer_words = staticmethod(timer_words)

    def site_ssids(self, site: str) -> list[dict[str, Any]]:
        """The SSIDs a site's APs broadcast: ``[{name, enabled, may_toggle, timer, until, until_local}]``
        (NotFound out of scope); ``timer`` says an active timed switch (``off until 17:00 by ada``), else None
        (English, as in the audit and --json; :func:`timer_words` says it in the language in use)."""
        self.session.require("view")
        self.session.require_site(site)
        disabled = set(self._site_vars(site).get(SSIDS_DISABLED) or [])
        active = {t["ssid"]: t for t in self.ssid_timers(site=site)}
        return [
            {"name": name, "enabled": name not in disabled, "may_toggle": self.session.can("ssid-toggle", name),
             "timer": active[name]["text"] if name in active else None,
             "until": active[name]["until"] if name in active else None,
             "until_local": active[name]["until_local"] if name in active else None}
            for name in self._rendered_ssids(site)
        ]

    # -- timed switches (netctl.timers) -------------------------------------------------------------
    def site_timezone(self, site: str) -> str:
        """The time zone of ``site``: its tenant's ``timezone`` variable, else Europe/Berlin."""
        return self.session.site_timezone(site)

    def ssid_until(self, site: str, value: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
        """Read an ``--until`` for ``site`` (:func:`netctl.timers.parse_until`) without switching anything:
        ``{until: UTC ISO, text: "17:00", timezone}``. Raises NotFound (site), ConfigError (the value)."""
        self.session.require("view")
        self.session.require_site(site)
        now = now or dt.datetime.now(dt.UTC)
        zone = self.site_timezone(site)
        until = timers.parse_until(value, now, zone)
        return {"until": until.isoformat(timespec="seconds"), "text": timers.until_text(until, zone, now),
                "timezone": zone}

    def ssid_timers(self, *, site: str | None = None, ended: bool = False,
                    now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Timed SSID switches in the acting user's scope (active ones; ``ended``: all), soonest first.

        Each row as stored (:mod:`netctl.store.migrations` ``m012_ssid_timers``) plus ``timezone``,
        ``until_local`` (``17:00``) and ``text`` (``off until 17:00 by ada``).
        """
        self.session.require("view")
        now = now or dt.datetime.now(dt.UTC)
        visible = {r["name"] for r in self.session.visible_sites()}
        where = [] if ended else ["state = 'active'"]
        args: list[Any] = []
        if site is not None:
            where.append("site = ?")
            args.append(site)
        rows = []
        for row in self.db.table("ssid_timers").rows_where(" and ".join(where) or None, args, order_by="until, id"):
            if row["site"] not in visible:
                continue
            zone = self.site_timezone(row["site"])
            rows.append({**row, "enabled": bool(row["enabled"]), "timezone": zone,
                         "until_local": timers.until_text(row["until"], zone, now),
                         "text": timers.describe(row, zone, now)})
        return rows

    def revert_due_timers(self, *, now: dt.datetime | None = None, concurrency: int = 20,
                          confirm_timeout: int = 60) -> list[dict[str, Any]]:
        """Switch back every due timer (:func:`netctl.timers.due`) within the acting user's scope and rights.

        Each revert is the inverse targeted switch (:meth:`set_ssid_enabled`), audited as ``ssid-on`` /
        ``ssid-off`` by ``@system (timer N, run as USER)`` with the timer named in the audit's
        template column. A run claims a timer first, so two runs never both switch it; a timer done
        is ``reverted`` and never switched again. When an AP fails (unreachable, busy, rolled back)
        the timer stays active and due after a back-off (:func:`netctl.timers.after_failure`), its
        ``reason`` saying why; the site variable ``ssids_disabled`` already holds the wish, so an AP
        that is away gets the state with its full config on converge. A timer whose site or SSID is
        gone is ``failed``. One dict per timer: ``{timer, site, ssid, enabled, ok, state, reason, aps}``.
        """
        now = now or dt.datetime.now(dt.UTC)
        visible = {r["name"] for r in self.session.visible_sites()}
        rows = [r for r in self.db.table("ssid_timers").rows_where("state = 'active'")
                if r["site"] in visible and self.session.can("ssid-toggle", r["ssid"])]
        done = []
        for row in timers.due(rows, now):
            run = uuid.uuid4().hex[:12]
            stamp = now.isoformat(timespec="seconds")
            with transaction(self.db):
                claimed = self.db.execute(
                    "update ssid_timers set claimed_by = ?, claimed_until = ? where id = ? and state = 'active' "
                    "and (claimed_until is null or claimed_until <= ?)",
                    [run, (now + dt.timedelta(seconds=CLAIM_S)).isoformat(timespec="seconds"), row["id"], stamp],
                ).rowcount
            if not claimed:
                continue
            as_timer = self.using(self.session.as_timer(row["id"]))
            done.append(as_timer._revert_one(row, run, now, concurrency, confirm_timeout))
        return done

    def _revert_one(self, row: dict[str, Any], run: str, now: dt.datetime, concurrency: int,
                    confirm_timeout: int) -> dict[str, Any]:
        """Switch timer ``row`` back (claimed by ``run``, acting as the system) and record how it went."""
        back = not row["enabled"]
        zone = self.site_timezone(row["site"])
        said = timers.describe(row, zone, now)
        out = {"timer": row["id"], "site": row["site"], "ssid": row["ssid"], "enabled": back, "aps": {}}
        stamp = now.isoformat(timespec="seconds")
        try:
            results = self.set_ssid_enabled(row["site"], row["ssid"], back, concurrency=concurrency,
                                            confirm_timeout=confirm_timeout, reverts=row["id"],
                                            note=f"timer {row['id']} ended: {said}")
        except NetctlError as exc:
            reason = f"cannot switch it back: {exc.message}"
            with transaction(self.db):
                self.db.table("ssid_timers").update(row["id"], {"state": timers.FAILED, "reason": reason,
                                                                "ended": stamp, "ended_by": self.session.who(),
                                                                "claimed_by": None, "claimed_until": None})
            return {**out, "ok": False, "state": timers.FAILED, "reason": reason}
        out["aps"] = {r.ap: r.status for r in results}
        bad = [r for r in results if not r.ok]
        with transaction(self.db):
            if bad:
                fields = timers.after_failure(int(row.get("tries") or 0) + 1, now)
                reason = "; ".join(f"{r.ap}: {r.status}" + (f" ({r.reason.splitlines()[0]})" if r.reason else "")
                                   for r in bad)
                reason = f"revert try {fields['tries']} failed on {len(bad)} of {len(results)} AP(s): {reason}; " \
                         f"next try after {fields['retry_at']}"
                self.db.execute("update ssid_timers set tries = ?, retry_at = ?, reason = ?, claimed_by = null, "
                                "claimed_until = null where id = ? and claimed_by = ?",
                                [fields["tries"], fields["retry_at"], reason, row["id"], run])
                return {**out, "ok": False, "state": timers.ACTIVE, "reason": reason}
            reason = f"switched back {'on' if back else 'off'} at {len(results)} AP(s)"
            self.db.execute("update ssid_timers set state = ?, reason = ?, ended = ?, ended_by = ?, claimed_by = null, "
                            "claimed_until = null, retry_at = null where id = ? and state = 'active'",
                            [timers.REVERTED, reason, stamp, self.session.who(), row["id"]])
        return {**out, "ok": True, "state": timers.REVERTED, "reason": reason}

    def ssid_change_plan(
        self, site: str, ssid: str, enabled: bool, *, concurrency: int = 20
    ) -> list[dict[str, Any]]:
        """What switching SSID ``ssid`` on or off at ``site`` would change on each AP; nothing is sent.

        One row per AP: ``{ap, platform, ok, status, changed, diff, reason}``; ``status`` is
        ``changed``, ``in-sync``, ``failed`` (e.g. the AP does not have the SSID) or ``unreachable``.
        The diff names only that SSID's enabled state (see :mod:`netctl.push.targeted`).
        Raises PermissionDenied, NotFound (site out of scope, or no such SSID at the site).
        """
        from netctl.drivers.plan import missing, partial_compare
        from netctl.push.worker import run_fetches

        self.session.require("ssid-toggle", ssid)
        self.session.require_site(site)
        config = self.config
        rows: dict[str, dict[str, Any]] = {}
        items = []
        for ap, plan in self._ssid_plans(site, ssid, enabled):
            base = {"ap": ap["name"], "platform": ap["platform"], "changed": None, "diff": ""}
            if not plan.ok:
                rows[ap["name"]] = {**base, "ok": False, "status": "failed", "reason": plan.error}
                continue
            try:
                items.append((ap, plan, config._fetch_job(ap, config._target(ap))))
            except NetctlError as exc:
                rows[ap["name"]] = {**base, "ok": False, "status": "failed", "reason": exc.message}
        fetched = run_fetches([job for _ap, _plan, job in items], concurrency=concurrency)
        for (ap, plan, _job), got in zip(items, fetched, strict=True):
            base = {"ap": ap["name"], "platform": ap["platform"], "changed": None, "diff": ""}
            if not got.ok or got.text is None:
                rows[ap["name"]] = {**base, "ok": False, "status": got.status, "reason": got.reason}
                continue
            absent = missing(plan.text, got.text, ap["platform"])
            if absent:
                rows[ap["name"]] = {**base, "ok": False, "status": "failed",
                                    "reason": f"the AP does not have {absent[0]}; push its full config first"}
                continue
            diff = partial_compare(plan.text, got.text, ap["platform"], plan.secrets)
            rows[ap["name"]] = {**base, "ok": True, "status": "changed" if diff.changed else "in-sync",
                                "changed": diff.changed, "diff": diff.text, "reason": None}
        return [rows[name] for name in sorted(rows)]

    def set_ssid_enabled(
        self,
        site: str,
        ssid: str,
        enabled: bool,
        *,
        until: str | None = None,
        concurrency: int = 20,
        confirm_timeout: int = 60,
        progress: Progress | None = None,
        now: dt.datetime | None = None,
        reverts: int | None = None,
        note: str | None = None,
    ) -> Results[PushResult]:
        """Switch SSID ``ssid`` on or off at every AP of ``site``; one PushResult per AP.

        A targeted change (:mod:`netctl.push.targeted`): only that SSID's enabled state is sent
        (NETCONF merge of its ``enabled`` leaf, uci ``disabled`` of its wifi-iface sections), never
        other pending template changes, through the push's safe path (journal lock and intent,
        confirmed commit with persist-id and read-back, staged uci changes discarded). Audited as
        ``ssid-off`` / ``ssid-on`` by the acting user. The wish is kept in the site variable
        ``ssids_disabled``, so APs that are offline get it with their full config on converge.

        ``until`` (:func:`netctl.timers.parse_until`, read at ``now``: ``17:00`` today in the site's
        time zone, an ISO date and time, or ``90m``) stores a timer that the scheduler's ``timers``
        job switches back then (:meth:`revert_due_timers`). Switching the same SSID again (with or
        without ``until``) cancels its active timer; the audit names it. ``reverts`` and ``note`` are
        for that job: the timer this switch reverts (not cancelled) and what the audit says of it.

        Needs ``ssid-toggle`` for that SSID (an engineer can allow exactly one SSID to a school-admin).
        Raises PermissionDenied, NotFound (site out of scope, or no such SSID at the site), ConfigError
        (an ``until`` that cannot be read or has passed).
        """
        from netctl.push.targeted import SSID_OFF, SSID_ON

        self.session.require("ssid-toggle", ssid)
        self.session.require_site(site)
        now = now or dt.datetime.now(dt.UTC)
        zone = self.site_timezone(site)
        ends = timers.parse_until(until, now, zone) if until is not None else None
        stamp = now.isoformat(timespec="seconds")
        replaced = [t for t in self.db.table("ssid_timers").rows_where(
            "site = ? and ssid = ? and state = 'active'", [site, ssid], order_by="id") if t["id"] != reverts]
        notes = [note] if note else []
        notes += [f"cancels timer {t['id']}: {timers.describe(t, zone, now)}" for t in replaced]
        label = (f"until {timers.until_text(ends, zone, now)} {zone}" if ends else "") + (
            f" ({'; '.join(notes)})" if notes else "")
        plans = self._ssid_plans(site, ssid, enabled, label.strip() or None)
        site_vars = self._site_vars(site)
        disabled = set(site_vars.get(SSIDS_DISABLED) or [])
        disabled = disabled - {ssid} if enabled else disabled | {ssid}
        if disabled:
            site_vars[SSIDS_DISABLED] = sorted(disabled)
        else:
            site_vars.pop(SSIDS_DISABLED, None)
        verb = SSID_ON if enabled else SSID_OFF
        with transaction(self.db):
            self.db.table("sites").update(site, {"vars": json.dumps(site_vars)})
            for old in replaced:
                self.db.table("ssid_timers").update(old["id"], {
                    "state": timers.CANCELLED, "ended": stamp, "ended_by": self.session.who(), "claimed_by": None,
                    "claimed_until": None, "reason": f"replaced by {verb} {ssid} by {self.session.who()}"})
            if ends is not None:
                self.db.table("ssid_timers").insert({
                    "site": site, "ssid": ssid, "enabled": int(enabled), "until": ends.isoformat(timespec="seconds"),
                    "who": self.session.who(), "created": stamp, "state": timers.ACTIVE, "tries": 0})
        return self.config._push_plans(
            plans,
            Selection(site=site, role="ap"),
            verb,
            None,
            False,
            concurrency,
            confirm_timeout,
            progress,
            workers=1,
            targeted=True,
        )

    def _ssid_plans(
        self, site: str, ssid: str, enabled: bool, note: str | None = None
    ) -> list[tuple[dict[str, Any], RenderResult]]:
        """Each configurable AP of ``site`` with the partial config that switches ``ssid`` (or why not).

        The plans' template label (audit column ``template``) is ``ssid-off NAME [NOTE]``, the note
        saying until when and which timer it cancels or reverts.
        """
        from netctl.push.targeted import SSID_OFF, SSID_ON, ssid_enabled_config

        names = self._rendered_ssids(site)
        if ssid not in names:
            raise NotFound(
                f"site {site!r} has no SSID named {ssid!r}", hint="its SSIDs are: " + (", ".join(names) or "none")
            )
        config = self.config
        label = f"{SSID_ON if enabled else SSID_OFF} {ssid}" + (f" {note}" if note else "")
        plans = []
        for ap in self.session.select(Selection(site=site, role="ap")):
            if not get_platform(ap["platform"]).transport:
                continue  # polled only: netctl never configures it
            rendered = config._render_one(ap, None, resolve=True)
            fmt = get_platform(ap["platform"]).config_format or ""
            if not rendered.ok:
                plans.append((ap, RenderResult(ap["name"], ap["platform"], label, fmt, False, error=rendered.error)))
                continue
            try:
                text = ssid_enabled_config(ap["platform"], ssid, enabled, rendered.text)
            except NetctlError as exc:
                plans.append((ap, RenderResult(ap["name"], ap["platform"], label, fmt, False, error=exc.message)))
                continue
            plans.append((ap, RenderResult(ap["name"], ap["platform"], label, fmt, True, text=text,
                                           hash=config_hash(text), secrets=rendered.secrets)))
        return plans

    def require_known(self, user: str, scope: dict[str, Any], ssid: str) -> None:
        """ConfigError unless an AP of ``user``'s sites (``scope``) broadcasts ``ssid``."""
        theirs = Scope.from_dict(scope)
        sites = [r["name"] for r in self.db.query("select name, tenant from sites order by name")
                 if theirs.allows(r["tenant"], r["name"]) and self.session.scope.allows(r["tenant"], r["name"])]
        known: list[str] = []
        for site in sites:
            for name in self._rendered_ssids(site, sample=3):
                if name == ssid:
                    return
                if name not in known:
                    known.append(name)
        raise ConfigError(
            f"cannot allow ssid-toggle:{ssid} to {user!r}: no AP of their sites has an SSID named {ssid!r}",
            hint="their SSIDs are: " + (", ".join(known) or "none (no AP of their sites renders one)"),
        )

    def _site_vars(self, site: str) -> dict[str, Any]:
        row = self.db.table("sites").get(site)
        raw = row.get("vars") or "{}"
        return dict(json.loads(raw) if isinstance(raw, str) else raw)

    def _rendered_ssids(self, site: str, sample: int = 20) -> list[str]:
        """The SSIDs the site's APs get from their templates (rendered for up to ``sample`` APs; nothing sent)."""
        render = self.config.using(self.session.granting("render")).render
        aps = tuple(ap["name"] for ap in self.session.select(Selection(site=site, role="ap"))[:sample])
        names: list[str] = []
        if not aps:
            return names
        for result in render(Selection(names=aps)):
            for name in ssid_names(result.text if result.ok else ""):
                if name not in names:
                    names.append(name)
        return names


def timers_job(db_path: str, selection_json: str = "{}", *, user: str | None = None,
               options: str | dict[str, Any] | None = None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The scheduler's ``timers`` job: switch back every due timed SSID switch (one dict per timer) and
    end every due overlay (:mod:`netctl.overlays`, one dict per overlay).

    A default job (every minute), run as the admin running the scheduler; ``now`` is the clock
    (tests pass their own). Options ``confirm_timeout`` (seconds, default 60).
    """
    from netctl.api import Netctl

    opts = json.loads(options) if isinstance(options, str) else dict(options or {})
    nc = Netctl(db_path, user=user)
    try:
        confirm_timeout = int(opts.get("confirm_timeout") or 60)
        return (nc.ssids.revert_due_timers(now=now, confirm_timeout=confirm_timeout)
                + nc.overlays.end_due(now=now, confirm_timeout=confirm_timeout))
    finally:
        nc.close()
