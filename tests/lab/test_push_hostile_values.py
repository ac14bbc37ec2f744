"""Hostile variable values against the lab devices: refused with a clear error, or stored byte for byte.

Every read-back goes over a session of its own (paramiko for the OpenWrt simulator, netmiko for the
IOS-style switch, ncclient for NETCONF APs), never through netctl's drivers. The APs used here are
used by no other push test: tram-1033-ap01 and tram-1034-ap01 (OpenWrt), rs-walsum-sw01 (IOS),
bk-sued-ap01 (netctl-wlan-ap) and zoo-restaurant-ap06 (OpenConfig). Each test pushes the AP back to
its inventory values at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from netctl.errors import NetctlError
from tests.helpers.lab import with_psks
from tests.helpers.netconf import manager_for
from tests.helpers.ssh import ios_session, show_run, ssh_run

pytestmark = pytest.mark.lab

OWRT = "tram-1033-ap01"
OWRT_2 = "tram-1034-ap01"
IOS = "rs-walsum-sw01"
NWAP_AP = "bk-sued-ap01"
OC_AP = "zoo-restaurant-ap06"
NWAP = "urn:netctl:params:xml:ns:yang:netctl-wlan-ap"
OC_MAC = "http://openconfig.net/yang/wifi-mac"

#: hypothesis settings for pushes to lab devices: few examples, no deadline (a push takes ~0.3–2 s)
LAB = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def hostile_city(city: Any) -> Iterator[Any]:
    """The example city; every AP this module touches is pushed back to its inventory values afterwards."""
    api = with_psks(city)
    yield api
    for ap in (OWRT, OWRT_2, IOS, NWAP_AP, OC_AP):
        own = api.session.get_ap(ap).get("vars") or {}
        if any(k in own for k in HOSTILE_VARS):
            api.inventory.set_ap(ap, {f"vars.{k}": None for k in HOSTILE_VARS if k in own})
    results = api.config.push([OWRT, OWRT_2, IOS, NWAP_AP, OC_AP], confirm_timeout=20)
    assert all(r.ok for r in results), [(r.ap, r.reason) for r in results]


#: the variables these tests set on an AP (none of the APs has them at AP level in the inventory)
HOSTILE_VARS = ("free_ssid", "guest_ssid", "visitor_ssid", "guest_vlan", "ap_ports", "contact", "timezone")


def set_and_push(api: Any, ap: str, var: str, value: Any) -> tuple[str | None, Any]:
    """Set ``var`` on ``ap`` and push it. ``(refusal, result)``: the message of a refusal (at set
    time or at render time, nothing sent) or ``None`` and the push result."""
    try:
        api.inventory.set_ap(ap, {f"vars.{var}": value})
    except NetctlError as exc:
        return str(exc), None
    result = api.config.push(ap, confirm_timeout=20)[0]
    for _ in range(5):  # the lab is shared: another session may hold the AP's lock for a moment
        if not any(busy in str(result.reason) for busy in ("lock-denied", "AP busy")):
            break
        time.sleep(1.0)
        result = api.config.push(ap, confirm_timeout=20)[0]
    if result.status == "failed" and not result.transcript:
        return str(result.reason), result
    return None, result


def assert_refusal_names(message: str, ap: str, var: str, rule: str) -> None:
    assert ap in message and var in message and rule in message, message


def uci_value(api: Any, ap: str, key: str) -> str:
    """The committed value of uci option ``key`` as ``uci show`` prints it, unquoted (``'\\''`` → ``'``)."""
    import shlex

    out = ssh_run(api, ap, f"uci show {key}").rstrip("\n")
    assert out.startswith(key + "="), out
    return "".join(shlex.split(out.split("=", 1)[1]))


def uci_values(api: Any, ap: str, *keys: str) -> list[str]:
    """The committed values of uci options ``keys``, unquoted, read in one session of the test's own."""
    import shlex

    out = ssh_run(api, ap, "; ".join(f"uci show {k}" for k in keys)).rstrip("\n").split("\n")
    assert len(out) == len(keys), out
    return ["".join(shlex.split(line.split("=", 1)[1])) for line in out]


def hostname_of(api: Any, ap: str) -> str:
    return ssh_run(api, ap, "uci get system.@system[0].hostname").strip()


# -- the findings of issue 11, each first seen failing -----------------------------------------------


def test_newline_in_an_ssid_adds_no_uci_line_on_openwrt(hostile_city: Any) -> None:
    api = hostile_city
    assert hostname_of(api, OWRT) == OWRT
    refusal, result = set_and_push(api, OWRT, "free_ssid", "Free'\nuci set system.@system[0].hostname='pwned")
    assert hostname_of(api, OWRT) == OWRT, "the newline added a uci line"
    assert refusal is not None, (result.status, result.reason)
    assert_refusal_names(refusal, OWRT, "free_ssid", "control character")


