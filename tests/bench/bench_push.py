"""Push throughput: netctl's parallel safe push vs a sequential loop, over NETCONF and SSH CLI.

NETCONF: a fleet of netconfd APs (one netconfd each, behind OpenSSH) from the lab. netctl does its
whole safe path per AP (get-config and diff, lock, edit-config to candidate, confirmed commit,
post-check in a second NETCONF session on the same SSH connection, confirming commit, unlock), with
its default worker processes. The baseline is the loop an engineer writes with ncclient: connect,
lock, edit-config, commit confirmed, commit, unlock, one AP after the other, with the same rendered
payload.

SSH CLI: a fleet of fake-switches Cisco IOS-style switches; netctl's CLI push (backup, apply,
verify, save) vs a sequential netmiko loop (connect, enable, config set, write memory).
"""

from __future__ import annotations

import copy
import json
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from tests.bench.fleet_city import open_city
from tests.bench.harness import ROOT, Context, Row, median_of

IOS_BASE = "127.8"
IOS_PORT = 2022


def _example() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "inventory" / "duisburg.yaml").read_text())


def _bench_inventory(path: Path, devices: list[tuple[str, str, int]], platform: str, credentials: str,
                     group: str, contact: str) -> Path:
    """The example tenant, one of its schools (as ``bench-school``) and ``devices`` in it."""
    city = _example()
    tenant = copy.deepcopy(city["tenants"][0])
    tenant["vars"] = dict(tenant.get("vars") or {}, contact=contact)
    site = copy.deepcopy(next(s for s in city["sites"] if s["kind"] == "school"))
    site["name"] = "bench-school"
    doc = {
        "tenants": [tenant],
        "sites": [site],
        "groups": [g for g in city.get("groups", []) if g["name"] == group],
        "aps": [{"name": name, "site": "bench-school", "platform": platform, "address": host, "port": port,
                 "groups": [group], "credentials": credentials} for name, host, port in devices],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


def _push_all(api: Any, n: int, concurrency: int) -> tuple[float, list[Any]]:
    from netctl.selection import Selection

    start = time.perf_counter()
    results = api.config.push(Selection(site="bench-school"), concurrency=concurrency, confirm_timeout=60)
    took = time.perf_counter() - start
    ok = sum(1 for r in results if r.ok and r.status == "applied")
    if ok != n:
        bad = [(r.ap, r.status, r.reason) for r in results if not (r.ok and r.status == "applied")][:3]
        raise RuntimeError(f"netctl push applied {ok}/{n}: {bad}")
    return took, results


def _readback_s(transcript: str) -> float | None:
    """Seconds the read-back after the confirming commit took in one AP's transcript (None: no read-back)."""
    import datetime as dt

    def at(line: str) -> float:
        t = dt.datetime.strptime(line.split(" ", 1)[0], "%H:%M:%S.%f")
        return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6

    lines = transcript.splitlines()
    for i, line in enumerate(lines):
        if "-> commit (confirming)" in line and i + 3 < len(lines) and "-> get-config running" in lines[i + 2]:
            return at(lines[i + 3]) - at(lines[i + 1])
    return None


def _cpu_of(stat: str) -> float:
    """CPU seconds of a /proc/PID/stat line, children that exited included."""
    import os

    fields = stat[stat.rindex(")") + 2 :].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cpu_by_program(pids: dict[str, int] | None = None) -> dict[str, float]:
    """CPU seconds per program name of every process (children that exited count for their parent),
    plus ``controller`` (this process and its workers) and each named pid of ``pids``."""
    import os

    out: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        out[name] = out.get(name, 0.0) + _cpu_of(stat)
    for label, pid in (pids or {}).items():
        try:
            out[label] = _cpu_of(Path(f"/proc/{pid}/stat").read_text())
        except OSError:
            out[label] = 0.0
    mine = os.times()
    out["controller"] = mine.user + mine.system + mine.children_user + mine.children_system
    return out


def _own_cpu() -> float:
    """CPU seconds of this process (all threads) so far."""
    import os

    mine = os.times()
    return mine.user + mine.system


def _profile(before: dict[str, float], after: dict[str, float], programs: tuple[str, ...]) -> str:
    spent = {p: after.get(p, 0.0) - before.get(p, 0.0) for p in programs}
    return ", ".join(f"{p} {v:.1f} s" for p, v in sorted(spent.items(), key=lambda x: -x[1]))


def _rendered(api: Any) -> dict[str, str]:
    """Rendered payloads with secrets resolved, as the push sends them (for the baseline loops)."""
    return {ap["name"]: api.config._render_one(ap, None, resolve=True).text for ap in api.session.select()}


# -- NETCONF ---------------------------------------------------------------------------------------

def _ncclient_loop(payloads: dict[str, str], devices: list[tuple[str, str, int]], creds: dict[str, Any]) -> float:
    import ncclient.transport.session
    from ncclient import manager

    from netctl.drivers.netconf import wrap_replace

    tick = ncclient.transport.session.TICK
    ncclient.transport.session.TICK = 0.1  # ncclient's default, as a script would run it
    start = time.perf_counter()
    try:
        for name, host, port in devices:
            with manager.connect(host=host, port=port, username=creds["username"],
                                 key_filename=creds.get("key_file"), password=creds.get("password"),
                                 hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=30) as m:
                m.lock(target="candidate")
                m.edit_config(wrap_replace(payloads[name]), target="candidate", error_option="rollback-on-error")
                m.commit(confirmed=True, timeout="60")
                m.commit()
                m.unlock(target="candidate")
    finally:
        ncclient.transport.session.TICK = tick
    return time.perf_counter() - start


def _netconf(ctx: Context, rows: list[Row], notes: list[str]) -> None:
    from lab.fleet import start_netconf_fleet, stop_netconf_fleet

    n = ctx.size(200, 4)
    devices = start_netconf_fleet(n, lab=ctx.lab)
    try:
        name = f"push {n} APs NETCONF"
        inv = ctx.scratch / "push-nc.yaml"
        api = open_city(ctx.scratch / "push-nc.session.db", ctx.lab,
                        _bench_inventory(inv, devices, "netconf-wlan", "secret:lab/netconf", "classroom", "rev-0"))
        revision = [0]
        spent: list[str] = []

        def netctl_once() -> float:
            revision[0] += 1
            _bench_inventory(inv, devices, "netconf-wlan", "secret:lab/netconf", "classroom", f"rev-{revision[0]}")
            api.inventory.import_inventory([str(inv)])
            before = cpu_by_program()
            took, results = _push_all(api, n, concurrency=50)
            after = cpu_by_program()
            spent.append(_profile(before, after, ("sshd", "netconfd", "controller")))
            cpu_ms.append((after["controller"] - before["controller"]) * 1000 / n)
            nudged.append(sum("sent once more" in r.transcript for r in results))
            readbacks.extend(t for t in (_readback_s(r.transcript) for r in results) if t is not None)
            return took

        nudged: list[int] = []
        readbacks: list[float] = []
        cpu_ms: list[float] = []
        t_net, samples = median_of(ctx.repeats, netctl_once)
        notes.append(f"CPU of one NETCONF push of {n} APs by program (this run; the controller with its worker "
                     f"processes): {spent[-1]}. The lab's peers share the 2 cores with the controller. "
                     f"Get-configs netconfd left unanswered until sent again (the first RPC of a session; 1 s each): "
                     f"{', '.join(map(str, nudged))} of {n} per run.")
        if readbacks:
            readbacks.sort()
            notes.append(f"Read-back after the confirming commit (one get-config on the push's session, so a "
                         f"late confirm cannot pass for success): median {readbacks[len(readbacks) // 2] * 1000:.0f} "
                         f"ms per AP, {sum(readbacks):.1f} s summed over {len(readbacks)} APs, about "
                         f"{sum(readbacks) / 50:.2f} s of the wall time at concurrency 50.")
        rows.append(Row(name, "netctl push (concurrency 50)", t_net, "s",
                        f"{n / t_net:.1f} APs/s; full safe path with diff and post-check", target="<= 15 s, >= 6×",
                        baseline="sequential ncclient loop", lower_better=True,
                        met=None if ctx.tiny else t_net <= 15, samples=samples))
        creds = json.loads(ctx.lab.secrets["lab/netconf"])
        _bench_inventory(inv, devices, "netconf-wlan", "secret:lab/netconf", "classroom", "rev-seq")
        api.inventory.import_inventory([str(inv)])
        payloads = _rendered(api)
        api.close()
        sample = devices[: ctx.size(40, 4)]
        cpu_before = _own_cpu()
        t_seq = _ncclient_loop(payloads, sample, creds) * n / len(sample)
        seq_cpu_ms = (_own_cpu() - cpu_before) * 1000 / len(sample)
        rows.append(Row(name, "sequential ncclient loop", t_seq, "s",
                        f"measured on {len(sample)} APs, scaled to {n}; ncclient default TICK 0.1 s",
                        lower_better=True))
        cpu_name = f"controller CPU per NETCONF AP push ({n} APs)"
        rows.append(Row(cpu_name, "netctl push (concurrency 50)", statistics.median(cpu_ms), "ms",
                        "process CPU of netctl and its workers over the whole push (render, journal, "
                        "device I/O, read-backs, recording) per AP; runs: "
                        + ", ".join(f"{v:.1f}" for v in cpu_ms),
                        target="<= 10 ms", baseline="sequential ncclient loop", lower_better=True,
                        met=None if ctx.tiny else statistics.median(cpu_ms) <= 10, samples=cpu_ms))
        rows.append(Row(cpu_name, "sequential ncclient loop", seq_cpu_ms, "ms",
                        f"CPU of this process over the loop on {len(sample)} APs, per AP (connect, lock, "
                        "edit-config, commit confirmed, commit, unlock; nothing rendered or recorded)",
                        lower_better=True))
    finally:
        stop_netconf_fleet(ctx.lab)
    notes.append("The sequential NETCONF loop is measured on a sample of the fleet and scaled linearly (it is "
                 "sequential, so its time is linear in APs); it does less per AP than netctl (no get-config, "
                 "no diff, no post-check session).")


# -- SSH CLI ---------------------------------------------------------------------------------------

def _start_ios_fleet(ctx: Context, n: int) -> list[tuple[str, str, int]]:
    from lab import install, procs, ssh

    devices = [(f"bench-sw{i + 1:04d}", f"{IOS_BASE}.{i // 250}.{i % 250 + 1}", IOS_PORT) for i in range(n)]
    ios = json.loads(ctx.lab.secrets["lab/ios"])
    base_conf = json.loads((ctx.lab.dir / "ios" / "switches.json").read_text())
    conf = ctx.lab.dir / "ios" / "bench-switches.json"
    conf.write_text(json.dumps({"devices": [{"name": d, "address": h, "port": p} for d, h, p in devices],
                                "model": "cisco_generic", "username": ios["username"], "password": ios["password"],
                                "secret": ios["secret"], "host_key": base_conf["host_key"]}))
    conf.chmod(0o600)
    procs.spawn(ctx.lab.dir, "ios-bench", [str(install.tools_python()),
                                          str(ROOT / "lab" / "ios_launcher.py"), str(conf)],
                marker=str(conf), log=ctx.lab.dir / "logs" / "ios-bench.log",
                env={"PATH": "/usr/bin:/bin", "HOME": str(conf.parent)})
    ssh.wait_banners(ctx.lab.dir, "ios-bench", [(h, p) for _d, h, p in devices], timeout=120)
    return devices


def _netmiko_loop(payloads: dict[str, str], devices: list[tuple[str, str, int]], creds: dict[str, Any]) -> float:
    from netmiko import ConnectHandler

    start = time.perf_counter()
    for name, host, port in devices:
        conn = ConnectHandler(device_type="cisco_ios", host=host, port=port, username=creds["username"],
                              password=creds["password"], secret=creds["secret"], fast_cli=True)
        try:
            conn.enable()
            lines = [line for line in payloads[name].splitlines() if line.strip() and not line.startswith("!")]
            conn.send_config_set(lines, exit_config_mode=False)
            for _level in range(3):  # this CLI knows no `end`: one `exit` per nesting level
                if not conn.check_config_mode():
                    break
                conn.write_channel("exit" + conn.RETURN)
                conn.read_until_pattern(pattern=r"#\s*$", read_timeout=10)
            conn.save_config()
        finally:
            conn.disconnect()
    return time.perf_counter() - start


def _ssh(ctx: Context, rows: list[Row], notes: list[str]) -> None:
    from lab import procs

    n = ctx.size(100, 3)
    devices = _start_ios_fleet(ctx, n)
    try:
        name = f"push {n} switches SSH CLI"
        inv = ctx.scratch / "push-ssh.yaml"
        api = open_city(ctx.scratch / "push-ssh.db", ctx.lab,
                        _bench_inventory(inv, devices, "cli-ios", "secret:lab/ios", "uplink-switch", "rev-0"))
        revision = [0]

        def netctl_once() -> float:
            revision[0] += 1
            doc = yaml.safe_load(inv.read_text())
            doc["sites"][0]["vars"]["guest_vlan"] = 300 + revision[0]
            inv.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
            api.inventory.import_inventory([str(inv)])
            sim = {"fake-switches": procs.read_pid(ctx.lab.dir, "ios-bench") or 0}
            before = cpu_by_program(sim)
            took = _push_all(api, n, concurrency=50)[0]
            spent.append(_profile(before, cpu_by_program(sim), ("controller", "fake-switches")))
            return took

        spent: list[str] = []
        t_net, samples = median_of(ctx.repeats, netctl_once)
        notes.append(f"CPU of one SSH CLI push of {n} switches (this run; the controller with its worker "
                     f"processes): {spent[-1]}.")
        rows.append(Row(name, "netctl push (concurrency 50)", t_net, "s",
                        f"{n / t_net:.1f} switches/s; backup, apply, verify, save", target="<= 10 s",
                        baseline="sequential netmiko loop", lower_better=True,
                        met=None if ctx.tiny else t_net <= 10, samples=samples))
        payloads = _rendered(api)
        api.close()
        sample = devices[: ctx.size(20, 3)]
        t_seq = _netmiko_loop(payloads, sample, json.loads(ctx.lab.secrets["lab/ios"])) * n / len(sample)
        rows.append(Row(name, "sequential netmiko loop", t_seq, "s",
                        f"measured on {len(sample)} switches, scaled to {n}", lower_better=True))
    finally:
        procs.stop(ctx.lab.dir, "ios-bench")
    notes.append("The SSH CLI fleet is fake-switches (cisco_generic), one Twisted process for all switches; "
                 "the sequential netmiko loop is measured on a sample and scaled linearly.")


def bench(ctx: Context) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    notes: list[str] = []
    _netconf(ctx, rows, notes)
    _ssh(ctx, rows, notes)
    for row in rows:
        if row.baseline and row.met is not None and "6×" in row.target:
            base = next(r for r in rows if r.bench == row.bench and r.variant == row.baseline)
            row.met = row.met and base.value / row.value >= 6
    return rows, notes
