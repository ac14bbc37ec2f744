"""The lab: start, reuse, inspect and stop every peer; switch single APs off and on.

``Lab.up()`` is idempotent: when the lab in ``dir`` already runs completely, it is reused. Otherwise
leftovers of an aborted run are stopped first (pid files, stale sockets), then all peers start in
parallel and the call returns only when each answers for real (an SNMP GET, the NETCONF server's
log line, an SSH banner). Everything listens on 127.0.0.0/8 only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import secrets as pysecrets
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab import install, netconf, procs, snmp, ssh
from lab.errors import LabError
from lab.inventory import (
    CONTROLLER_FILES,
    REPO,
    STANDALONE_FILES,
    ZTE_FILES,
    LabDevice,
    read_inventory,
    synthetic_aps,
)

NC_USER = "netctl-nc"
WRT_USER = "netctl-wrt"
IOS_USER = "admin"
V3_USER = "labuser"
HERE = Path(__file__).resolve().parent
NETCONF_PLATFORMS = ("netconf-wlan", "openconfig-wlan")
#: WLAN controllers of the lab-only controller inventory that answer NETCONF (a netconfd with Cisco's
#: 9800 models each, behind sshds ``sshd-cisco<N>`` of their own)
NETCONF_CONTROLLERS = ("cisco-9800",)
#: CLI simulators served by OpenSSH: kind -> simulator script in lab/; their sshds are ``sshd-<kind>N``
SIMULATORS = {"openwrt": "owrt_sim.py", "huawei": "huawei_ac_sim.py", "zte": "zte_sim.py", "c9800": "c9800_sim.py"}
#: what the simulators share, copied beside each (lab/simkit.py)
SIMKIT = "simkit.py"
#: the user a simulator's sessions log in as, where it is not the CLI simulators' own: the 9800's CLI takes the
#: same login as its NETCONF (one SSH server on a real 9800)
SIMULATOR_USERS = {"c9800": NC_USER}
#: the SSH CLI port of the NETCONF controllers (the 9800 CLI simulator: software upgrades)
CONTROLLER_CLI_PORT = 22
#: secrets the example inventory refers to besides the lab's own (WLAN passphrases of the demo city)
CITY_SECRETS = ("duisburg/staff-psk", "duisburg/pupil-psk", "duisburg/zoo-staff-psk", "moers/staff-psk",
                "moers/pupil-psk", "dortmund/free-psk", "dortmund/staff-psk", "gelsenkirchen/staff-psk",
                "gelsenkirchen/free-psk", "bochum/staff-psk", "bochum/pupil-psk")


def owner_file() -> Path:
    """Names the lab directory whose peers hold the lab addresses on this machine."""
    return Path(os.environ.get("NETCTL_LAB_REGISTRY") or "/run/netctl-lab") / "owner"


def default_dir() -> Path:
    return Path(os.environ.get("NETCTL_LAB_DIR") or REPO / ".lab").resolve()


def lab_aps_from_env() -> int | None:
    """``LAB_APS`` as a count, or None when it is not set."""
    raw = os.environ.get("LAB_APS", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise LabError(f"LAB_APS={raw!r} is not a number", hint="set LAB_APS to a count, e.g. 1000") from exc


@dataclass
class Lab:
    """A lab directory and the peers running from it (see docs/lab.md)."""

    dir: Path = field(default_factory=default_dir)
    secrets: dict[str, str] = field(default_factory=dict)
    endpoints: dict[str, dict[str, str]] = field(default_factory=dict)
    lab_aps: int = 0
    #: False: a running lab with more synthetic APs than ``lab_aps`` is reused as it is
    exact_aps: bool = False

    # -- paths and data ----------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.dir / "state.json"

    @property
    def key_file(self) -> Path:
        return self.dir / "keys" / "lab_ed25519"

    def devices(self) -> list[LabDevice]:
        """The APs and switches of the city files and Bochum's standalone APs, then the synthetic APs."""
        return read_inventory() + read_inventory(files=STANDALONE_FILES) + synthetic_aps(self.lab_aps)

    def controllers(self) -> list[LabDevice]:
        """The WLAN controllers of the lab-only controller inventory: each answers SNMP with a recording of
        its AP tables (:mod:`lab.controller_snmp`); the Huawei ACs also the CLI simulator over SSH."""
        return read_inventory(files=CONTROLLER_FILES)

    def huawei_acs(self) -> list[LabDevice]:
        """The controllers the Huawei AC CLI simulator serves."""
        return [d for d in self.controllers() if d.platform == "huawei-ac"]

    def zte_switches(self) -> list[LabDevice]:
        """The ZTE ZXR10-style switches of the Main region inventory (the ZTE CLI simulator serves them over
        SSH, snmpsim their SNMP agents)."""
        return [d for d in read_inventory(files=ZTE_FILES) if d.platform == "zte-zxros"]

    def snmp_devices(self) -> list[LabDevice]:
        """Every device snmpsim serves: the APs and switches, the controllers, then the ZTE switches."""
        return self.devices() + self.controllers() + self.zte_switches()

    def snmp_fingerprint(self, devices: Sequence[LabDevice] | None = None) -> str:
        """What snmpsim must serve, in short: every endpoint and the controllers' recordings. A running lab
        whose snmpsim was started for another fingerprint gets snmpsim restarted by ``up``."""
        from lab.controller_snmp import render_controller_snmprec

        devices = self.snmp_devices() if devices is None else devices
        digest = hashlib.sha256()
        for dev in devices:
            digest.update(f"{dev.name} {dev.address}:{dev.snmp_port} {dev.snmp_version}\n".encode())
        for dev in self.controllers():
            digest.update(render_controller_snmprec(dev).encode())
        return digest.hexdigest()[:16]

    def netconf_controllers(self) -> list[LabDevice]:
        """The controllers served by a netconfd (the Catalyst 9800 stand-in): those with a NETCONF port."""
        return [d for d in self.controllers() if d.platform in NETCONF_CONTROLLERS and d.port]

    def controller_clis(self) -> list[LabDevice]:
        """The NETCONF controllers' SSH CLIs (port 22 of the same address), served by the 9800 CLI simulator."""
        return [dataclasses.replace(d, port=CONTROLLER_CLI_PORT) for d in self.netconf_controllers()]

    def device(self, name: str) -> LabDevice:
        for dev in self.snmp_devices():
            if dev.name == name:
                return dev
        raise LabError(f"no AP named {name!r} in the lab", hint="see `netctl lab status` for the lab's APs")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _load_secrets(self) -> dict[str, str]:
        def token(n: int = 9) -> str:
            return pysecrets.token_urlsafe(n).replace("-", "x").replace("_", "y")

        # the example city's WLAN passphrases (inventory/*.yaml refers to them): the demo pushes them
        city = {name: token(12) for name in CITY_SECRETS}
        path = self.dir / "secrets.json"
        if path.exists():
            data = json.loads(path.read_text())
            if isinstance(data, dict) and "lab/ios" in data:
                return {**city, **{str(k): str(v) for k, v in data.items()}}

        return {
            **city,
            "lab/snmp-community": f"lab{token(6)}",
            "lab/snmpv3-auth": token(12),
            "lab/snmpv3-priv": token(12),
            "lab/netconf": json.dumps({"username": NC_USER, "password": token(), "key_file": str(self.key_file)}),
            "lab/ssh": json.dumps({"username": WRT_USER, "password": token(), "key_file": str(self.key_file)}),
            "lab/ios": json.dumps({"username": IOS_USER, "password": token(), "secret": token()}),
        }

    def _save_secrets(self) -> None:
        path = self.dir / "secrets.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(self.secrets, fh, indent=2)
        os.chmod(path, 0o600)

    def creds(self, name: str) -> dict[str, str]:
        return dict(json.loads(self.secrets[name]))

    @property
    def v3(self) -> tuple[str, str, str]:
        return V3_USER, self.secrets["lab/snmpv3-auth"], self.secrets["lab/snmpv3-priv"]

    @property
    def community(self) -> str:
        return self.secrets["lab/snmp-community"]

    # -- status ------------------------------------------------------------------------------

    def expected_processes(self) -> list[str]:
        devs = self.devices()
        names = ["snmpsim", "snmpd-reference", "ios"]
        nc = [d for d in devs if d.platform in NETCONF_PLATFORMS]
        names += [f"netconfd-{d.name}" for d in nc]
        names += [f"sshd-netconf{i}" for i in range(len(netconf.chunks(nc)))]
        names += [f"sshd-openwrt{i}" for i in range(len(netconf.chunks([d for d in devs if d.platform == "openwrt"])))]
        names += [f"sshd-huawei{i}" for i in range(len(netconf.chunks(self.huawei_acs())))]
        names += [f"sshd-zte{i}" for i in range(len(netconf.chunks(self.zte_switches())))]
        wlcs = self.netconf_controllers()
        names += [f"netconfd-{d.name}" for d in wlcs]
        names += [f"sshd-cisco{i}" for i in range(len(netconf.chunks(wlcs)))]
        names += [f"sshd-c9800{i}" for i in range(len(netconf.chunks(self.controller_clis())))]
        return names

    def status(self) -> dict[str, Any]:
        """What runs where: processes (alive or not), endpoints, counts."""
        state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        alive = procs.running(self.dir)
        # a lab started before a peer kind was added gets that kind's processes from the next `up`
        expected = list(dict.fromkeys([*(state.get("processes") or []), *self.expected_processes()]))
        return {
            "dir": str(self.dir),
            "running": bool(state) and all(p in alive for p in expected),
            "started_at": state.get("started_at"),
            "startup_seconds": state.get("startup_seconds"),
            "lab_aps": state.get("lab_aps", 0),
            "processes": {p: alive.get(p) for p in expected},
            "extra_processes": {p: pid for p, pid in alive.items() if p not in expected},
            "endpoints": state.get("endpoints", {}),
            "stopped_snmp": sorted(self._stop_file().read_text().split()) if self._stop_file().exists() else [],
        }

    def is_running(self) -> bool:
        """True if the lab runs completely (with the synthetic APs asked for)."""
        st = self.status()
        if not st["running"]:
            return False
        return bool(st["lab_aps"] == self.lab_aps or (not self.exact_aps and st["lab_aps"] >= self.lab_aps))

    # -- up / down ---------------------------------------------------------------------------

    def up(self) -> Lab:
        """Start the lab (or reuse the running one). Raises LabError with the failing peer."""
        with self._locked():
            down = self._down_processes()
            if down is not None:
                self.secrets = self._load_secrets()
                self._save_secrets()  # a lab started by an older version gains the city's secrets
                state = json.loads(self.state_file.read_text())
                self.endpoints, self.lab_aps = state["endpoints"], int(state["lab_aps"])
                fingerprint = self.snmp_fingerprint()
                if state.get("snmp_fingerprint") != fingerprint and "snmpsim" not in down:
                    # new endpoints or recordings (a controller added to the lab inventory): only snmpsim restarts
                    procs.stop(self.dir, "snmpsim")
                    down = [*down, "snmpsim"]
                for name in self._stale_sshds(down):
                    procs.stop(self.dir, name)  # serves a chunk that gained or lost devices since it started
                    down = [*down, name]
                if down:
                    self._start_all(only=set(down))  # the rest keeps running, with its state
                    state["processes"] = list(dict.fromkeys([*state["processes"], *self.expected_processes()]))
                    state["endpoints"] = self.endpoints
                    state["snmp_fingerprint"] = fingerprint
                    self.state_file.write_text(json.dumps(state, indent=1))
                self._claim()
                return self
            t0 = time.monotonic()
            self._down_unlocked()
            self._take_over()
            self._claim()  # before starting: an aborted start-up is still found and stopped later
            try:
                self._start_all()
            except BaseException:
                self._down_unlocked()  # nothing half-started stays behind; the logs stay for diagnosis
                raise
            state = {
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "lab_aps": self.lab_aps,
                "startup_seconds": round(time.monotonic() - t0, 2),
                "processes": self.expected_processes(),
                "endpoints": self.endpoints,
                "snmp_fingerprint": self.snmp_fingerprint(),
            }
            self.state_file.write_text(json.dumps(state, indent=1))
            self._claim()
        return self

    def _down_processes(self) -> list[str] | None:
        """The processes of a started lab that are down now ([] when all run), or None to start anew.

        None when no lab was started here, it serves another number of synthetic APs, or nothing of it
        runs any more: those need a full start. A lab missing only some processes (a netconfd a test
        stopped, an sshd that died) gets just those back, so other tests' state survives.
        """
        st = self.status()
        if not st["started_at"] or not any(st["processes"].values()):
            return None
        if not (st["lab_aps"] == self.lab_aps or (not self.exact_aps and st["lab_aps"] >= self.lab_aps)):
            return None
        if not self.exact_aps:
            self.lab_aps = int(st["lab_aps"])
        return [name for name, pid in st["processes"].items() if not pid]

    def _sshd_chunks(self) -> dict[str, list[LabDevice]]:
        """The devices each private sshd serves (``sshd-<kind>N``: chunks of NETCONF APs, 9800 stand-ins and
        the CLI simulators' devices), as :meth:`_start_all` starts them."""
        devices = self.devices()
        kinds = {"netconf": [d for d in devices if d.platform in NETCONF_PLATFORMS],
                 "cisco": self.netconf_controllers(), "openwrt": [d for d in devices if d.platform == "openwrt"],
                 "huawei": self.huawei_acs(), "zte": self.zte_switches(), "c9800": self.controller_clis()}
        return {f"sshd-{kind}{i}": chunk for kind, devs in kinds.items()
                for i, chunk in enumerate(netconf.chunks(devs))}

    def _stale_sshds(self, down: Sequence[str]) -> list[str]:
        """Running sshds whose configuration listens on other addresses than their chunk holds now (a
        device was added to an inventory file the lab reads): ``up`` restarts them, and only them."""
        stale = []
        for name, chunk in self._sshd_chunks().items():
            try:
                text = (self.dir / "sshd" / f"{name}.conf").read_text()
            except OSError:
                continue
            listening = {line.split()[1] for line in text.splitlines() if line.startswith("ListenAddress ")}
            if name not in down and listening != {f"{d.address}:{d.port}" for d in chunk}:
                stale.append(name)
        return stale

    def _claim(self) -> None:
        with contextlib.suppress(OSError):
            owner_file().parent.mkdir(parents=True, exist_ok=True)
            owner_file().write_text(f"{self.dir}\n")

    def _take_over(self) -> None:
        """Stop the lab of another directory (e.g. an earlier checkout) that holds the addresses."""
        try:
            other = Path(owner_file().read_text().strip())
        except OSError:
            return
        if other == self.dir or not (other / "run").is_dir():
            return
        stopped = Lab(dir=other).down()
        if stopped:
            print(
                f"lab: stopped {len(stopped)} processes of the lab in {other}, which held the lab addresses",
                file=sys.stderr,
            )

    def down(self) -> list[str]:
        """Stop every lab process of this directory; returns the names stopped."""
        with self._locked():
            stopped = self._down_unlocked()
            with contextlib.suppress(OSError):
                if Path(owner_file().read_text().strip()) == self.dir:
                    owner_file().unlink()
            return stopped

    def _down_unlocked(self) -> list[str]:
        alive = procs.running(self.dir)
        others = procs.strays([self.dir, procs.runtime_dir(self.dir)])
        procs.stop_pids(sorted(set(alive.values()) | set(others)), timeout=5)
        for name in alive:
            (procs.pid_dir(self.dir) / f"{name}.pid").unlink(missing_ok=True)
        if procs.pid_dir(self.dir).is_dir():
            for stale in procs.pid_dir(self.dir).glob("*"):
                stale.unlink(missing_ok=True)
        for sock in (procs.runtime_dir(self.dir) / "netconf").glob("*/ncx.sock"):
            sock.unlink(missing_ok=True)
        self.state_file.unlink(missing_ok=True)
        self._stop_file().unlink(missing_ok=True)
        if procs.runtime_dir(self.dir) != self.dir:
            shutil.rmtree(procs.runtime_dir(self.dir), ignore_errors=True)
        return sorted(alive)

    def _check_free(self, devices: Sequence[LabDevice]) -> None:
        busy = [f"{d.address}:{d.snmp_port}" for d in devices if procs.udp_port_busy(d.address, d.snmp_port)]
        busy += [f"{d.address}:{d.port}" for d in devices if d.port and procs.tcp_listening(d.address, d.port)]
        if busy:
            raise LabError(
                f"lab addresses already in use by another process: {', '.join(busy[:8])}"
                + (" …" if len(busy) > 8 else ""),
                hint="stop the other lab (`make lab-down` with its NETCTL_LAB_DIR) or that process",
            )

    def _start_all(self, only: set[str] | None = None) -> None:
        """Start every peer, or only the processes named in ``only`` (the others keep running)."""

        def wanted(name: str) -> bool:
            return only is None or name in only

        if not install.tools_ready() or install.missing_packages():
            raise LabError(
                "the lab's packages or tools are not installed",
                hint="run `make lab-install` (python -m lab install)",
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.secrets = self._load_secrets()
        self._save_secrets()
        devices = self.devices()
        if only is None:
            self._check_free(devices + self.controllers() + self.zte_switches() + self.controller_clis())
        (self.dir / "logs").mkdir(exist_ok=True)
        host_keys, user_key = ssh.ensure_keys(self.dir / "keys")
        authorized = ssh.write_authorized_keys(self.dir, user_key)
        ssh.ensure_user(NC_USER, self.creds("lab/netconf")["password"])
        ssh.ensure_user(WRT_USER, self.creds("lab/ssh")["password"])

        # SNMP: snmpsim for every AP, switch and controller, plus the reference net-snmp agent
        snmp_devs = self.snmp_devices()
        if wanted("snmpsim"):
            plan = snmp.write_snmpsim(procs.runtime_dir(self.dir) / "snmpsim", snmp_devs, self.community, self.v3)
            snmp.start_snmpsim(self.dir, "snmpsim", plan, install.tools_python())
        if wanted("snmpd-reference"):
            snmp.start_snmpd(self.dir, "reference", [snmp.REFERENCE_AGENT], self.community, self.v3)

        # NETCONF: one netconfd per AP (a restarted one keeps what it had committed), sshds of 16 addresses
        nc_devs = [d for d in devices if d.platform in NETCONF_PLATFORMS]
        nc_started = [d for d in nc_devs if wanted(f"netconfd-{d.name}")]
        wlc_devs = self.netconf_controllers()
        nc_started += [d for d in wlc_devs if wanted(f"netconfd-{d.name}")]
        for dev in nc_started:
            netconf.start_netconfd(self.dir, dev, NC_USER, reset=only is None)
        for i, chunk in enumerate(netconf.chunks(wlc_devs)):
            if wanted(f"sshd-cisco{i}"):
                ssh.start_sshd(self.dir, f"sshd-cisco{i}",
                               netconf.sshd_config(self.dir, f"sshd-cisco{i}", chunk, host_keys, NC_USER, authorized))
        for i, chunk in enumerate(netconf.chunks(nc_devs)):
            if wanted(f"sshd-netconf{i}"):
                ssh.start_sshd(
                    self.dir,
                    f"sshd-netconf{i}",
                    netconf.sshd_config(self.dir, f"sshd-netconf{i}", chunk, host_keys, NC_USER, authorized),
                )

        # CLI simulators behind OpenSSH: OpenWrt-style APs, the Huawei AC and the ZTE switches (state survives a
        # restart of one sshd)
        wrt_devs = [d for d in devices if d.platform == "openwrt"]
        ac_devs = self.huawei_acs()
        zte_devs = self.zte_switches()
        simulated = {"openwrt": wrt_devs, "huawei": ac_devs, "zte": zte_devs, "c9800": self.controller_clis()}
        for kind, script in SIMULATORS.items():
            self._start_simulator(kind, simulated[kind], script, only, host_keys, authorized)

        # IOS-style switches (fake-switches)
        ios_devs = [d for d in devices if d.platform == "cli-ios"]
        ios = self.creds("lab/ios")
        ios_conf = self.dir / "ios" / "switches.json"
        ios_conf.parent.mkdir(exist_ok=True)
        ios_conf.write_text(
            json.dumps(
                {
                    "devices": [{"name": d.name, "address": d.address, "port": d.port} for d in ios_devs],
                    "model": "cisco_generic",
                    "username": ios["username"],
                    "password": ios["password"],
                    "secret": ios["secret"],
                    "host_key": str(host_keys[1]),
                }
            )
        )
        os.chmod(ios_conf, 0o600)
        if wanted("ios"):
            procs.spawn(
                self.dir,
                "ios",
                [str(install.tools_python()), str(HERE / "ios_launcher.py"), str(ios_conf)],
                marker=str(ios_conf),
                log=self.dir / "logs" / "ios.log",
                env={"PATH": "/usr/bin:/bin", "HOME": str(ios_conf.parent)},
            )

        # readiness of what was started, all bounded in time
        procs.wait_until(
            lambda: all(netconf.netconfd_ready(self.dir, d) for d in nc_started),
            timeout=60,
            what=f"netconfd ({len(nc_started)} APs and controllers)",
            log=None,
        )
        for i, chunk in enumerate(netconf.chunks(nc_devs)):
            if wanted(f"sshd-netconf{i}"):
                ssh.wait_banners(self.dir, f"sshd-netconf{i}", [(d.address, d.port) for d in chunk])
        for i, chunk in enumerate(netconf.chunks(wlc_devs)):
            if wanted(f"sshd-cisco{i}"):
                ssh.wait_banners(self.dir, f"sshd-cisco{i}", [(d.address, d.port) for d in chunk])
        for kind, devs in simulated.items():
            for i, chunk in enumerate(netconf.chunks(devs)):
                if wanted(f"sshd-{kind}{i}"):
                    ssh.wait_banners(self.dir, f"sshd-{kind}{i}", [(d.address, d.port) for d in chunk])
        if wanted("ios"):
            ssh.wait_banners(self.dir, "ios", [(d.address, d.port) for d in ios_devs], timeout=60)
        if wanted("snmpd-reference"):
            snmp.wait_snmpd(self.dir, "reference", [snmp.REFERENCE_AGENT], self.community)
        if wanted("snmpsim"):
            snmp.wait_snmpsim(self.dir, "snmpsim", plan, snmp_devs, self.community, timeout=60 + len(snmp_devs) / 20)

        self.endpoints = {
            "snmp": {d.name: f"{d.address}:{d.snmp_port}" for d in snmp_devs},
            "snmpd": {"reference": f"{snmp.REFERENCE_AGENT[0]}:{snmp.REFERENCE_AGENT[1]}"},
            "netconf": {d.name: f"{d.address}:{d.port}" for d in nc_devs},
            "ssh": {d.name: f"{d.address}:{d.port}" for d in wrt_devs},
            "huawei": {d.name: f"{d.address}:{d.port}" for d in ac_devs},
            "ios": {d.name: f"{d.address}:{d.port}" for d in ios_devs},
            "cisco": {d.name: f"{d.address}:{d.port}" for d in wlc_devs},
            "zte": {d.name: f"{d.address}:{d.port}" for d in zte_devs},
            "c9800": {d.name: f"{d.address}:{d.port}" for d in simulated["c9800"]},
        }

    def _start_simulator(self, kind: str, devices: Sequence[LabDevice], script: str, only: set[str] | None,
                         host_keys: Sequence[Path], authorized: Path) -> None:
        """A CLI simulator served by private sshds (``sshd-<kind>N``); its state directory is made anew
        only by a full start, so a restarted sshd finds what earlier sessions configured."""
        state_dir = procs.runtime_dir(self.dir) / kind
        simulator = state_dir / script
        if only is None or not simulator.exists():
            if state_dir.exists():
                shutil.rmtree(state_dir)
            state_dir.mkdir()
            (state_dir / "aps.json").write_text(json.dumps({d.address: d.name for d in devices}, indent=1))
            user = ssh.pwd.getpwnam(SIMULATOR_USERS.get(kind, WRT_USER))
            os.chown(state_dir, user.pw_uid, user.pw_gid)
            os.chmod(state_dir, 0o755)
            for file in (script, SIMKIT):
                shutil.copyfile(HERE / file, state_dir / file)
                os.chmod(state_dir / file, 0o644)
        else:  # a running lab: an sshd restarted now may serve a device added since the start
            tmp = state_dir / "aps.json.tmp"
            tmp.write_text(json.dumps({d.address: d.name for d in devices}, indent=1))
            os.chmod(tmp, 0o644)
            os.replace(tmp, state_dir / "aps.json")
        for i, chunk in enumerate(netconf.chunks(devices)):
            name = f"sshd-{kind}{i}"
            if only is None or name in only:
                ssh.start_sshd(self.dir, name, ssh.simulator_sshd_config(
                    self.dir, name, chunk, host_keys, SIMULATOR_USERS.get(kind, WRT_USER), authorized, simulator,
                    state_dir))

    # -- single peers on and off -------------------------------------------------------------

    def _stop_file(self) -> Path:
        return procs.runtime_dir(self.dir) / "snmpsim" / "stopped"

    def stop_snmp_agent(self, ap_name: str) -> None:
        """Make ``ap_name``'s SNMP agent stop answering (requests time out, as for a dead AP)."""
        dev = self.device(ap_name)
        snmp.set_stopped(self._stop_file(), f"{dev.address}:{dev.snmp_port}", True)

    def start_snmp_agent(self, ap_name: str) -> None:
        """Bring ``ap_name``'s SNMP agent back (answers again from the next request on)."""
        dev = self.device(ap_name)
        snmp.set_stopped(self._stop_file(), f"{dev.address}:{dev.snmp_port}", False)

    def stop_netconf(self, ap_name: str) -> None:
        """Kill ``ap_name``'s netconfd: SSH still answers, the NETCONF session then fails."""
        dev = self.device(ap_name)
        if dev.platform not in NETCONF_PLATFORMS + NETCONF_CONTROLLERS:
            raise LabError(f"{ap_name} is not a NETCONF AP ({dev.platform})")
        with self._locked():
            procs.stop(self.dir, f"netconfd-{dev.name}")
            netconf.socket_path(self.dir, dev).unlink(missing_ok=True)

    def start_netconf(self, ap_name: str) -> None:
        """Start ``ap_name``'s netconfd again, keeping the configuration it had committed (the 9800
        stand-in starts empty: :data:`lab.netconf.BOOTS_CLEAN`)."""
        dev = self.device(ap_name)
        if dev.platform not in NETCONF_PLATFORMS + NETCONF_CONTROLLERS:
            raise LabError(f"{ap_name} is not a NETCONF AP ({dev.platform})")
        with self._locked():
            if procs.read_pid(self.dir, f"netconfd-{dev.name}"):
                return
            netconf.start_netconfd(self.dir, dev, NC_USER, reset=False)
            procs.wait_until(lambda: netconf.netconfd_ready(self.dir, dev), timeout=20, what=f"netconfd of {ap_name}")


def ensure_lab(lab_dir: Path | str | None = None) -> Lab:
    """The running lab in ``lab_dir`` (default ``$NETCTL_LAB_DIR`` or ``<repo>/.lab``), started if needed.

    Raises LabError (with the failing peer and its log) when the lab cannot start; never skips.
    """
    aps = lab_aps_from_env()
    lab = Lab(dir=Path(lab_dir).resolve() if lab_dir else default_dir(), lab_aps=aps or 0, exact_aps=aps is not None)
    return lab.up()
