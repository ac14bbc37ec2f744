"""The facade's alert-route service (``nc.routes``): add, list, remove and test routes, send what is due."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from netctl.core import Session
from netctl.errors import ConfigError, NotFound
from netctl.notify.routes import Route, check_route


class RouteService:
    """Alert routes (:mod:`netctl.notify.routes`); changing them needs the ``maintenance`` right."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def db(self) -> Any:
        return self.session.db

    def add(self, name: str, urls: Sequence[str], *, tenant: str | None = None, site: str | None = None,
            min_severity: str = "warning", kinds: Sequence[str] = (), quiet: str | None = None,
            critical_in_quiet: bool = True, group_s: float = 60.0) -> dict[str, Any]:
        """Add (or replace) a route. ``urls`` are secret references to Apprise URLs (``secret:NAME``).

        Raises ConfigError for a URL in clear, a malformed window or severity, a site or tenant that
        does not exist or lies outside the user's scope, or a URL Apprise does not know.
        """
        from netctl.notify.outbox import route_to_row
        from netctl.poll.store import iso

        self.session.require("maintenance")
        route = Route(name, tuple(urls), tenant=tenant, site=site, min_severity=min_severity, kinds=tuple(kinds),
                      quiet=quiet, critical_in_quiet=critical_in_quiet, group_s=float(group_s))
        check_route(route)
        route = replace(route, tenant=self._check_scope(route))  # a site's route resolves its tenant's secrets
        taken = list(self.db.table("alert_routes").rows_where("name = ?", [name]))
        if taken and not self._visible(taken[0]):
            raise ConfigError(f"the route name {name!r} is taken by a route beyond your scope", hint="choose another")
        self._check_urls(route)
        row = {**route_to_row(route), "who": self.session.user_name, "created": iso(time.time())}
        self.db.table("alert_routes").upsert(row, pk="name")
        return self._public(row)

    def list_routes(self) -> list[dict[str, Any]]:
        """The routes (URLs as their secret references, never resolved)."""
        self.session.require("view")
        return [self._public(row) for row in self.db.table("alert_routes").rows_where(order_by="name")
                if self._visible(row)]

    def remove(self, name: str) -> None:
        self.session.require("maintenance")
        self._row(name)
        self.db.table("alert_routes").delete(name)

    def _row(self, name: str) -> dict[str, Any]:
        """The stored route ``name``; NotFound when there is none or it lies beyond the user's scope."""
        rows = list(self.db.table("alert_routes").rows_where("name = ?", [name]))
        if not rows or not self._visible(rows[0]):
            raise NotFound(f"no alert route named {name!r}", hint="list them with: netctl alerts route list")
        return rows[0]

    def test(self, name: str) -> dict[str, Any]:
        """Send a test message through route ``name`` now: ``{route, ok, error}`` (error with secrets masked)."""
        from netctl.notify.outbox import route_from_row, send

        self.session.require("maintenance")
        route = route_from_row(self._row(name))
        ok, error = send(self.db, route, f"[netctl] test of alert route {name}",
                         f"A test message from netctl, sent by {self.session.user_name}.\n"
                         "Alerts will arrive like this, with how to acknowledge them.")
        return {"route": name, "ok": ok, "error": error}

    def flush(self, now: float | None = None) -> list[dict[str, Any]]:
        """Send the batches that are due (every recorded poll does this too)."""
        from netctl.notify.outbox import flush

        self.session.require("maintenance")
        return flush(self.db, now)

    def _check_scope(self, route: Route) -> str | None:
        """The route's tenant (a site's own); raises ConfigError when the route reaches beyond the scope."""
        tenant = route.tenant
        if route.site:
            rows = list(self.db.query("select tenant from sites where name = ?", [route.site]))
            if not rows:
                raise ConfigError(f"no site {route.site!r}", hint="list them with: netctl inventory list")
            if tenant and rows[0]["tenant"] != tenant:
                raise ConfigError(f"site {route.site} is not of tenant {tenant}")
            tenant = rows[0]["tenant"]
        elif tenant and self.db.table("tenants").count_where("name = ?", [tenant]) == 0:
            raise ConfigError(f"no tenant {tenant!r}", hint="list them with: netctl inventory list")
        if not self._reaches(tenant, route.site):
            raise ConfigError(f"route {route.name!r} reaches beyond your scope",
                              hint="give --tenant or --site you may see")
        return tenant

    def _reaches(self, tenant: str | None, site: str | None) -> bool:
        """Whether the acting user may see and change a route of ``tenant``/``site`` (None: all of them):
        a site's route within the scope, a tenant's route with the whole tenant in it, a city-wide one
        with everything in it."""
        scope = self.session.scope
        if site:
            return scope.allows(tenant or "", site)
        return scope.sites is None and (scope.tenants is None or (tenant is not None and tenant in scope.tenants))

    def _visible(self, row: dict[str, Any]) -> bool:
        return self._reaches(row.get("tenant"), row.get("site"))

    def _check_urls(self, route: Route) -> None:
        from netctl.inventory.secrets import resolve_secret
        from netctl.notify.outbox import apprise_knows

        for number, ref in enumerate(route.urls, 1):
            if not apprise_knows(resolve_secret(self.db, ref, tenant=route.tenant)):
                raise ConfigError(f"route {route.name!r}: {ref} holds no URL Apprise knows (URL {number})",
                                  hint="e.g. mailtos://user:password@example.org?to=noc@example.org, "
                                       "matrixs://token@matrix.example.org/#room, tgram://bot-token/chat-id")

    @staticmethod
    def _public(row: dict[str, Any]) -> dict[str, Any]:
        from netctl.notify.outbox import route_from_row

        route = route_from_row(row)
        return {"name": route.name, "urls": list(route.urls), "tenant": route.tenant, "site": route.site,
                "min_severity": route.min_severity, "kinds": list(route.kinds), "quiet": route.quiet,
                "critical_in_quiet": route.critical_in_quiet, "group_s": route.group_s, "enabled": route.enabled,
                "who": row.get("who"), "created": row.get("created")}
