"""The session every service of the facade shares: the database, the acting user and their scope.

Each operation area (inventory, config, monitor, jobs, access, SSIDs, host keys) is a service in its
own module that is given this :class:`Session` (and the other services it needs) in its constructor;
:class:`netctl.api.Netctl` builds them. Services import heavy drivers (ncclient, netmiko, pysnmp)
inside their methods, so opening the facade stays fast.

A session is never widened in place: :meth:`Session.granting` and :meth:`Session.as_timer` return a
new session over the same database for one narrow operation, so the caller's rights stay as they were.
"""

from __future__ import annotations

import copy
import os
import pwd
from pathlib import Path
from typing import Any

import sqlite_utils

from netctl.errors import NotFound, PermissionDenied
from netctl.selection import Scope, Selection, check_controller, select_aps
from netctl.store import open_db

DEFAULT_DB = "netctl.db"

#: What each role may do. ``school-admin`` gets more only through actions an engineer allowed.
#: An allowed action is either a plain action (``"drift"``) or an action on one named target
#: (``"ssid-toggle:Duisburg-Free-WLAN"``: enable or disable only the SSID named ``Duisburg-Free-WLAN``).
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"view", "poll", "ack", "push", "render", "backup", "restore", "drift", "inventory",
                        "users", "delegate", "secrets", "maintenance", "jobs", "ssid-toggle",
                        "globals", "global-secrets", "all-jobs"}),
    "engineer": frozenset({"view", "poll", "ack", "push", "render", "backup", "restore", "drift", "inventory",
                           "delegate", "maintenance", "jobs", "ssid-toggle"}),
    "school-admin": frozenset({"view", "poll", "ack"}),
}

#: How an action reads in an error message ("user 'sam' (role school-admin) may not push configuration").
ACTION_WORDS: dict[str, str] = {
    "users": "manage users", "delegate": "allow actions to other users", "push": "push configuration",
    "render": "render or diff configuration", "inventory": "change the inventory",
    "secrets": "read or change secrets",
    "ssid-toggle": "enable or disable SSID", "ack": "acknowledge alerts", "poll": "poll access points",
    "maintenance": "manage maintenance windows", "jobs": "see or run jobs", "backup": "back up configuration",
    "restore": "restore configuration", "drift": "check configuration drift", "view": "view",
    "globals": "change global variables", "global-secrets": "use global secrets or env: references",
    "all-jobs": "change or run the jobs of other users or the default jobs",
}

#: Actions an engineer may allow a school-admin (plain, or with ``:TARGET``).
DELEGABLE_ACTIONS: frozenset[str] = frozenset({"ssid-toggle", "backup", "drift", "render"})


def os_login() -> str:
    """The OS login running netctl: the name of the effective uid.

    Never ``$USER`` or ``$LOGNAME`` (as :func:`getpass.getuser` would): anyone can set those.
    """
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


def default_db_path() -> str:
    """``$NETCTL_DB`` or ``./netctl.db``."""
    return os.environ.get("NETCTL_DB") or DEFAULT_DB


#: who the audit names for a timer's revert (with the timer and the user the job runs as)
SYSTEM_WHO = "@system"


