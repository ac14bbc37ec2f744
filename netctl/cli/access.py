"""``netctl users``: users, roles, scopes and the actions an engineer allows a school-admin;
``netctl ssid``: the SSIDs of a site, and switching one (the action a school-admin may be allowed)."""

from __future__ import annotations

import sys
from typing import Any

import click

from netctl.cli.common import emit_json, json_option, pass_api, print_table, progress_line
from netctl.i18n import N_, _
from netctl.ssids import timer_words as _timer_words

ROLE_CHOICES = click.Choice(["admin", "engineer", "school-admin"])
#: a timed switch's state (``netctl ssid timers``) in the words people read
TIMER_STATES = {"active": N_("active"), "reverted": N_("reverted"), "cancelled": N_("cancelled"),
                "failed": N_("failed")}


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
    rows = api.access.list_users()
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
    _show(api.access.add_user(name, role, tenants=list(tenants), sites=list(sites), os_login=os_login), as_json)


@users.command("remove")
@click.argument("name")
@pass_api
def remove_cmd(api: Any, name: str) -> None:
    """Remove user NAME (never the last admin)."""
    api.access.remove_user(name)
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
    _show(api.access.set_user_scope(name, tenants=list(tenants), sites=list(sites), role=role), as_json)


@users.command("allow-action")
@click.argument("name")
@click.argument("action")
@json_option
@pass_api
def allow_cmd(api: Any, name: str, action: str, as_json: bool) -> None:
    """Allow NAME an extra ACTION, e.g. ssid-toggle:Duisburg-Free-WLAN (one SSID) or ssid-toggle (all)."""
    _show(api.access.allow_action(name, action), as_json)


@users.command("revoke-action")
@click.argument("name")
@click.argument("action")
@json_option
@pass_api
def revoke_cmd(api: Any, name: str, action: str, as_json: bool) -> None:
    """Take an extra ACTION back from NAME."""
    _show(api.access.revoke_action(name, action), as_json)


@users.command("whoami")
@json_option
@pass_api
def whoami_cmd(api: Any, as_json: bool) -> None:
    """Show the acting user, role, scope and allowed actions."""
    me = api.access.whoami()
    if as_json:
        emit_json(me)
    else:
        click.echo(f"{me['name']}  role={me['role']}  scope={_scope_text(me['scope'])}")
        click.echo("may: " + ", ".join(me["actions"]))


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (scripts).")
@click.option("--clear", is_flag=True, help="Remove the password: NAME can no longer log in at netctl serve.")
@pass_api
def passwd_cmd(api: Any, name: str, password_stdin: bool, clear: bool) -> None:
    """Set the password NAME logs in with at `netctl serve` (the TUI in a browser).

    Your own, or anyone's as an admin. Stored only as a salted scrypt hash; at least 10 characters.
    Changing or clearing it ends that user's browser sessions.
    """
    if clear:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"web password for {name}", hide_input=True, confirmation_prompt=True)
    api.access.set_web_password(name, password)
    click.echo(f"{name}: web password {'removed' if clear else 'set'}")


@users.command("set-lang")
@click.argument("name")
@click.argument("lang", required=False)
@click.option("--clear", is_flag=True, help="No preference: the environment decides (--lang, $NETCTL_LANG, locale).")
@pass_api
def set_lang_cmd(api: Any, name: str, lang: str | None, clear: bool) -> None:
    """Set the language NAME reads the TUI in: en or de.

    Your own, or anyone's as an admin. `netctl --lang` and $NETCTL_LANG still win over it; it wins over the
    locale. Machine output (--json, CSV, audit, logs) stays English.
    """
    if clear == (lang is not None):
        raise click.UsageError("give a language (en, de) or --clear")
    code = api.access.set_language(name, None if clear else lang)
    click.echo(f"{name}: language {code or 'not set (the environment decides)'}")


@click.group()
def ssid() -> None:
    """The SSIDs of a site: list them, switch one on or off (ssid-toggle), for a while (--until)."""


@ssid.command("list")
@click.argument("site")
@json_option
@pass_api
def ssid_list_cmd(api: Any, site: str, as_json: bool) -> None:
    """List the SSIDs of SITE: on or off, whether you may switch them, and until when a timed switch holds."""
    rows = api.ssids.site_ssids(site)
    if as_json:
        emit_json(rows)
        return
    timed = {t["ssid"]: _timer_words(t) for t in api.ssids.ssid_timers(site=site)}
    print_table(
        [(s["name"], _("on") if s["enabled"] else _("off"), _("switch") if s["may_toggle"] else _("view only"),
          timed.get(s["name"], s["timer"] or "") if s["timer"] else "") for s in rows],
        [_("SSID"), _("STATE"), _("YOU MAY"), _("TIMER")],
    )


