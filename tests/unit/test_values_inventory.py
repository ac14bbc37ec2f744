"""The value rules at import time: a bad value is reported with its file, line, variable and rule.

The renderer checks every AP's merged variables again before each render (netctl.values); this
earlier check only makes the mistake show where it is typed, before anything is stored.
"""

from __future__ import annotations

from netctl.inventory.validate import Entry, validate_ap, validate_globals, validate_site, validate_tenant


def site(vars_: dict[str, object]) -> Entry:
    return Entry("site", {"name": "gs-x", "tenant": "duisburg", "kind": "school", "vars": vars_}, "city.yaml", 12)


def test_a_vlan_with_words_after_it_is_refused_at_import() -> None:
    record, problems = validate_site(site({"guest_vlan": "31 name x", "staff_vlan": 10}))
    assert len(problems) == 1
    (problem,) = problems
    assert problem.file == "city.yaml" and problem.line == 12
    assert "variable guest_vlan breaks rule 'vlan'" in problem.message and "1 to 4094" in problem.message
    assert "guest_vlan" not in record["vars"]


def test_control_characters_are_refused_at_import_in_every_layer() -> None:
    ssid = "Free\x15echo hacked"
    _, tenant = validate_tenant(Entry("tenant", {"name": "duisburg", "vars": {"free_ssid": ssid}}, "t.yaml", 1))
    _, globals_ = validate_globals(Entry("globals", {"vars": {"contact": "noc\nip route 0.0.0.0 0.0.0.0 6.6.6.6"}},
                                         "g.yaml", 1))
    _, ap = validate_ap(Entry("ap", {"name": "sw01", "site": "gs-x", "platform": "cli-ios", "address": "127.0.0.1",
                                     "vars": {"ap_ports": ["FastEthernet0/1\nip route 0.0.0.0 0.0.0.0 6.6.6.6"]}},
                              "a.yaml", 5))
    assert [p.message.split(":")[0] for p in tenant] == ["variable free_ssid breaks rule 'no control characters'"]
    assert "U+0015" in tenant[0].message and "^U" in tenant[0].message
    assert [p.message.split(":")[0] for p in globals_] == ["variable contact breaks rule 'no control characters'"]
    assert [(p.ap, p.message.split(":")[0]) for p in ap] == [
        ("sw01", "variable ap_ports[0] breaks rule 'no control characters'")
    ]


def test_platform_rules_apply_to_an_ap_entry() -> None:
    _, problems = validate_ap(Entry("ap", {"name": "sw01", "site": "gs-x", "platform": "cli-ios",
                                           "address": "127.0.0.1", "vars": {"ap_ports": ["Fa0/1 x"]}}, "a.yaml", 5))
    assert [p.message.split(":")[0] for p in problems] == ["variable ap_ports[0] breaks rule 'interface'"]


def test_secret_references_and_good_values_pass() -> None:
    record, problems = validate_site(site({"pupil_psk": "secret:duisburg/pupil-psk", "guest_ssid": "Schüler 😀",
                                           "guest_vlan": 30, "staff_vlan": "10"}))
    assert problems == [] and record["vars"]["guest_vlan"] == 30
