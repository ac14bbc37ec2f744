"""``netctl firmware add|list|plan|upgrade``: firmware images and upgrades in maintenance windows."""

from __future__ import annotations

import sys
from typing import Any

import click

from netctl.cli.common import emit_json, json_option, pass_api, print_table, progress_line, selection_options
from netctl.selection import Selection

_VERSION = click.option("--version", "version", required=True, help="The firmware version, e.g. 23.05.6.")


def _first_line(text: str | None) -> str:
    return (text or "").splitlines()[0] if text else ""


@click.group()
def firmware() -> None:
    """Firmware images and upgrades (OpenWrt, Huawei AC), in maintenance windows, read back afterwards."""


@firmware.command("add")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--platform", required=True, help="The platform the image is for (openwrt, huawei-ac, cisco-9800).")
@_VERSION
@json_option
@pass_api
def add_cmd(api: Any, file: str, platform: str, version: str, as_json: bool) -> None:
    """Store image FILE (copied beside the database, or into $NETCTL_FIRMWARE_DIR) with its sha256.

    netctl checks the size and, for the lab simulator's images, their header; a real OpenWrt image is
    checked by the AP itself (sysupgrade -T) before it is installed.
    """
    row = api.firmware.add(file, platform=platform, version=version)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"stored {row['platform']} {row['version']}: {row['size']} bytes, sha256 {row['sha256']}")


@firmware.command("list")
@click.option("--platform", help="Only images for this platform.")
@json_option
@pass_api
def list_cmd(api: Any, platform: str | None, as_json: bool) -> None:
    """The stored images: platform, version, size, sha256, who added them and when."""
    rows = api.firmware.list_images(platform)
    if as_json:
        emit_json(rows)
        return
    print_table([(r["platform"], r["version"], r["size"], r["sha256"][:16], r["who"], r["added"], r["source"])
                 for r in rows], ["PLATFORM", "VERSION", "BYTES", "SHA256", "BY", "ADDED", "FILE"])


def _print_plan(results: Any) -> None:
    print_table([(r.ap, r.platform, r.current or "", r.target, r.status, r.window or "none (needs --now)",
                  _first_line(r.reason)) for r in results],
                ["AP", "PLATFORM", "CURRENT", "TARGET", "ACTION", "WINDOW NOW", "NOTE"])


@firmware.command("plan")
@selection_options
@_VERSION
@click.option("--concurrency", "-c", type=click.IntRange(1, 200), default=20, show_default=True)
@json_option
@pass_api
def plan_cmd(api: Any, selection: Selection, version: str, concurrency: int, as_json: bool) -> None:
    """What an upgrade to --version would do: each AP's running version (read over SSH), the action
    (upgrade, up-to-date, unsupported platform, unreachable) and the window that allows it now."""
    results = api.firmware.plan(selection, version=version, concurrency=concurrency,
                                progress=progress_line(len(api.session.select(selection))))
    if as_json:
        emit_json(results.to_dict())
    else:
        _print_plan(results)


@firmware.command("upgrade")
@selection_options
@_VERSION
@click.option("--canary", type=click.IntRange(min=0), default=1, show_default=True,
              help="Upgrade this many APs first, alone.")
@click.option("--wave-size", type=click.IntRange(min=1), default=None, help="Then upgrade in waves of this many.")
@click.option("--now", "now", is_flag=True, help="Also APs outside a maintenance (or depot) window.")
@click.option("--yes", "-y", is_flag=True, help="Do not show the plan and ask; upgrade at once.")
@click.option("--concurrency", "-c", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--gate-clients", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="The share of the AP's clients before the upgrade that must be back afterwards.")
@click.option("--gate-timeout", type=click.FloatRange(1, 1800), default=60.0, show_default=True,
              help="How long to wait for the AP to be well over SNMP after it is back (seconds).")
@click.option("--reboot-timeout", type=click.FloatRange(5, 3600), default=None,
              help="How long to wait for SSH after the install [default: the platform's].")
@click.option("--at", "at", metavar="TIME", default=None,
              help="Do not upgrade now: the scheduler does it once then (02:00 today in the site's time zone, "
                   "2026-11-28T02:00, or 8h from now); the same rules apply then (a window, or --now).")
@json_option
@pass_api
def upgrade_cmd(api: Any, selection: Selection, version: str, canary: int, wave_size: int | None, now: bool,
                yes: bool, concurrency: int, gate_clients: float, gate_timeout: float, reboot_timeout: float | None,
                at: str | None, as_json: bool) -> None:
    """Upgrade APs to --version: upload, verify the sha256, check, install, wait for SSH, read the
    version back, then check the AP over SNMP (OpenWrt). A Huawei AC sets the image as its next startup's
    and reboots instead of installing, and has no sha256 or SNMP check: the result says so. The first AP
    that fails stops the rollout (firmware cannot be rolled back automatically) and raises a critical
    alert. Exit code 1 when an AP failed. With --at the upgrade is stored as a job the scheduler runs
    once at that time, as you (netctl jobs list shows it; netctl jobs set NAME --disable cancels it).
    """
    if at is not None:
        job = api.firmware.schedule(selection, version=version, at=at, canary=canary, wave_size=wave_size, now=now,
                                    gate_min_clients=gate_clients, gate_timeout=gate_timeout,
                                    reboot_timeout=reboot_timeout)
        if as_json:
            emit_json(job)
        else:
            click.echo(f"scheduled {job['job']}: {len(job['aps'])} AP(s) to {version} at {job['at_local']} "
                       f"({job['timezone']}), run once by the scheduler (netctl scheduler run) as you; "
                       f"cancel with: netctl jobs set {job['job']} --disable")
        return
    if not yes:
        _print_plan(api.firmware.plan(selection, version=version, concurrency=concurrency,
                                      progress=progress_line(len(api.session.select(selection)))))
        click.confirm(f"Upgrade these APs to {version}?", abort=True, err=True)
    results = api.firmware.upgrade(selection, version=version, canary=canary, wave_size=wave_size, now=now,
                                   concurrency=concurrency, gate_min_clients=gate_clients, gate_timeout=gate_timeout,
                                   reboot_timeout=reboot_timeout,
                                   progress=progress_line(len(api.session.select(selection))))
    if as_json:
        emit_json(results.to_dict())
    else:
        print_table([(r.ap, r.status, r.current or "", r.version_after or "", r.wave or "", r.stage or "",
                      f"{r.duration_s:.1f}", _first_line(r.reason)) for r in results],
                    ["AP", "STATUS", "BEFORE", "AFTER", "WAVE", "STAGE", "SECONDS", "REASON"])
        counts = results.counts()
        click.echo(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no APs selected", err=True)
    if results.failed:
        click.echo("error: the rollout was stopped; a critical firmware alert is open for "
                   + ", ".join(results.failed_aps), err=True)
        sys.exit(1)
