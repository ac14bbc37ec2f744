"""``netctl overlay``: named, time-boxed variables on top of APs' own ("exam mode in room 1.12 for 90 minutes")."""

from __future__ import annotations

from typing import Any

import click

from netctl.cli.common import emit_json, json_option, pass_api, print_table
from netctl.cli.config import _exit


def _assignments(items: tuple[str, ...]) -> dict[str, Any]:
    """``vars.NAME=VALUE`` words; a value in ``[…]`` or ``{…}`` is a YAML list or mapping
    (``vars.ssids_disabled=[Schule-Lernen, Duisburg-Free-WLAN]``), else read as an inventory cell."""
    import yaml

    from netctl.inventory.loaders import parse_cell_value

    changes: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(f"{item!r} is not vars.NAME=VALUE", param_hint="--set")
        if value.strip()[:1] in "[{":
            try:
                changes[key.strip()] = yaml.safe_load(value)
            except yaml.YAMLError as exc:
                raise click.BadParameter(f"{item!r}: {exc}", param_hint="--set") from exc
        else:
            changes[key.strip()] = parse_cell_value(value)
    return changes


def _vars_text(variables: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(variables.items()))


@click.group()
def overlay() -> None:
    """Named, time-boxed variables on an AP, a site or a group (exam mode); they end by themselves."""


@overlay.command("add")
@click.argument("name")
@click.option("--ap", "ap", help="The AP it covers (e.g. the one in room 1.12).")
@click.option("--site", help="Every AP of this site.")
@click.option("--group", metavar="TENANT/GROUP", help="Every AP of this group.")
@click.option("--set", "items", multiple=True, metavar="vars.NAME=VALUE", required=True,
              help="A variable while the overlay lasts (repeatable).")
@click.option("--until", "until", required=True, help="When it ends: 17:00, 2026-11-28T07:30, 90m, 2h.")
@click.option("--concurrency", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--confirm-timeout", type=click.IntRange(5, 3600), default=60, show_default=True)
@json_option
@pass_api
def add_cmd(api: Any, name: str, ap: str | None, site: str | None, group: str | None, items: tuple[str, ...],
            until: str, concurrency: int, confirm_timeout: int, as_json: bool) -> None:
    """Put overlay NAME on one AP, a site or a group until a time, and push the APs it covers.

    While it lasts its variables win over every other layer; then they are gone and the APs are pushed
    again (the scheduler's timers job). Example: exam mode for 90 minutes, pupils' SSID off:
    netctl overlay add exam-112 --ap gs-meiderich-ap07 --set 'vars.ssids_disabled=[Schule-Lernen]' --until 90m
    """
    chosen = [(kind, value) for kind, value in (("ap", ap), ("site", site), ("group", group)) if value]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --ap, --site, --group")
    kind, target = chosen[0]
    tenant = None
    if kind == "group":
        tenant, sep, target = target.partition("/")
        if not sep:
            raise click.BadParameter("give TENANT/GROUP", param_hint="--group")
    added = api.overlays.add(name, kind=kind, target=target, tenant=tenant, changes=_assignments(items),
                             until=until, concurrency=concurrency, confirm_timeout=confirm_timeout)
    results = added["results"]
    if as_json:
        emit_json({"overlay": added["overlay"], "results": [r.to_dict() for r in results]})
    else:
        shown = added["overlay"]
        click.echo(f"overlay {shown['name']} on {shown['kind']} {shown['target']} until {shown['until_local']} "
                   f"{shown['timezone']}: {_vars_text(shown['vars'])}")
        print_table([(r.ap, r.status, (r.reason or "").splitlines()[0] if r.reason else "") for r in results],
                    ["AP", "STATUS", "REASON"])
    _exit(results)


@overlay.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also the ended ones.")
@json_option
@pass_api
def list_cmd(api: Any, show_all: bool, as_json: bool) -> None:
    """List the overlays on the APs you may see: what, where, until when, by whom."""
    rows = api.overlays.list_overlays(ended=show_all)
    if as_json:
        emit_json(rows)
        return
    print_table([(o["name"], f"{o['kind']} {o['target']}", _vars_text(o["vars"]), f"{o['until_local']} {o['timezone']}",
                  o["who"], o["state"], len(o["aps"])) for o in rows],
                ["NAME", "ON", "VARIABLES", "UNTIL", "BY", "STATE", "APS"])


@overlay.command("end")
@click.argument("name")
@click.option("--confirm-timeout", type=click.IntRange(5, 3600), default=60, show_default=True)
@pass_api
def end_cmd(api: Any, name: str, confirm_timeout: int) -> None:
    """End overlay NAME now and push the APs it covered."""
    results = api.overlays.end(name, confirm_timeout=confirm_timeout)
    print_table([(r.ap, r.status, (r.reason or "").splitlines()[0] if r.reason else "") for r in results],
                ["AP", "STATUS", "REASON"])
    _exit(results)