def store_unchecked(api: Any, ap: str, var: str, value: Any) -> None:
    """Write a variable straight into the AP's row, as a database from before the value rules holds it
    (``set`` and ``import`` refuse such values now); the render must still refuse it."""
    import json

    row = api.session.db.table("aps").get(ap)
    own = json.loads(row["vars"] or "{}")
    api.session.db.table("aps").update(ap, {"vars": json.dumps({**own, var: value})})


def test_ctrl_u_in_free_ssid_is_refused_before_render(hostile_city: Any) -> None:
    api = hostile_city
    hostile = "Free\x15echo hacked; uci set system.@system[0].hostname=pwned; uci commit"
    with pytest.raises(NetctlError) as refused:
        api.inventory.set_ap(OWRT_2, {"vars.free_ssid": hostile})
    assert_refusal_names(str(refused.value), OWRT_2, "free_ssid", "control character")
    store_unchecked(api, OWRT_2, "free_ssid", hostile)
    rendered = api.config.render(OWRT_2)[0]
    assert not rendered.ok, "a ^U passed render"
    assert_refusal_names(str(rendered.error), OWRT_2, "free_ssid", "control character")
    result = api.config.push(OWRT_2, confirm_timeout=20)[0]
    assert result.status == "failed" and "free_ssid" in str(result.reason) and not result.transcript
    assert hostname_of(api, OWRT_2) == OWRT_2
    store_unchecked(api, OWRT_2, "free_ssid", "DVG-Free-WLAN")


def test_two_hundred_character_ssid_is_refused_not_applied(hostile_city: Any) -> None:
    api = hostile_city
    before = uci_value(api, OWRT, "wireless.ssid0_radio0.ssid") if "ssid0_radio0" in ssh_run(
        api, OWRT, "uci show wireless"
    ) else None
    refusal, result = set_and_push(api, OWRT, "free_ssid", "S" * 200)
    assert refusal is not None, f"a 200-character SSID was {result.status}"
    assert_refusal_names(refusal, OWRT, "free_ssid", "ssid")
    assert "32" in refusal
    if before is not None:
        assert uci_value(api, OWRT, "wireless.ssid0_radio0.ssid") == before


def test_newline_in_ap_ports_adds_no_global_route_on_ios(hostile_city: Any) -> None:
    api = hostile_city
    route = "ip route 0.0.0.0 0.0.0.0 6.6.6.6"
    try:
        refusal, result = set_and_push(api, IOS, "ap_ports", ["FastEthernet0/1\n" + route, "FastEthernet0/2"])
        running = show_run(api, IOS)
        assert not any(h.startswith(route) for h in running), "the newline added a global route"
        assert refusal is not None, (result.status, result.reason)
        assert_refusal_names(refusal, IOS, "ap_ports", "control character")
    finally:
        _remove_route(api, route)


def _remove_route(api: Any, route: str) -> None:
    with ios_session(api, IOS) as conn:
        if route in str(conn.send_command("show running-config")):
            conn.send_config_set([f"no {route}"], exit_config_mode=False)
            conn.exit_config_mode(exit_config="exit")


def test_vlan_with_words_after_it_is_refused(hostile_city: Any) -> None:
    api = hostile_city
    refusal, result = set_and_push(api, IOS, "guest_vlan", "31 name x")
    assert refusal is not None, f"guest_vlan '31 name x' was {result.status}"
    assert_refusal_names(refusal, IOS, "guest_vlan", "vlan")
    assert "vlan 31" not in show_run(api, IOS)


@pytest.fixture
def netconf_reader(hostile_city: Any) -> Iterator[Callable[[str], Any]]:
    """The test's own ncclient session per AP, opened once and kept for every example of a property
    test (a session per read cost about 0.3 s per example)."""
    opened: dict[str, Any] = {}

    def session(ap: str) -> Any:
        if ap not in opened:
            opened[ap] = manager_for(hostile_city, ap)
        return opened[ap]

    yield session
    for m in opened.values():
        m.close_session()


def nwap_ssids(m: Any) -> list[str]:
    reply = m.get_config("running", filter=("subtree", f'<ap xmlns="{NWAP}"><ssid/></ap>'))
    return [str(v) for v in reply.data_ele.xpath("//n:ssid/n:name/text()", namespaces={"n": NWAP})]


