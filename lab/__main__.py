"""``python -m lab install|up|down|status|inventory`` (what the Makefile's lab targets call)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

from netctl.errors import NetctlError


def print_status(status: dict) -> None:  # type: ignore[type-arg]
    """Human-readable lab status: what runs where."""
    procs = status["processes"]
    up = sum(1 for pid in procs.values() if pid)
    state = "running" if status["running"] else ("partly running" if up else "stopped")
    print(
        f"lab {state}: {status['dir']}  ({up}/{len(procs)} processes"
        + (
            f", started {status['started_at']} in {status['startup_seconds']} s"
            if status["started_at"]
            else ""
        )
        + ")"
    )
    eps = status["endpoints"]
    if eps:
        snmp = eps.get("snmp", {})
        print(
            f"  SNMP (snmpsim)        {len(snmp):5d} agents, udp 127.x.y.z:1161"
            " (v2c; zoo-entrance-ap01 v3 only)"
            + (f", LAB_APS={status['lab_aps']}" if status["lab_aps"] else "")
        )
        for name, where in eps.get("snmpd", {}).items():
            print(f"  SNMP (net-snmp snmpd) {name}: udp {where} (v2c + v3 labuser authPriv SHA/AES)")
        print(
            f"  NETCONF (netconfd)    {len(eps.get('netconf', {})):5d} APs over SSH, e.g. "
            + ", ".join(f"{k} {v}" for k, v in list(eps.get("netconf", {}).items())[:2])
        )
        print(
            f"  SSH CLI (OpenWrt sim) {len(eps.get('ssh', {})):5d} APs, e.g. "
            + ", ".join(f"{k} {v}" for k, v in list(eps.get("ssh", {}).items())[:2])
        )
        print(
            f"  SSH CLI (Huawei AC sim) {len(eps.get('huawei', {})):3d} controllers, e.g. "
            + ", ".join(f"{k} {v}" for k, v in list(eps.get("huawei", {}).items())[:2])
        )
        print(
            f"  NETCONF (Cisco 9800 stand-in) {len(eps.get('cisco', {})):d} controllers, e.g. "
            + ", ".join(f"{k} {v}" for k, v in list(eps.get("cisco", {}).items())[:2])
        )
        print(
            f"  SSH CLI (Cisco 9800 sim) {len(eps.get('c9800', {})):2d} controllers (software), e.g. "
            + ", ".join(f"{k} {v}" for k, v in list(eps.get("c9800", {}).items())[:2])
        )
        print(
            f"  SSH CLI (ZTE ZXR10 sim) {len(eps.get('zte', {})):3d} switches, e.g. "
            + ", ".join(f"{k} {v}" for k, v in list(eps.get("zte", {}).items())[:2])
        )
        print(
            f"  SSH CLI (IOS-style)   {len(eps.get('ios', {})):5d} switches, e.g. "
            + ", ".join(f"{k} {v}" for k, v in list(eps.get("ios", {}).items())[:2])
        )
    if status["stopped_snmp"]:
        print(f"  SNMP switched off: {', '.join(status['stopped_snmp'])}")
    down = [n for n, pid in procs.items() if not pid]
    if down and up:
        print(f"  not running: {', '.join(down[:10])}" + (" …" if len(down) > 10 else ""))
    for name, pid in status["extra_processes"].items():
        print(f"  also running: {name} (pid {pid})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab", description="The lab of simulated APs.")
    parser.add_argument(
        "--dir", type=Path, default=None, help="lab directory (default $NETCTL_LAB_DIR or .lab)"
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("install", help="install Debian packages and the tools virtualenv (skips what exists)")
    sub.add_parser("up", help="start the lab, or report the running one")
    sub.add_parser("down", help="stop every lab process")
    st = sub.add_parser("status", help="what runs where")
    st.add_argument("--json", action="store_true")
    inv = sub.add_parser("inventory", help="write a YAML inventory of LAB_APS synthetic APs")
    inv.add_argument("--count", type=int, required=True)
    inv.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `python -m lab status | head` ends quietly

    from lab.lab import Lab, default_dir, lab_aps_from_env

    lab_dir = (args.dir or default_dir()).resolve()
    try:
        if args.cmd == "install":
            from lab.install import install

            took = install()
            print(f"lab install: done (packages {took['packages']:.1f} s, tools {took['tools']:.1f} s)")
        elif args.cmd == "up":
            aps = lab_aps_from_env()
            lab = Lab(dir=lab_dir, lab_aps=aps or 0, exact_aps=aps is not None)
            was = lab.is_running()
            t0 = time.monotonic()
            lab.up()
            print(
                ("lab already running" if was else f"lab started in {time.monotonic() - t0:.1f} s")
                + f"; secrets in {lab.dir / 'secrets.json'}"
            )
            print_status(lab.status())
        elif args.cmd == "down":
            stopped = Lab(dir=lab_dir).down()
            print(f"lab stopped: {len(stopped)} processes" if stopped else "lab was not running")
        elif args.cmd == "status":
            status = Lab(dir=lab_dir).status()
            if args.json:
                print(json.dumps(status, indent=2))
            else:
                print_status(status)
            return 0 if status["running"] else 3
        elif args.cmd == "inventory":
            from lab.inventory import bench_inventory_yaml

            args.out.write_text(bench_inventory_yaml(args.count), encoding="utf-8")
            print(f"wrote {args.count} synthetic APs to {args.out} (serve them with LAB_APS={args.count})")
    except NetctlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
