"""``netctl exporter``: serve the current state as Prometheus metrics (:mod:`netctl.exporter`)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from netctl.cli.common import Context
from netctl.exporter import DEFAULT_LISTEN


@click.command()
@click.option("--listen", default=DEFAULT_LISTEN, show_default=True, metavar="HOST:PORT",
              help="Address to serve /metrics on. Keep it on loopback; expose it through a reverse proxy "
                   "with TLS and authentication (docs/polling.md#prometheus).")
@click.pass_context
def exporter(ctx: click.Context, listen: str) -> None:
    """Serve /metrics for Prometheus: AP health, clients per SSID, rates, polls, jobs.

    Every scrape reads the store as the acting user (global --user, else the OS login's user): a
    school admin's exporter shows only their sites. Runs until SIGTERM or Ctrl-C.
    """
    from netctl.api import Netctl
    from netctl.exporter import serve

    obj = ctx.find_object(Context)
    db_path = obj.db_path if obj else None
    user = obj.user if obj else None
    Netctl(db_path, user=user).close()  # an unknown user or a missing database fails here, not at a scrape
    server, thread = serve(lambda: Netctl(db_path, user=user), listen)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    port = server.server_address[1]
    click.echo(f"serving http://{listen.rpartition(':')[0]}:{port}/metrics", err=True)
    try:
        while not stop.wait(1.0):
            if not thread.is_alive():
                break
    finally:
        server.shutdown()
        server.server_close()
    click.echo("exporter stopped", err=True)
