"""Variable precedence global < tenant < site < group < AP, the sources shown, and the built-in facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netctl.errors import InventoryError
from netctl.inventory.vars import layer_chain, merge_vars

CITY = """\
globals:
  x: global
  only_global: 1
tenants:
- name: t
  title: Town
  vars: {x: tenant, only_tenant: [1, 2]}
sites:
- name: s
  tenant: t
  kind: zoo
  title: Town Zoo
  vars: {x: site, ntp: {primary: 127.0.0.123}}
groups:
- {name: g1, tenant: t, vars: {x: g1, y: g1}}
- {name: g2, tenant: t, vars: {x: g2, y: g2, z: g2}}
aps:
- name: ap1
  site: s
  platform: openconfig-wlan
  address: 127.0.0.1
  model: OC-AP 300
  serial: S1
  groups: [g2, g1]
  snmp: {version: '3', user: u, auth_protocol: SHA, auth_key: secret:v3auth}
  credentials: secret:creds
  vars: {x: ap}
- name: ap2
  site: s
  platform: openconfig-wlan
  address: 127.0.0.2
  groups: [g1, g2]
"""


def test_merge_vars_later_layers_win_and_sources_name_them() -> None:
    layers: list[tuple[str, dict[str, Any]]] = [
        ("global", {"a": 1, "b": 1}), ("tenant:t", {"b": 2, "c": [1]}), ("site:s", {"c": [2]}),
        ("group:g", {}), ("ap:x", {"d": {"k": 1}})]
    merged, sources = merge_vars(layers)
    assert merged == {"a": 1, "b": 2, "c": [2], "d": {"k": 1}}
    assert sources == {"a": "global", "b": "tenant:t", "c": "site:s", "d": "ap:x"}
    assert layer_chain(layers, "c") == ["tenant:t", "site:s"]
    assert layers[1][1] == {"b": 2, "c": [1]}  # inputs untouched


@pytest.fixture
def town(api: Any, tmp_path: Path) -> Any:
    path = tmp_path / "town.yaml"
    path.write_text(CITY)
    api.inventory.import_inventory([str(path)])
    return api


def test_ap_vars_precedence_groups_in_listed_order(town: Any) -> None:
    rows = {r["key"]: r for r in town.inventory.ap_vars("ap1")}
    assert (rows["x"]["value"], rows["x"]["source"]) == ("ap", "ap:ap1")
    assert rows["x"]["overrides"] == ["global", "tenant:t", "site:s", "group:g2", "group:g1"]
    assert (rows["y"]["value"], rows["y"]["source"]) == ("g1", "group:g1")  # g1 listed after g2 on ap1
    assert (rows["z"]["value"], rows["z"]["source"]) == ("g2", "group:g2")
    assert (rows["only_global"]["source"], rows["only_tenant"]["source"]) == ("global", "tenant:t")
    assert rows["ntp"]["value"] == {"primary": "127.0.0.123"}
    other = {r["key"]: r for r in town.inventory.ap_vars("ap2")}
    assert (other["x"]["value"], other["y"]["source"]) == ("g2", "group:g2")  # ap2 lists g2 last


def test_merged_vars_carries_facts_and_no_secret_values(town: Any) -> None:
    context = town.inventory.merged_vars(town.session.get_ap("ap1"))
    assert context["x"] == "ap"
    assert context["ap"]["name"] == "ap1" and context["ap"]["model"] == "OC-AP 300"
    assert context["ap"]["port"] == 830
    assert context["ap"]["snmp"] == {"version": "3", "port": 161, "user": "u"}
    assert context["site"] == {"name": "s", "title": "Town Zoo", "kind": "zoo", "address": None, "lat": None,
                               "lon": None}
    assert context["tenant"] == {"name": "t", "title": "Town"}
    assert "secret:creds" not in repr(context) and "v3auth" not in repr(context)


def test_changing_a_lower_layer_shows_through(town: Any, tmp_path: Path) -> None:
    path = tmp_path / "town.yaml"
    path.write_text(CITY.replace("x: site,", "x: site, w: new,"))
    report = town.inventory.import_inventory([str(path)])
    assert report["sites"]["fields"] == {"s": ["vars"]} and report["aps"]["changed"] == []
    rows = {r["key"]: r for r in town.inventory.ap_vars("ap2")}
    assert (rows["w"]["value"], rows["w"]["source"]) == ("new", "site:s")


def test_reserved_fact_names_cannot_be_variables(api: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(CITY.replace("vars: {x: tenant,", "vars: {site: nope, x: tenant,"))
    with pytest.raises(InventoryError) as err:
        api.inventory.import_inventory([str(path)])
    assert [(p.line, p.message) for p in err.value.problems] == [
        (7, "variable name 'site' is reserved for built-in facts; choose another name")]
