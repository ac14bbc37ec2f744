"""Install what the lab runs: Debian packages and a tools virtualenv (snmpsim, fake-switches).

Idempotent and quick on a second run: packages are checked with ``dpkg -s`` (``apt-get update``
only when one is missing) and the virtualenv carries a stamp of its requirements. Package
installation runs with a temporary ``/usr/sbin/policy-rc.d`` that exits 101, so the system's own
sshd/snmpd are never started. The virtualenv is made from Debian's ``/usr/bin/python3`` in a
world-readable place, because snmpsim drops privileges to ``nobody``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from lab.errors import LabError

DEB_PACKAGES = (
    "snmpd",
    "snmp",
    "openssh-server",
    "netconfd",
    "libyuma-base",
    "netconfd-module-ietf-interfaces",
    "netconfd-module-ietf-system",
    "python3-venv",
    "python3-gdbm",
    "tmux",  # the terminal test drives the real `netctl tui` in tmux
    "redis-server",  # the broker of the task-queue test (netctl.queue); started per test, not as a service
    "libyang2-dev",  # the libyang bindings (extras yang and test) build against it: YANG checks before a push
)
#: pip requirement groups for the tools virtualenv (fake-switches pins Twisted<17, which does not
#: build on Python 3.11: it is installed without dependencies and its dependencies added by hand)
TOOLS_REQUIREMENTS = (
    ["snmpsim==1.2.2", "pysnmp==7.1.30", "pysmi==2.0.0"],
    ["--no-deps", "fake-switches==1.5.0"],
    ["Twisted[conch]>=24", "tftpy==0.8.7", "netaddr>=1.3", "lxml>=5"],
)
POLICY_RC = Path("/usr/sbin/policy-rc.d")


def tools_dir() -> Path:
    return Path(os.environ.get("NETCTL_LAB_TOOLS") or "/opt/netctl-lab")


def tools_python() -> Path:
    return tools_dir() / "venv" / "bin" / "python"


def _stamp() -> str:
    return repr(TOOLS_REQUIREMENTS)


def missing_packages() -> list[str]:
    missing = []
    for pkg in DEB_PACKAGES:
        res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        if "install ok installed" not in res.stdout:
            missing.append(pkg)
    return missing


def tools_ready() -> bool:
    stamp = tools_dir() / "venv" / ".netctl-lab-stamp"
    return tools_python().exists() and stamp.exists() and stamp.read_text() == _stamp()


def _run(argv: list[str], what: str, env: dict[str, str] | None = None, timeout: float = 900) -> None:
    print(f"lab install: {what}", flush=True)
    res = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-15:])
        raise LabError(
            f"lab install: {what} failed:\n{tail}", hint="fix the cause and run `make lab-install` again"
        )


def install_packages(packages: list[str]) -> None:
    if os.geteuid() != 0:
        raise LabError(
            f"Debian packages missing: {' '.join(packages)}",
            hint=f"run as root, or `apt-get install {' '.join(packages)}`",
        )
    created = not POLICY_RC.exists()
    if created:
        POLICY_RC.write_text("#!/bin/sh\n# netctl lab install: do not start services\nexit 101\n")
        POLICY_RC.chmod(0o755)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        _run(["apt-get", "update", "-q"], "apt-get update", env=env)
        _run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
            f"apt-get install {' '.join(packages)}",
            env=env,
        )
    finally:
        if created:
            POLICY_RC.unlink(missing_ok=True)


def install_tools() -> None:
    venv = tools_dir() / "venv"
    tools_dir().mkdir(parents=True, exist_ok=True)
    if not (venv / "bin" / "python").exists():
        _run(["/usr/bin/python3", "-m", "venv", str(venv)], f"python venv {venv}")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for group in TOOLS_REQUIREMENTS:
        _run(pip + group, "pip install " + " ".join(group))
    (venv / ".netctl-lab-stamp").write_text(_stamp())
    for root, dirs, files in os.walk(tools_dir()):
        for name in dirs + files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                mode = os.stat(path).st_mode
                os.chmod(path, mode | 0o444 | (0o111 if mode & 0o100 or name in dirs else 0))
    os.chmod(tools_dir(), 0o755)


def install() -> dict[str, float]:
    """Install what is missing; returns seconds spent per step."""
    took: dict[str, float] = {}
    t0 = time.monotonic()
    missing = missing_packages()
    if missing:
        install_packages(missing)
    took["packages"] = time.monotonic() - t0
    t1 = time.monotonic()
    if not tools_ready():
        if shutil.which("/usr/bin/python3") is None:
            raise LabError(
                "Debian's /usr/bin/python3 is missing", hint="apt-get install python3 python3-venv"
            )
        install_tools()
    took["tools"] = time.monotonic() - t1
    return took
