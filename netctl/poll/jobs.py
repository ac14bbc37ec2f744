"""Poll and retention as plain job functions: picklable arguments in, per-AP result dicts out.

They open their own facade on ``db_path``, so they run the same in the scheduler's threads, in a
worker process, from cron (``netctl poll``) or on a task queue later.
"""

from __future__ import annotations

import json
from typing import Any

#: job options passed on to Netctl.poll (``deadline`` bounds the poll; ``deadline_s`` bounds the run)
POLL_OPTIONS = ("concurrency", "timeout", "retries", "workers", "deadline")


def poll_job(db_path: str, selection_json: str = "{}", *, user: str | None = None,
             options: str | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Poll the selection and record it; one dict per AP (ap, ok, state, latency_ms, error_kind, error).

    Pending APs that answered get their pending config pushed (automatic convergence, when the job's
    user may push; option ``converge: false`` turns it off); their dicts say how (``converge``).
    """
    from netctl.api import Netctl
    from netctl.selection import Selection

    opts = json.loads(options) if isinstance(options, str) else dict(options or {})
    nc = Netctl(db_path, user=user)
    converged: dict[str, str] = {}
    try:
        results = nc.monitor.poll(Selection.from_json(selection_json or "{}"),
                          **{k: v for k, v in opts.items() if k in POLL_OPTIONS})
        if opts.get("converge", True) and nc.session.can("push"):
            # automatic convergence: pending APs that answered get their config now (netctl.push.autoconverge)
            converged = {r.ap: r.status for r in nc.config.converge_returned([r.ap for r in results if r.ok])}
    finally:
        nc.close()
    return [{"ap": r.ap, "ok": r.ok, "state": r.state, "latency_ms": r.latency_ms, "error_kind": r.error_kind,
             "error": r.error, **({"converge": converged[r.ap]} if r.ap in converged else {})} for r in results]


def retention_job(db_path: str, selection_json: str = "{}", *, user: str | None = None,
                  options: str | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Roll samples up and delete old ones; one summary dict."""
    from netctl.api import Netctl

    nc = Netctl(db_path, user=user)
    try:
        summary = nc.monitor.apply_retention()
    finally:
        nc.close()
    return [{"ap": None, "ok": True, **summary}]
