"""``netctl hostkeys``: the SSH host keys pinned per AP (list, trust, forget, import)."""

from __future__ import annotations

from typing import Any

import click

from netctl.cli.common import emit_json, json_option, pass_api, print_table, selection_options
from netctl.selection import Selection


@click.group()
def hostkeys() -> None:
    """SSH host keys pinned per AP; a changed key is refused before login."""


@hostkeys.command("list")
@selection_options
@json_option
@pass_api
def list_cmd(api: Any, selection: Selection, as_json: bool) -> None:
    """Pinned keys of the APs you may see (fingerprint, type, first seen, by whom, how)."""
    rows = api.hostkeys.host_keys(selection)
    if as_json:
        emit_json(rows)
        return
    print_table(
        [
            (r["ap"], r["key_type"] or "(none yet)", r["fingerprint"] or "", r["first_seen"] or "",
             r["seen_by"] or "", r["source"] or "")
            for r in rows
        ],
        ["AP", "TYPE", "FINGERPRINT", "FIRST SEEN", "BY", "SOURCE"],
    )


@hostkeys.command("trust")
@click.argument("ap")
@click.option("--fingerprint", "expected", help="Pin only if the AP offers this SHA256 fingerprint.")
@click.option("--yes", is_flag=True, help="Do not ask before pinning.")
@json_option
@pass_api
def trust_cmd(api: Any, ap: str, expected: str | None, yes: bool, as_json: bool) -> None:
    """Fetch the key AP offers now (no login), show it and pin it as its only key."""
    from netctl.errors import ConfigError

    offered = api.hostkeys.probe_host_key(ap)
    if not as_json:
        click.echo(f"{ap} at {offered['address']}:{offered['port']} offers {offered['key_type']} "
                   f"{offered['fingerprint']}")
        click.echo("pinned now: " + (", ".join(offered["pinned"]) or "nothing"))
    if expected is not None and expected.strip() != offered["fingerprint"]:
        raise ConfigError(
            f"{ap} offers {offered['fingerprint']}, not {expected.strip()}; nothing was pinned",
            hint="compare with the fingerprint shown on the AP's console (ssh-keygen -lf its host key)",
        )
    if expected is None and not yes and not click.confirm("Pin this key?", default=False):
        raise click.exceptions.Abort()
    row = api.hostkeys.trust_host_key(ap, offered["key"])
    if as_json:
        emit_json(row)
    else:
        click.echo(f"pinned {row['key_type']} {row['fingerprint']} for {ap}")


@hostkeys.command("forget")
@click.argument("ap")
@pass_api
def forget_cmd(api: Any, ap: str) -> None:
    """Remove the keys pinned for AP; its next connection pins again (first contact)."""
    count = api.hostkeys.forget_host_key(ap)
    click.echo(f"{ap}: {count} pinned key(s) removed")


@hostkeys.command("import")
@click.argument("known_hosts", type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True, help="Also replace keys pinned already for the APs it names.")
@json_option
@pass_api
def import_cmd(api: Any, known_hosts: str, replace: bool, as_json: bool) -> None:
    """Pin keys from an OpenSSH known_hosts file for the APs in your scope that it names."""
    result = api.hostkeys.import_known_hosts(known_hosts, replace=replace)
    if as_json:
        emit_json(result)
        return
    click.echo(f"pinned: {len(result['pinned'])} AP(s)" + (f" ({', '.join(result['pinned'])})" if result["pinned"]
                                                            else ""))
    if result["unchanged"]:
        click.echo(f"unchanged: {len(result['unchanged'])} AP(s)")
    for line in result["conflicts"]:
        click.echo(f"not changed: {line}")
    for line in result["skipped"]:
        click.echo(f"skipped: {line}")