class Session:
    """The database and the acting user; resolves selections within the user's scope."""


    def __init__(self, db: str | Path | sqlite_utils.Database | None = None, *,
                 user: str | None = None, create: bool = False) -> None:
        # on_behalf: what the system does in this session ("timer 7", "calendar ferien"); the audit names it
        """Open the database (``create``: make it when missing, as ``netctl init`` does) and resolve
        the acting user. Raises NotFound (no database there, unknown user), PermissionDenied
        (``user`` is not the OS login's user and that login is no admin)."""
        if isinstance(db, sqlite_utils.Database):
            self.db = db
            self.db_path = ":memory:"
        else:
            self.db_path = str(db or default_db_path())
            self.db = open_db(self.db_path, create=create)
        self.on_behalf: str | None = None
        try:
            self.user_name, self.role, self.scope, self.allowed_actions = self._resolve_user(user)
        except BaseException:
            if not isinstance(db, sqlite_utils.Database):
                self.db.conn.close()
            raise

    # -- identity -----------------------------------------------------------------------------
    def _resolve_user(self, user: str | None) -> tuple[str, str, Scope, frozenset[str]]:
        """Map ``user`` (or the OS login) to a role and scope.

        The OS login (:func:`os_login`) is the user whose ``os_login`` names it, else the user of
        that name without an ``os_login``. Root that no user maps acts as the admin ``root`` (it
        owns the database and the key file anyway). With no users yet, the OS login is an admin
        (a fresh install). ``user`` must be the login's own user unless the login maps to an admin;
        an unknown ``user`` is refused.
        """
        login = os_login()
        fresh = "users" not in self.db.table_names() or self.db["users"].count == 0
        if fresh:
            if user and user != login:
                raise NotFound(f"no netctl user named {user!r}",
                               hint=f"no users exist yet: the OS login {login!r} acts as admin until an admin "
                                    f"adds users (netctl users add NAME --role admin --os-login {login}); "
                                    "drop --user")
            return login, "admin", Scope.everything(), ROLE_ACTIONS["admin"]
        me = self._login_user(login)
        if user and (me is None or user != me[0]):
            row = self.user_row_named(user)
            if me is None or me[1] != "admin":
                mapped = f"mapped to netctl user {me[0]!r} (role {me[1]})" if me else "not mapped to a netctl user"
                raise PermissionDenied(
                    f"--user {user} does not match the OS login {login!r} ({mapped})",
                    hint="act as your own user (drop --user), log in as the OS user mapped to "
                         f"{user!r}, or ask an admin: netctl users list")
            return self.user_tuple(row)
        if me is None:
            raise PermissionDenied(
                f"the OS login {login!r} is not mapped to a netctl user",
                hint=f"ask an admin: netctl users add NAME --role … --os-login {login}")
        return me

    def user_row_named(self, name: str) -> dict[str, Any]:
        rows = list(self.db["users"].rows_where("name = ?", [name]))
        if not rows:
            raise NotFound(f"no netctl user named {name!r}", hint="list users with: netctl users list")
        return rows[0]

    def _login_user(self, login: str) -> tuple[str, str, Scope, frozenset[str]] | None:
        """The user the OS login acts as by default, or None."""
        rows = list(self.db["users"].rows_where("os_login = ?", [login]))
        rows = rows or list(self.db["users"].rows_where("name = ? and os_login is null", [login]))
        if rows:
            return self.user_tuple(rows[0])
        if os.geteuid() == 0:
            return login, "admin", Scope.everything(), ROLE_ACTIONS["admin"]
        return None

    @staticmethod
    def user_tuple(row: dict[str, Any]) -> tuple[str, str, Scope, frozenset[str]]:
        import json

        role = row["role"]
        scope = Scope.everything() if role == "admin" else Scope.from_dict(json.loads(row["scope"] or "{}"))
        extra = frozenset(json.loads(row.get("allowed_actions") or "[]"))
        return row["name"], role, scope, ROLE_ACTIONS.get(role, frozenset()) | extra

    def who(self) -> str:
        """The acting user as the audit names it (with the OS login when it differs);
        ``@system (timer N, run as USER)`` in a session acting for the system (:meth:`acting_for`)."""
        login = os_login()
        user = self.user_name if self.user_name == login else f"{self.user_name} (os:{login})"
        return f"{SYSTEM_WHO} ({self.on_behalf}, run as {user})" if self.on_behalf is not None else user

    def can(self, action: str, target: str | None = None) -> bool:
        """Whether the acting user may do ``action`` (on ``target``, e.g. one SSID name).

        A plain grant covers every target; ``action:target`` covers only that target.
        """
        if action in self.allowed_actions:
            return True
        return target is not None and f"{action}:{target}" in self.allowed_actions

    def require(self, action: str, target: str | None = None) -> None:
        """Raise PermissionDenied unless the acting user may do ``action`` (on ``target``)."""
        if not self.can(action, target):
            words = ACTION_WORDS.get(action, action)
            what = f"{words} {target!r}" if target is not None else words
            raise PermissionDenied(
                f"user {self.user_name!r} (role {self.role}) may not {what}",
                hint="ask an admin or engineer to do it, or to allow it for your role",
            )

    def granting(self, *actions: str) -> Session:
        """A session over the same database that may also do ``actions`` (never a wider scope).

        An allowed ``ssid-toggle`` pushes the site's configuration although the user may not push:
        the toggle checks its own permission first, then runs the push path with a service bound to
        this session. This session is untouched, and the scope is the same, so nothing outside it
        becomes reachable.
        """
        return self._derive(allowed_actions=self.allowed_actions | frozenset(actions))

    def as_timer(self, timer: int) -> Session:
        """A session over the same database whose audit rows name the system reverting ``timer``."""
        return self.acting_for(f"timer {timer}")

    def acting_for(self, what: str) -> Session:
        """A session over the same database whose audit rows name the system doing ``what``
        (``@system (calendar ferien, run as ada)``): a job acting on a stored wish, not a person."""
        return self._derive(on_behalf=what)

    def _derive(self, **changes: Any) -> Session:
        derived = copy.copy(self)
        for name, value in changes.items():
            setattr(derived, name, value)
        return derived

    def require_site(self, site: str, tenant: str | None = None) -> None:
        """Raise NotFound unless ``site`` exists and lies within the acting user's scope."""
        rows = list(self.db.query("select name, tenant from sites where name = ?", [site]))
        if not rows or not self.scope.allows(rows[0]["tenant"], rows[0]["name"]) or (
                tenant is not None and rows[0]["tenant"] != tenant):
            raise NotFound(f"no site named {site!r}", hint="list sites with: netctl inventory list --tree")

    def site_timezone(self, site: str) -> str:
        """The time zone of ``site``: its tenant's ``timezone`` variable, else Europe/Berlin."""
        import json

        from netctl.timers import DEFAULT_TIMEZONE

        rows = list(self.db.query("select t.vars from sites s join tenants t on t.name = s.tenant where s.name = ?",
                                  [site]))
        raw = rows[0]["vars"] if rows else None
        tenant_vars = json.loads(raw) if isinstance(raw, str) and raw else dict(raw or {})
        return str(tenant_vars.get("timezone") or DEFAULT_TIMEZONE)

    def visible_sites(self) -> list[dict[str, Any]]:
        """Site rows (name, tenant, kind, title) the acting user may see, ordered by tenant and name."""
        rows = self.db.query("select name, tenant, kind, title from sites order by tenant, name")
        return [row for row in rows if self.scope.allows(row["tenant"], row["name"])]

    # -- selection ----------------------------------------------------------------------------
    def select(self, selection: Selection | None = None) -> list[dict[str, Any]]:
        """AP rows matching ``selection`` that the acting user may see."""
        return select_aps(self.db, selection or Selection(), self.scope)

    def selection_outside(self, selection: Selection, scope: Scope | None = None) -> list[str]:
        """What ``selection`` names that ``scope`` (default: the acting user's) does not hold.

        The tenant, the site and every exact AP name must exist within the scope; name globs and
        the other filters only narrow what the scope holds, so they never reach outside it.
        Used where a selection is stored to run later (jobs), so it cannot name what its owner
        may not touch.
        """
        scope = self.scope if scope is None else scope
        outside: list[str] = []
        if selection.tenant and not any(
                scope.allows(r["tenant"], r["name"])
                for r in self.db.query("select name, tenant from sites where tenant = ?", [selection.tenant])):
            outside.append(f"tenant {selection.tenant!r}")
        if selection.site and not any(
                scope.allows(r["tenant"], r["name"])
                for r in self.db.query("select name, tenant from sites where name = ?", [selection.site])):
            outside.append(f"site {selection.site!r}")
        if selection.controller:
            try:
                check_controller(self.db, selection.controller, scope)
            except NotFound:
                outside.append(f"controller {selection.controller!r}")
        exact = [n for n in selection.names if not any(c in n for c in "*?[")]
        if exact:
            found = {ap["name"] for ap in select_aps(self.db, Selection(names=tuple(exact)), scope)}
            outside += [f"AP {n!r}" for n in exact if n not in found]
        return outside

    def get_ap(self, name: str) -> dict[str, Any]:
        """One AP by exact name, within scope; NotFound otherwise (out-of-scope APs do not exist)."""
        rows = select_aps(self.db, Selection(names=(name,)), self.scope)
        if not rows:
            raise NotFound(f"no access point named {name!r}", hint="list APs with: netctl inventory list")
        return rows[0]

    def close(self) -> None:
        self.db.conn.close()
