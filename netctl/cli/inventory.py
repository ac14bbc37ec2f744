"""``netctl init``, ``netctl inventory …`` and ``netctl secret …``: thin commands over the facade."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from netctl.cli.common import Context, check_selection, emit_json, json_option, pass_api, print_table
from netctl.errors import InventoryError
from netctl.selection import Selection

#: how many added/changed names per kind the human import report shows
SHOW_NAMES = 20


def _compact(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _problems_json(exc: InventoryError) -> dict[str, Any]:
    return {"ok": False, "problems": [{"file": p.file, "line": p.line, "ap": p.ap, "message": p.message}
                                      for p in exc.problems]}


def _parse_assignments(items: tuple[str, ...], unset: tuple[str, ...] = (), *,
                       required: str | None = None) -> dict[str, Any]:
    """``FIELD=VALUE`` words to a changes dict. An empty value (or ``--unset``) clears the field.

    With ``required`` (what to give, e.g. "FIELD=VALUE or --unset FIELD") no change is a usage error.
    """
    from netctl.inventory.loaders import parse_cell_value

    changes: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not FIELD=VALUE", param_hint="FIELD=VALUE")
        key = key.strip()
        if value == "":
            changes[key] = None
        elif key.startswith("vars."):
            changes[key] = parse_cell_value(value)
        else:
            changes[key] = value
    for key in unset:
        changes[key] = None
    if required and not changes:
        raise click.UsageError(f"give at least one {required}")
    return changes


# -- netctl init -----------------------------------------------------------------------------------
@click.command("init")
@json_option
@click.pass_context
def init_cmd(ctx: click.Context, as_json: bool) -> None:
    """Create the database (or upgrade its schema) and show what it holds."""
    options = ctx.find_object(Context)
    if options is None:
        raise click.UsageError("run this command through `netctl`")
    options.create = True
    info = options.api.inventory.db_info()
    if as_json:
        emit_json(info)
        return
    click.echo(f"database {info['path']} ready (journal {info['journal_mode']}; "
               f"migrations: {', '.join(info['migrations'])})")
    click.echo(", ".join(f"{n} {k}" for k, n in info["counts"].items()))


# -- netctl inventory ------------------------------------------------------------------------------
@click.group("inventory")
def inventory() -> None:
    """Tenants, sites, groups and access points."""


@inventory.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and report what would change; write nothing.")
@click.option("--prune", is_flag=True,
              help="Remove APs of the sites these files mention that the files do not list.")
@json_option
@pass_api
def import_cmd(api: Any, files: tuple[str, ...], dry_run: bool, prune: bool, as_json: bool) -> None:
    """Import YAML, JSON or CSV files (all-or-nothing; re-importing changes nothing).

    Files of one call may reference each other (a CSV of APs naming a site defined in a YAML file).
    Every problem of every file is reported with file and line; then nothing is written and the
    exit code is 2.
    """
    try:
        report = api.inventory.import_inventory(list(files), dry_run=dry_run, prune=prune)
    except InventoryError as exc:
        if as_json:
            emit_json(_problems_json(exc))
            click.echo(f"error: {len(exc.problems)} problem(s); nothing was changed", err=True)
            sys.exit(exc.exit_code)
        raise
    if as_json:
        emit_json(report)
        return
    if dry_run:
        click.echo("dry run: nothing was written")
    verb = "would be" if dry_run else ""
    for kind in ("globals", "tenants", "sites", "groups", "aps"):
        part = report[kind]
        removed = f", {len(part['removed'])} removed" if part["removed"] else ""
        click.echo(f"{kind}: {len(part['added'])} added, {len(part['changed'])} changed, "
                   f"{len(part['unchanged'])} unchanged{removed}")
        for name in part["added"][:SHOW_NAMES]:
            click.echo(f"  + {name}" + (f" ({verb} added)" if dry_run else ""))
        for name in part["changed"][:SHOW_NAMES]:
            click.echo(f"  ~ {name}: {', '.join(part['fields'].get(name, []))}")
        for name in part["removed"][:SHOW_NAMES]:
            click.echo(f"  - {name}" + (f" ({verb} removed)" if dry_run else ""))
        hidden = sum(max(0, len(part[k]) - SHOW_NAMES) for k in ("added", "changed", "removed"))
        if hidden:
            click.echo(f"  … and {hidden} more (use --json for the full list)")


@inventory.command("export")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv", "json"]), default="yaml",
              show_default=True)
@click.option("--delimiter", type=click.Choice([",", ";"]), default=",", show_default=True,
              help="CSV delimiter (';' for spreadsheet programs in German locales).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to FILE, not stdout.")
@pass_api
def export_cmd(api: Any, fmt: str, delimiter: str, output: str | None) -> None:
    """Export the inventory (re-importable; secrets only as references)."""
    text = api.inventory.export_inventory(fmt, delimiter=delimiter)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@inventory.command("list")
@click.argument("names", nargs=-1)
@click.option("--tenant")
@click.option("--site")
@click.option("--kind", help="Site kind: school, zoo, transit, city, office.")
@click.option("--group")
@click.option("--tag")
@click.option("--role")
@click.option("--platform")
@click.option("--controller", help="The APs behind this WLAN controller (it must be in your scope).")
@json_option
@pass_api
def list_cmd(api: Any, names: tuple[str, ...], tenant: str | None, site: str | None, kind: str | None,
             group: str | None, tag: str | None, role: str | None, platform: str | None, controller: str | None,
             as_json: bool) -> None:
    """List access points; NAMES may be globs (gs-*) or exact names."""
    selection = Selection(names=names, tenant=tenant, site=site, kind=kind, group=group, tag=tag, role=role,
                          platform=platform, controller=controller)
    check_selection(api.session, selection)
    aps = api.inventory.list_aps(selection)
    if as_json:
        emit_json(aps)
        return
    print_table([(a["name"], a["tenant"], a["site"], a["site_kind"], a["role"], a["platform"], a["address"],
                  a["port"], ",".join(a["groups"]), ",".join(a["tags"])) for a in aps],
                ["NAME", "TENANT", "SITE", "KIND", "ROLE", "PLATFORM", "ADDRESS", "PORT", "GROUPS", "TAGS"])
    click.echo(f"{len(aps)} AP(s)", err=True)


@inventory.command("show")
@click.argument("name")
@json_option
@pass_api
def show_cmd(api: Any, name: str, as_json: bool) -> None:
    """Show one access point."""
    ap = api.inventory.show_ap(name)
    if as_json:
        emit_json(ap)
        return
    _print_ap(ap)


def _print_ap(ap: dict[str, Any]) -> None:
    width = max(len(k) for k in ap)
    for key, value in ap.items():
        if key == "snmp":
            value = " ".join(f"{k}={v}" for k, v in value.items()) if value else ""
        elif isinstance(value, list):
            value = ", ".join(value)
        click.echo(f"{key.ljust(width)}  {_compact(value)}")


@inventory.command("vars")
@click.argument("name")
@json_option
@pass_api
def vars_cmd(api: Any, name: str, as_json: bool) -> None:
    """The merged variables of an AP and where each came from.

    Precedence (later wins): global < tenant < site < group(s, in the AP's order) < AP.
    Built-in facts appear under ap, site and tenant.
    """
    rows = api.inventory.ap_vars(name)
    if as_json:
        emit_json(rows)
        return
    table: list[tuple[str, str, str]] = []
    for r in rows:
        if r["source"] == "fact":
            table.extend((f"{r['key']}.{k}", _compact(v), "fact") for k, v in r["value"].items())
        else:
            table.append((r["key"], _compact(r["value"]),
                          r["source"] + (f" (over {', '.join(r['overrides'])})" if r["overrides"] else "")))
    print_table(table, ["KEY", "VALUE", "SOURCE"])


def _or_problems(as_json: bool, call: Any, *args: Any) -> Any:
    """``call(*args)``; with ``--json`` an InventoryError prints as JSON problems (then exits)."""
    try:
        return call(*args)
    except InventoryError as exc:
        if as_json:
            emit_json(_problems_json(exc))
            sys.exit(exc.exit_code)
        raise


@inventory.command("add")
@click.argument("name")
@click.argument("fields", nargs=-1, required=True)
@json_option
@pass_api
def add_cmd(api: Any, name: str, fields: tuple[str, ...], as_json: bool) -> None:
    """Add an AP: netctl inventory add NAME site=S platform=P address=IP [port=…] [groups=a,b] …

    Fields as in inventory files; snmp.FIELD=… and vars.NAME=… for nested values.
    """
    flat = _parse_assignments(fields)
    record: dict[str, Any] = {"name": name}
    for key, value in flat.items():
        top, _, sub = key.partition(".")
        if sub:
            record.setdefault(top, {})[sub] = value
        else:
            record[key] = value
    ap = _or_problems(as_json, api.inventory.add_ap, record)
    if as_json:
        emit_json(ap)
    else:
        click.echo(f"added {ap['name']} ({ap['platform']} at {ap['address']}:{ap['port']}, "
                   f"site {ap['site']})")


@inventory.command("set")
@click.argument("name")
@click.argument("fields", nargs=-1)
@click.option("--unset", multiple=True, metavar="FIELD", help="Clear a field, vars.NAME or snmp.FIELD.")
@json_option
@pass_api
def set_cmd(api: Any, name: str, fields: tuple[str, ...], unset: tuple[str, ...], as_json: bool) -> None:
    """Change an AP: netctl inventory set AP address=… groups=a,b vars.max_clients=80 snmp.port=1161"""
    changes = _parse_assignments(fields, unset, required="FIELD=VALUE or --unset FIELD")
    result = _or_problems(as_json, api.inventory.set_ap, name, changes)
    if as_json:
        emit_json(result)
    elif result["changed"]:
        click.echo(f"changed {name}: {', '.join(result['changed'])}")
    else:
        click.echo(f"{name}: nothing changed")


def _set_entry_command(kind: str, argument: str, example: str) -> None:
    @inventory.command(f"set-{kind}", help=f"Change a {kind} (same checks as an import): netctl inventory "
                                          f"set-{kind} {example}")
    @click.argument("name", metavar=argument)
    @click.argument("fields", nargs=-1)
    @click.option("--unset", multiple=True, metavar="FIELD", help="Clear a field or vars.NAME.")
    @json_option
    @pass_api
    def command(api: Any, name: str, fields: tuple[str, ...], unset: tuple[str, ...], as_json: bool) -> None:
        changes = _parse_assignments(fields, unset, required="FIELD=VALUE or --unset FIELD")
        report = _or_problems(as_json, api.inventory.set_entry, kind, name, changes)
        if as_json:
            emit_json(report)
        elif report["changed"]:
            click.echo(f"changed {kind} {name}: {', '.join(report['fields'].get(name, []))}")
        else:
            click.echo(f"{kind} {name}: nothing changed")


_set_entry_command("tenant", "TENANT", "duisburg title='Stadt Duisburg' vars.timezone=Europe/Berlin")
_set_entry_command("site", "SITE", "gs-eick title='GS Eick' address='Eickstr. 1' vars.max_clients=60")
_set_entry_command("group", "TENANT/GROUP", "duisburg/classroom vars.band_steering=true")


@inventory.command("set-global")
@click.argument("fields", nargs=-1)
@click.option("--unset", multiple=True, metavar="NAME", help="Remove a global variable.")
@json_option
@pass_api
def set_global_cmd(api: Any, fields: tuple[str, ...], unset: tuple[str, ...], as_json: bool) -> None:
    """Set global variables (the lowest layer): netctl inventory set-global ntp_server=127.0.0.1"""
    changes = {k.removeprefix("vars."): v for k, v in _parse_assignments(
        tuple(f"vars.{f}" for f in fields), tuple(unset), required="NAME=VALUE or --unset NAME").items()}
    report = _or_problems(as_json, api.inventory.set_globals, changes)
    if as_json:
        emit_json(report)
    else:
        done = report["added"] + report["changed"]
        click.echo(("set " + ", ".join(done) if done else "nothing set")
                   + (f"; removed {', '.join(report['removed'])}" if report["removed"] else ""))


@inventory.command("rename")
@click.argument("old")
@click.argument("new")
@json_option
@pass_api
def rename_cmd(api: Any, old: str, new: str, as_json: bool) -> None:
    """Rename an AP; its config history, audit, health, alerts and samples follow it."""
    ap = _or_problems(as_json, api.inventory.rename_ap, old, new)
    if as_json:
        emit_json(ap)
    else:
        click.echo(f"renamed {old} to {new}")


@inventory.command("remove")
@click.argument("names", nargs=-1, required=True)
@pass_api
def remove_cmd(api: Any, names: tuple[str, ...]) -> None:
    """Remove APs by exact name (their configuration history is kept)."""
    for name in names:
        api.inventory.remove_ap(name)
        click.echo(f"removed {name}")


@inventory.command("adopt")
@click.argument("controller")
@click.option("--site", help="The site of the adopted APs (default: the controller's).")
@click.option("--group", help="A group of the site's tenant the adopted APs join.")
@click.option("--dry-run", is_flag=True, help="Check and report what would be added; write nothing.")
@json_option
@pass_api
def adopt_cmd(api: Any, controller: str, site: str | None, group: str | None, dry_run: bool, as_json: bool) -> None:
    """Add the APs CONTROLLER's AP table lists and the inventory lacks (idempotent).

    Each becomes an inventory AP of platform controller-ap named as the controller names it, with its MAC,
    group on the controller (ap_group), model, serial and IP, naming CONTROLLER as its controller. APs
    already in the inventory (by MAC, else by name) are left alone; a second run adds nothing. Reads the
    controller's last good poll: poll it first (netctl poll CONTROLLER).
    """
    report = _or_problems(as_json, lambda: api.controllers.adopt(controller, site=site, group=group,
                                                                 dry_run=dry_run))
    if as_json:
        emit_json(report)
        return
    verb = "would adopt" if dry_run else "adopted"
    if report["added"]:
        click.echo(f"{verb} {len(report['added'])} AP(s) of {controller}: " + ", ".join(report["added"][:SHOW_NAMES])
                   + (" …" if len(report["added"]) > SHOW_NAMES else ""))
    else:
        click.echo(f"nothing to adopt: the {len(report['already'])} AP(s) {controller} lists are in the inventory "
                   "already" + (f" ({len(report['skipped'])} skipped, below)" if report["skipped"] else ""))
    if report["added"] and report["already"]:
        click.echo(f"{len(report['already'])} AP(s) were in the inventory already")
    for item in report["skipped"]:
        click.echo(f"  skipped {item['name'] or item['mac']} ({item['mac']}): {item['reason']}")


@inventory.command("tenants")
@json_option
@pass_api
def tenants_cmd(api: Any, as_json: bool) -> None:
    """List tenants with site and AP counts."""
    rows = api.inventory.list_tenants()
    if as_json:
        emit_json(rows)
        return
    print_table([(t["name"], t["title"], t["sites"], t["aps"]) for t in rows],
                ["NAME", "TITLE", "SITES", "APS"])


@inventory.command("sites")
@click.option("--tenant")
@click.option("--kind")
@json_option
@pass_api
def sites_cmd(api: Any, tenant: str | None, kind: str | None, as_json: bool) -> None:
    """List sites with kind and AP counts."""
    rows = api.inventory.list_sites(tenant=tenant, kind=kind)
    if as_json:
        emit_json(rows)
        return
    print_table([(s["name"], s["tenant"], s["kind"], s["title"], s["aps"]) for s in rows],
                ["NAME", "TENANT", "KIND", "TITLE", "APS"])


@inventory.command("groups")
@click.option("--tenant")
@json_option
@pass_api
def groups_cmd(api: Any, tenant: str | None, as_json: bool) -> None:
    """List groups with AP counts and their variables."""
    rows = api.inventory.list_groups(tenant=tenant)
    if as_json:
        emit_json(rows)
        return
    print_table([(g["tenant"], g["name"], g["aps"], _compact(g["vars"])) for g in rows],
                ["TENANT", "NAME", "APS", "VARS"])


@inventory.command("tree")
@json_option
@pass_api
def tree_cmd(api: Any, as_json: bool) -> None:
    """Tenants → sites, with kinds and AP counts."""
    rows = api.inventory.tree()
    if as_json:
        emit_json(rows)
        return
    for tenant in rows:
        click.echo(f"{tenant['name']}  {tenant['title'] or ''}  ({tenant['aps']} APs)")
        for site in tenant["sites"]:
            click.echo(f"  {site['name']:<20} {site['kind']:<8} {site['aps']:>4}  {site['title'] or ''}")


@inventory.command("platforms")
@json_option
def platforms_cmd(as_json: bool) -> None:
    """Known platforms and how netctl talks to them."""
    from netctl.platforms import PLATFORMS, platform_table

    if as_json:
        emit_json(platform_table())
        return
    print_table([(name, p.transport or "", p.device_type or "", p.default_port or "", p.description)
                 for name, p in sorted(PLATFORMS.items())],
                ["PLATFORM", "TRANSPORT", "DEVICE_TYPE", "PORT", "ABOUT"])


# -- netctl secret ---------------------------------------------------------------------------------
@click.group("secret")
def secret() -> None:
    """The encrypted secret store (referenced as secret:NAME)."""


@secret.command("set")
@click.argument("name")
@click.option("--value-file", type=click.File("r"), help="Read the value from FILE ('-' for stdin).")
@pass_api
def secret_set(api: Any, name: str, value_file: Any) -> None:
    """Store a secret (prompted without echo unless --value-file is given)."""
    if value_file is not None:
        value = value_file.read().rstrip("\n")
    else:
        value = click.prompt(f"value of {name}", hide_input=True, confirmation_prompt=True)
    api.inventory.set_secret(name, value)
    click.echo(f"stored secret:{name}")


@secret.command("import")
@click.argument("file", type=click.File("r"))
@pass_api
def secret_import(api: Any, file: Any) -> None:
    """Store every entry of a JSON object {NAME: value} (objects are stored as JSON text)."""
    try:
        mapping = json.load(file)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON (line {exc.lineno}): {exc.msg}",
                                 param_hint="FILE") from None
    if not isinstance(mapping, dict):
        raise click.BadParameter("the file must hold one JSON object {NAME: value}", param_hint="FILE")
    names = api.inventory.import_secrets(mapping)
    click.echo(f"stored {len(names)} secret(s)")


@secret.command("list")
@json_option
@pass_api
def secret_list(api: Any, as_json: bool) -> None:
    """Names of stored secrets (never their values)."""
    rows = api.inventory.list_secrets()
    if as_json:
        emit_json(rows)
        return
    print_table([(r["name"], r["updated"]) for r in rows], ["NAME", "UPDATED"])


@secret.command("rm")
@click.argument("names", nargs=-1, required=True)
@pass_api
def secret_rm(api: Any, names: tuple[str, ...]) -> None:
    """Remove secrets from the store."""
    for name in names:
        api.inventory.delete_secret(name)
        click.echo(f"removed secret:{name}")


@secret.command("file-dir")
@click.argument("directory", required=False)
@click.option("--unset", is_flag=True, help="Refuse every file: reference again.")
@pass_api
def secret_file_dir(api: Any, directory: str | None, unset: bool) -> None:
    """Show or set (admins) the one directory file:PATH references may read; unset, file: is refused."""
    if directory is not None or unset:
        if directory is not None and unset:
            raise click.UsageError("give DIRECTORY or --unset, not both")
        api.inventory.set_secret_file_dir(None if unset else directory)
    current = api.inventory.secret_file_dir()
    click.echo(f"file: references may read files below {current}" if current
               else "file: references are refused (no directory set)")


@secret.command("new-key")
def secret_new_key() -> None:
    """Print a new key for the store (put it in NETCTL_SECRET_KEY or the key file)."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())
