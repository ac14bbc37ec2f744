"""Config jobs as plain functions over ``(db_path, selection_json, …)`` returning per-AP result dicts.

They open their own facade, so the scheduler can run them in-process, in a worker process or on a
task queue without change. Results are JSON-ready dicts (the stable shape of ``--json``).
"""

from __future__ import annotations

from typing import Any

from netctl.selection import Selection


def _api(db_path: str, user: str | None) -> Any:
    from netctl.api import Netctl

    return Netctl(db_path, user=user)


def push_job(
    db_path: str,
    selection_json: str,
    *,
    template: str | None = None,
    dry_run: bool = False,
    concurrency: int = 20,
    confirm_timeout: int = 60,
    user: str | None = None,
) -> list[dict[str, Any]]:
    api = _api(db_path, user)
    try:
        return [
            r.as_dict()
            for r in api.push(
                Selection.from_json(selection_json),
                template=template,
                dry_run=dry_run,
                concurrency=concurrency,
                confirm_timeout=confirm_timeout,
            )
        ]
    finally:
        api.close()


def converge_job(
    db_path: str,
    selection_json: str,
    *,
    concurrency: int = 20,
    confirm_timeout: int = 60,
    user: str | None = None,
) -> list[dict[str, Any]]:
    api = _api(db_path, user)
    try:
        return [
            r.as_dict()
            for r in api.converge(
                Selection.from_json(selection_json), concurrency=concurrency, confirm_timeout=confirm_timeout
            )
        ]
    finally:
        api.close()


def backup_job(
    db_path: str, selection_json: str, *, concurrency: int = 20, user: str | None = None
) -> list[dict[str, Any]]:
    api = _api(db_path, user)
    try:
        return list(api.backup(Selection.from_json(selection_json), concurrency=concurrency))
    finally:
        api.close()


def drift_job(
    db_path: str, selection_json: str, *, concurrency: int = 20, user: str | None = None
) -> list[dict[str, Any]]:
    api = _api(db_path, user)
    try:
        return list(api.drift(Selection.from_json(selection_json), concurrency=concurrency))
    finally:
        api.close()
