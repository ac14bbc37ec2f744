"""Every value the poller reads equals what net-snmp's ``snmpget``/``snmpbulkwalk`` read, on both SNMP paths.

The poller's own reading (the ``(type, value)`` pairs its SNMP layer hands to the pure decoder) is taken
as it passes into :func:`netctl.poll.decode.decode`; the reference is net-snmp's command-line tools
against the same agent, parsed here independently (``-On -Ox -Oe``: numeric OIDs, octet strings in hex,
numeric enums). Profiles ``wlan-ap-full``, ``legacy-if`` and ``scalar`` together read every OID of every
profile (system group, ifNumber, ifTable, ifXTable, the ifTable fallback, hrProcessorLoad, hrStorage,
UCD memory, UniFi radio and VAP tables).

Agents: (a) the lab's reference net-snmp snmpd and simulated APs of the example city, (b) snmpsim serving
recordings of real devices (``tests/data/snmpsim-data``, see its NOTICE): an Aruba 7210 and a Ruckus
SmartCell Gateway WLAN controller, a Sangfor WLAN controller without ifXTable, a Ubiquiti NanoStation M5
AP and a Linux host. The quirks these devices have are tests of their own at the end.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import netctl.poll.fast
import netctl.poll.snmp
from netctl.poll.decode import decode
from netctl.poll.model import Target
from netctl.poll.oids import PROFILES
from netctl.poll.snmp import poll_targets
from tests.lab.agents import snmpsim_recordings

pytestmark = pytest.mark.lab

RECORDINGS = Path(__file__).resolve().parent.parent / "data" / "snmpsim-data"
HOSTS = ["127.9.14.1", "127.9.14.2", "127.9.14.3"]
#: together these profiles read every OID any profile reads
READING_PROFILES = ("wlan-ap-full", "legacy-if", "scalar")
REFERENCE = ("127.1.0.161", 1161)
ENV = {"MIBS": "", "PATH": "/usr/bin:/bin"}
#: the SMI type names both sides may use for one type
ALIASES = {"Integer32": "Integer", "Unsigned32": "Gauge32"}
GROWING = frozenset({"Counter32", "Counter64", "TimeTicks"})
#: gauges of a live agent that move on their own between two reads (the lab's simulated APs follow a wave
#: with jitter): compared by type only. Everything else, and everything of a recording, is compared by value.
MOVING = ("1.3.6.1.2.1.25.3.3.1.2.", "1.3.6.1.2.1.25.2.3.1.6.", "1.3.6.1.4.1.2021.4.6.0",
          "1.3.6.1.4.1.41112.1.6.1.1.1.6.", "1.3.6.1.4.1.41112.1.6.1.2.1.8.")

Typed = tuple[str, Any]


# -- net-snmp's reading, parsed independently -----------------------------------------------------------
def text_of(raw: bytes) -> str:
    """An octet string as the poller renders it: UTF-8 text when printable, else ``0x`` + hex."""
    try:
        text = raw.decode("utf-8")
        if text.isprintable() or not raw:
            return text
    except UnicodeDecodeError:
        pass
    return "0x" + raw.hex()


def parse_value(text: str) -> Typed:
    if text.startswith("No Such Instance"):
        return "noSuchInstance", None
    if text.startswith("No Such Object"):
        return "noSuchObject", None
    if text.startswith("No more variables"):
        return "endOfMibView", None
    if text == '""':
        return "OctetString", ""
    kind, _, value = text.partition(": ")
    if kind == "Hex-STRING":
        return "OctetString", text_of(bytes.fromhex(value))
    if kind == "STRING":  # printable text net-snmp shows as such even with -Ox
        return "OctetString", value[1:-1] if value.startswith('"') else value
    if kind == "OID":
        return "ObjectIdentifier", value.lstrip(".")
    if kind == "Timeticks":
        return "TimeTicks", int(value.split(")")[0].lstrip("("))
    if kind == "IpAddress":
        return "IpAddress", value
    if kind in ("INTEGER", "Counter32", "Counter64", "Gauge32"):
        return {"INTEGER": "Integer"}.get(kind, kind), int(value.split()[0])
    raise AssertionError(f"net-snmp value not understood: {text!r}")


def netsnmp(tool: str, target: Target, *oids: str) -> dict[str, Typed]:
    """``snmpget``/``snmpbulkwalk`` of ``oids`` as OID -> (type, value); multi-line hex values joined."""
    argv = [tool, "-v2c", "-c", target.community or "", "-On", "-Ox", "-Oe", "-t", "2", "-r", "1",
            f"{target.host}:{target.port}", *oids]
    if tool == "snmpbulkwalk":
        argv[1:1] = ["-Cr10"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=ENV)
    assert out.returncode == 0, out.stderr
    lines: list[list[str]] = []
    for line in out.stdout.splitlines():
        if line.startswith(".") and " = " in line:
            oid, _, value = line.partition(" = ")
            lines.append([oid.lstrip("."), value.strip()])
        elif lines:  # a long Hex-STRING goes on over several lines
            lines[-1][1] += " " + line.strip()
    return {oid: parse_value(value) for oid, value in lines}


def walk(target: Target, prefix: str) -> dict[str, Typed]:
    """The rows ``snmpbulkwalk`` finds under ``prefix`` (for an empty subtree it GETs the prefix itself)."""
    return {oid: typed for oid, typed in netsnmp("snmpbulkwalk", target, prefix).items()
            if oid.startswith(prefix + ".")}


def reference(target: Target, walked: dict[str, dict[str, Any]]) -> tuple[dict[str, Typed], dict[str, Any]]:
    """net-snmp's reading of what the poller read: the profile's scalars and every column it walked."""
    profile = PROFILES[target.profile]
    got = netsnmp("snmpget", target, *profile.scalars.values())
    scalars = {name: got[oid] for name, oid in profile.scalars.items()}
    tables: dict[str, dict[str, dict[str, Typed]]] = {}
    specs = {**profile.tables, **{name: spec for name, (_missing, spec) in profile.fallbacks.items()}}
    for table, columns in walked.items():
        for column in columns:
            prefix = specs[table].column_oid(column)
            tables.setdefault(table, {})[column] = {oid[len(prefix) + 1:]: typed
                                                    for oid, typed in walk(target, prefix).items()}
    return scalars, tables


# -- the poller's reading ---------------------------------------------------------------------------------
@pytest.fixture
def readings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any], dict[str, Any]]]]:
    """What each poll's SNMP layer handed to the decoder: ``(profile, scalars, tables)`` per poll."""
    seen: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def spy(profile: Any, scalars: Any, tables: Any) -> dict[str, Any]:
        seen.append((profile.name, scalars, tables))
        return decode(profile, scalars, tables)

    monkeypatch.setattr(netctl.poll.fast, "decode", spy)
    monkeypatch.setattr(netctl.poll.snmp, "decode", spy)
    yield seen


