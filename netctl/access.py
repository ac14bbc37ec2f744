"""Users, roles and scopes: who may see which sites and do what (``netctl users …``).

Roles are a table (:data:`netctl.core.ROLE_ACTIONS`): ``admin`` may do everything everywhere,
``engineer`` templates and pushes within a scope (tenants and/or sites), ``school-admin`` only views,
polls and acknowledges on their own sites, plus the actions an engineer allowed them (for example
``ssid-toggle:Duisburg-Free-WLAN``: enable or disable the SSID named ``Duisburg-Free-WLAN`` and no
other; an SSID the user's sites do not have is refused).

The scope is enforced in the core (:meth:`netctl.core.CoreBase.select`, ``get_ap``), so every front
end — CLI, TUI, scheduler — gets the same answer: an AP outside the scope does not exist.

A switch may be timed (``--until``): :mod:`netctl.timers` reads the time and picks the due timers,
this module stores them and switches them back (:meth:`AccessOps.revert_due_timers`, the scheduler's
``timers`` job :func:`timers_job`).

Raises: PermissionDenied (the acting user may not manage users), NotFound (unknown user, tenant or
site), ConfigError (bad role, bad action, a change that would lock every admin out, a bad ``--until``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from netctl import timers
from netctl.core import DELEGABLE_ACTIONS, ROLE_ACTIONS, CoreBase
from netctl.errors import ConfigError, NetctlError, NotFound, PermissionDenied
from netctl.platforms import get_platform
from netctl.push.ops import ConfigOps
from netctl.render.engine import RenderResult, config_hash
from netctl.selection import Scope, Selection
from netctl.store.db import transaction

ROLES = tuple(ROLE_ACTIONS)

#: the site variable that lists the SSIDs switched off at a site (read by the AP templates)
SSIDS_DISABLED = "ssids_disabled"
#: who the audit names for a timer's revert (with the timer and the user the job runs as)
SYSTEM_WHO = "@system"
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


def _user_view(row: dict[str, Any]) -> dict[str, Any]:
    """A users row as plain data (scope and allowed actions decoded)."""
    scope = Scope.everything() if row["role"] == "admin" else Scope.from_dict(json.loads(row["scope"] or "{}"))
    return {
        "name": row["name"],
        "role": row["role"],
        "scope": scope.to_dict(),
        "os_login": row.get("os_login"),
        "allowed_actions": sorted(json.loads(row.get("allowed_actions") or "[]")),
        "created": row.get("created"),
    }


def check_action(action: str) -> str:
    """Validate an action an engineer may allow (``ssid-toggle`` or ``ssid-toggle:SSID``)."""
    base, _, target = action.partition(":")
    if base not in DELEGABLE_ACTIONS or (":" in action and not target.strip()):
        raise ConfigError(
            f"cannot allow action {action!r}",
            hint="allowed are: " + ", ".join(sorted(DELEGABLE_ACTIONS)) + " (optionally ACTION:TARGET, "
            "e.g. ssid-toggle:Duisburg-Free-WLAN)",
        )
    return action


def ssid_diff_text(preview: list[dict[str, Any]]) -> str:
    """A targeted SSID change's preview (:meth:`AccessOps.ssid_change_plan`) as one text, per AP."""
    parts = []
    for row in preview:
        if not row["ok"]:
            parts.append(f"### {row['ap']}: {row['status']}: {row['reason']}")
        elif row["changed"]:
            parts.append(f"### {row['ap']}\n{row['diff']}")
        else:
            parts.append(f"### {row['ap']}: in sync (nothing to send)")
    return "\n".join(parts) or "(the site has no AP that netctl configures)"


