"""``netctl lab``: start, stop and inspect the local lab of simulated APs (demo and tests)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from netctl.cli.common import emit_json, json_option
from netctl.errors import ConfigError

if TYPE_CHECKING:
    from lab.lab import Lab

dir_option = click.option(
    "--dir",
    "lab_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Lab directory (default $NETCTL_LAB_DIR, else <repo>/.lab).",
)


def _checkout_lab() -> None:
    """Make the checkout's ``lab`` package importable, or say that the lab needs a checkout.

    The lab (its simulators, installers and recordings) is test and demo equipment: it lives beside
    ``netctl/`` in a clone and is not part of the installed package.
    """
    try:
        import lab  # noqa: F401
    except ImportError:
        root = Path(__file__).resolve().parents[2]
        if not (root / "lab" / "__init__.py").is_file():
            raise ConfigError(
                "the lab of simulated APs comes with a checkout of netctl, not with the installed package",
                hint="clone the repository and run `make lab-up` there (see docs/lab.md)",
            ) from None
        sys.path.insert(0, str(root))


def _lab(lab_dir: Path | None, aps: int | None = None) -> Lab:
    from lab.lab import Lab, default_dir, lab_aps_from_env

    if aps is None:
        aps = lab_aps_from_env()
    return Lab(dir=(lab_dir or default_dir()).resolve(), lab_aps=aps or 0, exact_aps=aps is not None)


@click.group()
def lab() -> None:
    """The lab: real SNMP, NETCONF and SSH peers on 127.0.0.0/8 that play the example city's APs."""
    _checkout_lab()


@lab.command()
@dir_option
@json_option
def status(lab_dir: Path | None, as_json: bool) -> None:
    """What runs where (exit code 3 when the lab is not running)."""
    from lab.__main__ import print_status

    st = _lab(lab_dir).status()
    if as_json:
        emit_json(st)
    else:
        print_status(st)
    if not st["running"]:
        raise SystemExit(3)


@lab.command()
@dir_option
@click.option("--aps", type=int, default=None, help="Synthetic SNMP-only APs to add (default $LAB_APS).")
def up(lab_dir: Path | None, aps: int | None) -> None:
    """Start the lab, or report the running one (idempotent)."""
    from lab.__main__ import print_status

    lab_ = _lab(lab_dir, aps)
    was = lab_.is_running()
    t0 = time.monotonic()
    lab_.up()
    click.echo("lab already running" if was else f"lab started in {time.monotonic() - t0:.1f} s")
    print_status(lab_.status())


@lab.command()
@dir_option
def down(lab_dir: Path | None) -> None:
    """Stop every lab process (by pid file) and remove stale sockets."""
    stopped = _lab(lab_dir).down()
    click.echo(f"lab stopped: {len(stopped)} processes" if stopped else "lab was not running")


@lab.command()
@click.option("--count", type=int, required=True, help="How many synthetic APs (as with LAB_APS).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="YAML file to write.")
def inventory(count: int, out: Path) -> None:
    """Write a YAML inventory (tenant "bench") of the synthetic APs LAB_APS=COUNT serves."""
    from lab.inventory import bench_inventory_yaml

    out.write_text(bench_inventory_yaml(count), encoding="utf-8")
    click.echo(f"wrote {count} synthetic APs to {out} (serve them with LAB_APS={count})")
