"""Configuration operations of the facade (render, diff, push, converge, backup, drift, restore, audit).

Data path: AP rows (scope applied) → merged variables → render (pure) → driver (I/O, in worker
threads) → per-AP result → config status, config versions and audit rows (written here, on the
caller's thread). Secrets resolve only for work that talks to a device; previews show them masked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from netctl.core import Session
from netctl.drivers.plan import compare, mask, restore_commands, strip_volatile
from netctl.errors import ConfigError, NetctlError, NotFound, RenderError, SecretError
from netctl.inventory.ops import InventoryService
from netctl.platforms import get_platform
from netctl.push import journal
from netctl.push.model import BackupResult, DiffResult
from netctl.push.plan import waves
from netctl.push.run import FetchJob, PushJob, PushResult, failure
from netctl.render.engine import RenderResult, config_hash, render_ap
from netctl.results import Results, caught
from netctl.runner import Event, Progress
from netctl.selection import Selection
from netctl.store.db import insert_row, transaction, upsert_row

logger = logging.getLogger(__name__)

#: the "template" of a push that restores a stored version: "version 3"
VERSION_LABEL = "version "


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def since_to_iso(since: str | dt.datetime) -> str:
    """``2026-11-21``, ``2026-11-21T08:00``, a datetime, or an age such as ``30m``, ``24h``, ``7d``."""
    if isinstance(since, dt.datetime):
        return since.isoformat(timespec="seconds")
    units = {"m": "minutes", "h": "hours", "d": "days"}
    text = since.strip()
    if text[:-1].isdigit() and text[-1:] in units:
        start = dt.datetime.now(dt.UTC) - dt.timedelta(**{units[text[-1]]: int(text[:-1])})
        return start.isoformat(timespec="seconds")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(
            f"--since {since!r} is not a date, a time or an age",
            hint="use e.g. 2026-11-21, 2026-11-21T08:00, 30m, 24h or 7d",
        ) from exc
    return parsed.isoformat(timespec="seconds") if "T" in text else text


def _seal(text: str) -> str:
    from netctl.inventory.secrets import _fernet

    return str(_fernet().encrypt(text.encode()).decode())


def _unseal(token: str) -> str:
    """A sealed config in clear; SecretError when this secret store key cannot open it (another key,
    a damaged or missing token)."""
    from cryptography.fernet import InvalidToken

    from netctl.inventory.secrets import _fernet

    try:
        return str(_fernet().decrypt(str(token).encode()).decode())
    except (InvalidToken, ValueError) as exc:
        raise SecretError("a stored config cannot be decrypted with this secret store key",
                          hint="use the key it was stored with (NETCTL_SECRET_KEY)") from exc


def _as_selection(selection: Selection | str | Sequence[str] | None) -> Selection:
    if selection is None:
        return Selection()
    if isinstance(selection, Selection):
        return selection
    if isinstance(selection, str):
        return Selection(names=(selection,))
    return Selection(names=tuple(selection))


class ConfigService:
    """Render, diff, push, back up, restore and check drift: ``Netctl.config``.

    Given the session and the inventory service, whose layered variables every render uses.
    """

    def __init__(self, session: Session, *, inventory: InventoryService) -> None:
        self.session = session
        self.db = session.db
        self.inventory = inventory

    def using(self, session: Session) -> ConfigService:
        """This service over another session of the same database (:meth:`Session.granting`, ``as_timer``)."""
        return ConfigService(session, inventory=self.inventory)

    # -- helpers --------------------------------------------------------------------------------
    def _variables(self, ap: dict[str, Any]) -> dict[str, Any]:
        return dict(self.inventory.merged_vars(ap))

    def _resolver(self, ap: dict[str, Any]) -> Callable[[str], str]:
        """Resolves references for ``ap``: only its own tenant's secrets (and global ones)."""
        from netctl.inventory.secrets import resolve_secret

        return lambda ref: resolve_secret(self.db, ref, tenant=ap.get("tenant"))

    def _render_one(self, ap: dict[str, Any], template: str | None, resolve: bool) -> RenderResult:
        try:
            variables = self._variables(ap)
        except NetctlError as exc:
            return RenderResult(ap["name"], ap["platform"], template or "", "", False, error=exc.message, **caught(exc))
        if resolve:
            return render_ap(ap, variables, template=template, resolve=self._resolver(ap))
        return render_ap(ap, variables, template=template)

    def _target(self, ap: dict[str, Any]) -> Any:
        from netctl.drivers import Target
        from netctl.hostkeys import pins_for, policy_from_env
        from netctl.inventory.secrets import resolve_credentials

        creds = resolve_credentials(self.db, ap.get("credentials"), tenant=ap.get("tenant"))
        port = ap.get("port") or get_platform(ap["platform"]).default_port or 0
        return Target(
            ap["name"],
            ap["platform"],
            ap["address"],
            int(port),
            creds["username"],
            creds.get("password"),
            creds.get("key_file"),
            creds.get("secret"),
            host_keys=pins_for(self.db, [ap["name"]]).get(ap["name"], []),
            host_key_policy=policy_from_env(),
        )

    def _host_key_seen(self, ap: dict[str, Any], key: str | None, refused: bool, action: str) -> None:
        """Pin a key first seen by a connection, or alert and audit a refused one (netctl.hostkeys)."""
        if key:
            from netctl.hostkeys import record_seen

            record_seen(self.db, ap, key, refused, self.session.who(), action)

    def _set_status(self, ap: str, status: str, **fields: Any) -> None:
        """Upsert the AP's config status; ``applied`` also ends any automatic-convergence count."""
        row = {"ap": ap, "status": status, "updated": _now(), **fields}
        if status == "applied":
            row.update(retries=0, retry_at=None)
        upsert_row(self.db, "config_status", row, pk="ap")

    def _audit(self, run: str, ap: str, action: str, selection: str, template: str | None,
               rendered_hash: str | None, outcome: str, reason: str | None, **extra: Any) -> None:
        """One audit row (``extra``: ts, diff, rpc_error_tag, dry_run, transcript)."""
        insert_row(self.db, "audit",
                   {"run": run, "ts": _now(), "who": self.session.who(), "action": action, "selection": selection,
                    "template": template, "ap": ap, "rendered_hash": rendered_hash, "outcome": outcome,
                    "reason": reason, "diff": "", "rpc_error_tag": None, "dry_run": 0, "transcript": "", **extra})

    def _store_version(
        self, ap: dict[str, Any], text: str, source: str, secrets: Sequence[str] = ()
    ) -> tuple[int, bool]:
        """Store ``text`` as a new version unless identical to the latest; ``(version, created)``."""
        platform = ap["platform"]
        full = strip_volatile(text, platform)
        digest = hashlib.sha256(full.encode()).hexdigest()
        latest = self.db.execute(
            "select version, hash from config_versions where ap = ? order by version desc limit 1", [ap["name"]]
        ).fetchone()
        if latest and latest[1] == digest:
            return int(latest[0]), False
        version = (int(latest[0]) + 1) if latest else 1
        insert_row(
            self.db,
            "config_versions",
            {
                "ap": ap["name"],
                "version": version,
                "created": _now(),
                "hash": digest,
                "format": get_platform(platform).config_format or "cli",
                "source": source,
                "text": mask(full, platform, secrets),
                "sealed": _seal(full),
            }
        )
        return version, True

    # -- render and diff ------------------------------------------------------------------------
    def render(
        self, selection: Selection | str | Sequence[str] | None = None, template: str | None = None
    ) -> Results[RenderResult]:
        """Rendered config per AP with secrets masked; failures (missing variable, bad value) as data."""
        self.session.require("render")
        aps = self.session.select(_as_selection(selection))
        return Results(self._render_one(ap, template, resolve=False) for ap in aps)

    def diff(
        self,
        selection: Selection | str | Sequence[str] | None = None,
        offline: bool = False,
        template: str | None = None,
        concurrency: int = 20,
        progress: Progress | None = None,
    ) -> Results[DiffResult]:
        """Rendered vs running per AP (running fetched, or the last backup with ``offline``); nothing sent."""
        self.session.require("render")
        return self._compare_all(_as_selection(selection), template, offline, concurrency, progress)

    def _compare_all(
        self,
        selection: Selection,
        template: str | None,
        offline: bool,
        concurrency: int,
        progress: Progress | None,
        workers: int | None = None,
        action: str = "diff",
    ) -> Results[DiffResult]:
        from netctl.push.worker import run_fetches

        if not offline:
            self.reconcile()
        items = []
        results: dict[str, DiffResult] = {}
        for ap in self.session.select(selection):
            rendered = self._render_one(ap, template, resolve=True)
            base = {
                "ap": ap["name"],
                "platform": ap["platform"],
                "template": rendered.template,
                "rendered_hash": rendered.hash,
            }
            if not rendered.ok:
                results[ap["name"]] = DiffResult(
                    **base, ok=False, status="failed", reason=rendered.error,
                    exception=rendered.exception, traceback=rendered.traceback,
                )
                continue
            if offline:
                running = self._latest_text(ap["name"])
                if running is None:
                    results[ap["name"]] = DiffResult(
                        **base, ok=False, status="failed",
                        reason="no backup yet; run netctl backup first or drop --offline",
                    )
                    continue
                results[ap["name"]] = self._compared(base, rendered, running, ap)
                continue
            try:
                target = self._target(ap)
            except NetctlError as exc:
                results[ap["name"]] = DiffResult(**base, ok=False, status="failed", reason=exc.message, **caught(exc))
                continue
            items.append((ap, rendered, target, base))

        fetched = run_fetches(
            [self._fetch_job(ap, target) for ap, _rendered, target, _base in items],
            concurrency=concurrency,
            workers=workers,
            progress=progress,
        )
        for (ap, rendered, _target, base), got in zip(items, fetched, strict=True):
            self._host_key_seen(ap, got.host_key, got.host_key_refused, action)
            if got.ok and got.text is not None:
                results[ap["name"]] = self._compared(base, rendered, got.text, ap)
            else:
                results[ap["name"]] = DiffResult(
                    **base, ok=False, status=got.status, reason=got.reason,
                    exception=got.exception, traceback=got.traceback,
                )
        return Results(results[name] for name in sorted(results))

    @staticmethod
    def _fetch_job(ap: dict[str, Any], target: Any) -> FetchJob:
        return FetchJob(ap["name"], str(get_platform(ap["platform"]).driver), target)

    def _secrets_applied(self, ap: str, rendered_hash: str | None) -> bool:
        """Whether the config rendered now (its hash) is the one netctl last applied to ``ap``: then its
        secrets are the ones on the device, even where the device shows them only as cipher text."""
        rows = list(self.db.table("config_status").rows_where("ap = ?", [ap], select="status, intended_hash"))
        return bool(rendered_hash and rows and rows[0]["status"] == "applied"
                    and rows[0]["intended_hash"] == rendered_hash)

    def _compared(self, base: dict[str, Any], rendered: RenderResult, running: str, ap: dict[str, Any]) -> DiffResult:
        try:
            result = compare(rendered.text, running, ap["platform"], rendered.secrets,
                             secrets_applied=self._secrets_applied(ap["name"], rendered.hash))
        except NetctlError as exc:
            logger.info("%s: %s", base["ap"], exc.message)
            return DiffResult(**base, ok=False, status="failed", reason=exc.message, **caught(exc))
        return DiffResult(
            **base,
            ok=True,
            status="changed" if result.changed else "in-sync",
            changed=result.changed,
            diff=result.text,
            kind=result.kind,
        )

    def _latest_text(self, ap: str) -> str | None:
        rows = list(self.db.table("config_versions").rows_where("ap = ?", [ap], order_by="version desc", limit=1))
        if not rows:
            return None
        try:
            return _unseal(rows[0]["sealed"])
        except SecretError:  # without the key, the masked copy still diffs
            return str(rows[0]["text"])

    # -- push -----------------------------------------------------------------------------------
    def push(
        self,
        selection: Selection | str | Sequence[str] | None = None,
        *,
        template: str | None = None,
        dry_run: bool = False,
        concurrency: int = 20,
        confirm_timeout: int = 60,
        progress: Progress | None = None,
        workers: int | None = None,
        canary: int = 0,
        wave_size: int | None = None,
        max_failures: int = 0,
        health_gate: bool = False,
        gate_min_clients: float = 0.8,
        gate_timeout: float = 30.0,
    ) -> Results[PushResult]:
        """Render and push to every selected AP safely; one PushResult per AP, failures included.

        ``concurrency`` APs are pushed at a time in all; ``workers`` processes share them (None: one
        per 25 APs, at most one per core; 1: threads in this process only).

        A staged rollout: with ``canary`` and/or ``wave_size`` the APs go in waves (the first
        ``canary`` APs alone, then batches of ``wave_size``). Once more than ``max_failures`` APs
        have failed, no further wave starts: its APs come back ``skipped`` and keep their config
        and config status. Unreachable APs (``pending``) do not count as failures: they say nothing
        about the change.

        A health-gated rollout (``health_gate``, NETCONF APs): before each wave its APs are polled over
        SNMP; after each AP's confirmed commit and read-back, the AP is confirmed only once it answers
        SNMP again with at least ``gate_min_clients`` of its clients back, within ``gate_timeout``
        seconds (:mod:`netctl.poll.gate`); otherwise the commit is cancelled (``rolled-back``), a
        ``health-gate`` alert is raised and no further wave starts. An AP that cannot be gated (not
        NETCONF, no SNMP, not answering before) is not pushed and says why.
        """
        self.session.require("push")
        selection = _as_selection(selection)
        aps = self.session.select(selection)
        plans = [(ap, self._render_one(ap, template, resolve=True)) for ap in aps]
        gated = health_gate and not dry_run
        if gated and confirm_timeout < gate_timeout + 15:
            raise ConfigError(f"--confirm-timeout {confirm_timeout} leaves the health gate ({gate_timeout:g} s) no "
                              "time to confirm before the AP rolls back by itself",
                              hint=f"give --confirm-timeout {int(gate_timeout) + 30} or more")
        if not canary and not wave_size and not gated:
            return self._push_plans(
                plans, selection, "push", template, dry_run, concurrency, confirm_timeout, progress, workers
            )
        run_id = uuid.uuid4().hex[:12]
        by_name = {ap["name"]: (ap, rendered) for ap, rendered in plans}
        results: dict[str, PushResult] = {}
        failed = 0
        stopped: str | None = None

        def not_pushed(name: str, status: str, reason: str) -> None:
            ap, rendered = by_name[name]
            result = PushResult(name, False, status, reason=reason, template=rendered.template,
                                rendered_hash=rendered.hash)
            self._record(ap, rendered, result, run_id, "push", selection, template, dry_run)
            results[name] = result
            if progress:
                progress(Event(name, "done", result))

        for number, wave in enumerate(waves(list(by_name), canary=canary, size=wave_size), start=1):
            if stopped is not None:
                for name in wave:
                    not_pushed(name, "skipped", f"not pushed: {stopped}; fix the cause and push again")
                continue
            gates: dict[str, dict[str, Any]] = {}
            if gated:
                gates, refused = self._health_gates([by_name[name][0] for name in wave], gate_min_clients,
                                                    gate_timeout)
                for name, reason in refused.items():
                    not_pushed(name, "failed", reason)
            done = self._push_plans(
                [by_name[name] for name in wave if name not in results],
                selection,
                "push",
                template,
                dry_run,
                concurrency,
                confirm_timeout,
                progress,
                workers,
                run_id=run_id,
                gates=gates,
            )
            results.update((r.ap, r) for r in done)
            failed += sum(results[name].failed for name in wave)
            stopped_by_gate = self._gate_outcomes(done, by_name) if gated else []
            if stopped_by_gate:
                stopped = f"the health gate stopped the rollout in wave {number} ({', '.join(stopped_by_gate)})"
            elif failed > max_failures:
                stopped = f"{failed} AP(s) failed by wave {number}, more than --max-failures {max_failures}"
        return Results(results[ap["name"]] for ap, _ in plans)

    def _health_gates(self, aps: list[dict[str, Any]], min_clients: float,
                      timeout: float) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """Each AP's gate (:class:`netctl.poll.gate.Gate` as a dict, its clients measured now) and the APs
        that cannot be gated, with why (not NETCONF, no SNMP settings, not answering SNMP before the push)."""
        from netctl.poll.gate import gates_for
        from netctl.poll.ops import build_targets

        refused = {ap["name"]: "the health gate needs a confirmed commit (NETCONF); push this AP without "
                               "--health-gate" for ap in aps if get_platform(ap["platform"]).transport != "netconf"}
        built = build_targets(self.db, [ap for ap in aps if ap["name"] not in refused])
        gates, silent = gates_for(built, min_clients, timeout, label="health gate", before="the push",
                                  advice="fix that first, or push without --health-gate")
        return gates, refused | silent

    def _gate_outcomes(self, done: Results[PushResult], by_name: dict[str, Any]) -> list[str]:
        """Alert on the APs whose health gate failed (their change was cancelled); close the health-gate
        alerts of the APs now applied. Returns the APs the gate stopped."""
        from netctl.poll.store import close_alerts, raise_alert

        stopped = [r for r in done if r.status == "rolled-back" and (r.reason or "").startswith("health gate:")]
        for result in stopped:
            raise_alert(self.db, by_name[result.ap][0], "health-gate",
                        f"push cancelled by its health gate: {(result.reason or '').splitlines()[0]}")
        close_alerts(self.db, [r.ap for r in done if r.status == "applied"], "health-gate")
        return [r.ap for r in stopped]

    def _push_plans(
        self,
        plans: list[tuple[dict[str, Any], RenderResult]],
        selection: Selection,
        action: str,
        template: str | None,
        dry_run: bool,
        concurrency: int,
        confirm_timeout: int,
        progress: Progress | None,
        workers: int | None = None,
        run_id: str | None = None,
        targeted: bool = False,
        gates: dict[str, dict[str, Any]] | None = None,
    ) -> Results[PushResult]:
        """Push each plan through the safe path. ``targeted``: the plans are partial configs
        (:mod:`netctl.push.targeted`), merged and compared for what they name only."""
        from netctl.drivers import PushOptions
        from netctl.push.worker import run_jobs

        run_id = run_id or uuid.uuid4().hex[:12]
        options = PushOptions(dry_run=dry_run, confirm_timeout=confirm_timeout, merge=targeted)
        early: dict[str, PushResult] = {}
        jobs: list[PushJob] = []
        for ap, rendered in plans:
            started = time.monotonic()
            if not rendered.ok:
                early[ap["name"]] = PushResult(
                    ap["name"], False, "failed", reason=rendered.error, template=rendered.template,
                    exception=rendered.exception, traceback=rendered.traceback,
                )
                continue
            try:
                target = self._target(ap)
            except NetctlError as exc:
                early[ap["name"]] = failure(
                    ap["name"], exc, started, template=rendered.template, rendered_hash=rendered.hash
                )
                continue
            target.secrets_applied = self._secrets_applied(ap["name"], rendered.hash)
            restoring = rendered.template.startswith(VERSION_LABEL)
            ap_options = replace(options, health_gate=gates[ap["name"]]) if gates and ap["name"] in gates else options
            jobs.append(
                PushJob(
                    ap["name"],
                    ap["platform"],
                    str(get_platform(ap["platform"]).driver),
                    target,
                    rendered.text,
                    list(rendered.secrets),
                    rendered.template,
                    rendered.hash,
                    replace(ap_options, replace=restoring) if restoring else ap_options,
                )
            )

        by_name = {ap["name"]: (ap, rendered) for ap, rendered in plans}
        if not dry_run:
            self.reconcile()
            jobs = self._take_journal(jobs, action, run_id, confirm_timeout, early)

        def record(result: PushResult) -> None:
            ap, rendered = by_name[result.ap]
            self._host_key_seen(ap, result.host_key, result.host_key_refused, action)
            self._record(ap, rendered, result, run_id, action, selection, template, dry_run, targeted)

        try:
            done = run_jobs(jobs, concurrency=concurrency, workers=workers, progress=progress, on_result=record)
        except BaseException:
            journal.abandon(self.db, run_id)  # outcome unknown: the next config command reads them back
            raise
        for name, result in early.items():
            record(result)
            if progress:
                progress(Event(name, "done", result))
        results = {r.ap: r for r in done} | early
        return Results(results[ap["name"]] for ap, _ in plans)

    def _take_journal(
        self, jobs: list[PushJob], action: str, run_id: str, confirm_timeout: int, early: dict[str, PushResult]
    ) -> list[PushJob]:
        """Write each job's intent (its AP's lock); jobs on APs another run holds become ``busy`` results."""
        intents = [
            journal.Intent(job.ap, job.platform, action, job.template, job.rendered_hash, _seal(job.text))
            for job in jobs
        ]
        busy = journal.take(
            self.db, run_id, journal.Holder.this_process(self.session.who()), intents, confirm_timeout=confirm_timeout
        )
        for job in jobs:
            if job.ap in busy:
                early[job.ap] = PushResult(
                    job.ap,
                    False,
                    "busy",
                    reason=journal.busy_reason(busy[job.ap]),
                    template=job.template,
                    rendered_hash=job.rendered_hash,
                )
        return [job for job in jobs if job.ap not in busy]

    def reconcile(self, concurrency: int = 20) -> Results[PushResult]:
        """Finish the record of APs whose run died after its intent was written (kill -9, crash).

        Each such AP (within the acting user's scope) is read back once any confirmed commit the run
        may have left has rolled back: ``applied`` with a new version when it runs what the run meant
        to send, else ``failed`` saying so (also when the AP answers but cannot be read back, e.g. it
        holds staged changes). Both get an audit row (``reconciled``) under the dead run's id. An AP
        that cannot be reached keeps its row and is tried again by the next config command.
        """
        from netctl.push.worker import run_fetches

        ready, _waiting = journal.orphans(self.db)
        if not ready:
            return Results()
        visible = {ap["name"]: ap for ap in self.session.select(Selection(names=tuple(row["ap"] for row in ready)))}
        items = []
        for row in ready:
            ap = visible.get(row["ap"])
            if ap is None:
                continue
            try:
                items.append((row, ap, self._fetch_job(ap, self._target(ap))))
            except NetctlError:
                continue
        fetched = run_fetches([job for _row, _ap, job in items], concurrency=concurrency)
        results: Results[PushResult] = Results()
        for (row, ap, _job), got in zip(items, fetched, strict=True):
            if got.status == "unreachable":
                continue  # tried again by the next config command
            results.append(self._record_reconciled(row, ap, got.text if got.ok else None, got.reason))
        return results

    def _record_reconciled(
        self, row: dict[str, Any], ap: dict[str, Any], running: str | None, unreadable: str | None = None
    ) -> PushResult:
        try:
            intended = _unseal(row["sealed"])
        except SecretError:  # without the key the intent cannot be compared
            intended = ""
        from netctl.drivers.plan import partial_compare
        from netctl.push.targeted import TARGETED_ACTIONS

        comparer = partial_compare if row["action"] in TARGETED_ACTIONS else compare
        on_it = running is not None and bool(intended) and not comparer(intended, running, ap["platform"]).changed
        when = f"{row['action']} run {row['run']} by {row['who']} ended before recording this AP"
        now = _now()
        if on_it:
            result = PushResult(ap["name"], True, "applied", changed=True, template=row["template"],
                                reason=f"reconciled: {when}; the AP runs the configuration it sent",
                                rendered_hash=row["intended_hash"])
        elif running is None:
            result = PushResult(ap["name"], False, "failed", template=row["template"],
                                reason=f"reconciled: {when}; reading it back failed ({unreadable}); run netctl "
                                "push again", rendered_hash=row["intended_hash"])
        else:
            result = PushResult(ap["name"], False, "failed", template=row["template"],
                                reason=f"reconciled: {when}; the AP does not run what it sent (rolled back or "
                                "never committed); run netctl push again", rendered_hash=row["intended_hash"])
        with transaction(self.db):
            if on_it and running is not None:
                result.version, _ = self._store_version(ap, running, row["action"])
                self._set_status(ap["name"], "applied", reason=None, version=result.version,
                                 template=row["template"], intended_hash=row["intended_hash"], last_attempt=now)
            else:
                self._set_status(ap["name"], "failed", reason=result.reason, template=row["template"],
                                 intended_hash=row["intended_hash"], last_attempt=now)
            self._audit(row["run"], ap["name"], row["action"], f"reconcile of run {row['run']}", row["template"],
                        row["intended_hash"], "reconciled", result.reason, ts=now)
            journal.release(self.db, row["run"], ap["name"])
        return result

    def _record(
        self,
        ap: dict[str, Any],
        rendered: RenderResult,
        result: PushResult,
        run_id: str,
        action: str,
        selection: Selection,
        template: str | None,
        dry_run: bool,
        targeted: bool = False,
    ) -> None:
        """Config status, the version applied and the audit row of one AP's result, in one transaction.

        A ``targeted`` change (one setting, not the template's config) keeps the AP's config status
        apart from ``pending`` (unreachable: converge pushes the full config, which carries the wish
        from the inventory); it stores the config the AP runs afterwards as a version.
        """
        now = _now()
        intended = mask(rendered.text, ap["platform"], rendered.secrets) if rendered.text else None
        with transaction(self.db):
            if targeted and not dry_run:
                if result.ok and result.running_after:
                    result.version, _ = self._store_version(ap, result.running_after, action, rendered.secrets)
                elif result.status == "pending":
                    self._set_status(ap["name"], "pending", reason=result.reason, template=None,
                                     last_attempt=now)
            elif not dry_run:
                if result.ok and result.status in ("applied", "unchanged"):
                    if result.running_after:
                        result.version, _ = self._store_version(ap, result.running_after, action, rendered.secrets)
                    self._set_status(
                        ap["name"],
                        "applied",
                        reason=None,
                        version=result.version,
                        template=result.template,
                        intended_hash=rendered.hash,
                        intended=intended,
                        diff=result.diff,
                        last_attempt=now,
                    )
                elif result.status == "pending":
                    self._set_status(
                        ap["name"],
                        "pending",
                        reason=result.reason,
                        template=template,
                        intended_hash=rendered.hash,
                        intended=intended,
                        diff=result.diff,
                        last_attempt=now,
                    )
                elif result.status in ("skipped", "busy"):
                    pass  # a staged rollout stopped before this AP, or another run holds it: nothing sent
                elif not result.ok:
                    self._set_status(
                        ap["name"],
                        "failed",
                        reason=result.reason,
                        template=template,
                        intended_hash=rendered.hash,
                        intended=intended,
                        last_attempt=now,
                    )
            self._audit(run_id, ap["name"], action, selection.describe(), result.template or template,
                        rendered.hash, result.status, result.reason, ts=now, diff=result.diff,
                        rpc_error_tag=result.rpc_error_tag, dry_run=int(dry_run), transcript=result.transcript)
            if result.status == "unsettled":
                journal.leave_unsettled(self.db, run_id, ap["name"])
            else:
                journal.release(self.db, run_id, ap["name"])

    def converge(
        self,
        selection: Selection | str | Sequence[str] | None = None,
        *,
        concurrency: int = 20,
        confirm_timeout: int = 60,
        progress: Progress | None = None,
        workers: int | None = None,
    ) -> Results[PushResult]:
        """Push APs marked ``pending`` (unreachable at their last push) that are in ``selection``."""
        self.session.require("push")
        selection = _as_selection(selection)
        pending = {r["ap"]: r for r in self.db.table("config_status").rows_where("status = 'pending'")}
        plans = []
        for ap in self.session.select(selection):
            if ap["name"] not in pending:
                continue
            template = pending[ap["name"]]["template"]
            if template and template.startswith(VERSION_LABEL):  # a restore that found the AP away
                plans.append((ap, self._version_plan(ap, int(template[len(VERSION_LABEL) :]))))
            else:
                plans.append((ap, self._render_one(ap, template, resolve=True)))
        return self._push_plans(
            plans, selection, "converge", None, False, concurrency, confirm_timeout, progress, workers
        )

    def converge_returned(
        self, answered: Sequence[str], *, now: dt.datetime | None = None, concurrency: int = 20
    ) -> Results[PushResult]:
        """Push the pending config of APs a poll just saw answer (automatic convergence).

        Which of them are due is :func:`netctl.push.autoconverge.due` (back-off, bounded tries, depot
        windows). The push is a plain ``converge`` (audited as such); a failed try moves the AP's next
        try out and says so in its config status. Needs the ``push`` right (PermissionDenied otherwise).
        """
        from netctl.poll.store import depot_windows, in_depot
        from netctl.push import autoconverge

        self.session.require("push")
        now = now or dt.datetime.now(dt.UTC)
        pending = list(self.db.table("config_status").rows_where("status = 'pending'"))
        if not pending or not answered:
            return Results()
        by_name = {ap["name"]: ap for ap in self.session.select(Selection(names=tuple(sorted(set(answered)))))}
        windows = depot_windows(self.db)

        def in_window(name: str) -> bool:
            ap = by_name.get(name)
            if ap is None:
                return False
            merged = self._variables(ap)
            vehicle = ap.get("site") in windows or bool(merged.get("depot_window"))
            return not vehicle or in_depot(ap, windows, now.timestamp(), merged)

        names = autoconverge.due(pending, by_name, now, in_window)
        if not names:
            return Results()
        retries = {row["ap"]: int(row.get("retries") or 0) for row in pending}
        results = self.converge(names, concurrency=concurrency)
        with transaction(self.db):
            for result in results:
                if result.ok:
                    continue
                fields = autoconverge.after_failure(retries.get(result.ap, 0) + 1, now)
                reason = f"{result.reason or result.status}; {autoconverge.describe(fields)}"
                self.db.execute(
                    "update config_status set retries = ?, retry_at = ?, reason = ? where ap = ?",
                    [fields["retries"], fields["retry_at"], reason, result.ap],
                )
        return results

    # -- backups, history, restore --------------------------------------------------------------
    def backup(
        self,
        selection: Selection | str | Sequence[str] | None = None,
        *,
        concurrency: int = 20,
        progress: Progress | None = None,
        workers: int | None = None,
    ) -> Results[BackupResult]:
        """Store each AP's running config as a version (identical ones are not stored twice).

        The configs are read on threads, or by worker processes from 25 APs on (see ``push``).
        """
        from netctl.push.worker import run_fetches

        self.session.require("backup")
        self.reconcile()
        aps = self.session.select(_as_selection(selection))
        results: dict[str, BackupResult] = {}
        items = []
        for ap in aps:
            try:
                items.append((ap, self._target(ap)))
            except NetctlError as exc:
                results[ap["name"]] = BackupResult(ap["name"], False, "failed", reason=exc.message, **caught(exc))

        fetched = run_fetches(
            [self._fetch_job(ap, target) for ap, target in items],
            concurrency=concurrency,
            workers=workers,
            progress=progress,
        )
        for (ap, _), got in zip(items, fetched, strict=True):
            self._host_key_seen(ap, got.host_key, got.host_key_refused, "backup")
            if not got.ok or got.text is None:
                results[ap["name"]] = BackupResult(
                    ap["name"], False, got.status, reason=got.reason, exception=got.exception, traceback=got.traceback
                )
                continue
            with transaction(self.db):
                version, created = self._store_version(ap, got.text, "backup", self._known_secrets(ap))
            results[ap["name"]] = BackupResult(ap["name"], True, "stored" if created else "unchanged", version)
        return Results(results[ap["name"]] for ap in aps)

    def _known_secrets(self, ap: dict[str, Any]) -> list[str]:
        """Secret values this AP's template uses (to mask them in backups); empty when unresolvable."""
        rendered = self._render_one(ap, None, resolve=True)
        return rendered.secrets if rendered.ok else []

    def history(self, ap: str) -> list[dict[str, Any]]:
        """Stored versions of an AP, newest first (no config text)."""
        self.session.require("view")
        self.session.get_ap(ap)
        return [
            {k: row[k] for k in ("version", "created", "source", "hash", "format")}
            for row in self.db.table("config_versions").rows_where("ap = ?", [ap], order_by="version desc")
        ]

    def show_config(self, ap: str, version: int | None = None) -> dict[str, Any]:
        """One stored version (masked text); the latest without ``version``."""
        self.session.require("view")
        self.session.get_ap(ap)
        where, args = ("ap = ? and version = ?", [ap, version]) if version else ("ap = ?", [ap])
        rows = list(self.db.table("config_versions").rows_where(where, args, order_by="version desc", limit=1))
        if not rows:
            raise NotFound(
                f"{ap}: no stored config" + (f" version {version}" if version else ""),
                hint=f"list versions with: netctl history {ap}; store one with: netctl backup {ap}",
            )
        row = rows[0]
        return {k: row[k] for k in ("ap", "version", "created", "source", "hash", "format", "text")}

    def restore(
        self,
        ap: str,
        version: int,
        *,
        confirm_timeout: int = 60,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> PushResult:
        """Push stored version ``version`` back through the same safe path as a push."""
        self.session.require("restore")
        row = self.session.get_ap(ap)
        rendered = self._version_plan(row, version)
        return self._push_plans(
            [(row, rendered)],
            Selection(names=(ap,)),
            "restore",
            rendered.template,
            dry_run,
            1,
            confirm_timeout,
            progress,
        )[0]

    def _version_plan(self, row: dict[str, Any], version: int) -> RenderResult:
        """A stored version as the config a push sends (NotFound / RenderError when it cannot be)."""
        ap = row["name"]
        rows = list(self.db.table("config_versions").rows_where("ap = ? and version = ?", [ap, version]))
        if not rows:
            raise NotFound(f"{ap}: no stored config version {version}", hint=f"list versions with: netctl history {ap}")
        try:
            text = _unseal(rows[0]["sealed"])
        except SecretError as exc:
            raise RenderError(
                f"{ap}: version {version} cannot be decrypted with this secret store key",
                hint="use the key the versions were stored with (NETCTL_SECRET_KEY)",
            ) from exc
        config = restore_commands(text, row["platform"])
        return RenderResult(
            ap,
            row["platform"],
            f"{VERSION_LABEL}{version}",
            get_platform(row["platform"]).config_format or "",
            True,
            text=config,
            hash=config_hash(config),
            secrets=self._known_secrets(row),
        )

    # -- drift, status, audit -------------------------------------------------------------------
    def drift(
        self,
        selection: Selection | str | Sequence[str] | None = None,
        *,
        concurrency: int = 20,
        progress: Progress | None = None,
        workers: int | None = None,
    ) -> Results[DiffResult]:
        """Running vs intended per AP; drifted APs are marked ``drifted``, APs back in sync ``applied``."""
        self.session.require("drift")
        results = self._compare_all(_as_selection(selection), None, False, concurrency, progress, workers, "drift")
        with transaction(self.db):
            for r in results:
                if r.status == "changed":
                    r.status = "drifted"
                    self._set_status(
                        r.ap,
                        "drifted",
                        reason="running config differs from intended",
                        diff=r.diff,
                        intended_hash=r.rendered_hash,
                        last_attempt=_now(),
                    )
                elif r.status == "in-sync":
                    current = (
                        self.db.table("config_status").get(r.ap)
                        if self.db.table("config_status").count_where("ap = ?", [r.ap])
                        else None
                    )
                    if current and current["status"] == "drifted":
                        self._set_status(r.ap, "applied", reason=None, diff="")
        return results

    def config_status(self, selection: Selection | str | Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Config status per selected AP (``unknown`` where nothing was pushed or checked yet)."""
        self.session.require("view")
        aps = self.session.select(_as_selection(selection))
        rows = {r["ap"]: r for r in self.db.table("config_status").rows}
        out = []
        for ap in aps:
            row = rows.get(ap["name"]) or {"ap": ap["name"], "status": "unknown"}
            out.append(
                {
                    k: row.get(k)
                    for k in (
                        "ap",
                        "status",
                        "reason",
                        "version",
                        "template",
                        "intended_hash",
                        "last_attempt",
                        "updated",
                    )
                }
            )
        return out

    def audit(
        self, since: str | dt.datetime | None = None, ap: str | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Audit rows, newest first; ``since`` is an ISO time or a datetime. Only APs in scope are shown."""
        self.session.require("view")
        where, args = [], []
        if since:
            where.append("ts >= ?")
            args.append(since_to_iso(since))
        if ap:
            where.append("ap = ?")
            args.append(ap)
        visible = {row["name"] for row in self.session.select()}
        rows = self.db.table("audit").rows_where(" and ".join(where) or None, args, order_by="id desc", limit=limit)
        return [dict(r) for r in rows if r["ap"] in visible]


__all__ = ["BackupResult", "ConfigService", "DiffResult", "PushResult"]
