"""Config jobs as plain functions over ``(db_path, selection_json, …)`` returning per-AP result dicts.

They open their own facade, so the scheduler can run them in-process, in a worker process or on a
task queue without change. Results are JSON-ready dicts (the stable shape of ``--json``). Options
come as keyword arguments or, from the scheduler, as ``options`` (a dict or its JSON text):
``template``, ``dry_run``, ``concurrency``, ``confirm_timeout``, ``workers`` (push and converge);
``canary``, ``wave_size``, ``max_failures`` (a staged push).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from netctl.selection import Selection

if TYPE_CHECKING:
    from netctl.api import Netctl

#: one operation of the config service over a selection, with its options
Operation = Callable[["Netctl", Selection, dict[str, Any]], Sequence[Any]]


def _run(
    db_path: str, user: str | None, operation: Operation, selection_json: str, opts: dict[str, Any]
) -> list[dict[str, Any]]:
    """Open a facade as ``user``, run ``operation`` over the selection, close it; results as dicts."""
    from netctl.api import Netctl

    api = Netctl(db_path, user=user)
    try:
        results = operation(api, Selection.from_json(selection_json), opts)
        return [r.to_dict() for r in results]
    finally:
        api.close()


def _options(options: str | dict[str, Any] | None, **given: Any) -> dict[str, Any]:
    merged = json.loads(options) if isinstance(options, str) else dict(options or {})
    merged.update({k: v for k, v in given.items() if v is not None})
    return merged


def push_job(
    db_path: str,
    selection_json: str = "{}",
    *,
    template: str | None = None,
    dry_run: bool | None = None,
    concurrency: int | None = None,
    confirm_timeout: int | None = None,
    user: str | None = None,
    options: str | dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Render and push the selection (see ``Netctl.push``)."""
    opts = _options(
        options, template=template, dry_run=dry_run, concurrency=concurrency, confirm_timeout=confirm_timeout
    )
    return _run(db_path, user, lambda api, chosen, opts: api.config.push(chosen, **opts), selection_json, opts)


def converge_job(
    db_path: str,
    selection_json: str = "{}",
    *,
    concurrency: int | None = None,
    confirm_timeout: int | None = None,
    user: str | None = None,
    options: str | dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Push the pending APs of the selection (those unreachable at their last push)."""
    opts = _options(options, concurrency=concurrency, confirm_timeout=confirm_timeout)
    return _run(db_path, user, lambda api, chosen, opts: api.config.converge(chosen, **opts), selection_json, opts)


def backup_job(
    db_path: str,
    selection_json: str = "{}",
    *,
    concurrency: int | None = None,
    user: str | None = None,
    options: str | dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Store the running configs of the selection as versions."""
    opts = _options(options, concurrency=concurrency)
    return _run(db_path, user, lambda api, chosen, opts: api.config.backup(chosen, **opts), selection_json, opts)


def drift_job(
    db_path: str,
    selection_json: str = "{}",
    *,
    concurrency: int | None = None,
    user: str | None = None,
    options: str | dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Compare running with intended configs and mark drifted APs."""
    opts = _options(options, concurrency=concurrency)
    return _run(db_path, user, lambda api, chosen, opts: api.config.drift(chosen, **opts), selection_json, opts)
