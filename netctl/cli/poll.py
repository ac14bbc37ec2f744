"""``netctl poll|status|metrics|alerts|maintenance|scheduler|jobs``: thin commands over the facade.

Exit codes: ``poll`` exits 0 when every AP answered, 5 when some did not (the results are still
printed and recorded), so cron and monitoring can tell.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from netctl import status_words
from netctl.cli.common import (
    emit_json,
    json_option,
    pass_api,
    print_table,
    progress_line,
    queue_option,
    selection_options,
)
from netctl.controllers.summary import BUCKETS
from netctl.i18n import _
from netctl.selection import Selection
from netctl.units import bitrate

POLL_FAILED_EXIT = 5


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def metric_value(metric: str, value: Any) -> str:
    """A sample as ``netctl metrics`` prints it: bit rates for humans (``3.4 Mbit/s``, as the TUI shows them),
    other values with two decimals (``--json`` keeps every value as stored)."""
    if metric.startswith(("in_bps", "out_bps")) and isinstance(value, (int, float)):
        return bitrate(value)
    return _fmt(value, 2)


def _uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d{hours:02d}h{rest // 60:02d}m"


def _value(value: Any, what: str, unavailable: Any, digits: int = 1) -> str:
    """A polled value, ``n/a`` when the agent did not serve it (never a zero or a bare dash)."""
    if value is None and what in (unavailable or ()):
        return _("n/a")
    return _fmt(value, digits)


def _not_available(unavailable: Any) -> str:
    return _("not available: {what}").format(what=", ".join(unavailable)) if unavailable else ""


def poll_rows(results: list[Any]) -> list[tuple[str, ...]]:
    """The rows of ``netctl poll``'s table: an answered AP's note names what the agent did not serve."""
    return [(r.ap, status_words.word(r.state) if r.state else "-", "ok" if r.ok else r.error_kind, _fmt(r.latency_ms),
             _value(r.values.get("clients"), "clients", r.values.get("unavailable")),
             _uptime(r.values.get("uptime_s")),
             _not_available(r.values.get("unavailable"))[:70] if r.ok else (r.error or "")[:70]) for r in results]


# -- poll -----------------------------------------------------------------------------------------
@click.command()
@selection_options
@click.option("--concurrency", "-c", default=200, show_default=True, help="APs in flight at once (per worker).")
@click.option("--timeout", default=2.0, show_default=True, help="Seconds per SNMP request.")
@click.option("--retries", default=1, show_default=True, help="Retries per SNMP request.")
@click.option("--workers", "-w", type=int, default=None,
              help="Worker processes (default: one per 500 APs from 1,000 on, one per 10,000 on the fast "
                   "path; at most one per core).")
@click.option("--deadline", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds the whole poll may take; APs not done by then are timeouts naming the deadline "
                   "(default: long enough for every AP to time out on every request).")
@json_option
@queue_option
@pass_api
def poll(api: Any, selection: Selection, concurrency: int, timeout: float, retries: int, workers: int | None,
         deadline: float | None, as_json: bool) -> None:
    """Poll APs over SNMP now and record samples, health and alerts (a complete cron job)."""
    progress = progress_line(len(api.session.select(selection)))
    results = api.monitor.poll(selection, concurrency=concurrency, timeout=timeout, retries=retries, workers=workers,
                       progress=progress, deadline=deadline)
    if as_json:
        emit_json(results.to_dict())
    else:
        print_table(poll_rows(results), [_("AP"), _("STATE"), _("POLL"), "RTT_MS", _("CLIENTS"), _("UPTIME"),
                                         _("ERROR / NOTE")])
        failed = sum(1 for r in results if not r.ok)
        click.echo(_("{n} AP(s) polled, {answered} answered, {failed} failed").format(
            n=len(results), answered=len(results) - failed, failed=failed), err=True)
    if any(not r.ok for r in results):
        sys.exit(POLL_FAILED_EXIT)


# -- status and metrics ---------------------------------------------------------------------------
@click.command()
@selection_options
@click.option("--problems", is_flag=True, help="Only APs that are not up.")
@json_option
@pass_api
def status(api: Any, selection: Selection, problems: bool, as_json: bool) -> None:
    """Current health per AP and counts per site; then each WLAN controller in the selection with its own
    state and the states of the APs behind it (MISSING: not in its AP table at its last poll; LISTED: the
    APs that table held; POLL: ok, or why its last poll could not read that table)."""
    if as_json and not problems and selection == Selection() and not sys.stdout.isatty():
        from netctl.cli.common import stop_progress

        stop_progress()
        click.echo(api.monitor.status_json())  # written by SQLite: 100,000 APs in well under a second
        return
    data = api.monitor.status(selection)
    if problems:
        data["aps"] = [a for a in data["aps"] if a["state"] != "up"]
    if as_json:
        emit_json(data)
        return
    print_table([(a["name"], a["site"], status_words.word(a["state"]) + ("~" if a["flapping"] else ""),
                  a["since"] or "-",
                  _value(a["clients"], "clients", a.get("unavailable")), _fmt(a["latency_ms"]),
                  _value(a["cpu"], "cpu", a.get("unavailable")), _value(a["mem"], "mem", a.get("unavailable")),
                  _uptime(a["uptime"]),
                  "; ".join([*a["reasons"], *filter(None, [_not_available(a.get("unavailable"))])]))
                 for a in data["aps"]],
                [_("AP"), _("SITE"), _("STATE"), _("SINCE"), _("CLIENTS"), "RTT_MS", _("CPU%"), _("MEM%"),
                 _("UPTIME"), _("WHY")])
    click.echo("")
    titles = {str(s["name"]): str(s.get("title") or "") for s in api.session.visible_sites()}
    print_table([(site, titles.get(site, ""), c["up"], c["degraded"], c["down"], c["unknown"], c["total"])
                 for site, c in sorted(data["sites"].items())],
                [_("SITE"), _("TITLE"), *(status_words.word(s).upper() for s in status_words.HEALTH), _("TOTAL")])
    t = data["totals"]
    click.echo("\n" + _("{total} AP(s): {up} {w_up}, {degraded} {w_degraded}, {down} {w_down}, {unknown} {w_unknown}")
               .format(**t, **{f"w_{s}": status_words.word(s) for s in status_words.HEALTH}))
    shown = {a["state"] for a in data["aps"]}
    for state in (s for s in status_words.HEALTH if s in shown):
        click.echo(f"  {status_words.word(state)}: {status_words.explain(state)}")
    controllers = data["controllers"]
    if controllers:
        click.echo("")
        print_table([(c["name"], c["site"], c["platform"], c["state"], c["aps"]["total"],
                      *(c["aps"][k] for k in BUCKETS), _fmt(c["listed"]),
                      (c["error"] or "")[:40] or ("ok" if c["last_poll"] else "-")) for c in controllers],
                    ["CONTROLLER", "SITE", "PLATFORM", "STATE", "APS", "UP", "DEGRADED", "DOWN", "UNKNOWN", "MISSING",
                     "LISTED", "POLL"])
        own = {s: sum(1 for c in controllers if c["state"] == s) for s in ("up", "degraded", "down", "unknown")}
        behind = {k: sum(c["aps"][k] for c in controllers) for k in ("total", *BUCKETS)}
        click.echo(f"\n{len(controllers)} controller(s): " + ", ".join(f"{n} {s}" for s, n in own.items())
                   + f"; {behind['total']} AP(s) behind them: "
                   + ", ".join(f"{behind[k]} {k}" for k in BUCKETS))


@click.command()
@click.argument("ap")
@click.option("--metric", "-m", help="One metric (e.g. clients, latency_ms, in_bps:if3 or by the interface's name "
                                     "in_bps:eth0; a trailing * matches).")
@click.option("--since", "-s", default="1h", show_default=True, help="15m, 2h, 3d ago or an ISO time.")
@json_option
@pass_api
def metrics(api: Any, ap: str, metric: str | None, since: str, as_json: bool) -> None:
    """The time series of one AP (per-interface series by ifIndex, e.g. in_bps:if3; LABEL names the interface)."""
    rows = api.monitor.metrics(ap, metric=metric, since=since)
    if as_json:
        emit_json(rows)
        return
    print_table([(r["ts"], r["metric"], r.get("label") or "", metric_value(r["metric"], r["value"]), r["resolution"])
                 for r in rows],
                ["TIME", "METRIC", "LABEL", "VALUE", "RES"])


# -- alerts ---------------------------------------------------------------------------------------
@click.group()
def alerts() -> None:
    """Open and closed alerts; acknowledge; alert routes and notifiers."""


@alerts.command("list")
@selection_options
@click.option("--all", "show_all", is_flag=True, help="Closed alerts too.")
@click.option("--limit", default=200, show_default=True)
@json_option
@pass_api
def alerts_list(api: Any, selection: Selection, show_all: bool, limit: int, as_json: bool) -> None:
    """List alerts (open ones by default), newest first."""
    rows = api.monitor.alerts(open_only=not show_all, selection=selection, limit=limit)
    if as_json:
        emit_json(rows)
        return
    print_table([(r["id"], r["ap"], r["kind"], r["severity"], r["state"], r["first_seen"], r["last_seen"],
                  _("muted") if r["muted"] else "", r["acked_by"] or "", (r["message"] or "")[:50]) for r in rows],
                ["ID", _("AP"), _("KIND"), _("SEVERITY"), _("STATE"), _("FIRST_SEEN"), _("LAST_SEEN"), _("MUTED"),
                 _("ACKED_BY"), _("MESSAGE")])


@alerts.command("ack")
@click.argument("alert_id", type=int)
@click.option("--note", "-n", help="What is being done about it.")
@json_option
@pass_api
def alerts_ack(api: Any, alert_id: int, note: str | None, as_json: bool) -> None:
    """Acknowledge an alert."""
    row = api.monitor.ack_alert(alert_id, note=note)
    if as_json:
        emit_json(row)
    else:
        click.echo(_("alert {id} ({ap} {kind}) acknowledged by {who}").format(
            id=row["id"], ap=row["ap"], kind=row["kind"], who=row["acked_by"]))


@alerts.command("notifiers")
@json_option
@pass_api
def alerts_notifiers(api: Any, as_json: bool) -> None:
    """List the configured notifiers."""
    rows = api.monitor.notifier_list()
    if as_json:
        emit_json(rows)
        return
    print_table([(r["name"], r["kind"], r["target"], "yes" if r["enabled"] else "no") for r in rows],
                ["NAME", "KIND", "TARGET", "ENABLED"])


@alerts.command("add-notifier")
@click.argument("name")
@click.option("--webhook", "url", help="POST alert events as JSON to this URL.")
@click.option("--command", "command", help="Run this command per event (event JSON on stdin).")
@click.option("--kind", help="A plugin kind (entry point group netctl.notifiers) with --target.")
@click.option("--target", help="Target of a plugin kind.")
@pass_api
def alerts_add_notifier(api: Any, name: str, url: str | None, command: str | None, kind: str | None,
                        target: str | None) -> None:
    """Add (or replace) a notifier."""
    chosen = [(k, t) for k, t in (("webhook", url), ("command", command), (kind, target)) if k and t]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --webhook URL, --command CMD, or --kind KIND --target T")
    api.monitor.notifier_add(name, chosen[0][0], chosen[0][1])
    click.echo(f"notifier {name} ({chosen[0][0]}) added")


@alerts.command("remove-notifier")
@click.argument("name")
@pass_api
def alerts_remove_notifier(api: Any, name: str) -> None:
    """Remove a notifier."""
    api.monitor.notifier_remove(name)
    click.echo(f"notifier {name} removed")


@alerts.command("test-notify")
@json_option
@pass_api
def alerts_test_notify(api: Any, as_json: bool) -> None:
    """Send a test event through every enabled notifier."""
    rows = api.monitor.notify_test()
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['notifier']}: {'ok' if r['ok'] else r['error']}")
    if any(not r["ok"] for r in rows):
        sys.exit(1)


@alerts.group("route")
def alerts_route() -> None:
    """Alert routes: who gets which alerts through Apprise (e-mail, Matrix, Teams, Telegram, …).

    A route's URLs are secret references: store the Apprise URL first with `netctl secret set NAME`.
    """


@alerts_route.command("add")
@click.argument("name")
@click.option("--url", "urls", multiple=True, required=True,
              help="secret:NAME holding an Apprise URL (mailtos://…, matrixs://…, tgram://…); repeatable.")
@click.option("--tenant", help="Only alerts of this tenant's APs.")
@click.option("--site", help="Only alerts of this site's APs.")
@click.option("--min-severity", default="warning", show_default=True,
              type=click.Choice(["info", "warning", "critical"]), help="Only alerts at least this severe.")
@click.option("--kind", "kinds", multiple=True, help="Only these alert kinds (down, radio-down, …); repeatable.")
@click.option("--quiet", help="Quiet hours HH:MM-HH:MM in the site's time zone: alerts wait until they end.")
@click.option("--critical-in-quiet/--hold-critical", default=True, show_default=True,
              help="Whether critical alerts (an AP down) pass quiet hours.")
@click.option("--group", "group_s", default=60.0, show_default=True, type=float,
              help="Seconds to gather alerts of one site into one message (0: at once).")
@json_option
@pass_api
def alerts_route_add(api: Any, name: str, urls: tuple[str, ...], tenant: str | None, site: str | None,
                     min_severity: str, kinds: tuple[str, ...], quiet: str | None, critical_in_quiet: bool,
                     group_s: float, as_json: bool) -> None:
    """Add (or replace) an alert route."""
    row = api.routes.add(name, urls, tenant=tenant, site=site, min_severity=min_severity, kinds=kinds, quiet=quiet,
                         critical_in_quiet=critical_in_quiet, group_s=group_s)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"alert route {name} added ({len(row['urls'])} URL(s))")


@alerts_route.command("list")
@json_option
@pass_api
def alerts_route_list(api: Any, as_json: bool) -> None:
    """List alert routes (URLs as their secret references)."""
    rows = api.routes.list_routes()
    if as_json:
        emit_json(rows)
        return
    print_table([(r["name"], " ".join(r["urls"]), r["tenant"] or "*", r["site"] or "*", r["min_severity"],
                  ",".join(r["kinds"]) or "*", (r["quiet"] or "") + ("" if not r["quiet"] or r["critical_in_quiet"]
                                                                     else " (critical held)"),
                  _fmt(r["group_s"], 0)) for r in rows],
                ["NAME", "URLS", "TENANT", "SITE", "MIN_SEVERITY", "KINDS", "QUIET", "GROUP_S"])


@alerts_route.command("remove")
@click.argument("name")
@pass_api
def alerts_route_remove(api: Any, name: str) -> None:
    """Remove an alert route."""
    api.routes.remove(name)
    click.echo(f"alert route {name} removed")


@alerts_route.command("test")
@click.argument("name")
@json_option
@pass_api
def alerts_route_test(api: Any, name: str, as_json: bool) -> None:
    """Send a test message through a route now; exit 1 when it fails."""
    row = api.routes.test(name)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"{row['route']}: {'ok' if row['ok'] else row['error']}")
    if not row["ok"]:
        sys.exit(1)


# -- maintenance ----------------------------------------------------------------------------------
@click.group()
def maintenance() -> None:
    """Maintenance windows: polling goes on, alerts are recorded but muted."""


@maintenance.command("add")
@selection_options
@click.option("--start", "starts", default="now", show_default=True, help="ISO time, now, or +30m.")
@click.option("--end", "ends", required=True, help="ISO time or +2h (from now).")
@click.option("--name")
@click.option("--reason")
@json_option
@pass_api
def maintenance_add(api: Any, selection: Selection, starts: str, ends: str, name: str | None, reason: str | None,
                    as_json: bool) -> None:
    """Add a maintenance window for the selected APs."""
    row = api.monitor.maintenance_add(selection, starts, ends, name=name, reason=reason)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"maintenance window {row['id']} ({row['name']}): {row['starts']} .. {row['ends']}")


@maintenance.command("list")
@click.option("--active", is_flag=True, help="Only windows active now.")
@json_option
@pass_api
def maintenance_list(api: Any, active: bool, as_json: bool) -> None:
    """List maintenance windows."""
    rows = api.monitor.maintenance_list(active_only=active)
    if as_json:
        emit_json(rows)
        return
    print_table([(r["id"], r["name"], r["starts"], r["ends"], "yes" if r["active"] else "", r["reason"] or "")
                 for r in rows], ["ID", "NAME", "STARTS", "ENDS", "ACTIVE", "REASON"])


@maintenance.command("remove")
@click.argument("window_id", type=int)
@pass_api
def maintenance_remove(api: Any, window_id: int) -> None:
    """Remove a maintenance window."""
    api.monitor.maintenance_remove(window_id)
    click.echo(f"maintenance window {window_id} removed")


# -- scheduler and jobs ---------------------------------------------------------------------------
@click.group()
def scheduler() -> None:
    """The long-running job scheduler."""


@scheduler.command("run")
@click.option("--once", is_flag=True, help="Run every enabled job once, then exit.")
@click.option("--poll-interval", type=float, help="Seconds between polls (overrides the poll job's interval).")
@click.option("--max-cycles", type=int, help="Stop after this many poll runs (for tests and smoke checks).")
@click.pass_context
def scheduler_run(ctx: click.Context, once: bool, poll_interval: float | None, max_cycles: int | None) -> None:
    """Run jobs at their intervals until SIGTERM/SIGINT; each run is recorded in the database."""
    from netctl.cli.common import Context
    from netctl.schedule.scheduler import Scheduler

    options = ctx.find_object(Context)
    assert options is not None
    api = options.api  # checks the database and the user before the loop starts
    api.session.require("jobs")

    def log(message: str) -> None:
        click.echo(message, err=True)

    sched = Scheduler(api.session.db_path, user=options.user, poll_interval=poll_interval, max_cycles=max_cycles,
                      once=once, log=log)
    sched.install_signals()
    runs = sched.run()
    failed = [r for r in runs if r.get("status") == "failed"]
    click.echo(f"{len(runs)} run(s), {len(failed)} failed", err=True)


@click.group()
def jobs() -> None:
    """Scheduled jobs and their runs."""


@jobs.command("list")
@json_option
@pass_api
def jobs_list(api: Any, as_json: bool) -> None:
    """The jobs, their intervals and last runs."""
    rows = api.jobs.list_jobs()
    if as_json:
        emit_json(rows)
        return
    print_table([(r["name"], r["job"], r["owner"], _fmt(r["interval_s"], 0), "yes" if r["enabled"] else "no",
                  Selection(**{**r["selection"], "names": tuple(r["selection"].get("names") or ())}).describe()
                  if r["selection"] else "all", r["last_started"] or "-", r["last_status"] or "-") for r in rows],
                ["NAME", "JOB", "OWNER", "EVERY_S", "ENABLED", "SELECTION", "LAST_RUN", "STATUS"])


@jobs.command("history")
@click.option("--job", help="Only this job.")
@click.option("--limit", default=20, show_default=True)
@json_option
@pass_api
def jobs_history(api: Any, job: str | None, limit: int, as_json: bool) -> None:
    """Recent job runs: start, end, status, APs done, failures."""
    rows = api.jobs.runs(limit=limit, job=job)
    if as_json:
        emit_json(rows)
        return
    print_table([(r["id"], r["job"], r["started"], r["ended"] or "-", r["status"], _fmt(r["aps"]),
                  _fmt(r["failures"]), (r["detail"] or "").splitlines()[0][:50] if r["detail"] else "")
                 for r in rows], ["ID", "JOB", "STARTED", "ENDED", "STATUS", "APS", "FAILURES", "DETAIL"])


@jobs.command("set")
@click.argument("name")
@click.option("--job", help="Job function name (poll, retention, …); default: NAME.")
@click.option("--interval", "interval_s", type=float, help="Seconds between runs.")
@click.option("--selection", "selection_json", help='Selection as JSON, e.g. \'{"site": "gs-meiderich"}\'.')
@click.option("--enable/--disable", "enabled", default=None)
@click.option("--owner", help="Give the job to this user (admins; @system: a default job).")
@click.option("--options", "options_json",
              help='Job options as a JSON object, e.g. \'{"converge": false}\' or \'{"deadline_s": 600}\'.')
@pass_api
def jobs_set(api: Any, name: str, job: str | None, interval_s: float | None, selection_json: str | None,
             enabled: bool | None, owner: str | None, options_json: str | None) -> None:
    """Add or change a scheduled job; it runs as its owner (you, for a new job), within their scope."""
    selection = None
    if selection_json is not None:
        try:
            selection = Selection.from_json(selection_json)
        except (json.JSONDecodeError, TypeError) as exc:
            raise click.BadParameter(f"not a selection: {exc}", param_hint="--selection") from exc
    options = None
    if options_json is not None:
        try:
            options = json.loads(options_json)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--options") from exc
        if not isinstance(options, dict):
            raise click.BadParameter("give a JSON object, e.g. '{\"converge\": false}'", param_hint="--options")
    row = api.jobs.set_job(name, job=job, interval_s=interval_s, selection=selection, enabled=enabled, owner=owner,
                      options=options)
    click.echo(f"job {row['name']} ({row['job']}) of {row['owner']} every {row['interval_s']:g} s, "
               f"{'enabled' if row['enabled'] else 'disabled'}")


@jobs.command("run")
@click.argument("name")
@json_option
@pass_api
def jobs_run(api: Any, name: str, as_json: bool) -> None:
    """Run one scheduled job now as its owner (recorded like a scheduled run; for cron)."""
    row = api.jobs.run_job(name)
    if as_json:
        emit_json(row)
    else:
        click.echo(f"{name}: {row.get('status')} aps={row.get('aps')} failures={row.get('failures')}"
                   + (f" ({row['detail']})" if row.get("detail") else ""))
    if row.get("status") not in ("ok",):
        sys.exit(1)