class AccessOps(CoreBase):
    """Users and roles part of :class:`netctl.api.Netctl`."""

    # -- who am I -------------------------------------------------------------------------------
    def whoami(self) -> dict[str, Any]:
        """The acting user: name, role, scope and every action they may do."""
        return {
            "name": self.user_name,
            "role": self.role,
            "scope": self.scope.to_dict(),
            "actions": sorted(self.allowed_actions),
        }

    # -- reading --------------------------------------------------------------------------------
    def list_users(self) -> list[dict[str, Any]]:
        """All users (admin), or the school-admins within an engineer's scope (to delegate to)."""
        if not self.can("users"):
            self.require("delegate")
        rows = [_user_view(r) for r in self.db["users"].rows_where(order_by="name")]
        if self.can("users"):
            return rows
        return [u for u in rows if u["role"] == "school-admin" and self._within_my_scope(u["scope"])]

    def get_user(self, name: str) -> dict[str, Any]:
        """One user by name; NotFound when missing (or not visible to an engineer)."""
        for user in self.list_users():
            if user["name"] == name:
                return user
        raise NotFound(f"no netctl user named {name!r}", hint="list users with: netctl users list")

    # -- writing (admin) ------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        role: str,
        *,
        tenants: list[str] | None = None,
        sites: list[str] | None = None,
        os_login: str | None = None,
    ) -> dict[str, Any]:
        """Create a user with a role and a scope (tenants and/or sites; none means all of them).

        The first user must be an admin (before any user exists, the OS login acts as admin; a first
        non-admin would lock everyone out). A school-admin needs at least one site.
        """
        self.require("users")
        name = name.strip()
        if not name or any(c.isspace() for c in name) or name.startswith("@"):
            raise ConfigError(f"bad user name {name!r}", hint="use a name without spaces, not starting with '@' "
                                                            "(@system owns the default jobs), e.g. anna.schmidt")
        if role not in ROLE_ACTIONS:
            raise ConfigError(f"unknown role {role!r}", hint="roles are: " + ", ".join(ROLES))
        if self.db["users"].count == 0 and role != "admin":
            raise ConfigError(
                "the first user must be an admin",
                hint=f"add yourself first: netctl users add NAME --role admin --os-login {self.user_name}",
            )
        if list(self.db["users"].rows_where("name = ?", [name])):
            raise ConfigError(f"user {name!r} exists already", hint="change it with: netctl users set-scope")
        if os_login and list(self.db["users"].rows_where("os_login = ?", [os_login])):
            raise ConfigError(
                f"the OS login {os_login!r} is mapped to another user already",
                hint="remove that mapping first, or choose another login",
            )
        scope = self._checked_scope(role, tenants, sites)
        row = {
            "name": name,
            "role": role,
            "scope": json.dumps(scope.to_dict()),
            "os_login": os_login or None,
            "allowed_actions": "[]",
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        with transaction(self.db):
            self.db.table("users").insert(row)
        return _user_view(row)

    def remove_user(self, name: str) -> None:
        """Delete a user; the last admin cannot be removed."""
        self.require("users")
        row = self._user_row(name)
        if row["role"] == "admin" and self.db["users"].count_where("role = 'admin'") == 1:
            raise ConfigError(f"{name!r} is the last admin", hint="add another admin first")
        with transaction(self.db):
            self.db.table("users").delete(name)

    def set_user_scope(
        self,
        name: str,
        *,
        tenants: list[str] | None = None,
        sites: list[str] | None = None,
        role: str | None = None,
    ) -> dict[str, Any]:
        """Replace a user's scope (and optionally role)."""
        self.require("users")
        row = self._user_row(name)
        new_role = role or row["role"]
        if new_role not in ROLE_ACTIONS:
            raise ConfigError(f"unknown role {new_role!r}", hint="roles are: " + ", ".join(ROLES))
        if row["role"] == "admin" and new_role != "admin" and self.db["users"].count_where("role = 'admin'") == 1:
            raise ConfigError(f"{name!r} is the last admin", hint="add another admin first")
        scope = self._checked_scope(new_role, tenants, sites)
        with transaction(self.db):
            self.db.table("users").update(name, {"role": new_role, "scope": json.dumps(scope.to_dict())})
        return _user_view(self._user_row(name))

    # -- delegation (admin, or an engineer for school-admins within their scope) ------------------
    def allow_action(self, name: str, action: str) -> dict[str, Any]:
        """Allow user ``name`` an extra action, e.g. ``ssid-toggle:Duisburg-Free-WLAN``.

        An ``ssid-toggle:SSID`` must name an SSID the APs of the user's sites have (ConfigError
        naming the SSIDs they do have otherwise).
        """
        row = self._delegation_target(name, check_action(action))
        base, _, ssid = action.partition(":")
        if base == "ssid-toggle" and ssid:
            self._require_known_ssid(name, _user_view(row)["scope"], ssid)
        actions = set(json.loads(row.get("allowed_actions") or "[]")) | {action}
        with transaction(self.db):
            self.db.table("users").update(name, {"allowed_actions": json.dumps(sorted(actions))})
        return _user_view(self._user_row(name))

    def revoke_action(self, name: str, action: str) -> dict[str, Any]:
        """Take an extra action back (no error if it was not allowed)."""
        row = self._delegation_target(name, action)
        actions = set(json.loads(row.get("allowed_actions") or "[]")) - {action}
        with transaction(self.db):
            self.db.table("users").update(name, {"allowed_actions": json.dumps(sorted(actions))})
        return _user_view(self._user_row(name))

    # -- the delegated SSID switch ------------------------------------------------------------------
    def site_ssids(self, site: str) -> list[dict[str, Any]]:
        """The SSIDs a site's APs broadcast: ``[{name, enabled, may_toggle, timer, until, until_local}]``
        (NotFound out of scope); ``timer`` says an active timed switch (``off until 17:00 by ada``), else None."""
        self.require("view")
        self.require_site(site)
        disabled = set(self._site_vars(site).get(SSIDS_DISABLED) or [])
        active = {t["ssid"]: t for t in self.ssid_timers(site=site)}
        return [
            {"name": name, "enabled": name not in disabled, "may_toggle": self.can("ssid-toggle", name),
             "timer": active[name]["text"] if name in active else None,
             "until": active[name]["until"] if name in active else None,
             "until_local": active[name]["until_local"] if name in active else None}
            for name in self._rendered_ssids(site)
        ]

    # -- timed switches (netctl.timers) -------------------------------------------------------------
    def site_timezone(self, site: str) -> str:
        """The time zone of ``site``: its tenant's ``timezone`` variable, else Europe/Berlin."""
        rows = list(self.db.query("select t.vars from sites s join tenants t on t.name = s.tenant where s.name = ?",
                                  [site]))
        raw = rows[0]["vars"] if rows else None
        tenant_vars = json.loads(raw) if isinstance(raw, str) and raw else dict(raw or {})
        return str(tenant_vars.get("timezone") or timers.DEFAULT_TIMEZONE)

    def ssid_until(self, site: str, value: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
        """Read an ``--until`` for ``site`` (:func:`netctl.timers.parse_until`) without switching anything:
        ``{until: UTC ISO, text: "17:00", timezone}``. Raises NotFound (site), ConfigError (the value)."""
        self.require("view")
        self.require_site(site)
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
        self.require("view")
        now = now or dt.datetime.now(dt.UTC)
        visible = {r["name"] for r in self.visible_sites()}
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
        visible = {r["name"] for r in self.visible_sites()}
        rows = [r for r in self.db.table("ssid_timers").rows_where("state = 'active'")
                if r["site"] in visible and self.can("ssid-toggle", r["ssid"])]
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
            with self._as_timer(row["id"]):
                done.append(self._revert_one(row, run, now, concurrency, confirm_timeout))
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
                                                                "ended": stamp, "ended_by": self._who(),
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
                            [timers.REVERTED, reason, stamp, self._who(), row["id"]])
        return {**out, "ok": True, "state": timers.REVERTED, "reason": reason}

    @contextmanager
    def _as_timer(self, timer: int) -> Iterator[None]:
        """Audit what happens inside as the system reverting ``timer`` (see :meth:`_who`)."""
        before = self._timer_acting
        self._timer_acting = timer
        try:
            yield
        finally:
            self._timer_acting = before

    _timer_acting: int | None = None

    def _who(self) -> str:
        """The acting user as the audit names it; ``@system (timer N, run as USER)`` while reverting a timer."""
        user = super()._who()
        return f"{SYSTEM_WHO} (timer {self._timer_acting}, run as {user})" if self._timer_acting else user

    def ssid_change_plan(
        self, site: str, ssid: str, enabled: bool, *, concurrency: int = 20
    ) -> list[dict[str, Any]]:
        """What switching SSID ``ssid`` on or off at ``site`` would change on each AP; nothing is sent.

        One row per AP: ``{ap, platform, ok, status, changed, diff, reason}``; ``status`` is
        ``changed``, ``in-sync``, ``failed`` (e.g. the AP does not have the SSID) or ``unreachable``.
        The diff names only that SSID's enabled state (see :mod:`netctl.push.targeted`).
        Raises PermissionDenied, NotFound (site out of scope, or no such SSID at the site).
        """
        from netctl.push.targeted import missing, partial_compare
        from netctl.push.worker import run_fetches

        self.require("ssid-toggle", ssid)
        self.require_site(site)
        config = self._config_ops()
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
        progress: Callable[[str, str, Any], None] | None = None,
        now: dt.datetime | None = None,
        reverts: int | None = None,
        note: str | None = None,
    ) -> list[Any]:
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

        self.require("ssid-toggle", ssid)
        self.require_site(site)
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
                    "state": timers.CANCELLED, "ended": stamp, "ended_by": self._who(), "claimed_by": None,
                    "claimed_until": None, "reason": f"replaced by {verb} {ssid} by {self._who()}"})
            if ends is not None:
                self.db.table("ssid_timers").insert({
                    "site": site, "ssid": ssid, "enabled": int(enabled), "until": ends.isoformat(timespec="seconds"),
                    "who": self._who(), "created": stamp, "state": timers.ACTIVE, "tries": 0})
        return list(
            self._config_ops()._push_plans(
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
        config = self._config_ops()
        label = f"{SSID_ON if enabled else SSID_OFF} {ssid}" + (f" {note}" if note else "")
        plans = []
        for ap in self.select(Selection(site=site, role="ap")):
            if not get_platform(ap["platform"]).get("transport"):
                continue  # polled only: netctl never configures it
            rendered = config._render_one(ap, None, resolve=True)
            fmt = str(get_platform(ap["platform"]).get("config_format", ""))
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

    def _require_known_ssid(self, user: str, scope: dict[str, Any], ssid: str) -> None:
        """ConfigError unless an AP of ``user``'s sites (``scope``) broadcasts ``ssid``."""
        theirs = Scope.from_dict(scope)
        sites = [r["name"] for r in self.db.query("select name, tenant from sites order by name")
                 if theirs.allows(r["tenant"], r["name"]) and self.scope.allows(r["tenant"], r["name"])]
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

    def _config_ops(self) -> ConfigOps:
        """The configuration part of the facade this access part is composed with (netctl.api.Netctl)."""
        if not isinstance(self, ConfigOps):
            raise TypeError("AccessOps needs ConfigOps beside it (netctl.api.Netctl)")
        return self

    def _site_vars(self, site: str) -> dict[str, Any]:
        row = self.db.table("sites").get(site)
        raw = row.get("vars") or "{}"
        return dict(json.loads(raw) if isinstance(raw, str) else raw)

    def _rendered_ssids(self, site: str, sample: int = 20) -> list[str]:
        """The SSIDs the site's APs get from their templates (rendered for up to ``sample`` APs; nothing sent)."""
        render: Callable[..., Any] = getattr(self, "render")  # noqa: B009 - ConfigOps, beside us in Netctl
        aps = tuple(ap["name"] for ap in self.select(Selection(site=site, role="ap"))[:sample])
        names: list[str] = []
        if not aps:
            return names
        with self._granted("render"):
            for result in render(Selection(names=aps)):
                for name in ssid_names(result.text if result.ok else ""):
                    if name not in names:
                        names.append(name)
        return names

    # -- helpers --------------------------------------------------------------------------------
    def _user_row(self, name: str) -> dict[str, Any]:
        rows = list(self.db["users"].rows_where("name = ?", [name]))
        if not rows:
            raise NotFound(f"no netctl user named {name!r}", hint="list users with: netctl users list")
        return rows[0]

    def _delegation_target(self, name: str, action: str) -> dict[str, Any]:
        if self.can("users"):
            return self._user_row(name)
        self.require("delegate")
        row = self._user_row(name)
        view = _user_view(row)
        if view["role"] != "school-admin" or not self._within_my_scope(view["scope"]):
            raise NotFound(
                f"no school-admin named {name!r} within your scope",
                hint="an engineer can allow actions only to school-admins of their own sites",
            )
        base = action.partition(":")[0]
        if not self.can(base):
            raise PermissionDenied(f"user {self.user_name!r} may not {base} and so cannot allow it")
        return row

    def _within_my_scope(self, scope: dict[str, Any]) -> bool:
        """Whether every site of ``scope`` lies within the acting user's scope."""
        other = Scope.from_dict(scope)
        rows = self.db.query("select name, tenant from sites")
        theirs = [r for r in rows if other.allows(r["tenant"], r["name"])]
        return bool(theirs) and all(self.scope.allows(r["tenant"], r["name"]) for r in theirs)

    def _checked_scope(self, role: str, tenants: list[str] | None, sites: list[str] | None) -> Scope:
        if role == "admin":
            return Scope.everything()
        tenants = sorted(set(tenants)) if tenants else None
        sites = sorted(set(sites)) if sites else None
        known_tenants = {r["name"] for r in self.db["tenants"].rows}
        known_sites = {r["name"]: r["tenant"] for r in self.db["sites"].rows}
        for tenant in tenants or []:
            if tenant not in known_tenants:
                raise NotFound(
                    f"no tenant named {tenant!r}",
                    hint="import the inventory first, or check the name: netctl inventory list --tree",
                )
        for site in sites or []:
            if site not in known_sites:
                raise NotFound(
                    f"no site named {site!r}",
                    hint="import the inventory first, or check the name: netctl inventory list --tree",
                )
            if tenants and known_sites[site] not in tenants:
                raise ConfigError(
                    f"site {site!r} does not belong to tenant(s) {', '.join(tenants)}",
                    hint="give only --site, or the site's own tenant",
                )
        if role == "school-admin" and not sites:
            raise ConfigError("a school-admin needs at least one site", hint="add --site NAME (repeatable)")
        return Scope(frozenset(tenants) if tenants else None, frozenset(sites) if sites else None)


def timers_job(db_path: str, selection_json: str = "{}", *, user: str | None = None,
               options: str | dict[str, Any] | None = None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The scheduler's ``timers`` job: switch back every due timed SSID switch (one dict per timer).

    A default job (every minute), run as the admin running the scheduler; ``now`` is the clock
    (tests pass their own). Options ``confirm_timeout`` (seconds, default 60).
    """
    from netctl.api import Netctl

    opts = json.loads(options) if isinstance(options, str) else dict(options or {})
    nc = Netctl(db_path, user=user)
    try:
        return nc.revert_due_timers(now=now, confirm_timeout=int(opts.get("confirm_timeout") or 60))
    finally:
        nc.close()
