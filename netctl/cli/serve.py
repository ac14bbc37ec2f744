"""``netctl serve``: the TUI in a browser behind a login (:mod:`netctl.web.server`)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from netctl.cli.common import Context
from netctl.errors import ConfigError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --allow-remote.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port, printed at start).")
@click.option("--public-url", default=None, metavar="URL",
              help="The URL browsers use when a reverse proxy with TLS is in front (https://… makes the "
                   "session cookie Secure).")
@click.option("--allow-remote", is_flag=True, help="Allow listening on an address other machines reach.")
@click.option("--certfile", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Serve HTTPS with this certificate (PEM; with --keyfile).")
@click.option("--keyfile", default=None, type=click.Path(exists=True, dir_okay=False),
              help="The certificate's private key (PEM).")
@click.option("--idle-minutes", default=30, show_default=True, type=click.IntRange(1, 24 * 60),
              help="A browser session ends after this long without use.")
@click.option("--max-hours", default=12, show_default=True, type=click.IntRange(1, 24 * 7),
              help="A browser session ends after this long in any case.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, public_url: str | None, allow_remote: bool,
          certfile: str | None, keyfile: str | None, idle_minutes: int, max_hours: int) -> None:
    """Serve the TUI in a browser: log in as a netctl user, get that user's TUI and scope.

    Users log in with the web password an admin set (netctl users passwd NAME). Listens on loopback
    unless --allow-remote; to expose it, put a reverse proxy with TLS in front or give --certfile and
    --keyfile (docs/security.md). Runs as an admin's OS login (or root): each TUI is started with
    --user for the user who logged in. Runs until SIGTERM or Ctrl-C.
    """
    from netctl.web.server import TLS_GUIDANCE, WebServer, is_loopback, run, tls_context

    if bool(certfile) != bool(keyfile):
        raise ConfigError("give --certfile and --keyfile together", hint="both PEM files, or neither")
    if not is_loopback(host) and not allow_remote:
        raise click.UsageError(f"--host {host} is not loopback: add --allow-remote to listen there.\n"
                               + TLS_GUIDANCE)
    if not is_loopback(host) and not certfile:
        click.echo("warning: listening beyond loopback without TLS.\n" + TLS_GUIDANCE, err=True)
    obj = ctx.find_object(Context)
    from netctl.core import default_db_path

    db_path = str(Path(obj.db_path if obj and obj.db_path else default_db_path()).resolve())
    server = WebServer(db_path, admin_user=obj.user if obj else None, public_url=public_url, secure=bool(certfile),
                       idle_s=idle_minutes * 60.0, max_age_s=max_hours * 3600.0)
    users = server.check_admin()
    if not users:
        click.echo("no user has a web password yet: set one with netctl users passwd NAME", err=True)
    logger = logging.getLogger("netctl")
    if logger.level > logging.INFO or logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)  # logins, failures and logouts on stderr
    asyncio.run(run(server, host, port, ssl_context=tls_context(certfile, keyfile),
                    announce=lambda url: click.echo(f"serving {url} (Ctrl-C stops)", err=True)))
