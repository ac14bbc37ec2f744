"""Values that are safe in every dialect: the value rules and the per-dialect quoting of templates.

Pure tests (no device): every AP's variables go through one check before a template sees them,
and every ``{{ … }}`` output goes through the dialect's finaliser. The property tests feed
arbitrary text and check that each value is either refused with an error naming the AP, the
variable and the rule, or written so that the device's own parser gets back exactly that value.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from netctl.render import render_ap
from netctl.render.engine import environment
from netctl.render.schema import check_config
from netctl.values import RULES, check_value, check_values, control_character, quote_uci, token_ios
from tests.helpers.render import SECRETS, city_vars

UNIT = settings(max_examples=120, deadline=None, derandomize=True, database=None)

OWRT = {"name": "bus-1201-ap01", "platform": "openwrt", "site": "dvg-fleet"}
IOS = {"name": "gs-meiderich-sw01", "platform": "cli-ios", "site": "gs-meiderich"}
NWAP = {"name": "gs-meiderich-ap01", "platform": "netconf-wlan", "site": "gs-meiderich"}
OC = {"name": "zoo-entrance-ap01", "platform": "openconfig-wlan", "site": "zoo-duisburg"}


def transit_vars(**extra: Any) -> dict[str, Any]:
    return city_vars("dvg-fleet", "bus") | extra


def school_vars(**extra: Any) -> dict[str, Any]:
    return city_vars("gs-meiderich", "classroom") | extra


def zoo_vars(**extra: Any) -> dict[str, Any]:
    return city_vars("zoo-duisburg", "zoo-outdoor") | extra


def names_ap_variable_rule(error: str | None, ap: str, variable: str, rule: str) -> bool:
    return error is not None and ap in error and variable in error and f"'{rule}'" in error


# -- the findings of issue 11 -----------------------------------------------------------------------


def test_newline_in_an_ssid_is_refused_before_render() -> None:
    result = render_ap(OWRT, transit_vars(free_ssid="Free'\nuci set system.@system[0].hostname='pwned"))
    assert not result.ok and not result.text
    assert names_ap_variable_rule(result.error, "bus-1201-ap01", "free_ssid", "no control characters")
    assert "U+000A (line feed, ^J)" in str(result.error) and "netctl inventory vars bus-1201-ap01" in str(result.error)


def test_ctrl_u_inside_free_ssid_does_not_pass_render() -> None:
    result = render_ap(OWRT, transit_vars(free_ssid="Free\x15echo hacked; uci commit"))
    assert not result.ok
    assert names_ap_variable_rule(result.error, "bus-1201-ap01", "free_ssid", "no control characters")
    assert "^U" in str(result.error)


def test_newline_in_ap_ports_is_refused_for_ios() -> None:
    result = render_ap(IOS, school_vars(ap_ports=["FastEthernet0/1\nip route 0.0.0.0 0.0.0.0 6.6.6.6"]))
    assert not result.ok
    assert names_ap_variable_rule(result.error, "gs-meiderich-sw01", "ap_ports[0]", "no control characters")


def test_vlan_with_words_after_it_is_refused() -> None:
    result = render_ap(IOS, school_vars(guest_vlan="31 name x"))
    assert not result.ok
    assert names_ap_variable_rule(result.error, "gs-meiderich-sw01", "guest_vlan", "vlan")
    assert "1 to 4094" in str(result.error)


def test_two_hundred_character_ssid_is_refused_on_every_platform() -> None:
    for ap, variables in ((OWRT, transit_vars(free_ssid="S" * 200)), (NWAP, school_vars(guest_ssid="S" * 200)),
                          (OC, zoo_vars(visitor_ssid="S" * 200))):
        result = render_ap(ap, variables)
        assert not result.ok, ap
        assert names_ap_variable_rule(result.error, ap["name"], "_ssid", "ssid"), result.error
        assert "200 bytes" in str(result.error)


def test_ssid_with_an_apostrophe_is_refused_for_netconf_but_quoted_for_uci() -> None:
    both = "Gast's \"WLAN\""
    for ap, variables in ((NWAP, school_vars(guest_ssid=both)), (OC, zoo_vars(visitor_ssid=both)),
                          (NWAP, school_vars(guest_ssid="Gast's WLAN"))):
        result = render_ap(ap, variables)
        assert names_ap_variable_rule(result.error, ap["name"], "_ssid", "list-key"), result.error
    assert render_ap(NWAP, school_vars(guest_ssid='say "hi"')).ok
    uci = render_ap(OWRT, transit_vars(free_ssid=both))
    assert uci.ok, uci.error
    assert "uci set wireless.ssid0_radio0.ssid='Gast'\\''s \"WLAN\"'" in uci.text


# -- control characters ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, 0xFFFE, 0xFFFF])
def test_every_control_character_is_refused_in_any_variable(code: int) -> None:
    value = f"ok{chr(code)}ok"
    assert control_character(value) is not None
    problems = check_values("x-ap01", "openwrt", {"contact": value, "deep": {"list": ["fine", value]}})
    assert [(p.variable, p.rule) for p in problems] == [
        ("contact", "no control characters"),
        ("deep.list[1]", "no control characters"),
    ]


def test_facts_are_checked_too() -> None:
    result = render_ap({**NWAP, "site_title": "Schule\nam Park"}, {k: v for k, v in school_vars().items()
                                                                  if k != "site"})
    assert names_ap_variable_rule(result.error, "gs-meiderich-ap01", "site.title", "no control characters")


def test_printable_unicode_is_not_a_control_character() -> None:
    for text in ("Schüler-WLAN", "Café 😀", "日本語", "tab\u00a0nbsp", "a\u200db"):
        assert control_character(text) is None


# -- per-field rules -----------------------------------------------------------------------------------


def rule_ok(rule: str, value: Any, platform: str = "openwrt") -> bool:
    return RULES[rule].check(value, platform) is None


def test_ssid_is_one_to_thirty_two_bytes_of_utf8() -> None:
    assert rule_ok("ssid", "S" * 32) and rule_ok("ssid", "ä" * 16) and rule_ok("ssid", "x")
    assert not rule_ok("ssid", "S" * 33) and not rule_ok("ssid", "ä" * 17) and not rule_ok("ssid", "")
    assert not rule_ok("ssid", 42)


def test_wpa_psk_is_8_to_63_printable_ascii_or_64_hex() -> None:
    assert rule_ok("wpa-psk", "12345678") and rule_ok("wpa-psk", "~" * 63) and rule_ok("wpa-psk", "aB0" * 21 + "f")
    assert rule_ok("wpa-psk", "0123456789abcdef" * 4)
    assert not rule_ok("wpa-psk", "1234567") and not rule_ok("wpa-psk", "x" * 64) and not rule_ok("wpa-psk", "x" * 65)
    assert not rule_ok("wpa-psk", "pässwört-lang")


def test_vlan_is_a_whole_number_from_1_to_4094() -> None:
    for good in (1, 4094, "31", 20):
        assert rule_ok("vlan", good), good
    for bad in (0, 4095, "31 name x", "31\n", "0x1f", -1, True, 3.0, "", None, "٣١"):
        assert not rule_ok("vlan", bad), bad


def test_interface_names_follow_the_platform_pattern() -> None:
    for good in ("FastEthernet0/1", "GigabitEthernet1/0/24", "TenGigabitEthernet1/1/1", "Port-channel1"):
        assert rule_ok("interface", good, "cli-ios"), good
    for bad in ("Fa0/1 ; reload", "FastEthernet0/1 ", "Vlan1?", "eth0", ""):
        assert not rule_ok("interface", bad, "cli-ios"), bad
    assert rule_ok("interface", "eth0.20", "openwrt") and not rule_ok("interface", "eth0 up", "openwrt")


def test_hostnames_and_servers() -> None:
    assert rule_ok("hostname", "gs-meiderich-ap01") and rule_ok("hostname", "a.b-c.d")
    assert not rule_ok("hostname", "-ap") and not rule_ok("hostname", "ap_01") and not rule_ok("hostname", "a b")
    assert rule_ok("host", "127.0.0.123") and rule_ok("host", "::1") and rule_ok("host", "ntp.example.org")
    assert not rule_ok("host", "1.2.3.4 6.6.6.6") and not rule_ok("host", "")


def test_a_secret_is_checked_when_it_resolves_and_never_shown() -> None:
    leaked = "short"
    result = render_ap(NWAP, school_vars(), resolve={**SECRETS, "secret:duisburg/pupil-psk": leaked}.__getitem__)
    assert not result.ok
    assert names_ap_variable_rule(result.error, "gs-meiderich-ap01", "pupil_psk", "wpa-psk")
    assert leaked not in str(result.error)
    masked = render_ap(NWAP, school_vars())
    assert masked.ok, masked.error  # a preview checks the mask, not the secret


def test_every_problem_is_reported_at_once() -> None:
    problems = check_values("sw01", "cli-ios", {"guest_vlan": "x", "staff_vlan": 5000, "ap_ports": ["Fa0/1 x"]})
    assert sorted(p.variable for p in problems) == ["ap_ports[0]", "guest_vlan", "staff_vlan"]
    assert all(str(p).startswith("sw01: variable ") for p in problems)


def test_check_value_names_the_rule_and_what_to_do() -> None:
    (problem,) = check_value("bus-1201-ap01", "openwrt", "free_ssid", "x" * 40)
    assert problem.rule == "ssid"
    assert "an SSID is 1 to 32 bytes of UTF-8 text" in str(problem)
    assert "netctl inventory vars bus-1201-ap01" in str(problem)


# -- quoting per dialect ---------------------------------------------------------------------------------


def test_uci_finaliser_writes_one_single_quoted_word() -> None:
    for value in ("plain", "it's", "'", "''", "$(reboot)", "a;b", "`x`", "\\", "a b", ""):
        assert shlex.split(quote_uci(value)) == [value]


def test_ios_finaliser_refuses_what_is_not_one_token() -> None:
    assert token_ios("FastEthernet0/1") == "FastEthernet0/1" and token_ios(30) == "30"
    for bad in ("a b", "", "vlan?", "ä", "x\ty"):
        with pytest.raises(Exception) as err:
            token_ios(bad)
        assert "one token" in str(err.value) or "control" in str(err.value)


def template_env(tmp_path: Path, platform_dir: str, body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from netctl.render.engine import template_root

    root = tmp_path / "templates"
    shutil.copytree(template_root(), root)
    (root / platform_dir / "custom.j2").write_text(body)
    monkeypatch.setenv("NETCTL_TEMPLATES", str(root))
    environment.cache_clear()


def test_a_template_that_adds_its_own_quotes_fails_the_uci_line_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template_env(tmp_path, "openwrt", "uci set wireless.x.ssid='{{ free_ssid }}'\n", monkeypatch)
    try:
        result = render_ap(OWRT, transit_vars(), template="custom")
    finally:
        environment.cache_clear()
    assert not result.ok and "quoted for you" in str(result.error)


def test_a_name_without_ident_is_quoted_and_fails_the_line_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template_env(tmp_path, "openwrt", "uci set wireless.{{ free_ssid }}.disabled={{ 1 }}\n", monkeypatch)
    try:
        result = render_ap(OWRT, transit_vars(free_ssid="guest"), template="custom")
    finally:
        environment.cache_clear()
    assert not result.ok and "uci set wireless.'guest'.disabled='1'" in result.text


def test_ident_writes_a_checked_name_and_refuses_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template_env(tmp_path, "openwrt", "uci set wireless.{{ free_ssid | ident }}.disabled={{ 1 }}\n", monkeypatch)
    try:
        named = render_ap(OWRT, transit_vars(free_ssid="guest"), template="custom")
        spliced = render_ap(OWRT, transit_vars(free_ssid="a.b=c"), template="custom")
    finally:
        environment.cache_clear()
    assert named.ok and named.text == "uci set wireless.guest.disabled='1'\n", named.error
    assert not spliced.ok and "variable free_ssid" in str(spliced.error) and "letters, digits and '_'" in str(
        spliced.error
    )


def test_ios_template_line_of_a_value_with_a_space_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template_env(tmp_path, "cli-ios", "hostname {{ ap.name }}\nsnmp-server location {{ contact }}\n", monkeypatch)
    try:
        result = render_ap(IOS, school_vars(contact="noc duisburg"), template="custom")
    finally:
        environment.cache_clear()
    assert not result.ok
    assert "gs-meiderich-sw01" in str(result.error) and "variable contact" in str(result.error)
    assert "custom.j2:2" in str(result.error) and "holds a space" in str(result.error)


# -- properties: refused with a name, or written exactly -------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["it's", "'\"", "a\nb", "x\x15y", "$(reboot)", "a;b", "S" * 33, "ä" * 16, "\u2028", "</name><x>", "&amp;"]
)


def ssid_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if ".ssid=" in line]


BASELINE_UCI = render_ap(OWRT, transit_vars())


@UNIT
@given(TEXT)
def test_uci_ssid_is_refused_or_parses_back_exactly(value: str) -> None:
    result = render_ap(OWRT, transit_vars(free_ssid=value))
    if not result.ok:
        assert names_ap_variable_rule(result.error, "bus-1201-ap01", "free_ssid", "no control characters") or \
            names_ap_variable_rule(result.error, "bus-1201-ap01", "free_ssid", "ssid"), result.error
        return
    assert len(result.text.splitlines()) == len(BASELINE_UCI.text.splitlines())
    assert check_config("openwrt", result.text) == []
    for line in ssid_lines(result.text):
        words = shlex.split(line)
        assert words[:2] == ["uci", "set"] and len(words) == 3
        assert words[2].split("=", 1)[1] == value


@UNIT
@given(TEXT)
def test_netconf_ssid_is_refused_or_parses_back_exactly(value: str) -> None:
    result = render_ap(NWAP, school_vars(guest_ssid=value))
    if not result.ok:
        assert any(names_ap_variable_rule(result.error, "gs-meiderich-ap01", "guest_ssid", rule)
                   for rule in ("no control characters", "ssid", "list-key", "trimmed")), result.error
        return
    root = etree.fromstring(result.text.encode())
    names = root.xpath("//n:ssid/n:name/text()", namespaces={"n": "urn:netctl:params:xml:ns:yang:netctl-wlan-ap"})
    assert value in names


@UNIT
@given(TEXT | st.integers(-10, 5000).map(str) | st.integers(-10, 5000))
def test_ios_vlan_is_refused_or_one_token(value: Any) -> None:
    result = render_ap(IOS, school_vars(guest_vlan=value))
    if not result.ok:
        assert any(names_ap_variable_rule(result.error, "gs-meiderich-sw01", "guest_vlan", rule)
                   for rule in ("no control characters", "vlan")), result.error
        return
    assert f"vlan {int(value)}" in result.text.splitlines()
    assert 1 <= int(value) <= 4094


@UNIT
@given(st.lists(TEXT, min_size=1, max_size=3))
def test_ios_ports_are_refused_or_one_token_each(ports: list[str]) -> None:
    result = render_ap(IOS, school_vars(ap_ports=ports))
    if not result.ok:
        assert "gs-meiderich-sw01" in str(result.error) and "ap_ports[" in str(result.error)
        assert "'interface'" in str(result.error) or "'no control characters'" in str(result.error)
        return
    assert [line.split(" ", 1)[1] for line in result.text.splitlines() if line.startswith("interface ")] == ports


@UNIT
@given(st.text(st.characters(codec="utf-8"), max_size=70))
def test_psk_from_a_secret_is_refused_or_written_exactly(psk: str) -> None:
    resolve = {**SECRETS, "secret:duisburg/pupil-psk": psk}.__getitem__
    result = render_ap(OWRT | {"name": "gs-meiderich-ap09", "site": "gs-meiderich"}, school_vars(), resolve=resolve)
    if not result.ok:
        assert names_ap_variable_rule(result.error, "gs-meiderich-ap09", "pupil_psk", "wpa-psk") or \
            names_ap_variable_rule(result.error, "gs-meiderich-ap09", "pupil_psk", "no control characters")
        assert repr(psk) not in str(result.error)
        return
    keys = [shlex.split(line)[2].split("=", 1)[1] for line in result.text.splitlines() if ".key=" in line]
    assert psk in keys
