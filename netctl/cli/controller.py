"""``netctl controller list|aps``: WLAN controllers and the APs their tables list (thin over the facade)."""

from __future__ import annotations

from typing import Any

import click

from netctl.cli.common import emit_json, json_option, pass_api, print_table


def _dash(value: Any) -> str:
    return "-" if value is None else str(value)


@click.group("controller")
def controller() -> None:
    """WLAN controllers (role: controller) and the APs behind them, as their AP tables list them."""


@controller.command("list")
@json_option
@pass_api
def list_cmd(api: Any, as_json: bool) -> None:
    """Controllers with their AP counts from the last poll (discovered, up, down, in the inventory, missing)."""
    rows = api.controllers.list_controllers()
    if as_json:
        emit_json(rows)
        return
    print_table([(r["name"], r["site"], r["platform"], r["last_poll"] or "never",
                  "ok" if r["ok"] else (r["error"] or "-")[:40] if r["ok"] is not None else "-",
                  _dash(r["discovered"]), _dash(r["up"]), _dash(r["down"]), _dash(r["other"]), r["inventory"],
                  _dash(r["missing"])) for r in rows],
                ["CONTROLLER", "SITE", "PLATFORM", "LAST_POLL", "POLL", "APS", "UP", "DOWN", "OTHER", "INVENTORY",
                 "MISSING"])


@controller.command("aps")
@click.argument("name")
@click.option("--poll", "poll_first", is_flag=True, help="Poll the controller now (its AP tables) before listing.")
@json_option
@pass_api
def aps_cmd(api: Any, name: str, poll_first: bool, as_json: bool) -> None:
    """The APs controller NAME's AP table listed at its last good poll (netctl poll NAME reads it again).

    STATUS is up, down, joining, failed, standby or unknown (every AP is unknown while the controller's
    last poll failed; STATE keeps what it said last). INVENTORY names the inventory AP that is this row;
    adopt the others with: netctl inventory adopt NAME.
    """
    rows = api.controllers.aps(name, poll=poll_first)
    if as_json:
        emit_json(rows)
        return
    print_table([(r["name"], r["mac"], _dash(r["ip"]), _dash(r["model"]), _dash(r["serial"]), r["status"],
                  _dash(r["state"]), _dash(r["clients"]),
                  ", ".join(f"{s}={n}" for s, n in (r["ssids"] or {}).items()), _dash(r["ap_group"]),
                  _dash(r["inventory"])) for r in rows],
                ["NAME", "MAC", "IP", "MODEL", "SERIAL", "STATUS", "STATE", "CLIENTS", "PER SSID", "GROUP",
                 "INVENTORY"])
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    click.echo(f"{len(rows)} AP(s) behind {name}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
               err=True)