def test_ssid_with_both_quote_kinds_is_refused_for_netconf(hostile_city: Any) -> None:
    """The lab's NETCONF server (yuma123) writes list keys into '-quoted instance identifiers and dies
    when an entry whose key holds "'" is replaced (the next push). It is refused before anything is sent."""
    api = hostile_city
    refusal, result = set_and_push(api, NWAP_AP, "guest_ssid", "Gast's \"WLAN\"")
    assert refusal is not None, f"an SSID with both quote kinds was {result.status}"
    assert_refusal_names(refusal, NWAP_AP, "guest_ssid", "list-key")
    with manager_for(api, NWAP_AP) as m:
        assert "Gast's \"WLAN\"" not in nwap_ssids(m)


# -- properties: refused with AP, variable and rule named, or stored byte for byte ------------------

TEXT = st.text(st.characters(codec="utf-8"), min_size=0, max_size=36) | st.sampled_from(
    ["it's", "a;b", "$(reboot)", "`id`", "\\", "Caf\u00e9 \U0001F600", " lead", "trail ", "</name>&amp;", "S" * 32]
)


def refused_properly(refusal: str, ap: str, var: str) -> None:
    assert ap in refusal and var in refusal and "breaks rule '" in refusal, refusal


@LAB
@given(value=TEXT)
@example(value="a;b")  # ash splits at ';' only outside quotes (so does the lab's simulator)
@example(value="x'; uci set system.@system[0].hostname='pwned")
def test_openwrt_ssid_is_refused_or_stored_byte_for_byte(hostile_city: Any, value: str) -> None:
    refusal, result = set_and_push(hostile_city, OWRT_2, "free_ssid", value)
    if refusal is not None:
        refused_properly(refusal, OWRT_2, "free_ssid")
        return
    assert result.ok, (result.status, result.reason)
    ssid, hostname = uci_values(hostile_city, OWRT_2, "wireless.ssid0_radio0.ssid", "system.@system[0].hostname")
    assert (ssid, hostname) == (value, OWRT_2)


@pytest.fixture
def ios_reader(hostile_city: Any) -> Iterator[Any]:
    """One netmiko session of the test's own to the switch that lasts the whole property test (a
    session per read cost about a second per example)."""
    with ios_session(hostile_city, IOS) as conn:
        yield conn


def running(conn: Any) -> dict[str, list[str]]:
    """``show running-config`` as IOS blocks, over the test's own session."""
    from netctl.drivers.plan import ios_blocks

    return ios_blocks(str(conn.send_command("show running-config")))


@LAB
@given(value=TEXT | st.integers(-5, 4100) | st.integers(1, 4094).map(str))
def test_ios_vlan_is_refused_or_stored(hostile_city: Any, ios_reader: Any, value: Any) -> None:
    before = set(running(ios_reader))
    try:
        refusal, result = set_and_push(hostile_city, IOS, "guest_vlan", value)
        if refusal is not None:
            refused_properly(refusal, IOS, "guest_vlan")
            assert set(running(ios_reader)) == before
            return
        assert result.ok, (result.status, result.reason)
        blocks = running(ios_reader)
        assert blocks[f"vlan {int(value)}"] == ["name GUEST"]
        assert f"switchport trunk allowed vlan 10,20,{int(value)}" in blocks["interface FastEthernet0/1"]
    finally:
        added = [h for h in running(ios_reader) if h not in before and h.startswith("vlan ")]
        if added:
            ios_reader.send_config_set([f"no {h}" for h in added], exit_config_mode=False)
            ios_reader.exit_config_mode(exit_config="exit")


@LAB
@given(value=TEXT)
def test_netconf_ssid_is_refused_or_stored_byte_for_byte(hostile_city: Any, netconf_reader: Any, value: str) -> None:
    refusal, result = set_and_push(hostile_city, NWAP_AP, "guest_ssid", value)
    if refusal is not None:
        refused_properly(refusal, NWAP_AP, "guest_ssid")
        return
    assert result.ok, (result.status, result.reason)
    assert value in nwap_ssids(netconf_reader(NWAP_AP))


def oc_ssids(m: Any) -> list[str]:
    reply = m.get_config("running", filter=("subtree", f'<ssids xmlns="{OC_MAC}"/>'))
    return [str(v) for v in reply.data_ele.xpath("//m:ssid/m:config/m:name/text()", namespaces={"m": OC_MAC})]


@LAB
@given(value=TEXT)
def test_openconfig_ssid_is_refused_or_stored_byte_for_byte(hostile_city: Any, netconf_reader: Any, value: str) -> None:
    refusal, result = set_and_push(hostile_city, OC_AP, "visitor_ssid", value)
    if refusal is not None:
        refused_properly(refusal, OC_AP, "visitor_ssid")
        return
    assert result.ok, (result.status, result.reason)
    assert value in oc_ssids(netconf_reader(OC_AP))
