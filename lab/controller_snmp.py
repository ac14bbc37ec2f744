"""SNMP recordings of the lab's WLAN controllers: the AP tables a Huawei AC and a Cisco Catalyst 9800 serve.

Written by the project (not captured from devices), deterministically from the controller's inventory
entry (name, platform, model, serial, address): the same entry always gives the same file. snmpsim
serves them on the controller's own ``address:1161`` like every simulated AP (:mod:`lab.snmp` calls
:func:`render_controller_snmprec` for platforms ``huawei-ac`` and ``cisco-9800``). Values are static
(no snmpsim variation), so a walk by netctl and one by ``snmpbulkwalk`` in the same test see the same
rows and client counts.

Per controller: the SNMPv2-MIB system group and 40 APs, some of them down, with their clients:

``huawei-ac`` (HUAWEI-WLAN-AP-MIB ``hwWlanApTable`` 1.3.6.1.4.1.2011.6.139.13.3.3.1, INDEX hwWlanApMac;
HUAWEI-WLAN-VAP-MIB ``hwWlanVapInfoTable`` 1.3.6.1.4.1.2011.6.139.17.1.1.1, INDEX AP MAC, radio, WLAN ID):
APs ``du-sw-apNN`` (group ``schulen``) and ``du-zoo-apNN`` (group ``zoo``), MACs ``60de-4476-e360`` and up
(the first two are the APs the AC simulator's configuration names); run states normal (8), fault (4:
three APs), idle (1: one) and download (7: one); the VAPs of an AP (radios 0 and 1; WLAN 1
Schule-Verwaltung, and WLAN 2 Schule-Lernen in group schulen, as the AC's ap-groups say) hold its
hwWlanApOnlineUserNum clients between them.

``cisco-9800`` (AIRESPACE-WIRELESS-MIB ``bsnAPTable`` 1.3.6.1.4.1.14179.2.2.1.1 and ``bsnAPIfTable``
1.3.6.1.4.1.14179.2.2.2.1): APs ``do-PLACE-apNN`` in AP groups ``do-quartiere``/``do-strassen``, MACs
``70:db:98:3a:1c:00`` and up, operation status associated (1), disassociating (2: three APs), downloading
(3: one); two radios per AP (slot 0 2.4 GHz, slot 1 5 GHz; one associated AP has its 5 GHz radio down),
bsnApIfNoOfUsers per radio. No client (station) table: netctl never reads one (docs/privacy.md).

A second Huawei AC, Gelsenkirchen's ``ge-ac01``, has a layout of its own (:data:`HUAWEI_LAYOUTS`): APs
``ge-zentrum-apNN`` (group ``zentrum``, WLANs 1 GE-Verwaltung and 2 Gelsenkirchen-Free-WLAN) and ``ge-depot-apNN``
(group ``verkehr``, WLAN 1), MACs ``60de-4477-1000`` and up, addresses in 10.50.0.0/16; the states and
client draws follow the same pattern. Any other Huawei AC (the benchmark's) gets Duisburg's layout.

Bigger controllers for benchmarks (tests/bench/bench_controller.py): ``aps=N`` repeats the pattern of
the 40 (the same states and the down radio every 40 APs, addresses counting on) and ``clients=M``
scales the clients so that the APs serve exactly M between them. The lab's recordings are the
defaults (40 APs, clients as drawn) and do not change with these.

``python -m lab.controller_snmp --out DIR`` writes ``<controller>.snmprec`` for every controller of the
lab inventory (``inventory/*-controller.yaml``) into DIR.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from lab.inventory import CONTROLLER_FILES, LabDevice, read_inventory

SYS = "1.3.6.1.2.1.1"
HW_AP = "1.3.6.1.4.1.2011.6.139.13.3.3.1"
HW_VAP = "1.3.6.1.4.1.2011.6.139.17.1.1.1"
BSN_AP = "1.3.6.1.4.1.14179.2.2.1.1"
BSN_AP_IF = "1.3.6.1.4.1.14179.2.2.2.1"

#: platforms whose recording this module writes
PLATFORMS = ("huawei-ac", "cisco-9800")
APS_PER_CONTROLLER = 40

HUAWEI_MODELS = ("AirEngine5760-10", "AP4050DN", "AP6050DN", "AirEngine6760-X1")


@dataclass(frozen=True)
class HuaweiKind:
    """One kind of AP behind a Huawei AC: its name part, AP group, third address octet and WLANs
    (WLAN ID, SSID, VAP profile; WLAN 1 is the staff WLAN, the others carry three times its clients)."""

    part: str
    group: str
    octet: int
    wlans: tuple[tuple[int, str, str], ...]


@dataclass(frozen=True)
class HuaweiLayout:
    """What a Huawei AC's recording holds: AP names ``<prefix>-<part>-apNN`` of two kinds (the second at
    AP 1 and every fourth AP from AP 3), MACs from ``mac_base`` and addresses in ``net``."""

    prefix: str
    kinds: tuple[HuaweiKind, HuaweiKind]
    mac_base: str
    net: str


_DU_STAFF = (1, "Schule-Verwaltung", "verwaltung")
_GE_STAFF = (1, "GE-Verwaltung", "verwaltung")
#: the AP tables of each Huawei AC of the lab, by controller name (others: Duisburg's)
HUAWEI_LAYOUTS = {
    "du-ac01": HuaweiLayout("du", (HuaweiKind("sw", "schulen", 10, (_DU_STAFF, (2, "Schule-Lernen", "lernen"))),
                                   HuaweiKind("zoo", "zoo", 20, (_DU_STAFF,))), "60:de:44:76:e3:60", "10.40"),
    "ge-ac01": HuaweiLayout("ge", (HuaweiKind("zentrum", "zentrum", 10,
                                              (_GE_STAFF, (2, "Gelsenkirchen-Free-WLAN", "free"))),
                                   HuaweiKind("depot", "verkehr", 20, (_GE_STAFF,))), "60:de:44:77:10:00", "10.50"),
}


def huawei_layout(dev: LabDevice) -> HuaweiLayout:
    """The layout of Huawei AC ``dev``'s recording."""
    return HUAWEI_LAYOUTS.get(dev.name, HUAWEI_LAYOUTS["du-ac01"])
