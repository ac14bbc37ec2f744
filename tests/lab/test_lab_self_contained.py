"""The lab as a newcomer's machine sees it: loopback only, and a partly-down lab is mended, not wiped."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from lab import ensure_lab, procs
from tests.helpers.netconf import NWAP, nc_connect

pytestmark = pytest.mark.lab

LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|\[::1\]|::1|\[::ffff:127\.\d+\.\d+\.\d+\]):\d+$")


def listening_sockets() -> list[tuple[int, str]]:
    """(pid, local address) of every listening TCP socket and bound UDP socket on the machine."""
    out = subprocess.run(["ss", "-H", "-lntup"], capture_output=True, text=True, check=True, timeout=10).stdout
    found = []
    for line in out.splitlines():
        cols = line.split()
        for pid in re.findall(r"pid=(\d+)", line):
            found.append((int(pid), cols[4]))
    return found


def test_every_lab_process_listens_on_loopback_only(lab: Any) -> None:
    procs.stop(lab.dir, "snmpd-reference")  # a reference snmpd of an older lab (SMUX on 0.0.0.0:199) goes
    current = ensure_lab()
    pids = set(procs.running(current.dir).values())
    assert procs.read_pid(current.dir, "snmpd-reference") in pids
    seen = [(pid, addr) for pid, addr in listening_sockets() if pid in pids]
    assert seen, "no lab socket found: ss shows no pids?"
    assert [(pid, addr) for pid, addr in seen if not LOOPBACK.match(addr)] == []


def hostname(lab: Any, ap: str) -> str:
    with nc_connect(lab, ap) as session:
        reply = session.get_config("running", filter=("subtree", f'<ap xmlns="{NWAP}"><system/></ap>'))
    found = re.search(r"<hostname>([^<]*)</hostname>", reply.xml)
    assert found, reply.xml
    return found.group(1)


def set_hostname(lab: Any, ap: str, name: str) -> None:
    with nc_connect(lab, ap) as session:
        session.edit_config(
            target="candidate",
            config=f'<config><ap xmlns="{NWAP}"><system><hostname>{name}</hostname></system></ap></config>',
        )
        session.commit()


def test_ensure_lab_starts_only_what_is_down(lab: Any) -> None:
    stopped, kept = "rs-walsum-ap02", "rs-walsum-ap03"
    set_hostname(lab, kept, "kept-across-ensure-lab")
    set_hostname(lab, stopped, "kept-across-restart")
    try:
        before = procs.running(lab.dir)
        lab.stop_netconf(stopped)
        assert procs.read_pid(lab.dir, f"netconfd-{stopped}") is None

        again = ensure_lab()

        after = procs.running(again.dir)
        restarted = f"netconfd-{stopped}"
        assert after[restarted] != before[restarted]
        assert {k: v for k, v in after.items() if k != restarted} == {
            k: v for k, v in before.items() if k != restarted
        }
        assert hostname(again, kept) == "kept-across-ensure-lab"  # nobody's state was wiped
        assert hostname(again, stopped) == "kept-across-restart"  # the restarted AP kept its commit
    finally:
        set_hostname(lab, kept, kept)
        set_hostname(lab, stopped, stopped)
