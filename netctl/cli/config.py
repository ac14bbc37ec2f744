"""``netctl render|diff|push|converge|backup|history|show-config|restore|drift|audit``: thin commands.

Each command parses its options, calls one facade method and prints the per-AP results; exit code
1 when any AP failed (so scripts and cron notice); ``push``, ``converge`` and ``restore`` exit 5 when
APs are pending (unreachable) and no AP was reached; 0 otherwise.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from netctl.cli.common import (
    emit_json,
    is_tty,
    json_option,
    pass_api,
    print_table,
    progress_line,
    queue_option,
    selection_options,
)
from netctl.results import Results
from netctl.runner import Progress
from netctl.selection import Selection


def _progress(total: int) -> Progress | None:
    """A one-line progress display on a terminal (stderr); nothing when piped."""
    return progress_line(total)


#: the exit code of a push, converge or restore that failed nowhere but reached no AP: APs only pending
EXIT_ONLY_PENDING = 5


def _exit(results: Results[Any]) -> None:
    """Exit code 1 when any AP failed (``Result.failed``: for a push, pending APs do not count)."""
    if results.failed:
        sys.exit(1)


def _exit_push(results: Results[Any]) -> None:
    """Like :func:`_exit`, plus exit code 5 when at least one AP is pending (unreachable) and no AP was
    reached (applied, unchanged or a dry run), so a script sees that nothing reached the APs although
    nothing failed."""
    _exit(results)
    if any(r.status == "pending" for r in results) and not any(r.ok for r in results):
        sys.exit(EXIT_ONLY_PENDING)


@click.command()
@selection_options
@click.option("--template", "-t", help="Template name in the platform's folder (default: the platform's).")
@json_option
@pass_api
def render(api: Any, selection: Selection, template: str | None, as_json: bool) -> None:
    """Render the configuration of APs (secrets masked). Fails on a missing variable or a bad value."""
    results = api.config.render(selection, template=template)
    if as_json:
        emit_json(results.to_dict())
    else:
        for r in results:
            click.echo(f"### {r.ap} ({r.platform}, {r.template})")
            click.echo(r.text if r.ok else f"error: {r.error}", nl=not r.ok)
    if not results:
        click.echo("no APs selected", err=True)
    _exit(results)


@click.command()
@selection_options
@click.option("--template", "-t")
@click.option("--offline", is_flag=True, help="Compare with the last backup instead of fetching.")
@click.option("--concurrency", "-c", default=20, show_default=True)
@json_option
@pass_api
def diff(
    api: Any, selection: Selection, template: str | None, offline: bool, concurrency: int, as_json: bool
) -> None:
    """Rendered vs running configuration; nothing is sent."""
    results = api.config.diff(
        selection,
        offline=offline,
        template=template,
        concurrency=concurrency,
        progress=_progress(len(api.session.select(selection))),
    )
    if as_json:
        emit_json(results.to_dict())
    else:
        for r in results:
            click.echo(f"### {r.ap}: {r.status}" + (f" ({r.reason})" if r.reason else ""))
            if r.diff:
                click.echo(r.diff)
    _exit(results)


def _print_push(results: Results[Any], as_json: bool) -> None:
    if as_json:
        emit_json(results.to_dict())
        return
    print_table(
        [
            (
                r.ap,
                r.status,
                "yes" if r.changed else "no",
                r.version or "",
                f"{r.duration_s:.2f}",
                r.rpc_error_tag or "",
                (r.reason or "").splitlines()[0] if r.reason else "",
            )
            for r in results
        ],
        ["AP", "STATUS", "CHANGED", "VERSION", "SECONDS", "RPC-ERROR", "REASON"],
    )
    counts = results.counts()
    click.echo(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no APs selected", err=True)


@click.command()
@selection_options
@click.option("--template", "-t")
@click.option("--dry-run", is_flag=True, help="Connect, render and diff; change nothing.")
@click.option("--concurrency", "-c", default=20, show_default=True, help="APs pushed at the same time.")
@click.option(
    "--confirm-timeout",
    default=60,
    show_default=True,
    help="Seconds before an unconfirmed NETCONF commit rolls back by itself.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes sharing the pushes [default: one per 25 APs, at most one per core].",
)
@click.option("--canary", type=click.IntRange(min=0), default=0, help="Push this many APs first, alone.")
@click.option("--wave-size", type=click.IntRange(min=1), default=None, help="Then push in waves of this many APs.")
@click.option(
    "--max-failures",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="With waves: start no further wave once more APs than this have failed.",
)
@click.option("--health-gate", is_flag=True,
              help="NETCONF APs: before confirming each AP's commit, wait until it answers SNMP with its clients "
                   "back; else cancel it, alert and stop the rollout.")
@click.option("--gate-clients", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="With --health-gate: the share of the AP's clients before the push that must be back.")
@click.option("--gate-timeout", type=click.FloatRange(1, 600), default=30.0, show_default=True,
              help="With --health-gate: how long to wait for the AP to be well (seconds).")
@click.option("--show-diff", is_flag=True, help="Print each AP's diff.")
@json_option
@queue_option
@pass_api
def push(
    api: Any,
    selection: Selection,
    template: str | None,
    dry_run: bool,
    concurrency: int,
    confirm_timeout: int,
    workers: int | None,
    canary: int,
    wave_size: int | None,
    max_failures: int,
    health_gate: bool,
    gate_clients: float,
    gate_timeout: float,
    show_diff: bool,
    as_json: bool,
) -> None:
    """Push rendered configuration to APs safely.

    NETCONF: lock, confirmed commit, post-check, confirm. SSH: backup, apply, verify, save.
    With --canary/--wave-size the APs go in waves, and a failed wave stops the rollout.
    With --health-gate each AP is confirmed only once SNMP says it is well again.
    """
    results = api.config.push(
        selection,
        template=template,
        dry_run=dry_run,
        concurrency=concurrency,
        confirm_timeout=confirm_timeout,
        progress=_progress(len(api.session.select(selection))),
        workers=workers,
        canary=canary,
        wave_size=wave_size,
        max_failures=max_failures,
        health_gate=health_gate,
        gate_min_clients=gate_clients,
        gate_timeout=gate_timeout,
    )
    if show_diff and not as_json:
        for r in results:
            if r.diff:
                click.echo(f"### {r.ap}\n{r.diff}")
    _print_push(results, as_json)
    _exit_push(results)


@click.command()
@selection_options
@click.option("--concurrency", "-c", default=20, show_default=True)
@click.option("--confirm-timeout", default=60, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes sharing the pushes [default: one per 25 APs, at most one per core].",
)
@json_option
@pass_api
def converge(
    api: Any, selection: Selection, concurrency: int, confirm_timeout: int, workers: int | None, as_json: bool
) -> None:
    """Push the pending configuration of APs that were unreachable (e.g. buses back in the depot)."""
    pending = sum(1 for row in api.config.config_status(selection) if row["status"] == "pending")
    results = api.config.converge(selection, concurrency=concurrency, confirm_timeout=confirm_timeout, workers=workers,
                                  progress=_progress(pending))
    _print_push(results, as_json)
    _exit_push(results)


@click.command()
@selection_options
@click.option("--concurrency", "-c", default=20, show_default=True)
@json_option
@pass_api
def backup(api: Any, selection: Selection, concurrency: int, as_json: bool) -> None:
    """Store the running configuration of APs as versions (identical configs are not stored twice)."""
    progress = _progress(len(api.session.select(selection)))
    results = api.config.backup(selection, concurrency=concurrency, progress=progress)
    if as_json:
        emit_json(results.to_dict())
    else:
        print_table(
            [(r.ap, r.status, r.version or "", r.reason or "") for r in results],
            ["AP", "STATUS", "VERSION", "REASON"],
        )
    _exit(results)


@click.command()
@click.argument("ap")
@json_option
@pass_api
def history(api: Any, ap: str, as_json: bool) -> None:
    """Configuration versions of an AP, newest first."""
    rows = api.config.history(ap)
    if as_json:
        emit_json(rows)
        return
    print_table(
        [(r["version"], r["created"], r["source"], r["hash"][:12]) for r in rows],
        ["VERSION", "CREATED", "SOURCE", "HASH"],
    )


@click.command("show-config")
@click.argument("ap")
@click.option("--version", "-v", "version", type=int, help="Version number (default: the latest).")
@json_option
@pass_api
def show_config(api: Any, ap: str, version: int | None, as_json: bool) -> None:
    """Show a stored configuration version (secrets masked)."""
    row = api.config.show_config(ap, version)
    if as_json:
        emit_json(row)
        return
    click.echo(f"# {row['ap']} version {row['version']} ({row['source']}, {row['created']})", err=True)
    click.echo(row["text"], nl=False)


@click.command()
@click.argument("ap")
@click.option("--version", "-v", "version", type=int, required=True)
@click.option("--dry-run", is_flag=True)
@click.option("--confirm-timeout", default=60, show_default=True)
@json_option
@pass_api
def restore(api: Any, ap: str, version: int, dry_run: bool, confirm_timeout: int, as_json: bool) -> None:
    """Push a stored version back through the same safe path as a push."""
    results = Results([api.config.restore(ap, version, dry_run=dry_run, confirm_timeout=confirm_timeout)])
    _print_push(results, as_json)
    _exit_push(results)


@click.command()
@selection_options
@click.option("--concurrency", "-c", default=20, show_default=True)
@json_option
@pass_api
def drift(api: Any, selection: Selection, concurrency: int, as_json: bool) -> None:
    """Running vs intended configuration; drifted APs are marked and listed with their diff."""
    progress = _progress(len(api.session.select(selection)))
    results = api.config.drift(selection, concurrency=concurrency, progress=progress)
    if as_json:
        emit_json(results.to_dict())
    else:
        for r in results:
            if r.status == "drifted":
                click.echo(f"### {r.ap}: drifted\n{r.diff}")
        print_table([(r.ap, r.status, r.reason or "") for r in results], ["AP", "STATUS", "REASON"])
    _exit(results)


@click.command()
@click.option("--since", help="Date, time or age: 2026-11-21, 2026-11-21T08:00, 30m, 24h, 7d.")
@click.option("--ap", help="Only this AP.")
@click.option("--transcript", is_flag=True, help="Include the device conversation (masked).")
@json_option
@pass_api
def audit(api: Any, since: str | None, ap: str | None, transcript: bool, as_json: bool) -> None:
    """The audit trail of pushes, restores and converges, newest first."""
    rows = api.config.audit(since=since, ap=ap)
    if as_json:
        emit_json(rows if transcript else [{k: v for k, v in r.items() if k != "transcript"} for r in rows])
        return
    print_table(
        [
            (
                r["ts"],
                r["who"],
                r["action"] + (" (dry-run)" if r["dry_run"] else ""),
                r["ap"],
                r["outcome"],
                r["template"] or "",
                (r["reason"] or "").splitlines()[0] if r["reason"] else "",
            )
            for r in rows
        ],
        ["WHEN", "WHO", "ACTION", "AP", "OUTCOME", "TEMPLATE", "REASON"],
    )
    if transcript:
        for r in rows:
            click.echo(f"\n### {r['ts']} {r['ap']} ({r['action']})\n{r['transcript'] or ''}")


__all__ = [
    "audit",
    "backup",
    "converge",
    "diff",
    "drift",
    "history",
    "push",
    "render",
    "restore",
    "show_config",
    "is_tty",
]
