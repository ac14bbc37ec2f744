"""NETCONF peers of the lab: one yuma123 ``netconfd`` per simulated AP behind private OpenSSH sshds.

Each NETCONF AP has its own netconfd (own datastores, lock and confirmed-commit timer) listening
on a Unix socket. The AP's ``address:port`` is a ListenAddress of a private sshd whose ``netconf``
subsystem is yuma123's ``netconf-subsystem`` with one ``--ncxserver-sockname=PORT@SOCKET`` per AP:
it connects each session to the netconfd whose port the client dialled (from SSH_CONNECTION).
OpenSSH accepts at most 16 listen sockets per sshd (MAX_LISTEN_SOCKS), so the APs are spread over
several sshd processes of 16 addresses each.

``netctl-wlan-ap`` APs load ``yang/netctl-wlan-ap.yang``; ``openconfig-wlan`` APs load
openconfig-wifi-mac and openconfig-wifi-phy from ``$NETCTL_YANG_PATH`` (default: the copies vendored
in ``yang/openconfig``). A missing module is an error, never a silent fallback to another model.

The ``cisco-9800`` stand-in (a Catalyst 9800 WLAN controller) loads Cisco's own IOS-XE 17.12.1 wireless
models, vendored for the lab only in ``lab/yang/cisco-xe-17121`` (Cisco API licence, never in the
installed package), with the lab's deviation module ``lab/yang/netctl-lab-cisco-9800-deviations.yang``:
it works around two ``must`` rules yuma123 cannot evaluate (see docs/lab.md).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lab import procs
from lab.errors import LabError
from lab.inventory import LabDevice
from netctl.resources import yang_dir

YANG_DIR = yang_dir()
YUMA_MODULES = Path("/usr/share/yuma/modules")
PROJECT_MODULES = ("netctl-wlan-ap",)
OPENCONFIG_MODULES = ("openconfig-wifi-mac", "openconfig-wifi-phy")
#: the lab's own YANG (deviations) and Cisco's 9800 models, both outside the installed package
LAB_YANG = Path(__file__).resolve().parent / "yang"
CISCO_DIR = LAB_YANG / "cisco-xe-17121"
CISCO_MODULES = (
    "Cisco-IOS-XE-wireless-wlan-cfg",
    "Cisco-IOS-XE-wireless-site-cfg",
    "Cisco-IOS-XE-wireless-rf-cfg",
    "Cisco-IOS-XE-wireless-ap-cfg",
)
CISCO_DEVIATIONS = ("netctl-lab-cisco-9800-deviations",)
#: platforms whose netconfd starts from a clean datastore every time: netconfd checks the ``must`` rules of
#: its startup file without the model's defaults, so Cisco's 9800 rules (``wlan-status`` reads
#: ``ft-mode``, ``wpa3-enabled`` … left at their defaults) fail on a config they accepted at edit-config,
#: and netconfd would not start again with what it had committed
BOOTS_CLEAN = ("cisco-9800",)
MAX_LISTEN = 16


def openconfig_dir() -> Path:
    return Path(os.environ.get("NETCTL_YANG_PATH") or YANG_DIR / "openconfig")


def modules_for(dev: LabDevice) -> tuple[list[str], list[Path]]:
    """(modules, module path) for ``dev``'s netconfd; raises LabError when an OpenConfig module is missing."""
    if dev.platform == "openconfig-wlan":
        oc = openconfig_dir()
        missing = [m for m in OPENCONFIG_MODULES if not (oc / f"{m}.yang").is_file()]
        if missing:
            raise LabError(
                f"OpenConfig YANG modules missing in {oc}: {', '.join(missing)}",
                hint="unset NETCTL_YANG_PATH (the copies in yang/openconfig are used) or point it at those modules",
            )
        return list(OPENCONFIG_MODULES), [oc, YUMA_MODULES]
    if dev.platform == "cisco-9800":
        missing = [m for m in CISCO_MODULES if not (CISCO_DIR / f"{m}.yang").is_file()]
        if missing:
            raise LabError(f"Cisco 9800 YANG modules missing in {CISCO_DIR}: {', '.join(missing)}",
                           hint="restore lab/yang/cisco-xe-17121 from the repository")
        return list(CISCO_MODULES), [CISCO_DIR, LAB_YANG, YUMA_MODULES]
    return list(PROJECT_MODULES), [YANG_DIR, YUMA_MODULES]


def deviations_for(dev: LabDevice) -> list[str]:
    """The lab's deviation modules for ``dev``'s netconfd (workarounds for netconfd, see the module)."""
    return list(CISCO_DEVIATIONS) if dev.platform == "cisco-9800" else []


def initial_config(dev: LabDevice) -> str:
    """The configuration an AP boots with in a fresh lab (its hostname and two radios)."""
    if dev.platform in ("openconfig-wlan", "cisco-9800"):
        return '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>\n'
    return (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">\n'
        '  <ap xmlns="urn:netctl:params:xml:ns:yang:netctl-wlan-ap">\n'
        f"    <system><hostname>{dev.name}</hostname></system>\n"
        "    <radio><id>radio0</id><band>2.4ghz</band><channel>1</channel></radio>\n"
        "    <radio><id>radio1</id><band>5ghz</band><channel>36</channel></radio>\n"
        "  </ap>\n"
        "</config>\n"
    )


def ap_dir(lab_dir: Path, dev: LabDevice) -> Path:
    return procs.runtime_dir(lab_dir) / "netconf" / dev.name


