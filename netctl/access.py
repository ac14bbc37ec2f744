"""Users, roles and scopes: who may see which sites and do what (``netctl users …``).

Roles are a table (:data:`netctl.core.ROLE_ACTIONS`): ``admin`` may do everything everywhere,
``engineer`` templates and pushes within a scope (tenants and/or sites), ``school-admin`` only views,
polls and acknowledges on their own sites, plus the actions an engineer allowed them (for example
``ssid-toggle:Duisburg-Free-WLAN``: enable or disable the SSID named ``Duisburg-Free-WLAN`` and no
other; an SSID the user's sites do not have is refused, :meth:`netctl.ssids.SsidService.require_known`).

The scope is enforced in the core (:meth:`netctl.core.Session.select`, ``get_ap``), so every front
end — CLI, TUI, scheduler — gets the same answer: an AP outside the scope does not exist.

Raises: PermissionDenied (the acting user may not manage users), NotFound (unknown user, tenant or
site), ConfigError (bad role, bad action, a change that would lock every admin out).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from netctl.core import DELEGABLE_ACTIONS, ROLE_ACTIONS, Session
from netctl.errors import ConfigError, NotFound, PermissionDenied
from netctl.selection import Scope
from netctl.ssids import SsidService
from netctl.store.db import transaction

ROLES = tuple(ROLE_ACTIONS)


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


class AccessService:
    """Users and roles (``netctl users …``, ``netctl whoami``): ``Netctl.access``.

    Given the session and the SSID service (allowing ``ssid-toggle:SSID`` checks that the user's
    sites broadcast that SSID).
    """

    def __init__(self, session: Session, *, ssids: SsidService) -> None:
        self.session = session
        self.db = session.db
        self.ssids = ssids

    # -- who am I -------------------------------------------------------------------------------
    def whoami(self) -> dict[str, Any]:
        """The acting user: name, role, scope and every action they may do."""
        return {
            "name": self.session.user_name,
            "role": self.session.role,
            "scope": self.session.scope.to_dict(),
            "actions": sorted(self.session.allowed_actions),
        }

    # -- reading --------------------------------------------------------------------------------
    def list_users(self) -> list[dict[str, Any]]:
        """All users (admin), or the school-admins within an engineer's scope (to delegate to)."""
        if not self.session.can("users"):
            self.session.require("delegate")
        rows = [_user_view(r) for r in self.db["users"].rows_where(order_by="name")]
        if self.session.can("users"):
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
        self.session.require("users")
        name = name.strip()
        if not name or any(c.isspace() for c in name) or name.startswith("@"):
            raise ConfigError(f"bad user name {name!r}", hint="use a name without spaces, not starting with '@' "
                                                            "(@system owns the default jobs), e.g. anna.schmidt")
        if role not in ROLE_ACTIONS:
            raise ConfigError(f"unknown role {role!r}", hint="roles are: " + ", ".join(ROLES))
        if self.db["users"].count == 0 and role != "admin":
            raise ConfigError(
                "the first user must be an admin",
                hint=f"add yourself first: netctl users add NAME --role admin --os-login {self.session.user_name}",
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
        self.session.require("users")
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
        self.session.require("users")
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
            self.ssids.require_known(name, _user_view(row)["scope"], ssid)
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

    # -- language ---------------------------------------------------------------------------------------
    def set_language(self, name: str, lang: str | None) -> str | None:
        """Set the language ``name`` reads the TUI in (``en``, ``de``; None: no preference). Your own, or anyone's
        with the ``users`` right; returns the stored code. Raises ConfigError naming the languages there are."""
        from netctl import i18n

        if name != self.session.user_name:
            self.session.require("users")
        self._user_row(name)
        code = None if lang is None else i18n.normalise(lang)
        if lang is not None and (code is None or not lang.strip()):
            raise ConfigError(f"netctl speaks {', '.join(i18n.LANGUAGES)}, not {lang!r}",
                              hint="use: netctl users set-lang NAME en|de (or --clear)")
        with transaction(self.db):
            self.db.table("users").update(name, {"lang": code})
        return code

    def language(self) -> str | None:
        """The acting user's own language (None: no preference, or no user row: a fresh install, root)."""
        rows = list(self.db["users"].rows_where("name = ?", [self.session.user_name], select="lang"))
        return str(rows[0]["lang"]) if rows and rows[0]["lang"] else None

    # -- web passwords (netctl serve) ----------------------------------------------------------------
    def set_web_password(self, name: str, password: str | None) -> None:
        """Set (``None``: remove) the password ``name`` logs in with at ``netctl serve``; stored only as a
        salted scrypt hash. Your own, or anyone's with the ``users`` right. Ends that user's browser
        sessions (the server sees the stored hash change). Raises ConfigError for a weak password."""
        from netctl.web.auth import check_new_password, hash_password

        if name != self.session.user_name:
            self.session.require("users")
        self._user_row(name)
        if password is not None:
            check_new_password(name, password)
        stored = hash_password(password) if password is not None else None
        with transaction(self.db):
            self.db.table("users").update(name, {"web_password": stored})

    def web_login(self, name: str, password: str) -> dict[str, Any] | None:
        """The user ``name`` (with ``stamp``, the fingerprint of the stored hash) if ``password`` is their web
        password, else None; an unknown user costs the same time as a wrong password. Only for an acting
        user with the ``users`` right (the server of ``netctl serve``)."""
        from netctl.web.auth import stamp_of, verify_password

        self.session.require("users")
        rows = list(self.db["users"].rows_where("name = ?", [name]))
        stored = rows[0].get("web_password") if rows else None
        if not verify_password(password, stored):
            return None
        return {**_user_view(rows[0]), "stamp": stamp_of(stored)}

    def web_stamps(self) -> dict[str, str]:
        """Every user with a web password and the fingerprint of its hash (sessions of the others end)."""
        from netctl.web.auth import stamp_of

        self.session.require("users")
        return {r["name"]: stamp_of(r["web_password"])
                for r in self.db["users"].rows_where("web_password is not null")}

    # -- the delegated SSID switch ------------------------------------------------------------------
    # -- helpers --------------------------------------------------------------------------------
    def _user_row(self, name: str) -> dict[str, Any]:
        rows = list(self.db["users"].rows_where("name = ?", [name]))
        if not rows:
            raise NotFound(f"no netctl user named {name!r}", hint="list users with: netctl users list")
        return rows[0]

    def _delegation_target(self, name: str, action: str) -> dict[str, Any]:
        if self.session.can("users"):
            return self._user_row(name)
        self.session.require("delegate")
        row = self._user_row(name)
        view = _user_view(row)
        if view["role"] != "school-admin" or not self._within_my_scope(view["scope"]):
            raise NotFound(
                f"no school-admin named {name!r} within your scope",
                hint="an engineer can allow actions only to school-admins of their own sites",
            )
        base = action.partition(":")[0]
        if not self.session.can(base):
            raise PermissionDenied(f"user {self.session.user_name!r} may not {base} and so cannot allow it")
        return row

    def _within_my_scope(self, scope: dict[str, Any]) -> bool:
        """Whether every site of ``scope`` lies within the acting user's scope."""
        other = Scope.from_dict(scope)
        rows = self.db.query("select name, tenant from sites")
        theirs = [r for r in rows if other.allows(r["tenant"], r["name"])]
        return bool(theirs) and all(self.session.scope.allows(r["tenant"], r["name"]) for r in theirs)

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
