"""Benchmark fleets: many cheap SNMP agents (net-snmp snmpd) and many NETCONF APs (netconfd).

They run from the same lab directory as the lab (pid files ``snmpd-fleet*``, ``netconfd-bench*``,
``sshd-bench*``) so ``lab down`` stops them too.

- :func:`start_snmpd_fleet` starts ``ceil(count / 100)`` snmpd processes, each with up to 100
  ``agentaddress`` entries ``<base>.B.H:1161`` (one snmpd takes about 100 at most), answering v2c
  with the lab community and v3 authPriv ``labuser`` (SHA/AES) with the lab's keys.
- :func:`start_netconf_fleet` starts ``count`` netconfd instances with the project model at
  ``127.4.B.H:(20001 + i)`` behind sshds of 16 listen addresses each (the port must be unique: the
  NETCONF subsystem finds the AP's netconfd by it); credentials are ``lab/netconf``.
"""

from __future__ import annotations

import math
import re

from lab import netconf, procs, snmp, ssh
from lab.errors import LabError
from lab.inventory import LabDevice
from lab.lab import NC_USER, Lab, ensure_lab

PER_SNMPD = 100
NETCONF_BASE = "127.4"
#: netconf-subsystem picks the AP's netconfd by the port the client dialled: every AP gets its own
NETCONF_PORT_BASE = 20001


def _addresses(count: int, base: str) -> list[str]:
    if not 0 < count <= 60000:
        raise LabError(f"fleet size {count} is out of range", hint="use 1..60000")
    return [f"{base}.{i // 250}.{i % 250 + 1}" for i in range(count)]


def _stop(lab: Lab, pattern: str) -> int:
    alive = {n: pid for n, pid in procs.running(lab.dir).items() if re.fullmatch(pattern, n)}
    procs.stop_pids(list(alive.values()))
    for proc_name in alive:
        (procs.pid_dir(lab.dir) / f"{proc_name}.pid").unlink(missing_ok=True)
    return len(alive)


def start_snmpd_fleet(
    count: int, base: str = "127.2", lab: Lab | None = None, port: int = 1161, name: str = "fleet"
) -> list[tuple[str, int]]:
    """Start net-snmp agents for ``count`` addresses ``<base>.B.H:port``; [(host, port)] once all answer.

    A fleet called ``name`` replaces an earlier fleet of that name (other fleets keep running).
    """
    lab = lab or ensure_lab()
    stop_snmpd_fleet(lab, name=name)
    targets = [(a, port) for a in _addresses(count, base)]
    groups = [targets[i : i + PER_SNMPD] for i in range(0, len(targets), PER_SNMPD)]
    for i, group in enumerate(groups):
        snmp.start_snmpd(lab.dir, f"{name}{i}", group, lab.community, lab.v3, sysname=f"{name}-snmpd{i}")
    for i, group in enumerate(groups):
        snmp.wait_snmpd(lab.dir, f"{name}{i}", group, lab.community, timeout=30)
    return targets


def stop_snmpd_fleet(lab: Lab | None = None, name: str = "fleet") -> int:
    """Stop the snmpd fleet called ``name``; returns how many snmpd processes were running."""
    return _stop(lab or Lab(), rf"snmpd-{re.escape(name)}\d+")


def netconf_fleet_devices(count: int, base: str = NETCONF_BASE, name: str = "bench") -> list[LabDevice]:
    return [
        LabDevice(
            name=f"{name}-nc{i + 1:04d}",
            platform="netconf-wlan",
            address=a,
            port=NETCONF_PORT_BASE + i,
            model="NW-AP 620",
            serial=f"BNC{i + 1:04d}",
            synthetic=True,
        )
        for i, a in enumerate(_addresses(count, base))
    ]


def start_netconf_fleet(
    count: int, lab: Lab | None = None, base: str = NETCONF_BASE, name: str = "bench"
) -> list[tuple[str, str, int]]:
    """Start ``count`` NETCONF APs (own netconfd each); [(ap name, host, port)] once all answer.

    APs are ``<name>-ncNNNN`` at ``<base>.B.H:(20001 + i)``; credentials are the lab's ``lab/netconf``.
    """
    lab = lab or ensure_lab()
    stop_netconf_fleet(lab, name=name)
    devices = netconf_fleet_devices(count, base, name)
    host_keys, user_key = ssh.ensure_keys(lab.dir / "keys")
    authorized = ssh.write_authorized_keys(lab.dir, user_key)
    for dev in devices:
        netconf.start_netconfd(lab.dir, dev, NC_USER, reset=True)
    chunks = netconf.chunks(devices)
    for i, chunk in enumerate(chunks):
        sshd = f"sshd-{name}-nc{i}"
        ssh.start_sshd(lab.dir, sshd, netconf.sshd_config(lab.dir, sshd, chunk, host_keys, NC_USER, authorized))
    procs.wait_until(
        lambda: all(netconf.netconfd_ready(lab.dir, d) for d in devices),
        timeout=30 + math.ceil(count / 10),
        what=f"netconfd fleet {name} ({count})",
    )
    for i, chunk in enumerate(chunks):
        ssh.wait_banners(lab.dir, f"sshd-{name}-nc{i}", [(d.address, d.port) for d in chunk])
    return [(d.name, d.address, d.port) for d in devices]


def stop_netconf_fleet(lab: Lab | None = None, name: str = "bench") -> int:
    """Stop the NETCONF fleet called ``name`` (netconfd and sshd processes); returns how many ran."""
    lab = lab or Lab()
    stopped = _stop(lab, rf"(netconfd|sshd)-{re.escape(name)}-nc\d+")
    for sock in (procs.runtime_dir(lab.dir) / "netconf").glob(f"{name}-nc*/ncx.sock"):
        sock.unlink(missing_ok=True)
    return stopped
