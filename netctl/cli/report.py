"""``netctl report``: a site's month as CSV, HTML or JSON (:mod:`netctl.reports`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from netctl.cli.common import emit_json, pass_api
from netctl.errors import ConfigError
from netctl.i18n import _
from netctl.reports import FORMATS, percent, read_month, to_csv, to_html


def _month(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        read_month(value)
    except ConfigError:
        raise click.BadParameter(f"{value!r} is no month; use YYYY-MM, e.g. 2026-11") from None
    return value.strip()


@click.command()
@click.option("--site", required=True, help="The site (school) to report on.")
@click.option("--month", required=True, callback=_month, help="YYYY-MM, in the site's time zone.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="csv: one table with a section column; html: one self-contained page; json.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of stdout (CSV files get a UTF-8 BOM for spreadsheets).")
@pass_api
def report(api: Any, site: str, month: str, fmt: str, output: Path | None) -> None:
    """Uptime, devices per SSID and incidents of one site in one month (from the hourly roll-ups)."""
    result = api.reports.report(site, month)
    if not result.has_data:
        click.echo(_("{site}: no data for {month} (no poll recorded, or older than the 30 days of hourly "
                     "roll-ups); uptime is not reported").format(site=site, month=month), err=True)
    if fmt == "json" and output is None:
        emit_json(result.to_dict())
        return
    if fmt == "json":
        import json

        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = to_csv(result) if fmt == "csv" else to_html(result)
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
    click.echo(_("{output}: {site} {month}, uptime {uptime}, {n} incident(s)").format(
        output=output, site=site, month=month, uptime=percent(result.site_uptime.uptime_pct, _),
        n=len(result.incidents)), err=True)
