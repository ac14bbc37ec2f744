"""Helpers every CLI module shares: the facade from the context, JSON and table output.

CLI commands stay thin: parse, call :class:`netctl.api.Netctl`, print. Library errors become a
clean message in :func:`netctl.cli.main`.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from netctl.errors import NotFound
from netctl.i18n import _
from netctl.selection import Selection

if TYPE_CHECKING:
    from netctl.runner import Event, Progress

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What the global options set: the database path and the acting user."""

    def __init__(self, db: str | None, user: str | None) -> None:
        self.db_path = db
        self.user = user
        #: only ``netctl init`` creates a missing database; every other command refuses it (exit 3)
        self.create = False
        self._api: Any = None

    @property
    def api(self) -> Any:
        if self._api is None:
            from netctl.api import Netctl

            self._api = Netctl(self.db_path, user=self.user, create=self.create)
        return self._api


def pass_api(fn: F) -> F:
    """Decorator: call ``fn(api, …)`` with the facade built from the global options."""

    @click.pass_context
    @functools.wraps(fn)
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        obj = ctx.find_object(Context)
        if obj is None:  # a command used outside the `netctl` group
            raise click.UsageError("run this command through `netctl`")
        return fn(obj.api, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON (stable shape).")


def queue_option(fn: F) -> F:
    """``--queue``: the command's device work runs on the queue's device workers (:mod:`netctl.devicework`,
    ``$NETCTL_BROKER`` and ``$NETCTL_WORKER_KEY_FILE``), which need no database; results are recorded here."""

    @functools.wraps(fn)
    def wrapper(*args: Any, on_queue: bool = False, **kwargs: Any) -> Any:
        if not on_queue:
            return fn(*args, **kwargs)
        from netctl import runner
        from netctl.devicework import QueueRunner

        with runner.remote(QueueRunner.from_env()):
            return fn(*args, **kwargs)

    option = click.option("--queue", "on_queue", is_flag=True,
                          help="Talk to the devices through the queue's workers ($NETCTL_BROKER, "
                               "$NETCTL_WORKER_KEY_FILE; they need no database); --workers: shards.")
    return option(wrapper)  # type: ignore[return-value]


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON (dates and sets as strings/lists): indented on a terminal, one compact
    line when piped (the C encoder: ten times faster on a 10,000-AP status). The shape is the same."""
    stop_progress()
    if sys.stdout.isatty():
        click.echo(json.dumps(data, indent=2, default=_default, ensure_ascii=False))
    else:
        click.echo(json.dumps(data, separators=(",", ":"), default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value)
    return str(value)


def print_table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> None:
    """Print a plain aligned table (for terminals and for grep)."""
    stop_progress()
    body = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()
    click.echo(line)
    click.echo("  ".join("-" * w for w in widths))
    for row in body:
        click.echo("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())


def is_tty() -> bool:
    return sys.stdout.isatty()


def progress_line(total: int) -> Progress | None:
    """A progress bar on stderr for a run over ``total`` APs, only when stderr is a terminal (nothing when
    piped, in cron, with ``--json`` or with one AP): the command, the bar, ``done/total``, how many failed
    and the time so far (``rich.progress``), moved by the run's one callback ``progress(Event(ap, stage,
    result))``.

    The bar stops at the last AP, before the command prints (:func:`print_table`, :func:`emit_json`) and
    when the command ends, whatever happens; stdout is never touched.
    """
    ctx = click.get_current_context(silent=True)
    if not sys.stderr.isatty() or total <= 1 or (ctx is not None and ctx.params.get("as_json")):
        return None
    bar = TerminalProgress(total, ctx.command_path.split(" ", 1)[-1] if ctx else "netctl")
    if ctx is not None:
        ctx.call_on_close(bar.stop)
    return bar


#: the bars on the terminal now (stopped before anything is printed)
_LIVE: list[TerminalProgress] = []


class TerminalProgress:
    """``poll ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 12/15 · 2 failed · 0:00:03`` on stderr, drawn by rich.progress
    (a refresh thread, so the elapsed time moves while a dead AP times out). Callable as a ``Progress``
    from the runner's threads; an AP counts once, when its result is in."""

    def __init__(self, total: int, what: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.total = total
        self.failed: set[str] = set()
        self.done: set[str] = set()
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"), TimeElapsedColumn(),
            console=Console(file=sys.stderr), transient=False, redirect_stdout=False, redirect_stderr=False,
            refresh_per_second=8)
        self.task = self.progress.add_task(what, total=total, failed=self._failed_text())
        self.progress.start()
        _LIVE.append(self)

    def __call__(self, event: Event) -> None:
        if event.stage != "done" or event.result is None or event.ap in self.done:
            return
        self.done.add(event.ap)
        if getattr(event.result, "failed", False):
            self.failed.add(event.ap)
        self.progress.update(self.task, completed=len(self.done), total=max(self.total, len(self.done)),
                             failed=self._failed_text())
        if len(self.done) >= self.total:
            self.stop()

    def _failed_text(self) -> str:
        return "· " + _("{n} failed").format(n=len(self.failed))

    def stop(self) -> None:
        """Draw the final state and leave the line (idempotent)."""
        if self in _LIVE:
            _LIVE.remove(self)
            self.progress.stop()


