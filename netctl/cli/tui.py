"""``netctl tui``: open the terminal UI as a netctl user (Textual is imported only here, on use)."""

from __future__ import annotations

import click

from netctl.cli.common import Context


@click.command()
@click.option("--user", "user", default=None, help="Act as this netctl user (default: the OS login's user).")
@click.pass_context
def tui(ctx: click.Context, user: str | None) -> None:
    """Open the terminal UI: overview, access points, push, alerts, jobs."""
    obj = ctx.find_object(Context)
    db_path = obj.db_path if obj else None
    acting = user or (obj.user if obj else None)
    from netctl.api import Netctl

    api = Netctl(db_path, user=acting)  # NetctlError here (unknown user, bad db) becomes a clean message
    from netctl import i18n

    i18n.prefer(api.access.language())  # the user's own language, unless --lang or $NETCTL_LANG chose
    from tui.app import NetctlApp

    NetctlApp(api).run()
