"""Building a benchmark city: a fresh database whose APs point at a lab fleet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def write_inventory(path: Path, aps: list[dict[str, Any]], *, tenant: str = "bench", site: str = "bench-city",
                    kind: str = "city") -> Path:
    """Write a YAML inventory with one tenant and site holding ``aps`` (dicts in inventory format)."""
    doc = {
        "tenants": [{"name": tenant, "title": "Benchmark city"}],
        "sites": [{"name": site, "tenant": tenant, "kind": kind, "title": "Benchmark site"}],
        "aps": [dict(ap, site=site) for ap in aps],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def snmp_settings(version: str, profile: str | None = None) -> dict[str, Any]:
    """SNMP settings referencing the lab's secrets (v2c community or v3 labuser SHA/AES)."""
    if version == "3":
        snmp: dict[str, Any] = {"version": "3", "port": 1161, "user": "labuser", "auth_protocol": "SHA",
                                "auth_key": "secret:lab/snmpv3-auth", "priv_protocol": "AES",
                                "priv_key": "secret:lab/snmpv3-priv"}
    else:
        snmp = {"version": "2c", "port": 1161, "community": "secret:lab/snmp-community"}
    if profile:
        snmp["profile"] = profile
    return snmp


def open_city(db_path: Path, lab: Any, inventory: Path) -> Any:
    """A facade on a fresh database with the lab's secrets and ``inventory`` imported."""
    from netctl.api import Netctl

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    api = Netctl(db_path, create=True)
    api.inventory.import_secrets(lab.secrets)
    api.inventory.import_inventory([str(inventory)])
    return api
