"""The example region without a network: one list of its files (lab/inventory.py ``REGION_FILES``) that the
Makefile imports too, files that agree with the lab's recordings, and a running lab that serves a device
added to an inventory file (``up`` restarts the one sshd whose chunk changed)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from lab.controller_snmp import huawei_layout, huawei_vaps, recorded_aps
from lab.inventory import REGION_FILES, STANDALONE_FILES, ZTE_FILES, read_inventory
from lab.lab import Lab
from lab.snmp import SWITCH_PORTS, render_snmprec
from tests.helpers.controllers import lab_controller
from tests.helpers.lab import ROOT

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"


def test_the_makefile_imports_the_region_files_in_their_order() -> None:
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    found = re.search(r"^REGION_FILES :=(.*)$", text, re.M)
    assert found, "the Makefile names the region's files in REGION_FILES"
    assert tuple(found.group(1).split()) == REGION_FILES
    assert "inventory import $(addprefix inventory/,$(REGION_FILES))" in text
    assert all((ROOT / "inventory" / name).is_file() for name in REGION_FILES)


def test_the_region_file_of_gelsenkirchen_names_the_aps_its_ac_lists() -> None:
    dev = lab_controller("ge-ac01")
    recorded = {ap.mac: ap for ap in recorded_aps(dev)}
    aps = yaml.safe_load((ROOT / "inventory" / "gelsenkirchen.yaml").read_text())["aps"]
    behind = [ap for ap in aps if ap.get("controller") == "ge-ac01"]
    assert len(behind) == 4 and len(recorded) == 40
    for ap in behind:
        mac = ":".join(ap["mac"].replace("-", "")[i:i + 2] for i in range(0, 12, 2))
        mine = recorded[mac]
        assert (ap["name"], ap["address"], ap["model"], ap["ap_group"]) == (mine.name, mine.ip, mine.model, mine.group)
    assert {ap.group for ap in recorded.values()} == {"zentrum", "verkehr"}
    assert not {ap.mac for ap in recorded_aps(lab_controller("du-ac01"))} & set(recorded)
    # the WLANs the VAPs carry are those the AC's ap-groups place
    groups = {g["name"]: g["wlans"] for g in aps[0]["vars"]["ap_groups"]}
    for ap in recorded.values():
        profiles = {profile for _r, _w, _s, profile, _c in huawei_vaps(ap, huawei_layout(dev))}
        assert profiles == set(groups[ap.group])


def test_the_zte_switches_serve_the_ports_their_inventory_names() -> None:
    for dev in read_inventory(files=ZTE_FILES):
        rows = dict(line.split("|", 2)[0::2] for line in render_snmprec(dev).splitlines())
        assert rows["1.3.6.1.2.1.1.1.0"].startswith("ZTE ZXR10 5960") and rows["1.3.6.1.2.1.1.5.0"] == dev.name
        ports = [value for oid, value in rows.items() if oid.startswith(IF_DESCR + ".")]
        assert ports == [name for name, _up in SWITCH_PORTS["zte-zxros"]]
        entry = next(s for s in yaml.safe_load((ROOT / "inventory" / "main-region.yaml").read_text())["aps"]
                     if s["name"] == dev.name)
        assert {p["port"] for p in entry["vars"]["switch_ports"]} <= set(ports)
        assert dev.snmp_port == 1161


def test_the_lab_serves_bochum_and_the_controller_aps_are_left_to_their_controller() -> None:
    lab = Lab(dir=Path("/nonexistent-lab"))
    names = {d.name for d in lab.devices()}
    assert {d.name for d in read_inventory(files=STANDALONE_FILES)} <= names
    assert "netconfd-bo-gym-ostring-ap01" in lab.expected_processes()
    assert {d.name for d in lab.controllers()} == {"du-ac01", "do-wlc01", "ge-ac01"}  # not the APs behind ge-ac01
    assert {"ge-ac01", "rue-gs-mitte-sw01"} <= {d.name for d in lab.snmp_devices()}


def test_up_restarts_only_an_sshd_whose_chunk_gained_a_device(tmp_path: Path) -> None:
    lab = Lab(dir=tmp_path)
    chunks = lab._sshd_chunks()
    assert [d.name for d in chunks["sshd-huawei0"]] == ["du-ac01", "ge-ac01"]
    (tmp_path / "sshd").mkdir()
    for name, chunk in chunks.items():  # as started: every chunk as it is now
        (tmp_path / "sshd" / f"{name}.conf").write_text(
            "Port 22\n" + "".join(f"ListenAddress {d.address}:{d.port}\n" for d in chunk))
    assert lab._stale_sshds([]) == []
    # the Huawei sshd of a lab started before ge-ac01 was added listens on du-ac01 only
    (tmp_path / "sshd" / "sshd-huawei0.conf").write_text("ListenAddress 127.1.50.1:22\n")
    assert lab._stale_sshds([]) == ["sshd-huawei0"]
    assert lab._stale_sshds(["sshd-huawei0"]) == []  # down already: started anyway
