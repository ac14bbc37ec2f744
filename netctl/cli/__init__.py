"""The ``netctl`` command line: thin commands over :class:`netctl.api.Netctl`.

Subcommands live in one module per area and are imported only when used, so ``netctl --help`` and
cron calls start fast.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
import sys
from typing import Any

import click

from netctl import __version__, i18n
from netctl.cli.common import Context
from netctl.errors import ConfigError, NetctlError

#: the log levels ``$NETCTL_LOG`` may name
LOG_LEVELS = ("debug", "info", "warning", "error")

#: command name -> "module:attribute" (loaded on first use)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("netctl.cli.inventory:init_cmd", "Create or upgrade the database."),
    "inventory": ("netctl.cli.inventory:inventory", "Tenants, sites, groups and access points."),
    "secret": ("netctl.cli.inventory:secret", "The encrypted secret store (credentials, SNMP keys)."),
    "render": ("netctl.cli.config:render", "Render the configuration of APs from templates."),
    "diff": ("netctl.cli.config:diff", "Rendered vs running configuration; nothing is sent."),
    "push": ("netctl.cli.config:push", "Push rendered configuration to APs safely."),
    "converge": ("netctl.cli.config:converge", "Push pending configuration to APs that are back."),
    "backup": ("netctl.cli.config:backup", "Store the running configuration of APs as versions."),
    "history": ("netctl.cli.config:history", "Configuration versions of an AP."),
    "show-config": ("netctl.cli.config:show_config", "Show a stored configuration version."),
    "restore": ("netctl.cli.config:restore", "Push a stored version back through the safe path."),
    "drift": ("netctl.cli.config:drift", "Running vs intended configuration."),
    "audit": ("netctl.cli.config:audit", "The audit trail of pushes and restores."),
    "poll": ("netctl.cli.poll:poll", "Poll APs over SNMP and record health and metrics."),
    "status": ("netctl.cli.poll:status", "Current health per AP, counts per site, WLAN controllers."),
    "metrics": ("netctl.cli.poll:metrics", "Time series of one AP."),
    "alerts": ("netctl.cli.poll:alerts", "Open and closed alerts; acknowledge."),
    "maintenance": ("netctl.cli.poll:maintenance", "Maintenance windows that mute notifications."),
    "scheduler": ("netctl.cli.poll:scheduler", "The long-running job scheduler."),
    "jobs": ("netctl.cli.poll:jobs", "Scheduled jobs and their runs."),
    "exporter": ("netctl.cli.exporter:exporter", "Serve Prometheus metrics of APs, polls and jobs."),
    "report": ("netctl.cli.report:report", "A site's month: uptime, devices per SSID, incidents (CSV, HTML, JSON)."),
    "users": ("netctl.cli.access:users", "Users, roles and scopes."),
    "ssid": ("netctl.cli.access:ssid", "The SSIDs of a site; switch one on or off (only that SSID changes)."),
    "calendar": ("netctl.cli.calendar:calendar", "School calendars and holidays that switch a site's SSIDs."),
    "controller": ("netctl.cli.controller:controller", "WLAN controllers and the APs their AP tables list."),
    "overlay": ("netctl.cli.overlay:overlay", "Named, time-boxed variables on APs (exam mode) that end by themselves."),
    "hostkeys": ("netctl.cli.hostkeys:hostkeys", "SSH host keys pinned per AP (list, trust, forget, import)."),
    "firmware": ("netctl.cli.firmware:firmware",
                 "Firmware images and upgrades in maintenance windows (OpenWrt, Huawei AC)."),
    "tui": ("netctl.cli.tui:tui", "Open the terminal UI."),
    "serve": ("netctl.cli.serve:serve", "Serve the TUI in a browser, behind a login (loopback by default)."),
    "lab": ("netctl.cli.lab:lab", "The local lab of simulated APs (for demo and tests)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command = getattr(module, attr, None)
        return command if isinstance(command, click.Command) else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Like click's, plus ``did you mean status?`` for a mistyped command."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            close = difflib.get_close_matches(args[0], sorted(COMMANDS), n=1) if args else []
            if close and self.get_command(ctx, args[0]) is None:
                raise click.UsageError(f"{exc.message} (did you mean {close[0]}?)", ctx) from None
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="NETCTL_DB", default="netctl.db", show_default=True,
              help="SQLite database file (also $NETCTL_DB).")
@click.option("--user", envvar="NETCTL_USER", default=None,
              help="Act as this netctl user (default: the OS login's user).")
@click.option("--lang", default=None, metavar="LANG",
              help="Language of the TUI and of tables and messages for people: en or de (default: $NETCTL_LANG, "
                   "else the locale, else en). --json, CSV, the audit and logs stay English.")
@click.version_option(__version__, prog_name="netctl")
@click.pass_context
def cli(ctx: click.Context, db: str, user: str | None, lang: str | None) -> None:
    """netctl: inventory, templates, pushes and SNMP health for public and school WLANs."""
    try:
        i18n.choose(lang)
    except ValueError as exc:
        raise click.BadParameter(f"{exc}: use --lang en or --lang de", param_hint="--lang") from exc
    ctx.obj = Context(db, user)


class _StderrHandler(logging.Handler):
    """Writes each record to ``sys.stderr`` as it is at that moment (the TUI captures it while it runs)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never break a command
            self.handleError(record)


def log_to_stderr(level: str | None) -> None:
    """Show netctl's log records from ``level`` up on stderr (``$NETCTL_LOG``; default ``warning``).

    At ``warning`` only what needs a developer shows: a bug in a driver or below, with its traceback.
    ``info`` adds each AP that failed and why, ``debug`` everything. Raises ConfigError for another word.
    """
    name = (level or "warning").strip().lower()
    if name not in LOG_LEVELS:
        raise ConfigError(f"NETCTL_LOG={level!r} is not a log level", hint="use one of: " + ", ".join(LOG_LEVELS))
    logger = logging.getLogger("netctl")
    for old in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(name.upper())


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: run the CLI; NetctlError becomes a message on stderr and an exit code."""
    try:
        log_to_stderr(os.environ.get("NETCTL_LOG"))
        return cli.main(args=argv, prog_name="netctl", standalone_mode=False)
    except NetctlError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