#: AP number (0-based) -> hwWlanApRunState: 4 fault, 1 idle, 7 download; the others normal (8)
HUAWEI_NOT_NORMAL = {7: 4, 23: 4, 31: 4, 38: 1, 15: 7}
CISCO_MODELS = ("C9120AXI-E", "C9130AXI-E", "C9115AXI-E", "AIR-AP2802I-E-K9")
CISCO_PLACES = (("hbf", "do-quartiere"), ("phoenix-see", "do-quartiere"), ("borsigplatz", "do-quartiere"),
                ("westfalenpark", "do-quartiere"), ("kampstrasse", "do-strassen"), ("hansaplatz", "do-strassen"))
#: AP number -> bsnAPOperationStatus: 2 disassociating, 3 downloading; the others associated (1)
CISCO_NOT_ASSOCIATED = {5: 2, 18: 2, 33: 2, 26: 3}
#: an associated AP whose 5 GHz radio (slot 1) is down
CISCO_RADIO_DOWN = 11


@dataclass(frozen=True)
class RecordedAp:
    """One AP of a recording, as the test and the docs read it back."""

    name: str
    mac: str
    ip: str
    model: str
    serial: str
    group: str
    state: int
    clients: int


def _index(mac: str) -> str:
    return ".".join(str(int(part, 16)) for part in mac.split(":"))


def _mac(base: str, number: int) -> str:
    value = int(base.replace(":", ""), 16) + number
    digits = f"{value:012x}"
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def _rng(dev: LabDevice) -> random.Random:
    return random.Random(hashlib.sha256(f"controller/{dev.name}".encode()).digest())


def _ip(net: str, third: int, host: int) -> str:
    """``net.third.host`` for ``host`` < 256, carried into the third octet beyond (big recordings)."""
    return f"{net}.{third + host // 256}.{host % 256}"