def stop_progress() -> None:
    """Stop every bar on the terminal (before a command prints its answer)."""
    for bar in list(_LIVE):
        bar.stop()


def selection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """NAMES (globs) plus --tenant/--site/--kind/--group/--tag/--role/--platform/--controller -> ``selection``."""

    @click.argument("names", nargs=-1)
    @click.option("--tenant")
    @click.option("--site")
    @click.option("--kind", help="Site kind: school, zoo, transit …")
    @click.option("--group")
    @click.option("--tag")
    @click.option("--role")
    @click.option("--platform")
    @click.option("--controller", help="The APs behind this WLAN controller (it must be in your scope).")
    @functools.wraps(fn)
    def wrapper(*args: Any, names: tuple[str, ...], tenant: str | None, site: str | None, kind: str | None,
                group: str | None, tag: str | None, role: str | None, platform: str | None, controller: str | None,
                **kwargs: Any) -> Any:
        selection = Selection(names=tuple(names), tenant=tenant, site=site, kind=kind, group=group, tag=tag,
                              role=role, platform=platform, controller=controller)
        obj = click.get_current_context().find_object(Context)
        if obj is not None:
            check_selection(obj.api.session, selection)
        return fn(*args, selection=selection, **kwargs)

    return wrapper


#: what a selection may name, and the AP column each is checked against
_NAMED = (("tenant", "tenant"), ("site", "site"), ("group", "groups"), ("tag", "tags"), ("kind", "site_kind"),
          ("role", "role"), ("platform", "platform"))


def check_selection(session: Any, selection: Selection) -> None:
    """Refuse a selection that names what the acting user cannot see, or that matches no AP.

    Out-of-scope APs, sites and tenants do not exist for the user, so the message and the
    suggestions (``did you mean …?``) come only from the APs in scope: a missing and an
    out-of-scope name look the same. Raises NotFound (exit 3). An empty selection (all APs in
    scope) is never refused.
    """
    if selection.describe() == "all":
        return
    visible = session.select(Selection())
    problems: list[str] = []
    for option, column in _NAMED:
        wanted = getattr(selection, option)
        if not wanted:
            continue
        known: set[str] = set()
        for ap in visible:
            value = ap.get(column)
            known.update(value if isinstance(value, list) else [value] if value else [])
        if wanted not in known:
            problems.append(_unknown(f"no {option} {wanted!r}", wanted, known))
    names = {ap["name"] for ap in visible}
    for name in selection.names:
        if any(c in name for c in "*?["):
            if not any(fnmatch.fnmatchcase(n, name) for n in names):
                problems.append(_unknown(f"no AP matches {name!r}", name.replace("*", "").replace("?", ""), names))
        elif name not in names:
            problems.append(_unknown(f"no access point named {name!r}", name, names))
    if not problems and not session.select(selection):
        problems.append(f"no AP matches {selection.describe()}")
    if problems:
        raise NotFound("; ".join(problems), hint="list what you may see with: netctl inventory list")


def _unknown(message: str, wanted: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(wanted, sorted(known), n=3, cutoff=0.6)
    return message + (f" (did you mean {' or '.join(close)}?)" if close else "")