def socket_path(lab_dir: Path, dev: LabDevice) -> Path:
    return ap_dir(lab_dir, dev) / "ncx.sock"


def write_netconfd(lab_dir: Path, dev: LabDevice, user: str, *, reset: bool) -> Path:
    """Write ``dev``'s netconfd config (and a clean startup datastore when ``reset``)."""
    d = ap_dir(lab_dir, dev)
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)
    modules, modpath = modules_for(dev)
    startup = d / "startup.xml"
    if reset or not startup.exists() or dev.platform in BOOTS_CLEAN:
        startup.write_text(initial_config(dev))
    conf = d / "netconfd.conf"
    lines = ["netconfd {", f'  modpath "{":".join(str(p) for p in modpath)}"']
    lines += [f"  module {m}" for m in modules]
    lines += [f"  deviation {m}" for m in deviations_for(dev)]
    lines += [
        f"  startup {startup}",
        f"  ncxserver-sockname {socket_path(lab_dir, dev)}",
        f"  port {dev.port}",
        f"  superuser {user}",
        "  target candidate",
        "  with-validate true",
        "  with-startup false",
        f"  log {d / 'netconfd.log'}",
        "  log-level info",
        "}",
    ]
    conf.write_text("\n".join(lines) + "\n")
    return conf


def start_netconfd(lab_dir: Path, dev: LabDevice, user: str, *, reset: bool) -> None:
    conf = write_netconfd(lab_dir, dev, user, reset=reset)
    d = ap_dir(lab_dir, dev)
    socket_path(lab_dir, dev).unlink(missing_ok=True)
    (d / "netconfd.log").unlink(missing_ok=True)
    procs.spawn(
        lab_dir,
        f"netconfd-{dev.name}",
        ["/usr/sbin/netconfd", f"--config={conf}"],
        marker=str(conf),
        log=lab_dir / "logs" / f"netconfd-{dev.name}.log",
        env={"PATH": "/usr/sbin:/usr/bin:/bin", "HOME": str(d)},
        cwd=d,
    )


def netconfd_ready(lab_dir: Path, dev: LabDevice) -> bool:
    if procs.read_pid(lab_dir, f"netconfd-{dev.name}") is None:
        log = ap_dir(lab_dir, dev) / "netconfd.log"
        tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
        raise LabError(
            f"netconfd of {dev.name} exited during start-up: {tail.strip()}",
            hint=f"see {log} and {lab_dir / 'logs' / f'netconfd-{dev.name}.log'}",
        )
    log = ap_dir(lab_dir, dev) / "netconfd.log"
    return (
        socket_path(lab_dir, dev).exists()
        and log.exists()
        and "Running netconfd server" in log.read_text(errors="replace")
    )


def chunks(devices: Sequence[LabDevice], size: int = MAX_LISTEN) -> list[list[LabDevice]]:
    return [list(devices[i : i + size]) for i in range(0, len(devices), size)]


def sshd_config(
    lab_dir: Path,
    name: str,
    devices: Sequence[LabDevice],
    host_keys: Sequence[Path],
    user: str,
    authorized_keys: Path,
) -> str:
    """A private sshd for up to 16 NETCONF APs, offering only the ``netconf`` subsystem to ``user``."""
    socks = " ".join(f"--ncxserver-sockname={d.port}@{socket_path(lab_dir, d)}" for d in devices)
    return private_sshd_config(lab_dir, name, devices, host_keys, user, authorized_keys,
                               ["PermitTTY no", f"Subsystem netconf /usr/sbin/netconf-subsystem {socks}"])


def private_sshd_config(
    lab_dir: Path,
    name: str,
    devices: Sequence[LabDevice],
    host_keys: Sequence[Path],
    user: str,
    authorized_keys: Path,
    session: Sequence[str],
) -> str:
    """The sshd_config of a lab sshd listening at ``devices`` (at most 16) for ``user``; ``session``
    says what a session runs (a subsystem, a forced command)."""
    if len(devices) > MAX_LISTEN:
        raise LabError(f"{name}: {len(devices)} listen addresses, sshd takes at most {MAX_LISTEN}")
    return "\n".join(
        [f"ListenAddress {d.address}:{d.port}" for d in devices]
        # ed25519 only: an RSA host key costs sshd ~17 ms of CPU per connection even when unused
        + [f"HostKey {k}" for k in host_keys if "ed25519" in k.name]
        + _common_sshd_options(lab_dir, name, user, authorized_keys)
        + ["AllowTcpForwarding no", "X11Forwarding no", *session, ""]
    )


def _common_sshd_options(lab_dir: Path, name: str, user: str, authorized_keys: Path) -> list[str]:
    return [
        f"PidFile {lab_dir / 'run' / f'{name}.sshd-pid'}",
        f"AllowUsers {user}",
        f"AuthorizedKeysFile {authorized_keys}",
        "PasswordAuthentication yes",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "UsePAM no",
        "PermitRootLogin no",
        "StrictModes no",
        "MaxStartups 200:30:400",
        "MaxSessions 50",
        "MaxAuthTries 6",
        "LoginGraceTime 30",
        "UseDNS no",
        "PrintMotd no",
        "PrintLastLog no",
        "LogLevel ERROR",
        "ClientAliveInterval 0",
        "PermitUserEnvironment no",
        "Banner none",
        "AcceptEnv LANG",
    ]
