"""SNMP peers of the lab: snmpsim for the simulated APs, net-snmp snmpd for v3 and benchmarks.

Recordings (``.snmprec``) are rendered per AP by :func:`render_snmprec` (a pure function): the
SNMPv2-MIB system group with sysName = the AP's inventory name and sysDescr naming its model,
IF-MIB ifTable/ifXTable (lo, eth0, wlan0, wlan1) with counters that grow with time,
HOST-RESOURCES-MIB hrProcessorLoad, UCD-SNMP-MIB memTotalReal/memAvailReal, and the UBNT-UniFi-MIB
radio and VAP tables (per-SSID client counts that change between polls). Moving values use
snmpsim's ``numeric`` variation module. docs/lab.md lists every OID.

One snmpsim process serves every simulated AP, each on its own ``address:1161`` endpoint; the
recording is picked by endpoint (see ``snmpsim_launcher.py``), and one AP can be switched off and
on again through a stop file the responder re-reads on change.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lab import procs
from lab.errors import LabError
from lab.inventory import LabDevice

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "snmpsim_launcher.py"
REFERENCE_AGENT = ("127.1.0.161", 1161)

SYS = "1.3.6.1.2.1.1"
IF = "1.3.6.1.2.1.2"
IFX = "1.3.6.1.2.1.31.1.1.1"
HR_CPU = "1.3.6.1.2.1.25.3.3.1.2"
UCD_MEM = "1.3.6.1.4.1.2021.4"
UNIFI = "1.3.6.1.4.1.41112.1.6"
UNIFI_RADIO = f"{UNIFI}.1.1.1"
UNIFI_VAP = f"{UNIFI}.1.2.1"
UNIFI_SYSTEM = f"{UNIFI}.3"

#: SSIDs each platform's recording serves (the SNMP view of a typical deployment).
SSIDS = {
    "netconf-wlan": [("Schule-Lehrer", "user"), ("Schule-Schueler", "user"), ("Free-WLAN", "guest")],
    "openconfig-wlan": [("Zoo-Gaeste", "guest"), ("Zoo-Betrieb", "user")],
    "openwrt": [("DVG-Free-WLAN", "guest")],
    "snmp-only": [("Bench-WLAN", "user"), ("Bench-Guest", "guest")],
}
SYSOBJECTID = {"cli-ios": "1.3.6.1.4.1.9.1.1208", "openwrt": "1.3.6.1.4.1.8072.3.2.10",
               "zte-zxros": "1.3.6.1.4.1.3902.3.100.59"}
#: switches' ports (ifDescr, up or down) per platform: four access ports (three up) and the uplink, the last
SWITCH_PORTS = {
    "cli-ios": [(f"GigabitEthernet1/0/{i}", i <= 3 or i == 24) for i in (1, 2, 3, 4, 24)],
    "zte-zxros": [*((f"gei-1/1/1/{i}", i <= 3) for i in (1, 2, 3, 5)), ("xgei-1/1/2/1", True)],
}


def _mac(rng: random.Random, first: int = 0x02) -> str:
    return f"{first:02x}" + "".join(f"{rng.randrange(256):02x}" for _ in range(5))


def _counter(rate: int, initial: int, bits: int = 32) -> tuple[str, str]:
    tag = "65" if bits == 32 else "70"
    top = 4294967295 if bits == 32 else 18446744073709551615
    return f"{tag}:numeric", f"rate={rate},initial={initial},max={top},wrap=1"


def _wave(
    offset: int, scale: int, deviation: int, period: float, *, top: int, tag: str = "2"
) -> tuple[str, str]:
    """A gauge that follows a slow sine plus random jitter: different on every poll."""
    return f"{tag}:numeric", (
        f"function=sin,rate={1 / period:.6f},scale={scale},offset={offset},"
        f"deviation={deviation},min=0,max={top}"
    )


def render_snmprec(dev: LabDevice) -> str:
    """The recording served for ``dev`` (deterministic per AP name; sorted by OID). WLAN controllers get
    their AP tables (:func:`lab.controller_snmp.render_controller_snmprec`)."""
    from lab.controller_snmp import PLATFORMS as CONTROLLER_PLATFORMS
    from lab.controller_snmp import render_controller_snmprec

    if dev.platform in CONTROLLER_PLATFORMS:
        return render_controller_snmprec(dev)
    rng = random.Random(hashlib.sha256(dev.name.encode()).digest())
    rows: list[tuple[str, str, str]] = []

    def add(oid: str, tag: str, value: object) -> None:
        rows.append((oid, tag, str(value)))

    switch = dev.platform in SWITCH_PORTS
    if dev.platform == "zte-zxros":
        descr = f"ZTE ZXR10 {dev.model.removeprefix('ZXR10 ')}, ZXROS Version V2.00.10 [netctl lab recording]"
    elif switch:
        descr = (
            f"Cisco IOS Software, {dev.model} Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8, "
            f"RELEASE SOFTWARE (fc2) [netctl lab recording]"
        )
    else:
        descr = (
            f"{dev.model} wireless access point ({dev.platform}), firmware 6.6.55, "
            f"serial {dev.serial} [netctl lab recording]"
        )
    add(f"{SYS}.1.0", "4", descr)
    add(f"{SYS}.2.0", "6", SYSOBJECTID.get(dev.platform, "1.3.6.1.4.1.41112.1.6"))
    add(f"{SYS}.3.0", "67:numeric", f"rate=100,initial={rng.randrange(10**6, 10**8)}")
    add(f"{SYS}.4.0", "4", "noc@netctl.example")
    add(f"{SYS}.5.0", "4", dev.name)
    add(f"{SYS}.6.0", "4", f"netctl lab {dev.address}")
    add(f"{SYS}.7.0", "2", "6" if switch else "72")

    if switch:
        ifaces = [(n, name, 6, 10000 if name.startswith("xgei") else 1000, 1 if up else 2)
                  for n, (name, up) in enumerate(SWITCH_PORTS[dev.platform], start=1)]
    else:
        ifaces = [
            (1, "lo", 24, 0, 1),
            (2, "eth0", 6, 1000, 1),
            (3, "wlan0", 71, 574, 1),
            (4, "wlan1", 71, 2402, 1),
        ]
    add(f"{IF}.1.0", "2", len(ifaces))
    for idx, name, iftype, mbps, status in ifaces:
        busy = status == 1 and iftype != 24
        in_rate = rng.randrange(20_000, 400_000) if busy else 0
        out_rate = rng.randrange(50_000, 900_000) if busy else 0
        base = f"{IF}.2.1"
        add(f"{base}.1.{idx}", "2", idx)
        add(f"{base}.2.{idx}", "4", name)
        add(f"{base}.3.{idx}", "2", iftype)
        add(f"{base}.4.{idx}", "2", 65536 if iftype == 24 else 1500)
        add(f"{base}.5.{idx}", "66", min(mbps * 1_000_000, 4294967295))
        add(f"{base}.6.{idx}", "4x", "" if iftype == 24 else _mac(rng))
        add(f"{base}.7.{idx}", "2", 1 if status == 1 else 2)
        add(f"{base}.8.{idx}", "2", status)
        add(f"{base}.9.{idx}", "67", rng.randrange(0, 10**5))
        add(f"{base}.10.{idx}", *_counter(in_rate, rng.randrange(10**9)))
        add(f"{base}.11.{idx}", *_counter(max(in_rate // 600, 0), rng.randrange(10**6)))
        add(f"{base}.13.{idx}", "65", 0)
        add(f"{base}.14.{idx}", *_counter(1 if busy and iftype == 71 else 0, rng.randrange(100)))
        add(f"{base}.16.{idx}", *_counter(out_rate, rng.randrange(10**9)))
        add(f"{base}.17.{idx}", *_counter(max(out_rate // 600, 0), rng.randrange(10**6)))
        add(f"{base}.19.{idx}", "65", 0)
        add(f"{base}.20.{idx}", "65", 0)
        add(f"{IFX}.1.{idx}", "4", name)
        add(f"{IFX}.6.{idx}", *_counter(in_rate, rng.randrange(10**11), bits=64))
        add(f"{IFX}.10.{idx}", *_counter(out_rate, rng.randrange(10**11), bits=64))
        add(f"{IFX}.15.{idx}", "66", mbps)
        add(f"{IFX}.18.{idx}", "4", "uplink" if name == "eth0" or (switch and idx == len(ifaces)) else "")

    add(f"{HR_CPU}.196608", *_wave(rng.randrange(8, 40), 15, 4, 300, top=100))
    if not switch:
        total = 262144 if dev.platform == "openwrt" else 524288
        add(f"{UCD_MEM}.5.0", "2", total)
        add(f"{UCD_MEM}.6.0", *_wave(total // 2, total // 8, total // 50, 600, top=total))
        add(f"{UCD_MEM}.11.0", *_wave(total // 2, total // 8, total // 50, 600, top=total))
        ssids = SSIDS.get(dev.platform, SSIDS["snmp-only"])
        radios = [
            (0, "wifi0", "ng", rng.choice((1, 6, 11)), 17),
            (1, "wifi1", "na", rng.choice((36, 44, 100)), 20),
        ]
        for r, rname, kind, _ch, _pw in radios:
            add(f"{UNIFI_RADIO}.2.{r}", "4", rname)
            add(f"{UNIFI_RADIO}.3.{r}", "4", kind)
            add(f"{UNIFI_RADIO}.4.{r}", *_counter(rng.randrange(50, 900), rng.randrange(10**7)))
            add(f"{UNIFI_RADIO}.5.{r}", *_counter(rng.randrange(80, 1500), rng.randrange(10**7)))
            add(f"{UNIFI_RADIO}.6.{r}", *_wave(rng.randrange(10, 45), 10, 5, 240, top=100))
            add(f"{UNIFI_RADIO}.7.{r}", *_wave(rng.randrange(3, 15), 3, 2, 240, top=100))
            add(f"{UNIFI_RADIO}.8.{r}", *_wave(rng.randrange(3, 15), 3, 2, 240, top=100))
            add(f"{UNIFI_RADIO}.9.{r}", *_wave(rng.randrange(1, 12), 3, 2, 240, top=100))
        for s, (essid, usage) in enumerate(ssids):
            for r, _rname, kind, ch, power in radios:
                v = s * len(radios) + r
                tx_rate = rng.randrange(10_000, 300_000)
                rx_rate = rng.randrange(5_000, 120_000)
                add(f"{UNIFI_VAP}.2.{v}", "4x", _mac(rng))
                add(f"{UNIFI_VAP}.3.{v}", "2", rng.randrange(70, 100))
                add(f"{UNIFI_VAP}.4.{v}", "2", ch)
                add(f"{UNIFI_VAP}.5.{v}", "2", 0 if kind == "ng" else 1)
                add(f"{UNIFI_VAP}.6.{v}", "4", essid)
                add(f"{UNIFI_VAP}.7.{v}", "4", f"ath{v}")
                add(f"{UNIFI_VAP}.8.{v}", *_wave(rng.randrange(4, 25), rng.randrange(3, 10), 3, 180, top=512))
                add(f"{UNIFI_VAP}.9.{v}", "4", kind)
                add(f"{UNIFI_VAP}.10.{v}", *_counter(rx_rate, rng.randrange(10**8)))
                add(f"{UNIFI_VAP}.15.{v}", *_counter(max(rx_rate // 700, 1), rng.randrange(10**6)))
                add(f"{UNIFI_VAP}.16.{v}", *_counter(tx_rate, rng.randrange(10**8)))
                add(f"{UNIFI_VAP}.19.{v}", *_counter(max(tx_rate // 700, 1), rng.randrange(10**6)))
                add(f"{UNIFI_VAP}.21.{v}", "2", power)
                add(f"{UNIFI_VAP}.22.{v}", "2", 1)
                add(f"{UNIFI_VAP}.23.{v}", "4", usage)
        add(f"{UNIFI_SYSTEM}.1.0", "64", dev.address)
        add(f"{UNIFI_SYSTEM}.3.0", "4", dev.model)
        add(f"{UNIFI_SYSTEM}.5.0", *_counter(1, rng.randrange(10**5, 10**7)))
        add(f"{UNIFI_SYSTEM}.6.0", "4", "6.6.55")
    rows.sort(key=lambda row: tuple(int(x) for x in row[0].split(".")))
    return "".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in rows)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


@dataclass
class SnmpsimPlan:
    """Files and arguments for one snmpsim process (written by :func:`write_snmpsim`)."""

    data_dir: Path
    args_file: Path
    map_file: Path
    stop_file: Path
    endpoints: list[tuple[str, int]]


def write_snmpsim(
    base: Path, devices: Sequence[LabDevice], community: str, v3: tuple[str, str, str]
) -> SnmpsimPlan:
    """Write recordings, the endpoint map and the argument file for ``devices`` under ``base``.

    snmpsim runs as ``nobody``: ``base`` must be reachable by every user (take it under
    :func:`procs.runtime_dir`); raises LabError for a folder inside a private (0700) directory.
    """
    base.mkdir(parents=True, exist_ok=True)
    if not procs.traversable(base):
        raise LabError(
            f"snmpsim runs as nobody and cannot reach {base} (a parent directory is private)",
            hint="place simulator files under lab.procs.runtime_dir(lab_dir)",
        )
    data = base / "data"
    apdir = data / "ap"
    apdir.mkdir(parents=True, exist_ok=True)
    (base / "cache").mkdir(exist_ok=True)
    for path in apdir.glob("*.snmprec"):
        path.unlink()
    for path in data.glob("*.snmprec"):
        path.unlink()
    (data / f"{community}.snmprec").write_text(
        f"{SYS}.1.0|4|netctl lab snmpsim (no recording for this address)\n{SYS}.5.0|4|netctl-lab\n"
    )
    endpoints = []
    entries = []
    for dev in devices:
        text = render_snmprec(dev)
        (apdir / f"{dev.name}.snmprec").write_text(text)
        endpoints.append((dev.address, dev.snmp_port))
        entries.append(
            {
                "address": f"{dev.address}:{dev.snmp_port}",
                "name": dev.name,
                "context": _md5(f"ap/{dev.name}"),
                "v3only": dev.snmp_version == "3",
            }
        )
    stop_file = base / "stopped"
    if not stop_file.exists():
        stop_file.write_text("")
    map_file = base / "endpoints.json"
    map_file.write_text(json.dumps({"endpoints": entries, "stopfile": str(stop_file)}, indent=1))
    user, auth, priv = v3
    lines = [
        f"--data-dir={data}",
        f"--v3-user={user}",
        f"--v3-auth-key={auth}",
        "--v3-auth-proto=SHA",
        f"--v3-priv-key={priv}",
        "--v3-priv-proto=AES",
    ]
    lines += [f"--agent-udpv4-endpoint={a}:{p}" for a, p in endpoints]
    args_file = base / "args"
    args_file.write_text("\n".join(lines) + "\n")
    for path in [base, *base.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    os.chown(base / "cache", _nobody()[0], _nobody()[1])
    return SnmpsimPlan(data, args_file, map_file, stop_file, endpoints)


def _nobody() -> tuple[int, int]:
    import grp
    import pwd

    return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid


def snmp_get(host: str, port: int, oid: str, community: str, timeout: float = 0.5) -> str | None:
    """One GET through net-snmp's ``snmpget`` (used for readiness); the value or None."""
    try:
        out = subprocess.run(
            [
                "snmpget",
                "-v2c",
                "-c",
                community,
                "-t",
                str(timeout),
                "-r",
                "0",
                "-Oqv",
                f"{host}:{port}",
                oid,
            ],
            capture_output=True,
            text=True,
            timeout=timeout + 3,
            env={**os.environ, "MIBS": ""},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def start_snmpsim(lab_dir: Path, name: str, plan: SnmpsimPlan, tools_python: Path) -> None:
    """Start one snmpsim process for ``plan`` (readiness is checked by :func:`wait_snmpsim`)."""
    log = lab_dir / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if log.exists():
        log.unlink()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(plan.data_dir.parent / "cache"),
        "NETCTL_SNMPSIM_MAP": str(plan.map_file),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    cache = plan.data_dir.parent / "cache"
    argv = [
        str(tools_python),
        str(LAUNCHER),
        f"--cache-dir={cache}",
        "--process-user=nobody",
        "--process-group=nogroup",
        f"--logging-method=file:{cache / 'snmpsim.log'}",
        "--log-level=error",
        f"--args-from-file={plan.args_file}",
    ]
    procs.spawn(lab_dir, name, argv, marker=str(plan.args_file), log=log, env=env)


def wait_snmpsim(
    lab_dir: Path,
    name: str,
    plan: SnmpsimPlan,
    devices: Sequence[LabDevice],
    community: str,
    timeout: float = 60,
) -> None:
    log = lab_dir / "logs" / f"{name}.log"
    probe = [d for d in (devices[0], devices[-1]) if d.snmp_version != "3"] or list(devices[:1])

    def ready() -> bool:
        if procs.read_pid(lab_dir, name) is None:
            raise LabError(f"snmpsim ({name}) exited during start-up", hint=f"see {log}")
        return all(snmp_get(d.address, d.snmp_port, f"{SYS}.5.0", community) == f'"{d.name}"' for d in probe)

    procs.wait_until(
        ready, timeout=timeout, what=f"snmpsim ({name}, {len(devices)} APs)", log=log, interval=0.3
    )


def set_stopped(plan_stop_file: Path, address: str, stopped: bool) -> None:
    """Add/remove ``address:port`` in the stop file the responder re-reads (atomic replace)."""
    current = set(plan_stop_file.read_text().split()) if plan_stop_file.exists() else set()
    current = current | {address} if stopped else current - {address}
    tmp = plan_stop_file.with_suffix(".tmp")
    tmp.write_text("".join(f"{a}\n" for a in sorted(current)))
    os.chmod(tmp, 0o644)
    os.replace(tmp, plan_stop_file)


# -- net-snmp snmpd --------------------------------------------------------------------------


def snmpd_config(
    addresses: Sequence[tuple[str, int]],
    community: str,
    v3: tuple[str, str, str],
    sysname: str = "netctl-lab-snmpd",
) -> str:
    """An snmpd.conf answering v2c ``community`` and v3 authPriv ``labuser`` on ``addresses``."""
    user, auth, priv = v3
    listen = ",".join(f"udp:{a}:{p}" for a, p in addresses)
    return "\n".join(
        [
            f"agentaddress {listen}",
            f"rocommunity {community} 127.0.0.0/8",
            f'createUser {user} SHA "{auth}" AES "{priv}"',
            f"rouser {user} priv",
            f"sysName {sysname}",
            "sysLocation netctl lab (net-snmp snmpd)",
            "sysContact noc@netctl.example",
            "sysServices 72",
            "dontLogTCPWrappersConnects yes",
            "",
        ]
    )


def start_snmpd(
    lab_dir: Path,
    name: str,
    addresses: Sequence[tuple[str, int]],
    community: str,
    v3: tuple[str, str, str],
    sysname: str = "netctl-lab-snmpd",
) -> Path:
    """Start one net-snmp snmpd (foreground, pid file) for ``addresses``; returns its directory."""
    base = lab_dir / "snmpd" / name
    base.mkdir(parents=True, exist_ok=True)
    for stale in base.glob("*"):
        if stale.is_file():
            stale.unlink()
    conf = base / "snmpd.conf"
    conf.write_text(snmpd_config(addresses, community, v3, sysname))
    os.chmod(conf, 0o600)
    env = {"PATH": "/usr/sbin:/usr/bin:/bin", "SNMP_PERSISTENT_DIR": str(base), "MIBS": ""}
    procs.spawn(
        lab_dir,
        f"snmpd-{name}",
        [
            "/usr/sbin/snmpd",
            "-f",
            "-I",
            "-smux",  # SMUX would listen on 0.0.0.0:199; the lab binds nothing beyond loopback
            "-C",
            "-c",
            str(conf),
            "-Lf",
            str(base / "snmpd.log"),
            "-p",
            str(base / "snmpd.pid"),
        ],
        marker=str(conf),
        log=lab_dir / "logs" / f"snmpd-{name}.log",
        env=env,
    )
    return base


def wait_snmpd(
    lab_dir: Path, name: str, addresses: Sequence[tuple[str, int]], community: str, timeout: float = 20
) -> None:
    probe = [addresses[0], addresses[-1]]
    log = lab_dir / "snmpd" / name / "snmpd.log"

    def ready() -> bool:
        if procs.read_pid(lab_dir, f"snmpd-{name}") is None:
            raise LabError(f"snmpd ({name}) exited during start-up", hint=f"see {log}")
        return all(snmp_get(a, p, f"{SYS}.5.0", community) for a, p in probe)

    procs.wait_until(ready, timeout=timeout, what=f"snmpd ({name})", log=log, interval=0.2)
