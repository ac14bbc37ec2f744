"""``netctl calendar``: school calendars that switch a site's SSIDs (holidays, school hours, exam days)."""

from __future__ import annotations

from typing import Any

import click

from netctl.calendars import OFF_DURING, ON_DURING
from netctl.cli.common import emit_json, json_option, pass_api, print_table


@click.group()
def calendar() -> None:
    """School calendars (iCalendar files or URLs, public holidays) that switch an SSID of a site."""


@calendar.command("import")
@click.argument("site")
@click.argument("source", required=False)
@click.option("--ssid", required=True, help="The SSID of SITE the calendar switches.")
@click.option("--off-during", "mode", flag_value=OFF_DURING, default=True,
              help="The SSID is off while an event runs (holidays, exam days). The default.")
@click.option("--on-during", "mode", flag_value=ON_DURING,
              help="The SSID is on only while an event runs (school hours).")
@click.option("--name", help="Name of the calendar at SITE (default: the file name).")
@click.option("--holidays", "state", metavar="STATE",
              help="Public holidays of this German state count as events (NW, HE, …).")
@click.option("--summary", metavar="GLOB", help="Only events whose title matches, e.g. '*ferien*'.")
@click.option("--replace", is_flag=True, help="Update the calendar of that name.")
@json_option
@pass_api
def import_cmd(api: Any, site: str, source: str | None, ssid: str, mode: str, name: str | None, state: str | None,
               summary: str | None, replace: bool, as_json: bool) -> None:
    """Store a calendar for SITE from SOURCE (.ics file or http(s) URL, read once, now).

    The scheduler's calendars job then switches SSID at every AP of SITE when the calendar says so
    (only that SSID changes). Several calendars on one SSID: off wins.
    """
    row = api.calendars.import_calendar(site, source, ssid=ssid, mode=mode, name=name, holidays=state,
                                        summary=summary, replace=replace)
    if as_json:
        emit_json(row)
        return
    click.echo(f"calendar {row['name']} at {row['site']}: {row['ssid']} {row['mode']} its events "
               f"({row['events']} events{', public holidays ' + row['holidays'] if row['holidays'] else ''})")
    click.echo(f"see what it does: netctl calendar show {row['site']}")


@calendar.command("list")
@click.argument("site", required=False)
@json_option
@pass_api
def list_cmd(api: Any, site: str | None, as_json: bool) -> None:
    """List the calendars of your sites (or of SITE)."""
    rows = api.calendars.list_calendars(site)
    if as_json:
        emit_json(rows)
        return
    print_table([(r["site"], r["name"], r["ssid"], r["mode"], r["events"], r["holidays"] or "", r["summary"] or "",
                  r["source"] or "") for r in rows],
                ["SITE", "NAME", "SSID", "MODE", "EVENTS", "HOLIDAYS", "ONLY", "SOURCE"])


@calendar.command("show")
@click.argument("site")
@click.option("--days", type=click.FloatRange(0, 400), default=14.0, show_default=True,
              help="How far ahead to list the switches.")
@json_option
@pass_api
def show_cmd(api: Any, site: str, days: float, as_json: bool) -> None:
    """What the calendars of SITE ask for now, and when each SSID switches next (in the site's time)."""
    shown = api.calendars.show(site, days=days)
    if as_json:
        emit_json(shown)
        return
    if not shown["calendars"]:
        click.echo(f"site {site} has no calendar (add one: netctl calendar import {site} FILE --ssid NAME)")
        return
    for state in shown["now"]:
        word = "on" if state["enabled"] else "off"
        lag = "" if state["current"] == state["enabled"] else " (not yet: the calendars job switches it)"
        click.echo(f"{state['ssid']}: {word} now{lag}: {state['because']}")
    print_table([(c["at_local"], c["ssid"], "on" if c["enabled"] else "off", c["because"]) for c in shown["changes"]],
                [f"WHEN ({shown['timezone']})", "SSID", "SWITCH", "BECAUSE"])


@calendar.command("remove")
@click.argument("site")
@click.argument("name")
@pass_api
def remove_cmd(api: Any, site: str, name: str) -> None:
    """Remove calendar NAME of SITE (the SSID keeps the state it has now)."""
    api.calendars.remove_calendar(site, name)
    click.echo(f"calendar {name} of {site} removed")
