"""The schema of netctl, in one place, as ordered migrations.

Each migration runs once, inside a transaction, and is recorded in ``_migrations``. Append new
migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlite_utils

from netctl.store.db import transaction

Migration = Callable[[sqlite_utils.Database], None]


def m001_inventory(db: sqlite_utils.Database) -> None:
    """Tenants, sites, groups, access points, encrypted secrets."""
    db["tenants"].create({"name": str, "title": str, "vars": str}, pk="name", not_null={"name"})
    db["sites"].create(
        {"name": str, "tenant": str, "kind": str, "title": str, "address": str, "lat": float, "lon": float,
         "vars": str},
        pk="name", foreign_keys=[("tenant", "tenants", "name")], not_null={"name", "tenant", "kind"},
    )
    db["groups"].create({"tenant": str, "name": str, "vars": str}, pk=("tenant", "name"),
                        foreign_keys=[("tenant", "tenants", "name")])
    db["aps"].create(
        {"name": str, "tenant": str, "site": str, "role": str, "platform": str, "address": str, "port": int,
         "model": str, "serial": str, "vehicle_id": str, "snmp": str, "credentials": str,
         "groups": str, "tags": str, "vars": str, "created": str, "updated": str},
        pk="name", not_null={"name", "tenant", "site", "platform", "address"},
        foreign_keys=[("tenant", "tenants", "name"), ("site", "sites", "name")],
        defaults={"role": "ap", "groups": "[]", "tags": "[]", "vars": "{}", "snmp": "{}"},
    )
    db["aps"].create_index(["site"])
    db["aps"].create_index(["tenant"])
    db["secrets"].create({"name": str, "ciphertext": str, "updated": str}, pk="name")


def m002_config(db: sqlite_utils.Database) -> None:
    """Config versions (backups), config status per AP, audit trail."""


def m003_poll(db: sqlite_utils.Database) -> None:
    """Poll samples, roll-ups, health, alerts, maintenance windows, jobs and job runs."""


def m004_access(db: sqlite_utils.Database) -> None:
    """Users with a role and a scope."""
    db["users"].create({"name": str, "role": str, "scope": str, "os_login": str, "allowed_actions": str,
                        "created": str}, pk="name", defaults={"scope": "{}", "allowed_actions": "[]"})


MIGRATIONS: list[tuple[str, Migration]] = [
    ("001_inventory", m001_inventory),
    ("002_config", m002_config),
    ("003_poll", m003_poll),
    ("004_access", m004_access),
]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    if "_migrations" not in db.table_names():
        db["_migrations"].create({"name": str, "applied": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        with transaction(db):
            step(db)
            db["_migrations"].insert({"name": name, "applied": dt.datetime.now(dt.UTC).isoformat()})
        applied.append(name)
    return applied
