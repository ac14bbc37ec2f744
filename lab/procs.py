"""Daemons of the lab: started detached, tracked by pid files, stopped by pid.

Every lab process gets ``<lab>/run/<name>.pid`` holding its pid and a marker string that must
appear in ``/proc/<pid>/cmdline``, so a stale pid file never kills an unrelated process that got
the same pid later.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from lab.errors import LabError


def pid_dir(lab_dir: Path) -> Path:
    return lab_dir / "run"


def traversable(path: Path) -> bool:
    """True when every user may traverse ``path`` and each of its parents."""
    try:
        return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])
    except OSError:
        return False


def runtime_dir(lab_dir: Path) -> Path:
    """Where files live that unprivileged lab processes read (snmpsim as ``nobody``) or reach
    (NETCONF sockets, simulator state): the lab directory when every user can traverse its path,
    else ``/run/netctl-lab/rt-<hash>`` (a checkout under a private directory still works)."""
    if traversable(lab_dir):
        return lab_dir
    base = Path(os.environ.get("NETCTL_LAB_REGISTRY") or "/run/netctl-lab")
    rt = base / ("rt-" + hashlib.md5(str(lab_dir).encode()).hexdigest()[:10])
    rt.mkdir(parents=True, exist_ok=True)
    for path in (base, rt):
        os.chmod(path, 0o755)
    return rt


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def read_pid(lab_dir: Path, name: str) -> int | None:
    """The pid of a running lab process ``name``, or None (a stale pid file is ignored)."""
    path = pid_dir(lab_dir) / f"{name}.pid"
    try:
        pid_s, _, marker = path.read_text().partition("\n")
        pid = int(pid_s)
    except (OSError, ValueError):
        return None
    cmd = _cmdline(pid)
    if not cmd or (marker.strip() and marker.strip() not in cmd):
        return None
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            return None
    return pid


def running(lab_dir: Path) -> dict[str, int]:
    """All lab processes that are alive: name -> pid."""
    out = {}
    d = pid_dir(lab_dir)
    if d.is_dir():
        for path in sorted(d.glob("*.pid")):
            pid = read_pid(lab_dir, path.stem)
            if pid:
                out[path.stem] = pid
    return out


def spawn(
    lab_dir: Path,
    name: str,
    argv: Sequence[str],
    *,
    marker: str,
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` detached (own session), output to ``log``, and write its pid file."""
    pid_dir(lab_dir).mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        try:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                cwd=cwd,
                close_fds=True,
            )
        except OSError as exc:
            raise LabError(f"cannot start {name}: {exc}", hint="run `python -m lab install`") from exc
    (pid_dir(lab_dir) / f"{name}.pid").write_text(f"{proc.pid}\n{marker}\n")
    deadline = time.monotonic() + 3
    while proc.poll() is None and marker not in _cmdline(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.005)  # until exec() is done, /proc shows the parent's command line
    return proc


def stop(lab_dir: Path, name: str, *, timeout: float = 5.0) -> bool:
    """Stop lab process ``name`` (TERM, then KILL after ``timeout``); True if it was running."""
    pid = read_pid(lab_dir, name)
    path = pid_dir(lab_dir) / f"{name}.pid"
    if pid is None:
        path.unlink(missing_ok=True)
        return False
    stop_pids([pid], timeout=timeout)
    path.unlink(missing_ok=True)
    return True


def stop_pids(pids: Sequence[int], *, timeout: float = 5.0) -> None:
    """TERM the given pids, wait up to ``timeout`` s, KILL what is left, reap our children."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    left = list(pids)
    while left and time.monotonic() < deadline:
        left = [p for p in left if _alive(p)]
        if left:
            time.sleep(0.05)
    for pid in left:
        _signal(pid, signal.SIGKILL)
    for pid in pids:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


def _signal(pid: int, sig: int) -> None:
    """Signal a lab process and the process group it leads (lab processes start their own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError, OSError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


LAB_DAEMONS = ("/usr/sbin/netconfd", "/usr/sbin/snmpd", "sshd: /usr/sbin/sshd", "/usr/sbin/sshd")
LAUNCHERS = ("snmpsim_launcher.py", "ios_launcher.py")


def strays(directories: Sequence[Path]) -> list[int]:
    """Lab daemons whose command line names a file under ``directories`` (whether or not a pid
    file still tracks them): what an interrupted or racing start-up may have left behind."""
    marks = [f"{d}/" for d in directories]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        cmd = _cmdline(int(entry.name))
        if not any(m in cmd for m in marks):
            continue
        words = cmd.split()
        if cmd.startswith(LAB_DAEMONS) or (len(words) > 1 and words[1].endswith(LAUNCHERS)):
            found.append(int(entry.name))
    return found


def wait_until(
    check: Callable[[], bool], *, timeout: float, what: str, log: Path | None = None, interval: float = 0.1
) -> None:
    """Poll ``check`` until it is true; raise LabError naming ``what`` (and the log) on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    tail = ""
    if log and log.exists():
        tail = "\n  last log lines:\n    " + "\n    ".join(log.read_text(errors="replace").splitlines()[-8:])
    raise LabError(
        f"{what} did not become ready within {timeout:.0f} s{tail}",
        hint=f"see {log}" if log else "see the lab logs",
    )


def ssh_banner(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if an SSH server answers its version banner at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def tcp_listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def udp_port_busy(host: str, port: int) -> bool:
    """True if some process already holds UDP host:port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((host, port))
    except OSError:
        return True
    finally:
        sock.close()
    return False
