"""Firmware of the facade: ``Netctl.firmware`` stores images, plans and runs upgrades.

An upgrade goes AP by AP over SSH (:mod:`netctl.firmware.run`) in waves (a canary first), only for APs
in an active maintenance window (``netctl maintenance add``) or, for vehicles, their depot window, unless
the caller says ``now``. Firmware cannot be rolled back automatically: the first AP that fails (the
image is refused, the AP does not come back, runs another version, or, where its platform has that check,
is not well over SNMP afterwards) stops the rollout, its further waves come back ``skipped``, and a
critical ``firmware`` alert is raised.
Every AP's outcome is audited (action ``firmware-upgrade``).

An upgrade can also wait for its night: :meth:`FirmwareService.schedule` stores it as a scheduled job
of kind ``firmware`` (:func:`firmware_job`) owned by the caller, run once by the scheduler at the time
given (job options ``at`` and ``once``), as its owner with the owner's rights checked again then.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netctl.errors import ConfigError, NotFound
from netctl.firmware.plan import (
    UNREACHABLE,
    UNSUPPORTED,
    UP_TO_DATE,
    UPGRADE,
    FirmwareResult,
    action,
    refuse_image,
)
from netctl.platforms import Platform, get_platform
from netctl.poll.ops import as_selection
from netctl.results import Results
from netctl.runner import Event, Progress, run_threads
from netctl.selection import Selection

if TYPE_CHECKING:
    from netctl.core import Session
    from netctl.drivers import Target
    from netctl.inventory.ops import InventoryService
    from netctl.push.ops import ConfigService
    from netctl.schedule.ops import JobService

#: the audit's action for each AP of an upgrade
AUDIT_ACTION = "firmware-upgrade"
#: the alert kind a failed upgrade raises
ALERT_KIND = "firmware"
#: the job kind of a scheduled upgrade (:func:`firmware_job`)
JOB_KIND = "firmware"
#: a scheduled upgrade whose scheduler was down at its time still runs this late (seconds), not later
LATE_S = 3600.0


def supports_firmware(platform: Platform) -> bool:
    return bool(platform.firmware_version_command and platform.firmware_install_command
                and platform.firmware_upload_command)


def firmware_dir(db_path: str) -> Path:
    """Where images are kept: ``$NETCTL_FIRMWARE_DIR``, else ``<database>.firmware`` beside the database."""
    configured = os.environ.get("NETCTL_FIRMWARE_DIR")
    if configured:
        return Path(configured)
    if db_path in ("", ":memory:"):
        raise ConfigError("an in-memory database has no firmware folder", hint="set NETCTL_FIRMWARE_DIR")
    return Path(f"{db_path}.firmware")


class FirmwareService:
    """Firmware images and upgrades: ``Netctl.firmware``. Given the session, the inventory service (the
    APs' variables: depot windows), the config service (targets with pinned host keys, the audit) and
    the job service (scheduled upgrades)."""

    def __init__(self, session: Session, *, inventory: InventoryService, config: ConfigService,
                 jobs: JobService) -> None:
        self.session = session
        self.db = session.db
        self.inventory = inventory
        self.config = config
        self.jobs = jobs

    def _target(self, ap: dict[str, Any]) -> Target:
        """Where the AP's firmware commands go: its config target (credentials, pinned host keys), on its
        platform's ``firmware_port`` where that is not the AP's own port (a 9800: NETCONF 830, CLI 22)."""
        target = self.config._target(ap)
        port = get_platform(ap["platform"]).firmware_port
        return dataclasses.replace(target, port=port) if port else target  # type: ignore[no-any-return]

    # -- images ----------------------------------------------------------------------------------
    def add(self, file: str | Path, *, platform: str, version: str) -> dict[str, Any]:
        """Store ``file`` as the image of ``version`` for ``platform`` (copied into the firmware folder,
        mode 0700). Raises ConfigError when it is not an image of that platform and version (see
        :func:`netctl.firmware.plan.refuse_image`) or that version is stored already, NotFound when the
        file is missing."""
        self.session.require("push")
        definition = get_platform(platform)
        if not supports_firmware(definition):
            raise ConfigError(f"netctl does not upgrade platform {platform!r}",
                              hint="platforms with firmware commands: " + ", ".join(_upgradable()))
        source = Path(file)
        if not source.is_file():
            raise NotFound(f"no file {str(source)!r}", hint="give the path of the image file")
        with open(source, "rb") as fh:
            head = fh.read(256)
        why = refuse_image(head, source.stat().st_size, platform, version)
        if why:
            raise ConfigError(f"{source.name} is not an image of {platform} {version}: {why}",
                              hint="check the file and the --platform and --version given")
        if self.db.table("firmware").count_where("platform = ? and version = ?", [platform, version]):
            raise ConfigError(f"{platform} {version} is stored already",
                              hint="netctl firmware list shows it; a rebuilt image needs a version of its own")
        folder = firmware_dir(self.session.db_path)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        name = f"{platform}-{version}-{uuid.uuid4().hex[:8]}.bin"
        digest, size = hashlib.sha256(), 0
        part = folder / (name + ".part")
        with open(source, "rb") as src, open(part, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        os.chmod(part, 0o600)
        part.replace(folder / name)
        row = {"platform": platform, "version": version, "file": name, "sha256": digest.hexdigest(), "size": size,
               "source": source.name, "who": self.session.who(), "added": _now()}
        row["id"] = self.db.table("firmware").insert(row).last_pk
        return row

    def list_images(self, platform: str | None = None) -> list[dict[str, Any]]:
        """The stored images (newest first), with their file's path."""
        self.session.require("view")
        where, args = ("platform = ?", [platform]) if platform else (None, [])
        folder = firmware_dir(self.session.db_path)
        return [{**row, "path": str(folder / row["file"])}
                for row in self.db.table("firmware").rows_where(where, args, order_by="id desc")]

    def image(self, platform: str, version: str) -> dict[str, Any] | None:
        rows = [r for r in self.list_images(platform) if r["version"] == version]
        return rows[0] if rows else None

    # -- plan ------------------------------------------------------------------------------------
    def windows(self, aps: Sequence[dict[str, Any]], now: float | None = None) -> dict[str, str]:
        """AP name -> the window that allows an upgrade now: an active maintenance window, or a
        vehicle's depot window (as automatic convergence uses them)."""
        from netctl.poll.store import active_maintenance, depot_windows, in_depot

        stamp = time.time() if now is None else now
        maintenance = active_maintenance(self.db, stamp)
        depots = depot_windows(self.db)
        out: dict[str, str] = {}
        for ap in aps:
            if ap["name"] in maintenance:
                out[ap["name"]] = f"maintenance: {maintenance[ap['name']]}"
                continue
            merged = dict(self.inventory.merged_vars(ap))
            site_window = depots.get(ap.get("site") or "")
            window = merged.get("depot_window") or (site_window[0] if site_window else None)
            if window and in_depot(ap, depots, stamp, merged):
                out[ap["name"]] = f"depot: {window}"
        return out

    def plan(self, selection: Selection | str | Sequence[str] | None, *, version: str, now: float | None = None,
             concurrency: int = 20, progress: Progress | None = None) -> Results[FirmwareResult]:
        """Per selected AP: the version it runs (read over SSH), the target, what an upgrade would do
        (``status``: upgrade, up-to-date, unsupported platform, unreachable) and the window that allows it
        now (``window``; None: an upgrade needs ``now``). Nothing is changed."""
        self.session.require("view")
        aps = self.session.select(as_selection(selection))
        windows = self.windows(aps, now)
        return Results(self._read_versions(aps, version, windows, concurrency, progress))

    def _read_versions(self, aps: list[dict[str, Any]], version: str, windows: dict[str, str], concurrency: int,
                       progress: Progress | None) -> list[FirmwareResult]:
        from netctl.drivers import Transcript
        from netctl.errors import HostKeyError, NetctlError
        from netctl.firmware.run import read_version

        def read(item: tuple[dict[str, Any], Any]) -> FirmwareResult:
            ap, target = item
            platform = get_platform(ap["platform"])
            planned = FirmwareResult(ap["name"], platform.name, True, UNSUPPORTED, target=version,
                                     window=windows.get(ap["name"]))
            if target is None:
                return planned
            transcript = Transcript()
            try:
                planned.current = read_version(target, platform, transcript)
            except HostKeyError as exc:
                planned.reason, planned.exception = exc.message, exc
                planned.host_key, planned.host_key_refused = exc.offered, True
            except NetctlError as exc:
                planned.reason, planned.exception = exc.message, exc
            planned.status = action(True, planned.current, version)
            planned.ok = planned.status != UNREACHABLE
            planned.host_key = planned.host_key or transcript.host_key
            return planned

        items: list[tuple[dict[str, Any], Any]] = []
        done: dict[str, FirmwareResult] = {}
        for ap in aps:
            target = None
            if supports_firmware(get_platform(ap["platform"])):
                try:
                    target = self._target(ap)
                except NetctlError as exc:  # e.g. its credentials cannot be resolved
                    done[ap["name"]] = FirmwareResult(ap["name"], ap["platform"], False, UNREACHABLE,
                                                      target=version, window=windows.get(ap["name"]),
                                                      reason=exc.message, exception=exc)
                    continue
            items.append((ap, target))
        read_results = run_threads(items, read, key=lambda item: str(item[0]["name"]), concurrency=concurrency,
                                   progress=progress)
        for result in read_results:
            done[result.ap] = result
        by_name = {ap["name"]: ap for ap in aps}
        for result in read_results:
            self.config._host_key_seen(by_name[result.ap], result.host_key, result.host_key_refused, "firmware-plan")
        for result in done.values():
            image = self.image(result.platform, version) if result.status == UPGRADE else None
            if result.status == UPGRADE and image is None:
                result.reason = f"no image of {result.platform} {version} stored: netctl firmware add FILE " \
                                f"--platform {result.platform} --version {version}"
        return [done[ap["name"]] for ap in aps]

    # -- upgrade ---------------------------------------------------------------------------------
    def upgrade(self, selection: Selection | str | Sequence[str] | None, *, version: str, canary: int = 0,
                wave_size: int | None = None, now: bool = False, concurrency: int = 10,
                gate_min_clients: float = 0.8, gate_timeout: float = 60.0, reboot_timeout: float | None = None,
                progress: Progress | None = None) -> Results[FirmwareResult]:
        """Upgrade the selected APs to ``version`` in waves; one FirmwareResult per AP (see the module
        docstring). ``now``: also APs outside a window. ``reboot_timeout`` overrides the platform's bound
        on the wait for SSH after the install; ``gate_*`` are the health check's threshold and time."""
        from netctl.firmware.run import UpgradeJob, upgrade_one
        from netctl.push.plan import waves

        self.session.require("push")
        sel = as_selection(selection)
        planned = self.plan(sel, version=version, concurrency=concurrency)
        aps = {ap["name"]: ap for ap in self.session.select(sel)}
        run_id = uuid.uuid4().hex[:12]
        results: dict[str, FirmwareResult] = {}

        def finish(result: FirmwareResult) -> None:
            results[result.ap] = result
            self._audit(run_id, sel, aps[result.ap], result, version)
            if progress:
                progress(Event(result.ap, "done", result))

        candidates: list[FirmwareResult] = []
        for p in planned:
            if p.status == UPGRADE and p.reason and p.reason.startswith("no image"):
                finish(_as(p, "failed", stage="image"))
            elif p.status == UPGRADE and p.window is None and not now:
                finish(_as(p, "outside-window", reason="no maintenance or depot window is active now; add one "
                                                      "(netctl maintenance add) or give --now"))
            elif p.status == UPGRADE:
                candidates.append(p)
            else:
                status = {UP_TO_DATE: "up-to-date", UNSUPPORTED: "unsupported", UNREACHABLE: "unreachable"}[p.status]
                finish(_as(p, status, reason=p.reason or ("netctl does not upgrade this platform"
                                                         if status == "unsupported" else None)))
        stopped: str | None = None
        by_name = {p.ap: p for p in candidates}
        for number, wave in enumerate(waves(list(by_name), canary=canary, size=wave_size), start=1):
            if stopped is not None:
                for name in wave:
                    finish(_as(by_name[name], "skipped", wave=number, reason=f"not upgraded: {stopped}"))
                continue
            gated = [aps[name] for name in wave if get_platform(by_name[name].platform).firmware_health_gate]
            gates, refused = self._gates(gated, gate_min_clients, gate_timeout) if gated else ({}, {})
            jobs = []
            for name in wave:
                p = by_name[name]
                if name in refused:
                    finish(_as(p, "failed", wave=number, stage="health", reason=refused[name]))
                    continue
                platform = get_platform(p.platform)
                image = self.image(p.platform, version)
                assert image is not None  # checked above
                jobs.append(UpgradeJob(self._target(aps[name]), platform, str(p.current), version,
                                       image["path"], image["sha256"], window=p.window, wave=number,
                                       reboot_s=reboot_timeout or platform.firmware_reboot_s or 300.0,
                                       gate=gates.get(name)))
            for result in run_threads(jobs, upgrade_one, key=lambda job: job.target.ap, concurrency=concurrency,
                                      progress=_starts(progress)):
                self.config._host_key_seen(aps[result.ap], result.host_key, result.host_key_refused, AUDIT_ACTION)
                finish(result)
            failed = [name for name in wave if results[name].failed]
            if failed:
                stopped = f"the upgrade failed on {', '.join(failed)} in wave {number}"
                for name in failed:
                    self._alert(aps[name], results[name])
        return Results(results[name] for name in aps)

    def schedule(self, selection: Selection | str | Sequence[str] | None, *, version: str, at: str,
                 canary: int = 0, wave_size: int | None = None, now: bool = False,
                 gate_min_clients: float = 0.8, gate_timeout: float = 60.0, reboot_timeout: float | None = None,
                 clock: dt.datetime | None = None) -> dict[str, Any]:
        """Store an upgrade of the selected APs to ``version`` that the scheduler runs once at ``at``: a
        clock time today in the time zone of the first AP's site (``02:00``), an ISO date and time or a
        duration (``8h``), as ``netctl ssid off --until`` reads them. It is a job of kind ``firmware``
        owned by the caller (``netctl jobs list``; ``netctl jobs set NAME --disable`` cancels it), run
        as the owner with the owner's rights and scope checked again then, with the same rules as
        :meth:`upgrade` (a maintenance or depot window, unless ``now``); a run more than :data:`LATE_S`
        after ``at`` (the scheduler was down) upgrades nothing. Returns the job: ``{job, version, at,
        at_local, timezone, aps}``.

        Raises ConfigError (``at`` cannot be read or has passed, no selected AP can be upgraded, an image
        is missing), NotFound (a selection outside the caller's scope), PermissionDenied.
        """
        from netctl import timers

        self.session.require("push")
        sel = as_selection(selection)
        aps = self.session.select(sel)
        platforms = sorted({ap["platform"] for ap in aps if supports_firmware(get_platform(ap["platform"]))})
        if not platforms:
            raise ConfigError("none of the selected APs runs a platform netctl upgrades",
                              hint="platforms with firmware commands: " + ", ".join(_upgradable()))
        missing = [p for p in platforms if self.image(p, version) is None]
        if missing:
            raise ConfigError(f"no image of {', '.join(missing)} {version} stored",
                              hint=f"add it first: netctl firmware add FILE --platform {missing[0]} "
                                   f"--version {version}")
        zone = self.session.site_timezone(aps[0]["site"]) if aps[0].get("site") else timers.DEFAULT_TIMEZONE
        moment = clock or dt.datetime.now(dt.UTC)
        when = timers.parse_until(at, moment, zone, flag="--at")
        name = f"firmware-{version}-{uuid.uuid4().hex[:6]}"
        options = {"at": when.isoformat(timespec="seconds"), "once": True, "version": version, "canary": canary,
                   "wave_size": wave_size, "now": now, "gate_clients": gate_min_clients, "gate_timeout": gate_timeout,
                   "reboot_timeout": reboot_timeout, "late_s": LATE_S}
        self.jobs.set_job(name, job=JOB_KIND, interval_s=60.0, selection=sel, options=options)
        return {"job": name, "version": version, "at": options["at"], "timezone": zone,
                "at_local": timers.until_text(when, zone, moment), "aps": [ap["name"] for ap in aps]}

    def _gates(self, aps: list[dict[str, Any]], min_clients: float,
               timeout: float) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """Each AP's health gate, with its clients measured now, and the APs that cannot be checked (no
        SNMP settings, no answer now), with why: those are not upgraded. Only APs of platforms with a
        health gate are given (``firmware_health_gate``); the others' results say they had none."""
        from netctl.poll.gate import gates_for
        from netctl.poll.ops import build_targets

        return gates_for(build_targets(self.db, aps), min_clients, timeout, label="health check", before="the upgrade",
                         advice="nothing was sent")

    def _alert(self, ap: dict[str, Any], result: FirmwareResult) -> None:
        from netctl.poll.store import raise_alert

        state = ("the AP began installing it, so it cannot be rolled back automatically: check it on site"
                 if result.installed else "nothing was installed")
        raise_alert(self.db, ap, ALERT_KIND,
                    f"firmware upgrade to {result.target} failed at {result.stage}: {result.reason}; {state}; "
                    "the rollout was stopped")

    def _audit(self, run_id: str, selection: Selection, ap: dict[str, Any], result: FirmwareResult,
               version: str) -> None:
        self.config._audit(run_id, ap["name"], AUDIT_ACTION, selection.describe(),
                           f"firmware {result.platform} {version}", None, result.status,
                           result.reason, transcript=result.transcript)


def firmware_job(db_path: str, selection_json: str = "{}", *, user: str | None = None,
                 options: str | dict[str, Any] | None = None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The scheduler's ``firmware`` job: one scheduled upgrade (:meth:`FirmwareService.schedule`) of the
    job's selection, as ``user`` (its owner), one dict per AP as ``netctl firmware upgrade --json``
    prints them. Options: ``version`` (required), ``at``/``late_s`` (a run later than that upgrades
    nothing and returns one failed entry saying so), ``canary``, ``wave_size``, ``now``, ``gate_clients``,
    ``gate_timeout``, ``reboot_timeout``. The audit names it ``@system (scheduled firmware upgrade …,
    run as USER)``. ``now`` is the clock (tests pass their own). Raises ConfigError without a version."""
    import json

    from netctl.api import Netctl
    from netctl.schedule.scheduler import job_not_before

    opts = json.loads(options) if isinstance(options, str) else dict(options or {})
    version = str(opts.get("version") or "")
    if not version:
        raise ConfigError("a firmware job needs the option version",
                          hint="schedule upgrades with: netctl firmware upgrade SELECTION --version V --at TIME")
    moment = (now or dt.datetime.now(dt.UTC)).timestamp()
    at = job_not_before(opts)
    late = float(opts.get("late_s") or LATE_S)
    if at is not None and moment > at + late:
        return [{"ok": False, "status": "missed", "target": version,
                 "reason": f"the upgrade was due at {opts.get('at')} and the scheduler ran it only "
                           f"{(moment - at) / 60:.0f} min later (more than {late / 60:g} min): nothing was upgraded; "
                           "schedule it again"}]
    api = Netctl(db_path, user=user)
    try:
        api.session.on_behalf = f"scheduled firmware upgrade to {version}"
        reboot = opts.get("reboot_timeout")
        results = api.firmware.upgrade(
            Selection.from_json(selection_json or "{}"), version=version, canary=int(opts.get("canary") or 0),
            wave_size=int(opts["wave_size"]) if opts.get("wave_size") else None, now=bool(opts.get("now")),
            gate_min_clients=float(opts.get("gate_clients") or 0.8),
            gate_timeout=float(opts.get("gate_timeout") or 60.0), reboot_timeout=float(reboot) if reboot else None)
        return [result.to_dict() for result in results]
    finally:
        api.close()


def _as(planned: FirmwareResult, status: str, **fields: Any) -> FirmwareResult:
    """An upgrade result for an AP that was not upgraded (from its plan)."""
    out = FirmwareResult(planned.ap, planned.platform, status in ("up-to-date",), status, current=planned.current,
                         target=planned.target, window=planned.window, reason=planned.reason,
                         host_key=planned.host_key)
    for name, value in fields.items():
        setattr(out, name, value)
    return out


def _starts(progress: Progress | None) -> Progress | None:
    """``progress`` for the "start" events only (the service sends each "done" once it is audited)."""
    if progress is None:
        return None
    forward = progress

    def started(event: Event) -> None:
        if event.stage == "start":
            forward(event)

    return started


def _upgradable() -> list[str]:
    from netctl.platforms import PLATFORMS

    return sorted(name for name in PLATFORMS if supports_firmware(PLATFORMS[name]))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


__all__ = ["FirmwareService", "firmware_dir", "firmware_job", "supports_firmware"]