def poll_and_compare(target: Target, fast: bool, seen: list[Any], *, live: bool) -> tuple[Any, Any]:
    """Poll ``target`` alone, read the same OIDs with net-snmp right after, compare value by value."""
    seen.clear()
    [result] = poll_targets([target], fast=fast, timeout=2, retries=1)
    assert result.ok, f"{target.ap} ({target.profile}, fast={fast}): {result.error}"
    [(profile, scalars, tables)] = seen
    assert profile == target.profile
    want_scalars, want_tables = reference(target, tables)
    where = f"{target.ap} ({target.profile}, {'fast path' if fast else 'pysnmp'})"
    for name, typed in scalars.items():
        same(where, PROFILES[profile].scalars[name], typed, want_scalars[name], live=live)
    assert set(tables) >= set(PROFILES[profile].tables), where
    # the fallback was walked exactly when net-snmp sees no 64-bit octets for interfaces it has
    needed = PROFILES[profile].fallback_tables(want_tables)
    assert set(tables) - set(PROFILES[profile].tables) == set(needed), where
    specs = {**PROFILES[profile].tables, **{n: spec for n, (_m, spec) in PROFILES[profile].fallbacks.items()}}
    for table, columns in tables.items():
        for column, rows in columns.items():
            want = want_tables[table][column]
            prefix = specs[table].column_oid(column)
            assert list(rows) == list(want), f"{where}: rows of {prefix} ({table}.{column}) differ"
            for index, typed in rows.items():
                same(where, f"{prefix}.{index}", typed, want[index], live=live)
    return result, (want_scalars, want_tables)


def same(where: str, what: str, got: Typed, want: Typed, *, live: bool) -> None:
    got_type, want_type = ALIASES.get(got[0], got[0]), ALIASES.get(want[0], want[0])
    assert got_type == want_type, f"{where}: {what} is {got} for netctl, {want} for net-snmp"
    if got[1] == want[1]:
        return
    if got_type in GROWING and isinstance(got[1], int) and 0 <= want[1] - got[1] <= (10**9 if live else 6000):
        return  # read a moment later by net-snmp (a live counter, or snmpsim's numeric sysUpTime)
    if live and got_type in ("Integer", "Gauge32") and any(what.startswith(m) for m in MOVING):
        return
    raise AssertionError(f"{where}: {what} is {got!r} for netctl, {want!r} for net-snmp")


# -- (a) the lab's agents ---------------------------------------------------------------------------------
def test_lab_agents_values_equal_net_snmp(city: Any, lab: Any, readings: Any) -> None:
    from netctl.poll.ops import build_targets

    aps = city.session.select()
    targets, failed = build_targets(city.session.db, aps)
    assert not failed
    v2c = [t for t in targets if t.version == "2c"]
    chosen: dict[str, Target] = {}
    for target in v2c:  # one AP per platform of the example city
        platform = next(a["platform"] for a in aps if a["name"] == target.ap)
        chosen.setdefault(platform, target)
    assert len(chosen) >= 2
    agents = [*chosen.values(), Target("reference-snmpd", *REFERENCE, "2c", community=lab.community)]
    for target in agents:
        for profile in READING_PROFILES:
            for fast in (True, False):
                poll_and_compare(Target(target.ap, target.host, target.port, "2c", community=target.community,
                                        profile=profile), fast, readings, live=True)


