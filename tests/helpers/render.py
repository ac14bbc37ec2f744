"""Render inputs from the example city: merged variables of a site and group, and the secrets to resolve."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def city_vars(site_name: str, group: str, tenant_file: str = "duisburg.yaml") -> dict[str, Any]:
    """Variables merged the way the inventory does it (tenant < site < group) from the example city."""
    doc = copy.deepcopy(_tenant_doc(tenant_file))  # a fresh copy: callers change what they get
    site = next(s for s in doc["sites"] if s["name"] == site_name)
    grp = next(g for g in doc["groups"] if g["name"] == group)
    merged = {**doc["tenants"][0]["vars"], **site.get("vars", {}), **grp.get("vars", {})}
    merged["site"] = {"name": site_name, "kind": site["kind"], "title": site["title"]}
    return merged


@functools.lru_cache(maxsize=8)
def _tenant_doc(tenant_file: str) -> dict[str, Any]:
    """The example city's file, parsed once per run (property tests ask for it hundreds of times)."""
    doc: dict[str, Any] = yaml.safe_load((ROOT / "inventory" / tenant_file).read_text())
    return doc


SECRETS = {
    "secret:duisburg/staff-psk": "staff-pass-1",
    "secret:duisburg/pupil-psk": "pupil-pass-2",
    "secret:duisburg/zoo-staff-psk": "zoo-team-pass-3",
}


def school_ap(**extra: Any) -> dict[str, Any]:
    return {"name": "gs-meiderich-ap01", "platform": "netconf-wlan", "site": "gs-meiderich", **extra}


def with_template(tmp_path: Path, monkeypatch: Any, name: str, text: str) -> None:
    """Render from a copy of the templates with one more template ``name`` (``platform/file.j2``) holding
    ``text``: a broken template for a test, the real templates untouched."""
    import shutil

    from netctl.render.engine import environment, template_root

    templates = tmp_path / "templates"
    shutil.copytree(template_root(), templates)
    (templates / name).write_text(text)
    monkeypatch.setenv("NETCTL_TEMPLATES", str(templates))
    environment.cache_clear()