@ssid.command("timers")
@click.option("--all", "show_all", is_flag=True, help="Also the reverted, cancelled and failed ones.")
@json_option
@pass_api
def ssid_timers_cmd(api: Any, show_all: bool, as_json: bool) -> None:
    """List the timed SSID switches (--until) of your sites: which SSID, until when, by whom."""
    rows = api.ssids.ssid_timers(ended=show_all)
    if as_json:
        emit_json(rows)
        return
    print_table(
        [(t["id"], t["site"], t["ssid"], _timer_words(t), t["timezone"],
          _(TIMER_STATES[t["state"]]) if t["state"] in TIMER_STATES else t["state"], t["reason"] or "") for t in rows],
        ["ID", _("SITE"), _("SSID"), _("TIMER"), _("ZONE"), _("STATE"), _("REASON")],
    )


def _switch(api: Any, site: str, name: str, enabled: bool, until: str | None, yes: bool, confirm_timeout: int,
            as_json: bool) -> None:
    """Show what switching changes on each AP, ask (unless --yes), switch, print one line per AP."""
    from netctl.ssids import ssid_diff_text

    ends = api.ssids.ssid_until(site, until) if until is not None else None  # a bad --until fails before anything
    preview = api.ssids.ssid_change_plan(site, name, enabled)
    if not yes:
        click.echo(ssid_diff_text(preview))
        changing = sum(bool(p["changed"]) for p in preview)
        timed = (" " + (_("until {until} {timezone}, then back off") if enabled
                        else _("until {until} {timezone}, then back on")).format(until=ends["text"],
                                                                                 timezone=ends["timezone"])
                 if ends else "")
        question = (_("Switch SSID {name} ON at {site}{timed} ({changing} of {n} AP(s) change)?") if enabled
                    else _("Switch SSID {name} OFF at {site}{timed} ({changing} of {n} AP(s) change)?"))
        click.confirm(question.format(name=repr(name), site=site, timed=timed, changing=changing, n=len(preview)),
                      abort=True)
    results = api.ssids.set_ssid_enabled(site, name, enabled, until=until, confirm_timeout=confirm_timeout,
                                         progress=progress_line(len(preview)))
    if as_json:
        emit_json(results.to_dict())
    else:
        print_table([(r.ap, r.status, (r.reason or "").splitlines()[0] if r.reason else "") for r in results],
                    [_("AP"), _("STATUS"), _("REASON")])
        for timer in api.ssids.ssid_timers(site=site):
            if timer["ssid"] == name:
                click.echo(_("timer {id}: {name} {text} ({timezone}); {command} before then cancels it").format(
                    id=timer["id"], name=name, text=_timer_words(timer), timezone=timer["timezone"],
                    command=f"netctl ssid {'off' if enabled else 'on'} {site} {name}"))
    if any(r.status in ("failed", "busy", "rolled-back", "unsettled") for r in results):
        sys.exit(1)


_UNTIL = click.option("--until", default=None, metavar="TIME",
                       help="Switch it back then: a clock time today (17:00, in the site's time zone), a date and "
                            "time (2026-11-28T07:30) or a duration (90m, 2h). Switching the SSID again before "
                            "then cancels the timer.")
_YES = click.option("--yes", "-y", is_flag=True, help="Do not show the diff and ask; switch at once.")
_CONFIRM = click.option("--confirm-timeout", default=60, show_default=True,
                        help="Seconds before an unconfirmed NETCONF commit rolls back by itself.")


def _switch_command(enabled: bool) -> None:
    """``netctl ssid on`` / ``netctl ssid off``: one command each, the same options."""
    word, action = ("on", "ssid-on") if enabled else ("off", "ssid-off")

    @ssid.command(word, help=f"Switch SSID NAME {word} at every AP of SITE (only that SSID changes; audited as "
                             f"{action}).")
    @click.argument("site")
    @click.argument("name")
    @_UNTIL
    @_YES
    @_CONFIRM
    @json_option
    @pass_api
    def command(api: Any, site: str, name: str, until: str | None, yes: bool, confirm_timeout: int,
                as_json: bool) -> None:
        _switch(api, site, name, enabled, until, yes, confirm_timeout, as_json)


_switch_command(False)
_switch_command(True)
