"""``netctl users``: users, roles, scopes and the actions an engineer allows a school-admin."""

from __future__ import annotations

from typing import Any

import click

from netctl.cli.common import emit_json, json_option, pass_api, print_table

ROLE_CHOICES = click.Choice(["admin", "engineer", "school-admin"])


def _scope_text(scope: dict[str, Any]) -> str:
    parts = []
    if scope.get("tenants"):
        parts.append("tenants=" + ",".join(scope["tenants"]))
    if scope.get("sites"):
        parts.append("sites=" + ",".join(scope["sites"]))
    return " ".join(parts) or "all"


def _show(user: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(user)
    else:
        extra = ",".join(user["allowed_actions"]) or "-"
        click.echo(
            f"{user['name']}  role={user['role']}  scope={_scope_text(user['scope'])}  "
            f"os-login={user['os_login'] or '-'}  allowed={extra}"
        )


@click.group()
def users() -> None:
    """Users, roles (admin, engineer, school-admin) and scopes."""


@users.command("list")
@json_option
@pass_api
def list_cmd(api: Any, as_json: bool) -> None:
    """List users with role, scope, OS login and extra allowed actions."""
    rows = api.list_users()
    if as_json:
        emit_json(rows)
        return
    print_table(
        [
            (
                u["name"],
                u["role"],
                _scope_text(u["scope"]),
                u["os_login"] or "",
                ",".join(u["allowed_actions"]),
            )
            for u in rows
        ],
        ["NAME", "ROLE", "SCOPE", "OS-LOGIN", "ALLOWED"],
    )


@users.command("add")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICES, required=True, help="What the user may do.")
@click.option("--tenant", "tenants", multiple=True, help="Limit to this tenant (repeatable).")
@click.option(
    "--site", "sites", multiple=True, help="Limit to this site (repeatable; required for school-admin)."
)
@click.option("--os-login", default=None, help="The OS login that acts as this user.")
@json_option
@pass_api
def add_cmd(
    api: Any,
    name: str,
    role: str,
    tenants: tuple[str, ...],
    sites: tuple[str, ...],
    os_login: str | None,
    as_json: bool,
) -> None:
    """Add user NAME with a role and a scope."""
    _show(api.add_user(name, role, tenants=list(tenants), sites=list(sites), os_login=os_login), as_json)


@users.command("remove")
@click.argument("name")
@pass_api
def remove_cmd(api: Any, name: str) -> None:
    """Remove user NAME (never the last admin)."""
    api.remove_user(name)
    click.echo(f"removed user {name}")


@users.command("set-scope")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICES, default=None, help="Change the role too.")
@click.option("--tenant", "tenants", multiple=True, help="Limit to this tenant (repeatable).")
@click.option("--site", "sites", multiple=True, help="Limit to this site (repeatable).")
@json_option
@pass_api
def set_scope_cmd(
    api: Any, name: str, role: str | None, tenants: tuple[str, ...], sites: tuple[str, ...], as_json: bool
) -> None:
    """Replace the scope (and optionally the role) of user NAME."""
    _show(api.set_user_scope(name, tenants=list(tenants), sites=list(sites), role=role), as_json)


@users.command("allow-action")
@click.argument("name")
@click.argument("action")
@json_option
@pass_api
def allow_cmd(api: Any, name: str, action: str, as_json: bool) -> None:
    """Allow NAME an extra ACTION, e.g. ssid-toggle:Schule-Gast (one SSID) or ssid-toggle (all)."""
    _show(api.allow_action(name, action), as_json)


@users.command("revoke-action")
@click.argument("name")
@click.argument("action")
@json_option
@pass_api
def revoke_cmd(api: Any, name: str, action: str, as_json: bool) -> None:
    """Take an extra ACTION back from NAME."""
    _show(api.revoke_action(name, action), as_json)


@users.command("whoami")
@json_option
@pass_api
def whoami_cmd(api: Any, as_json: bool) -> None:
    """Show the acting user, role, scope and allowed actions."""
    me = api.whoami()
    if as_json:
        emit_json(me)
    else:
        click.echo(f"{me['name']}  role={me['role']}  scope={_scope_text(me['scope'])}")
        click.echo("may: " + ", ".join(me["actions"]))
