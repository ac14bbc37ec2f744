"""Notification transports for alerts: a webhook (JSON POST), a command hook, and plugins.

These notifiers hand each alert event, as it is, to machines (scripts, ticket systems): the
webhook's payload is the event JSON, a stable interface, which is why it is not an Apprise URL.
Messages for people (e-mail, Matrix, Teams, Telegram, … grouped per site, with quiet hours) go
through alert routes and Apprise: :mod:`netctl.notify.routes` (pure) and :mod:`netctl.notify.outbox`.

A notifier is anything with ``send(event: dict) -> None`` that raises on failure; it is built from a
row of the ``notifiers`` table (kind, target, options). Built-in kinds are ``webhook`` and
``command``; a third party adds a kind through the entry point group ``netctl.notifiers``::

    [project.entry-points."netctl.notifiers"]
    matrix = "netctl_matrix:MatrixNotifier"     # called as MatrixNotifier(target, **options)

Kinds are held by one :class:`~netctl.registry.Registry`: a plugin that names a built-in kind, or two
plugins that name the same one, raise :class:`~netctl.registry.NameClash` naming both.

:func:`notify` never raises: each delivery is returned as data (ok / error), so one dead webhook
never stops the others or the poll that raised the alert.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

import sqlite_utils

from netctl.errors import ConfigError
from netctl.registry import Registry, import_spec

ENTRY_POINT_GROUP = "netctl.notifiers"
#: notifier kind -> ``module:Class``, imported on first use: the built-ins, then the entry points
NOTIFIERS: Registry[str] = Registry("notifier kind", ENTRY_POINT_GROUP, load_value=True)
NOTIFIERS.register("webhook", "netctl.notify.webhook:WebhookNotifier")
NOTIFIERS.register("command", "netctl.notify.command:CommandNotifier")


class Notifier(Protocol):
    def send(self, event: dict[str, Any]) -> None: ...


def available_kinds() -> list[str]:
    """Built-in kinds plus those installed through the ``netctl.notifiers`` entry point group."""
    return sorted(NOTIFIERS)


def load_notifier(kind: str, target: str, options: dict[str, Any] | None = None) -> Notifier:
    """Build a notifier of ``kind``. Raises ConfigError naming the kinds available (NameClash when
    two packages define ``kind``)."""
    spec = NOTIFIERS.get(kind)
    if spec is None:
        raise ConfigError(f"unknown notifier kind {kind!r}",
                          hint="use one of: " + ", ".join(available_kinds())
                          + f" (plugins: entry point group {ENTRY_POINT_GROUP})")
    return import_spec(spec)(target, **(options or {}))  # type: ignore[no-any-return]


def configured(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The enabled notifiers of the database."""
    if "notifiers" not in db.table_names():
        return []
    rows = []
    for row in db.table("notifiers").rows_where("enabled = 1", order_by="name"):
        row["options"] = json.loads(row.get("options") or "{}")
        rows.append(row)
    return rows


def notify(db: sqlite_utils.Database, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send each event through every enabled notifier; one result dict per delivery, never raises."""
    events = list(events)
    if not events:
        return []
    results: list[dict[str, Any]] = []
    for row in configured(db):
        try:
            notifier = load_notifier(row["kind"], row["target"], row["options"])
        except Exception as exc:  # noqa: BLE001 - a broken notifier is reported, not raised
            results.extend({"notifier": row["name"], "alert": e.get("id"), "ok": False, "error": str(exc)}
                           for e in events)
            continue
        for event in events:
            try:
                notifier.send(event)
                results.append({"notifier": row["name"], "alert": event.get("id"), "ok": True, "error": None})
            except Exception as exc:  # noqa: BLE001 - delivery failures are data
                results.append({"notifier": row["name"], "alert": event.get("id"), "ok": False,
                                "error": f"{type(exc).__name__}: {exc}"})
    return results
