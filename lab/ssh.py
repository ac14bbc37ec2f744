"""OpenSSH pieces of the lab: local test users, keys, and private sshd processes.

Lab users are system accounts (``netctl-nc`` for NETCONF, ``netctl-wrt`` for the CLI simulators:
OpenWrt-style APs, the Huawei AC and the ZTE ZXR10-style switches) whose passwords are set from the
lab's generated secrets at every ``up``. Host keys and the users' ed25519 key pair are generated into
``<lab>/keys`` once per lab directory.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Sequence
from pathlib import Path

from lab import procs
from lab.errors import LabError
from lab.inventory import LabDevice

HOME_ROOT = Path("/var/lib/netctl-lab")


def _run(argv: Sequence[str], what: str, input_text: str | None = None) -> None:
    res = subprocess.run(list(argv), input=input_text, capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise LabError(
            f"{what} failed: {(res.stderr or res.stdout).strip()}",
            hint="the lab needs root to create its test users; run it as root",
        )


def ensure_user(name: str, password: str) -> Path:
    """Create system user ``name`` (shell /bin/sh, home under /var/lib/netctl-lab) and set its password."""
    home = HOME_ROOT / name
    try:
        pwd.getpwnam(name)
    except KeyError:
        HOME_ROOT.mkdir(parents=True, exist_ok=True)
        os.chmod(HOME_ROOT, 0o755)
        _run(
            [
                "useradd",
                "--system",
                "--home-dir",
                str(home),
                "--create-home",
                "--shell",
                "/bin/sh",
                "--comment",
                "netctl lab test user",
                name,
            ],
            f"creating lab user {name}",
        )
    home.mkdir(parents=True, exist_ok=True)
    pw = pwd.getpwnam(name)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    _run(["chpasswd"], f"setting the password of {name}", input_text=f"{name}:{password}\n")
    return home


def ensure_keys(key_dir: Path) -> tuple[list[Path], Path]:
    """Host keys (ed25519, rsa) and the users' ed25519 key pair; created once per lab."""
    key_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(key_dir, 0o755)
    host = []
    for kind in ("ed25519", "rsa"):
        path = key_dir / f"ssh_host_{kind}_key"
        if not path.exists():
            _run(
                ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "netctl-lab-host", "-f", str(path)],
                f"generating the {kind} host key",
            )
        host.append(path)
    user_key = key_dir / "lab_ed25519"
    if not user_key.exists():
        _run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netctl-lab-user", "-f", str(user_key)],
            "generating the lab user key",
        )
    os.chmod(user_key, 0o600)
    return host, user_key


def write_authorized_keys(lab_dir: Path, user_key: Path) -> Path:
    """The users' authorized_keys (sshd reads it as the user: it lives in the runtime directory)."""
    path = procs.runtime_dir(lab_dir) / "authorized_keys"
    path.write_text(Path(f"{user_key}.pub").read_text())
    os.chmod(path, 0o644)
    return path


def start_sshd(lab_dir: Path, name: str, config_text: str) -> Path:
    """Check and start a private sshd (foreground, pid file) from ``config_text``."""
    d = lab_dir / "sshd"
    d.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    conf = d / f"{name}.conf"
    conf.write_text(config_text)
    res = subprocess.run(
        ["/usr/sbin/sshd", "-t", "-f", str(conf)], capture_output=True, text=True, timeout=30
    )
    if res.returncode != 0:
        raise LabError(f"sshd config {conf} is invalid: {res.stderr.strip()}", hint="see the file")
    log = lab_dir / "logs" / f"{name}.log"
    log.unlink(missing_ok=True)
    procs.spawn(
        lab_dir,
        name,
        # -r: no re-exec per connection (~10 ms of CPU each); the lab's peers share the machine's 2 cores
        # with the controller, and pushes to 200 APs open 400 SSH connections
        ["/usr/sbin/sshd", "-D", "-r", "-f", str(conf), "-E", str(log)],
        marker=str(conf),
        log=lab_dir / "logs" / f"{name}.out",
    )
    return conf


def wait_banners(lab_dir: Path, name: str, endpoints: Sequence[tuple[str, int]], timeout: float = 20) -> None:
    log = lab_dir / "logs" / f"{name}.log"
    pending = list(endpoints)

    def ready() -> bool:
        if procs.read_pid(lab_dir, name) is None:
            raise LabError(f"{name} exited during start-up", hint=f"see {log}")
        pending[:] = [ep for ep in pending if not procs.ssh_banner(*ep)]
        return not pending

    procs.wait_until(ready, timeout=timeout, what=f"{name} ({len(endpoints)} listen addresses)", log=log)


def simulator_sshd_config(
    lab_dir: Path,
    name: str,
    devices: Sequence[LabDevice],
    host_keys: Sequence[Path],
    user: str,
    authorized_keys: Path,
    simulator: Path,
    state_dir: Path,
) -> str:
    """A private sshd whose every session runs a CLI simulator (ForceCommand): the OpenWrt-style one,
    the Huawei AC one, the ZTE ZXR10-style one or the Catalyst 9800 one (its software, port 22)."""
    from lab.netconf import private_sshd_config

    force = f"ForceCommand /usr/bin/python3 -I {simulator} --state-dir {state_dir}"
    return private_sshd_config(lab_dir, name, devices, host_keys, user, authorized_keys, ["PermitTTY yes", force])
