"""Users, roles and scopes to test against: a tiny two-tenant inventory written straight into the
tables, a database file with users of every role, and a job that records who it ran as."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml

from netctl.api import Netctl
from netctl.schedule import jobs as registry
from netctl.selection import Selection
from netctl.store import open_db

SITES = [
    ("gs-meiderich", "duisburg", "school"),
    ("gym-hamborn", "duisburg", "school"),
    ("zoo-duisburg", "duisburg", "zoo"),
    ("gs-moers-mitte", "moers", "school"),
]


ROOT = Path(__file__).resolve().parents[2]
#: variables the AP templates need (so the sites' SSIDs render), from the example city
SITE_VARS = {
    "school": {"school_id": "DU001", "pupil_vlan": 20, "staff_vlan": 10, "guest_vlan": 30},
    "zoo": {"visitor_ssid": "Zoo-Duisburg-Gast", "visitor_vlan": 40, "staff_vlan": 41},
}


def _tenant_vars(name: str) -> str:
    city = yaml.safe_load((ROOT / "inventory" / f"{name}.yaml").read_text(encoding="utf-8"))
    return json.dumps(next(t["vars"] for t in city["tenants"] if t["name"] == name))


def seed(db: sqlite_utils.Database) -> None:
    """Write a tiny inventory straight into the tables (two tenants, four sites, two APs each)."""
    db.table("tenants").insert_all(
        [
            {"name": "duisburg", "title": "Stadt Duisburg", "vars": _tenant_vars("duisburg")},
            {"name": "moers", "title": "Stadt Moers", "vars": _tenant_vars("moers")},
        ]
    )
    db.table("sites").insert_all(
        [{"name": n, "tenant": t, "kind": k, "title": n, "vars": json.dumps(SITE_VARS[k])} for n, t, k in SITES]
    )
    # port 9 on loopback (discard) refuses: if anything tried to reach these APs it fails at once
    db.table("aps").insert_all(
        [
            {
                "name": f"{n}-ap0{i}",
                "tenant": t,
                "site": n,
                "platform": "netconf-wlan",
                "address": "127.0.0.1",
                "port": 9,
            }
            for n, t, _ in SITES
            for i in (1, 2)
        ]
    )


def as_user(db: sqlite_utils.Database | str, name: str) -> Netctl:
    """A facade acting as ``name`` on ``db`` (a database or the path of its file)."""
    return Netctl(db, user=name)


#: what the ``seen`` job saw at each run: the acting user and the APs its selection gave it
SEEN: list[tuple[str, list[str]]] = []


def seen_job(db_path: str, selection_json: str = "{}", *, user: str | None = None,
             options: str | None = None) -> list[dict[str, Any]]:
    """A job that acts on nothing but records who it ran as and which APs it was given."""
    nc = Netctl(db_path, user=user)
    try:
        aps = [ap["name"] for ap in nc.session.select(Selection.from_json(selection_json or "{}"))]
        SEEN.append((nc.session.user_name, aps))
    finally:
        nc.close()
    return [{"ap": name, "ok": True} for name in aps]


def make_scope_db(tmp_path: Path) -> str:
    """A database file with two tenants and users: ada (admin), eva (engineer of duisburg),
    max (engineer, unscoped), sam (school-admin of gs-meiderich); the ``seen`` job is registered
    and :data:`SEEN` emptied."""
    path = tmp_path / "scope.db"
    sqlite3.connect(path).close()
    db = open_db(path)
    seed(db)
    boot = Netctl(db)
    boot.access.add_user("ada", "admin", os_login="nobody-maps-here")
    boot.access.add_user("eva", "engineer", tenants=["duisburg"])
    boot.access.add_user("max", "engineer")
    boot.access.add_user("sam", "school-admin", sites=["gs-meiderich"])
    db.conn.close()
    registry.register_job("seen", seen_job)
    SEEN.clear()
    return str(path)
