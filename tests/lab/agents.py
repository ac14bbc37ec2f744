"""Agents tests start for themselves (beside the lab's): real net-snmp snmpd processes."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def misbehaving_snmpd(tmp_path: Path, host: str, port: int) -> Iterator[tuple[str, int]]:
    """A real net-snmp snmpd whose sysUpTime is overridden with a string (a broken firmware's answer)."""
    conf = tmp_path / "snmpd.conf"
    conf.write_text(f"agentaddress udp:{host}:{port}\nrocommunity brokencomm 127.0.0.0/8\n"
                    'override 1.3.6.1.2.1.1.3.0 octet_str "yesterday"\ndontLogTCPWrappersConnects yes\n')
    proc = subprocess.Popen(["timeout", "120", "/usr/sbin/snmpd", "-f", "-C", "-c", str(conf), "-Lf",
                             str(tmp_path / "snmpd.log"), "-p", str(tmp_path / "snmpd.pid")],
                            env={**os.environ, "SNMP_PERSISTENT_DIR": str(tmp_path), "MIBS": ""})
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(["snmpget", "-v2c", "-c", "brokencomm", "-t", "0.3", "-r", "0", f"{host}:{port}",
                                    "1.3.6.1.2.1.1.5.0"], capture_output=True, text=True, env={"MIBS": ""})
            if probe.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"snmpd on {host}:{port} did not answer; see {tmp_path / 'snmpd.log'}")
        yield host, port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
