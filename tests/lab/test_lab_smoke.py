"""The lab answers as the real servers do: one smoke test per peer kind.

Every test talks to a real peer on loopback through the same client libraries netctl uses
(pysnmp, ncclient, netmiko). The ``lab`` fixture starts the lab or reuses the running one; it never
skips. Tests that change a device pick ones few other tests use (Moers schools, the last tram) and put
back what they changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.netconf import NWAP, nc_connect
from tests.helpers.snmp import snmp_get

pytestmark = pytest.mark.lab

SYSDESCR, SYSNAME, SYSUPTIME = "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.3.0"
IF_HC_IN_ETH0 = "1.3.6.1.2.1.31.1.1.1.6.2"
VAP = "1.3.6.1.4.1.41112.1.6.1.2.1"


def test_snmp_v2c_every_kind_of_ap_answers_for_itself(lab: Any) -> None:
    community = lab.secrets["lab/snmp-community"]
    for name, model in [
        ("gs-meiderich-ap01", "NW-AP 620"),
        ("zoo-koala-ap04", "OC-AP 300"),
        ("bus-1201-ap01", "WRT-V 3200"),
        ("gym-adolfinum-sw01", "C2960X-24PS"),
    ]:
        got = snmp_get(lab.endpoints["snmp"][name], [SYSNAME, SYSDESCR], community=community)
        assert got is not None, f"{name} did not answer"
        assert got[SYSNAME] == name
        assert model in got[SYSDESCR]
    assert (
        snmp_get(lab.endpoints["snmp"]["gs-meiderich-ap01"], [SYSNAME], community="not-the-community", timeout=0.5)
        is None
    )


def test_snmp_counters_grow_and_client_counts_vary(lab: Any) -> None:
    community = lab.secrets["lab/snmp-community"]
    target = lab.endpoints["snmp"]["gym-adolfinum-ap01"]
    clients = [f"{VAP}.8.{i}" for i in range(6)]
    polls = []
    for _ in range(3):
        got = snmp_get(target, [SYSUPTIME, IF_HC_IN_ETH0, f"{VAP}.6.0", f"{VAP}.6.4", *clients], community=community)
        assert got is not None
        polls.append(got)
        time.sleep(0.6)
    assert polls[0][f"{VAP}.6.0"] == "Schule-Lehrer" and polls[0][f"{VAP}.6.4"] == "Free-WLAN"
    assert polls[0][SYSUPTIME] < polls[1][SYSUPTIME] < polls[2][SYSUPTIME]
    assert polls[0][IF_HC_IN_ETH0] < polls[1][IF_HC_IN_ETH0] < polls[2][IF_HC_IN_ETH0]
    counts = [[p[o] for o in clients] for p in polls]
    assert all(0 <= c <= 512 for row in counts for c in row)
    assert counts[0] != counts[1] or counts[1] != counts[2], "client counts did not change between polls"


def test_snmp_v3_authpriv_zoo_ap_and_reference_snmpd(lab: Any) -> None:
    v3 = ("labuser", lab.secrets["lab/snmpv3-auth"], lab.secrets["lab/snmpv3-priv"])
    zoo = lab.endpoints["snmp"]["zoo-entrance-ap01"]
    got = snmp_get(zoo, [SYSNAME], v3=v3)
    assert got == {SYSNAME: "zoo-entrance-ap01"}
    assert snmp_get(zoo, [SYSNAME], v3=(v3[0], "wrong-auth-key", v3[2]), timeout=0.5) is None
    assert snmp_get(zoo, [SYSNAME], community=lab.secrets["lab/snmp-community"], timeout=0.5) is None
    ref = lab.endpoints["snmpd"]["reference"]
    assert snmp_get(ref, [SYSNAME], v3=v3) == {SYSNAME: "netctl-lab-snmpd"}
    assert snmp_get(ref, [SYSNAME], community=lab.secrets["lab/snmp-community"]) == {SYSNAME: "netctl-lab-snmpd"}


def test_snmp_agent_of_one_ap_stops_and_comes_back(lab: Any) -> None:
    community = lab.secrets["lab/snmp-community"]
    ep = lab.endpoints["snmp"]
    lab.stop_snmp_agent("gs-eick-ap02")
    try:
        assert snmp_get(ep["gs-eick-ap02"], [SYSNAME], community=community, timeout=0.5) is None
        assert snmp_get(ep["gs-eick-ap01"], [SYSNAME], community=community) == {SYSNAME: "gs-eick-ap01"}
    finally:
        lab.start_snmp_agent("gs-eick-ap02")
    assert snmp_get(ep["gs-eick-ap02"], [SYSNAME], community=community) == {SYSNAME: "gs-eick-ap02"}


# -- NETCONF (ncclient) -----------------------------------------------------------------------------


def ssid_xml(name: str, vlan: int, extra: str = "") -> str:
    return (
        f'<config><ap xmlns="{NWAP}"><ssid><name>{name}</name><security>open</security>'
        f"<vlan>{vlan}</vlan>{extra}</ssid></ap></config>"
    )


def running_vlan(session: Any, ssid: str) -> str | None:
    flt = f'<ap xmlns="{NWAP}"><ssid><name>{ssid}</name></ssid></ap>'
    root = session.get_config("running", filter=("subtree", flt)).data_ele
    vlans = root.xpath(f"//n:ssid[n:name='{ssid}']/n:vlan/text()", namespaces={"n": NWAP})
    return str(vlans[0]) if vlans else None


def test_netconf_candidate_commit_validation_and_lock(lab: Any) -> None:
    from ncclient.operations import RPCError

    ap, ssid = "gs-eick-ap01", "lab-smoke-commit"
    with nc_connect(lab, ap) as s1, nc_connect(lab, ap) as s2:
        caps = set(s1.server_capabilities)
        assert "urn:ietf:params:netconf:capability:candidate:1.0" in caps
        assert "urn:ietf:params:netconf:capability:confirmed-commit:1.1" in caps
        assert any("netctl-wlan-ap" in c for c in caps)
        try:
            s1.edit_config(target="candidate", config=ssid_xml(ssid, 42))
            assert running_vlan(s2, ssid) is None, "candidate leaked into running before commit"
            s1.commit()
            assert running_vlan(s2, ssid) == "42"
            bad = f'<config><ap xmlns="{NWAP}"><ssid><name>x</name><security>wpa2-psk</security></ssid></ap></config>'
            with pytest.raises(RPCError, match="passphrase"):
                s1.edit_config(target="candidate", config=bad)
            chan = (
                f'<config><ap xmlns="{NWAP}"><radio><id>radio0</id><band>2.4ghz</band>'
                "<channel>36</channel></radio></ap></config>"
            )
            with pytest.raises(RPCError, match="1..14"):
                s1.edit_config(target="candidate", config=chan)
            s1.discard_changes()
            with s1.locked("candidate"), pytest.raises(RPCError, match="(?i)lock"):
                s2.lock("candidate")
        finally:
            s1.discard_changes()
            s1.edit_config(
                target="candidate",
                config=ssid_xml(ssid, 42).replace(
                    "<ssid>",
                    '<ssid xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="remove">',
                ),
            )
            s1.commit()
        assert running_vlan(s2, ssid) is None


def test_netconf_confirmed_commit_rolls_back_by_itself(lab: Any) -> None:
    ap, ssid = "gs-eick-ap02", "lab-smoke-confirmed"
    with nc_connect(lab, ap) as s1:
        s1.edit_config(target="candidate", config=ssid_xml(ssid, 77))
        s1.commit(confirmed=True, timeout="2")
        with nc_connect(lab, ap) as s2:
            assert running_vlan(s2, ssid) == "77"
        time.sleep(4.5)  # the timer fires only after >= 1 s without messages on the session
        with nc_connect(lab, ap) as s3:
            assert running_vlan(s3, ssid) is None, "confirmed commit was not rolled back"


def test_netconf_ap_stops_and_comes_back_with_its_config(lab: Any) -> None:
    ap = "gym-adolfinum-ap02"
    lab.stop_netconf(ap)
    try:
        with pytest.raises(Exception):  # noqa: B017 - ncclient raises different errors per stage
            nc_connect(lab, ap).close_session()
    finally:
        lab.start_netconf(ap)
    with nc_connect(lab, ap) as s:
        host = s.get_config("running").data_ele.xpath("//n:hostname/text()", namespaces={"n": NWAP})
        assert host == [ap]


def test_openconfig_ap_serves_openconfig_wifi_modules(lab: Any) -> None:
    with nc_connect(lab, "zoo-koala-ap04") as s:
        caps = " ".join(s.server_capabilities)
    assert "openconfig-wifi-mac" in caps and "openconfig-wifi-phy" in caps


# -- SSH CLI (netmiko) ------------------------------------------------------------------------------


def test_ssh_openwrt_simulator_uci_roundtrip(lab: Any) -> None:
    from netmiko import ConnectHandler

    creds = json.loads(lab.secrets["lab/ssh"])
    host, port = lab.endpoints["ssh"]["tram-1036-ap01"].rsplit(":", 1)
    params = dict(
        device_type="linux",
        host=host,
        port=int(port),
        username=creds["username"],
        password=creds["password"],
        allow_agent=False,
        use_keys=False,
    )
    ssid = f"DVG-{int(time.time() * 1000) % 10**9}"
    conn = ConnectHandler(**params)
    try:
        assert conn.find_prompt() == "root@tram-1036-ap01:~#"
        assert conn.send_command(f"uci set wireless.default_radio1.ssid={ssid}") == ""
        assert conn.send_command("uci set wireless.nosuch.ssid=x") == "uci: Invalid argument"
        assert conn.send_command("uci get wireless.radio0.nosuch") == "uci: Entry not found"
        assert f"wireless.default_radio1.ssid='{ssid}'" in conn.send_command("uci changes")
        conn.send_command("uci commit wireless")
        assert conn.send_command("wifi reload") == ""
    finally:
        logout(conn)
    conn = ConnectHandler(**{**params, "password": None, "use_keys": True, "key_file": creds["key_file"]})
    try:
        assert conn.send_command("uci get wireless.default_radio1.ssid") == ssid
        assert f"option ssid '{ssid}'" in conn.send_command("cat /etc/config/wireless")
        conn.send_command("uci set wireless.default_radio1.ssid=OpenWrt")
        conn.send_command("uci commit wireless")
    finally:
        logout(conn)


def logout(conn: Any) -> None:
    """Leave a root shell. netmiko's linux driver takes the ``#`` prompt for config mode and, on
    disconnect(), waits its read timeout for a prompt after ``exit``; a root shell just ends."""
    conn.write_channel("exit\n")
    conn.paramiko_cleanup()


def test_ssh_ios_style_switch_vlan_roundtrip(lab: Any) -> None:
    from netmiko import ConnectHandler

    creds = json.loads(lab.secrets["lab/ios"])
    host, port = lab.endpoints["ios"]["gym-adolfinum-sw01"].rsplit(":", 1)
    with ConnectHandler(
        device_type="cisco_ios",
        host=host,
        port=int(port),
        username=creds["username"],
        password=creds["password"],
        secret=creds["secret"],
        allow_agent=False,
        use_keys=False,
    ) as sw:
        sw.enable()
        assert sw.find_prompt() == "gym-adolfinum-sw01#"
        sw.send_config_set(["vlan 777", "name lab-smoke", "exit"], exit_config_mode=False)
        sw.exit_config_mode(exit_config="exit")
        assert "lab-smoke" in sw.send_command("show vlan brief")
        sw.send_config_set(["no vlan 777"], exit_config_mode=False)
        sw.exit_config_mode(exit_config="exit")
        assert "lab-smoke" not in sw.send_command("show vlan brief")


# -- the lab itself ---------------------------------------------------------------------------------


def test_lab_up_is_idempotent_and_status_reports_the_peers(lab: Any) -> None:
    env_cmd = [sys.executable, "-m", "lab", "--dir", str(lab.dir)]
    up = subprocess.run([*env_cmd, "up"], capture_output=True, text=True, timeout=120)
    assert up.returncode == 0, up.stderr
    assert "lab already running" in up.stdout
    st = subprocess.run([*env_cmd, "status", "--json"], capture_output=True, text=True, timeout=60)
    status = json.loads(st.stdout)
    assert st.returncode == 0 and status["running"] is True
    # 46 NETCONF APs of the city files and Bochum's two (inventory/bochum.yaml)
    assert len(status["endpoints"]["netconf"]) == 48 and len(status["endpoints"]["ios"]) == 14
    assert set(json.loads((lab.dir / "secrets.json").read_text())) >= {
        "lab/snmp-community",
        "lab/snmpv3-auth",
        "lab/snmpv3-priv",
        "lab/netconf",
        "lab/ssh",
        "lab/ios",
    }
    assert all(addr.startswith("127.") for kind in status["endpoints"].values() for addr in kind.values())
    from click.testing import CliRunner

    from netctl.cli import cli

    out = CliRunner().invoke(cli, ["lab", "status", "--dir", str(lab.dir)])
    assert out.exit_code == 0, out.output
    assert "lab running" in out.output and "gs-meiderich-ap01 127.1.1.1:10011" in out.output


def test_bench_inventory_matches_synthetic_aps(tmp_path: Path) -> None:
    from lab.inventory import synthetic_aps

    out = tmp_path / "bench.yaml"
    res = subprocess.run(
        [sys.executable, "-m", "lab", "inventory", "--count", "300", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    doc = yaml.safe_load(out.read_text())
    assert [a["address"] for a in doc["aps"]] == [d.address for d in synthetic_aps(300)]
    assert doc["aps"][299]["address"] == "127.3.1.50" and doc["tenants"][0]["name"] == "bench"


def test_down_stops_tracked_processes_and_ignores_stale_pid_files(tmp_path: Path) -> None:
    from lab import procs
    from lab.lab import Lab

    marker = str(tmp_path / "sleeper")
    proc = procs.spawn(tmp_path, "sleeper", ["sh", "-c", "sleep 60", marker], marker=marker, log=tmp_path / "s.log")
    other = subprocess.Popen(["sleep", "60"])  # an unrelated process behind a stale pid file
    (tmp_path / "run" / "stale.pid").write_text(f"{other.pid}\n/some/other/marker\n")
    try:
        assert procs.running(tmp_path) == {"sleeper": proc.pid}
        assert Lab(dir=tmp_path).down() == ["sleeper"]
        assert proc.wait(timeout=5) is not None
        assert other.poll() is None, "a stale pid file must never kill an unrelated process"
        assert not list((tmp_path / "run").glob("*.pid"))
    finally:
        other.kill()
        other.wait()


def test_recordings_name_the_ap_and_its_model() -> None:
    from lab.inventory import read_inventory
    from lab.snmp import render_snmprec

    devices = {d.name: d for d in read_inventory()}
    assert len(devices) == 76 and sum(d.platform == "openwrt" for d in devices.values()) == 16
    rec = render_snmprec(devices["zoo-koala-ap04"])
    lines = rec.splitlines()
    oids = [tuple(int(x) for x in line.split("|")[0].split(".")) for line in lines]
    assert oids == sorted(oids), "snmpsim needs recordings sorted by OID"
    assert f"{SYSNAME}|4|zoo-koala-ap04" in lines
    assert any(line.startswith(f"{SYSDESCR}|4|OC-AP 300 ") for line in lines)
    assert f"{VAP}.6.0|4|Zoo-Gaeste" in lines and f"{VAP}.6.2|4|Zoo-Betrieb" in lines
    assert any(line.startswith(f"{VAP}.8.3|2:numeric|") for line in lines)
    assert render_snmprec(devices["zoo-koala-ap04"]) == rec, "recordings are deterministic per AP"


def test_benchmark_fleets_answer_and_stop(lab: Any) -> None:
    from lab import start_netconf_fleet, start_snmpd_fleet, stop_netconf_fleet, stop_snmpd_fleet

    v3 = ("labuser", lab.secrets["lab/snmpv3-auth"], lab.secrets["lab/snmpv3-priv"])
    try:
        agents = start_snmpd_fleet(150, base="127.7", lab=lab, name="smoke")
        assert len(agents) == 150 and agents[-1] == ("127.7.0.150", 1161)
        assert snmp_get("127.7.0.150:1161", [SYSNAME], v3=v3) == {SYSNAME: "smoke-snmpd1"}
        aps = start_netconf_fleet(2, lab=lab, base="127.8", name="smoke")
        assert [a[0] for a in aps] == ["smoke-nc0001", "smoke-nc0002"]
        lab.endpoints.setdefault("netconf", {})["smoke-nc0002"] = f"{aps[1][1]}:{aps[1][2]}"
        with nc_connect(lab, "smoke-nc0002") as s:
            assert s.get_config("running").data_ele.xpath("//n:hostname/text()", namespaces={"n": NWAP}) == [
                "smoke-nc0002"
            ]
    finally:
        lab.endpoints["netconf"].pop("smoke-nc0002", None)
        assert stop_snmpd_fleet(lab, name="smoke") == 2
        assert stop_netconf_fleet(lab, name="smoke") == 3
    assert snmp_get("127.7.0.1:1161", [SYSNAME], community=lab.secrets["lab/snmp-community"], timeout=0.3) is None
