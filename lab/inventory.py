"""What the lab serves: the devices of the example inventory, plus synthetic SNMP-only APs.

The example inventory (``inventory/*.yaml`` and the transit CSV) is the source of truth for the
lab's address plan. This module reads only the few fields the lab needs, straight from the files,
so the lab does not depend on the inventory importer.
"""

from __future__ import annotations

import csv
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lab.errors import LabError

REPO = Path(__file__).resolve().parents[1]
INVENTORY_DIR = REPO / "inventory"
INVENTORY_FILES = ("duisburg.yaml", "duisburg-transit.csv", "moers.yaml")
#: the region's WLAN controllers (the Huawei AC simulator, and SNMP recordings of every
#: controller's AP tables); kept apart so the city's AP counts, which the demo and many tests rely on,
#: stay as they are
CONTROLLER_FILES = ("duisburg-controller.yaml", "dortmund-controller.yaml", "gelsenkirchen.yaml")
#: the Main region (three tenants): its ZTE ZXR10-style switches, served by the ZTE CLI
#: simulator; apart from the city files for the same reason as the controllers
ZTE_FILES = ("main-region.yaml",)
#: Bochum's standalone APs on fibre: served like the city's APs (netconfd, snmpsim), in a file of their own
#: so the city's AP counts stay as they are
STANDALONE_FILES = ("bochum.yaml",)
#: the example region, in the order it imports (each file after those whose tenant or controller it uses):
#: what `make demo` imports (the Makefile's REGION_FILES, checked by a unit test) and the region's tests
REGION_FILES = (*INVENTORY_FILES, "duisburg-controller.yaml", "gelsenkirchen.yaml", "dortmund-controller.yaml",
                *STANDALONE_FILES, *ZTE_FILES)
SNMP_PORT = 1161
#: libyaml's safe loader where PyYAML has it (8x faster on the city file; the lab reads the files often)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BENCH_BASE = "127.3"


@dataclass(frozen=True)
class LabDevice:
    """One simulated device: where it answers and what it claims to be."""

    name: str
    platform: str
    address: str
    port: int
    model: str
    serial: str
    snmp_version: str = "2c"
    snmp_port: int = SNMP_PORT
    synthetic: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _device(row: dict[str, Any], source: str) -> LabDevice:
    try:
        name = str(row["name"])
        address = str(row["address"])
        ipaddress.ip_address(address)
        if not ipaddress.ip_address(address).is_loopback:
            raise LabError(
                f"{source}: AP {name} has address {address}, outside 127.0.0.0/8",
                hint="the lab serves loopback addresses only; fix the inventory file",
            )
        snmp = row.get("snmp")
        if isinstance(snmp, dict):
            version, sport = str(snmp.get("version", "2c")), int(snmp.get("port", SNMP_PORT))
        else:
            version = str(row.get("snmp_version") or "2c")
            sport = int(row.get("snmp_port") or SNMP_PORT)
        return LabDevice(
            name=name,
            platform=str(row["platform"]),
            address=address,
            port=int(row.get("port") or 0),
            model=str(row.get("model") or "unknown"),
            serial=str(row.get("serial") or ""),
            snmp_version=version,
            snmp_port=sport,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise LabError(
            f"{source}: cannot read AP {row.get('name', '?')}: {exc!r}",
            hint="each AP needs name, platform, address, port, model",
        ) from exc


def read_inventory(directory: Path = INVENTORY_DIR, files: tuple[str, ...] = INVENTORY_FILES) -> list[LabDevice]:
    """The devices of the example inventory (or of ``files``), in file order (YAML ``aps`` lists, CSV rows)."""
    devices: list[LabDevice] = []
    for fname in files:
        path = directory / fname
        if not path.exists():
            raise LabError(f"inventory file {path} is missing", hint="restore it from the repository")
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for lineno, row in enumerate(csv.DictReader(fh, delimiter=";"), start=2):
                    devices.append(_device(row, f"{path}:{lineno}"))
        else:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
            for row in data.get("aps") or []:
                if row.get("platform") != "controller-ap":  # served by its controller's AP table, not by itself
                    devices.append(_device(row, str(path)))
    seen: dict[tuple[str, int], str] = {}
    for dev in devices:
        for key in ((dev.address, dev.snmp_port),) + (((dev.address, dev.port),) if dev.port else ()):
            if key in seen and seen[key] != dev.name:
                raise LabError(
                    f"{dev.name} and {seen[key]} both use {key[0]}:{key[1]}",
                    hint="give every AP its own address/port in the inventory",
                )
            seen[key] = dev.name
    return devices


def synthetic_aps(count: int, base: str = BENCH_BASE) -> list[LabDevice]:
    """``count`` SNMP-only APs at ``<base>.B.H:1161`` (H in 1..250), named ``bench-apNNNNN``."""
    if count < 0 or count > 60000:
        raise LabError(f"LAB_APS={count} is out of range", hint="use 0..60000")
    models = ("NW-AP 620", "NW-AP 820", "OC-AP 300", "WRT-V 3200")
    out = []
    for i in range(count):
        b, h = divmod(i, 250)
        out.append(
            LabDevice(
                name=f"bench-ap{i + 1:05d}",
                platform="snmp-only",
                address=f"{base}.{b}.{h + 1}",
                port=0,
                model=models[i % len(models)],
                serial=f"BEN{i + 1:05d}",
                synthetic=True,
            )
        )
    return out


def bench_inventory_yaml(count: int, base: str = BENCH_BASE) -> str:
    """A YAML inventory (tenant ``bench``) for the synthetic APs that ``LAB_APS=count`` serves."""
    aps = [
        {
            "name": d.name,
            "site": f"bench-site{int(d.address.split('.')[2]):03d}",
            "platform": "snmp-only",
            "address": d.address,
            "model": d.model,
            "serial": d.serial,
            "snmp": {"version": "2c", "port": SNMP_PORT, "community": "secret:lab/snmp-community"},
        }
        for d in synthetic_aps(count, base)
    ]
    sites = sorted({str(a["site"]) for a in aps})
    doc = {
        "tenants": [{"name": "bench", "title": "Benchmark fleet (lab)", "vars": {}}],
        "sites": [{"name": s, "tenant": "bench", "kind": "school", "title": s} for s in sites],
        "aps": aps,
    }
    header = (
        "# Synthetic SNMP-only APs served by the lab with LAB_APS="
        f"{count} (written by `python -m lab inventory`).\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