def _scaled(aps: list[RecordedAp], clients: int | None) -> list[RecordedAp]:
    """``aps`` with their clients scaled to ``clients`` in total (None: as drawn), in proportion to
    what each drew; the rounding remainder goes one each to the first APs that serve clients."""
    if clients is None:
        return aps
    drawn = sum(ap.clients for ap in aps)
    serving = [i for i, ap in enumerate(aps) if ap.clients]
    if clients < 0 or (clients and not serving):
        raise ValueError(f"cannot give {clients} clients to {len(serving)} APs that serve clients")
    shares = [ap.clients * clients // drawn if drawn else 0 for ap in aps]
    for i in serving[:clients - sum(shares)]:
        shares[i] += 1
    return [dataclasses.replace(ap, clients=share) for ap, share in zip(aps, shares, strict=True)]


def huawei_aps(dev: LabDevice, aps: int = APS_PER_CONTROLLER, clients: int | None = None) -> list[RecordedAp]:
    """The APs of a Huawei AC recording (``aps`` of them; ``clients`` in total, default as drawn)."""
    rng = _rng(dev)
    layout = huawei_layout(dev)
    out = []
    counts = [0, 0]
    for i in range(aps):
        second = i == 1 or i % 4 == 3
        kind = layout.kinds[second]
        counts[second] += 1
        state = HUAWEI_NOT_NORMAL.get(i % APS_PER_CONTROLLER, 8)
        out.append(RecordedAp(
            name=f"{layout.prefix}-{kind.part}-ap{counts[second]:02d}", mac=_mac(layout.mac_base, i),
            ip=_ip(layout.net, kind.octet, 10 + i), model=HUAWEI_MODELS[i % len(HUAWEI_MODELS)],
            serial=f"2102353VUR10M{rng.randrange(10**7):07d}", group=kind.group,
            state=state, clients=rng.randrange(0, 31) if state == 8 else 0,
        ))
    return _scaled(out, clients)


def cisco_aps(dev: LabDevice, aps: int = APS_PER_CONTROLLER, clients: int | None = None) -> list[RecordedAp]:
    """The APs of a Catalyst 9800 recording (``aps`` of them; ``clients`` in total, default as drawn)."""
    rng = _rng(dev)
    out = []
    counts: dict[str, int] = {}
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    for i in range(aps):
        place, group = CISCO_PLACES[i % len(CISCO_PLACES)]
        counts[place] = counts.get(place, 0) + 1
        state = CISCO_NOT_ASSOCIATED.get(i % APS_PER_CONTROLLER, 1)
        serial = "FJC" + str(2230 + rng.randrange(0, 120)) + "".join(rng.choice(letters) for _ in range(4))
        # 6 places per 256 addresses: the third octet counts on by 6 when the fourth wraps
        host = 20 + i
        out.append(RecordedAp(
            name=f"do-{place}-ap{counts[place]:02d}", mac=_mac("70:db:98:3a:1c:00", i),
            ip=_ip("10.60", 10 + i % len(CISCO_PLACES) + (len(CISCO_PLACES) - 1) * (host // 256), host),
            model=CISCO_MODELS[i % len(CISCO_MODELS)],
            serial=serial, group=group, state=state, clients=rng.randrange(0, 41) if state == 1 else 0,
        ))
    return _scaled(out, clients)


def recorded_aps(dev: LabDevice, aps: int = APS_PER_CONTROLLER, clients: int | None = None) -> list[RecordedAp]:
    """The APs ``dev``'s recording lists (empty for a platform this module does not record); ``aps`` and
    ``clients`` as for :func:`render_controller_snmprec`."""
    if dev.platform == "huawei-ac":
        return huawei_aps(dev, aps, clients)
    if dev.platform == "cisco-9800":
        return cisco_aps(dev, aps, clients)
    return []


def huawei_vaps(ap: RecordedAp, layout: HuaweiLayout) -> list[tuple[int, int, str, str, int]]:
    """``(radio, wlan id, SSID, VAP profile, clients)`` of each VAP of a Huawei AP: its clients split over
    them (pupils and passengers outnumber staff), as the AC's ap-groups place the WLANs."""
    kind = next(k for k in layout.kinds if k.group == ap.group)
    vaps = [(radio, wlan, ssid, profile) for wlan, ssid, profile in kind.wlans for radio in (0, 1)]
    weights = [1 if wlan == 1 else 3 for _r, wlan, _s, _p in vaps]
    shares = [ap.clients * w // sum(weights) for w in weights]
    shares[-1] += ap.clients - sum(shares)
    return [(*vap, share) for vap, share in zip(vaps, shares, strict=True)]


def _system(dev: LabDevice, rows: list[tuple[str, str, str]], descr: str, object_id: str, rng: random.Random) -> None:
    rows += [
        (f"{SYS}.1.0", "4", descr),
        (f"{SYS}.2.0", "6", object_id),
        (f"{SYS}.3.0", "67:numeric", f"rate=100,initial={rng.randrange(10**8, 10**9)}"),
        (f"{SYS}.4.0", "4", "noc@netctl.example"),
        (f"{SYS}.5.0", "4", dev.name),
        (f"{SYS}.6.0", "4", f"netctl lab {dev.address}"),
        (f"{SYS}.7.0", "2", "6"),
    ]


def render_controller_snmprec(dev: LabDevice, aps: int = APS_PER_CONTROLLER, clients: int | None = None) -> str:
    """The recording of controller ``dev`` (``huawei-ac`` or ``cisco-9800``), rows sorted by OID: ``aps``
    APs (default: the lab's 40) serving ``clients`` clients in total (default: as drawn per AP)."""
    rng = _rng(dev)
    rows: list[tuple[str, str, str]] = []
    if dev.platform == "huawei-ac":
        _system(dev, rows, f"Huawei Versatile Routing Platform Software, VRP (R) software, Version 5.170 "
                           f"({dev.model} V200R019C00SPC500), serial {dev.serial} [netctl lab recording]",
                "1.3.6.1.4.1.2011.2.240.12", rng)
        for i, ap in enumerate(huawei_aps(dev, aps, clients)):
            idx = _index(ap.mac)
            rows += [
                (f"{HW_AP}.2.{idx}", "4", ap.serial), (f"{HW_AP}.3.{idx}", "4", ap.model),
                (f"{HW_AP}.4.{idx}", "4", ap.name), (f"{HW_AP}.5.{idx}", "4", ap.group),
                (f"{HW_AP}.6.{idx}", "2", str(ap.state)), (f"{HW_AP}.13.{idx}", "64", ap.ip),
                (f"{HW_AP}.18.{idx}", "66", str(rng.randrange(360_000, 350_000_000) if ap.state == 8 else 0)),
                (f"{HW_AP}.44.{idx}", "2", str(ap.clients)), (f"{HW_AP}.67.{idx}", "66", str(i)),
            ]
            if ap.state != 8:
                continue  # an AP that is not online has no VAPs
            for radio, wlan, ssid, profile, users in huawei_vaps(ap, huawei_layout(dev)):
                vidx = f"{idx}.{radio}.{wlan}"
                rows += [(f"{HW_VAP}.4.{vidx}", "4", profile),
                         (f"{HW_VAP}.6.{vidx}", "4", ssid), (f"{HW_VAP}.7.{vidx}", "4", ap.name),
                         (f"{HW_VAP}.9.{vidx}", "2", str(users)), (f"{HW_VAP}.10.{vidx}", "2", "1"),
                         (f"{HW_VAP}.11.{vidx}", "66", str(i))]
    elif dev.platform == "cisco-9800":
        _system(dev, rows, f"Cisco IOS Software [Dublin], C9800 Software (C9800_IOSXE-K9), Version 17.12.1, "
                           f"RELEASE SOFTWARE (fc5), {dev.model} serial {dev.serial} [netctl lab recording]",
                "1.3.6.1.4.1.9.1.2669", rng)
        for i, ap in enumerate(cisco_aps(dev, aps, clients)):
            idx = _index(ap.mac)
            rows += [
                (f"{BSN_AP}.1.{idx}", "4x", ap.mac.replace(":", "")), (f"{BSN_AP}.2.{idx}", "2", "2"),
                (f"{BSN_AP}.3.{idx}", "4", ap.name), (f"{BSN_AP}.4.{idx}", "4", f"Dortmund {ap.group}"),
                (f"{BSN_AP}.6.{idx}", "2", str(ap.state)), (f"{BSN_AP}.16.{idx}", "4", ap.model),
                (f"{BSN_AP}.17.{idx}", "4", ap.serial), (f"{BSN_AP}.19.{idx}", "64", ap.ip),
                (f"{BSN_AP}.30.{idx}", "4", ap.group),
            ]
            # about 40 % of the clients on 2.4 GHz; all of them there on the AP whose 5 GHz radio is down
            radio_down = i % APS_PER_CONTROLLER == CISCO_RADIO_DOWN
            low = ap.clients if radio_down else ap.clients * 2 // 5
            for slot, users in ((0, low), (1, ap.clients - low)):
                up = ap.state == 1 and not (radio_down and slot == 1)
                rows += [(f"{BSN_AP_IF}.1.{idx}.{slot}", "66", str(slot)),
                         (f"{BSN_AP_IF}.2.{idx}.{slot}", "2", "1" if slot == 0 else "2"),
                         (f"{BSN_AP_IF}.12.{idx}.{slot}", "2", "2" if up else "1"),
                         (f"{BSN_AP_IF}.15.{idx}.{slot}", "65", str(users))]
    else:
        raise ValueError(f"no controller recording for platform {dev.platform!r}")
    rows.sort(key=lambda row: tuple(int(x) for x in row[0].split(".")))
    return "".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.controller_snmp", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="directory to write <controller>.snmprec into")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for dev in read_inventory(files=CONTROLLER_FILES):
        if dev.platform in PLATFORMS:
            path = args.out / f"{dev.name}.snmprec"
            path.write_text(render_controller_snmprec(dev))
            print(f"wrote {path} ({len(recorded_aps(dev))} APs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