# -- (b) recordings of real devices ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def devices() -> Iterator[dict[str, Target]]:
    recordings = sorted(RECORDINGS.glob("*.snmprec"))
    with snmpsim_recordings(recordings, HOSTS) as served:
        yield {name: Target(name, HOSTS[i % len(HOSTS)], 1161, "2c", community=name)
               for i, name in enumerate(sorted(served))}


def as_profile(target: Target, profile: str) -> Target:
    return Target(target.ap, target.host, target.port, "2c", community=target.community, profile=profile)


@pytest.mark.parametrize("device", ["aruba-7210", "ruckus-smartcell-gateway", "sangfor-wac-2", "slackware",
                                    "ubiquiti-m5"])
def test_recorded_devices_values_equal_net_snmp(devices: dict[str, Target], readings: Any, device: str) -> None:
    for profile in READING_PROFILES:
        for fast in (True, False):
            poll_and_compare(as_profile(devices[device], profile), fast, readings, live=False)


# -- quirks of the recorded devices, through netctl poll and the store ------------------------------------
def poll_twice(api: Any, devices: dict[str, Target], device: str, profile: str = "wlan-ap") -> Any:
    """Poll a recorded device twice as an inventory AP (recorded, rates between the two polls)."""
    target = devices[device]
    api.inventory.import_secrets({f"rec/{device}": device})
    if not api.session.db["tenants"].count:
        api.session.db.table("tenants").insert({"name": "t", "title": "t", "vars": "{}"}, pk="name")
        api.session.db.table("sites").insert({"name": "s", "tenant": "t", "kind": "school", "vars": "{}"}, pk="name")
    api.inventory.add_ap({"name": device, "tenant": "t", "site": "s", "platform": "openwrt", "address": target.host,
                "snmp": {"version": "2c", "port": target.port, "community": f"secret:rec/{device}",
                         "profile": profile}})
    [first] = api.monitor.poll(device, timeout=2, retries=1)
    time.sleep(1.1)
    [second] = api.monitor.poll(device, timeout=2, retries=1)
    assert first.ok and second.ok, (first.error, second.error)
    return second


def test_aruba_controller_ifnumber_disagrees_and_same_named_ports_stay_apart(api: Any,
                                                                           devices: dict[str, Target]) -> None:
    # an Aruba 7210 answers ifNumber 13 but serves 22 ifTable rows; 8 are "Link Aggregate", 7 "802.1Q VLAN"
    ifnumber = netsnmp("snmpget", devices["aruba-7210"], "1.3.6.1.2.1.2.1.0")["1.3.6.1.2.1.2.1.0"]
    assert ifnumber == ("Integer", 13)
    result = poll_twice(api, devices, "aruba-7210")
    rows = walk(devices["aruba-7210"], "1.3.6.1.2.1.2.2.1.2")
    assert len(result.values["interfaces"]) == len(rows) == 22  # every row, not ifNumber's count
    series = {r["metric"]: r["label"] for r in api.monitor.metrics("aruba-7210", metric="in_bps:*", since="10m")}
    assert len(series) == 22
    assert sorted(series.values()).count("Link Aggregate") == 8
    assert sorted(series.values()).count("802.1Q VLAN") == 7
    assert {int(m.split(":if")[1]) for m in series} == {int(oid.rsplit(".", 1)[1]) for oid in rows}


@pytest.mark.parametrize("device", ["sangfor-wac-2", "ubiquiti-m5"])
def test_agents_without_ifxtable_get_traffic_from_32_bit_counters(api: Any, devices: dict[str, Target],
                                                                  device: str) -> None:
    assert not walk(devices[device], "1.3.6.1.2.1.31.1.1.1.6")
    result = poll_twice(api, devices, device)
    assert {i["counter_bits"] for i in result.values["interfaces"]} == {32}
    assert "traffic" not in result.values["unavailable"]
    metrics = {r["metric"] for r in api.monitor.metrics(device, since="10m")}
    assert {"in_bps", "out_bps"} <= metrics


def test_an_airmax_ap_without_the_unifi_vap_table_has_clients_not_available(api: Any,
                                                                            devices: dict[str, Target]) -> None:
    # the NanoStation M5 serves UBNT's airMAX MIB (41112.1.4), not the UniFi VAP table (41112.1.6)
    assert not walk(devices["ubiquiti-m5"], "1.3.6.1.4.1.41112.1.6")
    result = poll_twice(api, devices, "ubiquiti-m5")
    assert result.values["clients"] is None and "clients" in result.values["unavailable"]
    [row] = api.monitor.status("ubiquiti-m5")["aps"]
    assert row["state"] == "up" and row["clients"] is None
    assert "unifiVapTable" in row["unavailable"]["clients"]
    assert "clients" not in {r["metric"] for r in api.monitor.metrics("ubiquiti-m5", since="10m")}
