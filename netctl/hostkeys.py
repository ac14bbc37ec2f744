"""Pinned SSH host keys per AP, with OpenSSH semantics (``StrictHostKeyChecking accept-new``).

Every SSH connection netctl makes to an AP (NETCONF, CLI, backup, drift, restore, converge, in
worker processes too) compares the host key the AP offers with the keys pinned for that AP in the
``host_keys`` table, after the key exchange and before authentication:

* pinned key offered: go on;
* no key pinned yet: the offered key is pinned (first contact, ``accept-new``), unless the policy
  is ``strict`` (``$NETCTL_HOST_KEYS=strict``): then only pre-loaded keys are accepted;
* another key offered: the connection is refused before anything is sent (no password, no
  command); the error names both fingerprints, and an alert (``host-key-changed``) and an audit row
  (action ``host-key``, outcome ``refused``) are written.

Keys are pre-loaded with ``netctl hostkeys import KNOWN_HOSTS`` or ``netctl hostkeys trust AP``.
Keys travel to drivers as plain ``TYPE BASE64`` text in :class:`netctl.drivers.Target`; a key first
seen by a worker process comes back in its result and is pinned here, by the parent.

The pure logic (fingerprints, ``known_hosts`` parsing, the words of a refusal) is in
:mod:`netctl.hostkey_rules` (re-exported here); this module adds the table access and the facade
operations; the SSH side (paramiko) lives in :mod:`netctl.drivers.sshkeys`.

Raises: ConfigError (a malformed key or policy), NotFound (AP out of scope), PermissionDenied.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlite_utils

from netctl.core import Session
from netctl.errors import NotFound
from netctl.hostkey_rules import (  # noqa: F401 - the pure rules, re-exported
    ALERT_KIND,
    AUDIT_ACTION,
    DEFAULT_POLICY,
    POLICIES,
    POLICY_ENV,
    SSH_PORT,
    KnownHost,
    check_policy,
    describe,
    fingerprint,
    host_pattern,
    is_pinned,
    key_type,
    matches,
    parse_key,
    parse_known_hosts,
    policy_from_env,
    refused_message,
    same_key,
)
from netctl.store.db import transaction

TABLE = "host_keys"


# -- store -----------------------------------------------------------------------------------------
def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def pins_for(db: sqlite_utils.Database, aps: Sequence[str]) -> dict[str, list[str]]:
    """AP name -> its pinned keys (``TYPE BASE64``), for the APs named."""
    out: dict[str, list[str]] = {}
    names = list(aps)
    for start in range(0, len(names), 900):
        chunk = names[start : start + 900]
        marks = ", ".join("?" for _ in chunk)
        for row in db.execute(
            f"select ap, key_type, key from [{TABLE}] where ap in ({marks}) order by ap, first_seen", chunk
        ):
            out.setdefault(row[0], []).append(f"{row[1]} {row[2]}")
    return out


def pin(
    db: sqlite_utils.Database, ap: str, key: str, who: str, source: str, *, replace: bool = False
) -> dict[str, Any]:
    """Pin ``key`` for ``ap`` (``replace``: instead of every key pinned before); the stored row."""
    key = parse_key(key)
    row = {
        "ap": ap,
        "key_type": key_type(key),
        "key": key.split()[1],
        "fingerprint": fingerprint(key),
        "first_seen": _now(),
        "seen_by": who,
        "source": source,
    }
    with transaction(db):
        if replace:
            db.table(TABLE).delete_where("ap = ?", [ap])
        db.table(TABLE).upsert(row, pk=("ap", "key_type"))
    return row


def forget(db: sqlite_utils.Database, ap: str) -> int:
    """Remove every key pinned for ``ap``; how many there were."""
    with transaction(db):
        count = db.table(TABLE).count_where("ap = ?", [ap])
        db.table(TABLE).delete_where("ap = ?", [ap])
    return int(count)


def audit(db: sqlite_utils.Database, ap: str, who: str, outcome: str, reason: str, run: str | None = None) -> None:
    db.table("audit").insert(
        {
            "run": run or uuid.uuid4().hex[:12],
            "ts": _now(),
            "who": who,
            "action": AUDIT_ACTION,
            "selection": ap,
            "ap": ap,
            "outcome": outcome,
            "reason": reason,
            "dry_run": 0,
            "transcript": "",
        }
    )


def record_seen(
    db: sqlite_utils.Database,
    ap_row: dict[str, Any],
    offered: str | None,
    refused: bool,
    who: str,
    action: str,
) -> str | None:
    """Record what one AP's connection found out about its host key; the event (or None).

    ``offered`` is the key the AP presented when it was not among the keys the job carried;
    ``refused`` says the driver refused it. A new key is pinned (``pinned``) unless another key got
    pinned meanwhile (then it counts as ``changed``); a refused key opens or refreshes the
    ``host-key-changed`` alert and writes an audit row (``refused``). The audit rows are runs of
    their own (action ``host-key``): the operation's run keeps one row per AP.
    """
    if not offered:
        return None
    ap = ap_row["name"]
    pinned = pins_for(db, [ap]).get(ap, [])
    if not refused and not pinned:
        pin(db, ap, offered, who, f"first contact ({action})")
        audit(db, ap, who, "pinned", f"first contact: pinned {describe(offered)}")
        return "pinned"
    if not refused and is_pinned(offered, pinned):
        return None
    message = refused_message(pinned, offered)
    with transaction(db):
        audit(db, ap, who, "refused", f"{action}: {message}")
        event = _alert(db, ap_row, f"{ap}: {message}; if the AP was replaced, check the new key and run: "
                                    f"netctl hostkeys trust {ap}")
    if event is not None and not db.conn.in_transaction:
        from netctl.poll.store import deliver

        deliver(db, [event])
    return "refused"


def _alert(db: sqlite_utils.Database, ap_row: dict[str, Any], message: str) -> dict[str, Any] | None:
    """Open a host-key alert, or refresh the open one; the "opened" event to notify (None if refreshed)."""
    now = _now()
    ap = ap_row["name"]
    open_rows = list(db.table("alerts").rows_where("ap = ? and kind = ? and state = 'open'", [ap, ALERT_KIND]))
    if open_rows:
        db.execute("update alerts set last_seen = ?, message = ?, count = count + 1 where id = ?",
                   [now, message, open_rows[0]["id"]])
        return None
    row = {"ap": ap, "kind": ALERT_KIND, "severity": "critical", "message": message, "state": "open",
           "first_seen": now, "last_seen": now, "count": 1, "muted": 0, "notified": 0}
    row["id"] = db.table("alerts").insert(row).last_pk
    return {"event": "opened", "id": row["id"], "ap": ap, "site": ap_row.get("site"), "tenant": ap_row.get("tenant"),
            "kind": ALERT_KIND, "severity": "critical", "state": "open", "message": message, "first_seen": now,
            "last_seen": now, "closed": None, "muted": False, "mute_reason": None}


# -- the facade --------------------------------------------------------------------------------------
class HostKeyService:
    """Pinned SSH host keys of the APs (``netctl hostkeys …``): ``Netctl.hostkeys``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.db = session.db

    def host_keys(self, selection: Any = None) -> list[dict[str, Any]]:
        """Pinned keys of the APs the acting user may see (APs without a key are listed as such)."""
        from netctl.push.ops import _as_selection

        self.session.require("view")
        aps = self.session.select(_as_selection(selection))
        rows: dict[str, list[dict[str, Any]]] = {}
        names = [ap["name"] for ap in aps]
        for start in range(0, len(names), 900):
            chunk = names[start : start + 900]
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.query(f"select * from [{TABLE}] where ap in ({marks}) order by ap, first_seen", chunk):
                rows.setdefault(row["ap"], []).append(row)
        out = []
        for ap in aps:
            for row in rows.get(ap["name"], [{"ap": ap["name"]}]):
                out.append({k: row.get(k) for k in ("ap", "key_type", "fingerprint", "first_seen", "seen_by", "source")}
                           | {"address": ap["address"], "port": self._ssh_port(ap)})
        return out

    @staticmethod
    def _ssh_port(ap: dict[str, Any]) -> int:
        from netctl.platforms import get_platform

        return int(ap.get("port") or get_platform(ap["platform"]).default_port or 0)

    def probe_host_key(self, ap: str) -> dict[str, Any]:
        """The key AP ``ap`` offers now (key exchange only: no login) and the keys pinned for it."""
        from netctl.drivers.sshkeys import probe

        self.session.require("inventory")
        row = self.session.get_ap(ap)
        offered = probe(ap, row["address"], self._ssh_port(row))
        pinned = pins_for(self.db, [ap]).get(ap, [])
        return {
            "ap": ap,
            "address": row["address"],
            "port": self._ssh_port(row),
            "key": offered,
            "key_type": key_type(offered),
            "fingerprint": fingerprint(offered),
            "pinned": [describe(k) for k in pinned],
            "already_pinned": is_pinned(offered, pinned),
        }

    def trust_host_key(self, ap: str, key: str) -> dict[str, Any]:
        """Pin ``key`` (``TYPE BASE64``) as AP ``ap``'s only key; closes its host-key alert."""
        self.session.require("inventory")
        row = self.session.get_ap(ap)
        key = parse_key(key)
        before = pins_for(self.db, [ap]).get(ap, [])
        with transaction(self.db):
            stored = pin(self.db, ap, key, self.session.who(), "trust", replace=True)
            was = ", ".join(describe(k) for k in before) or "none"
            audit(self.db, row["name"], self.session.who(), "trusted", f"pinned {describe(key)} (before: {was})")
            self.db.execute("update alerts set state = 'closed', closed = ? where ap = ? and kind = ? "
                            "and state = 'open'", [_now(), ap, ALERT_KIND])
        return stored

    def forget_host_key(self, ap: str) -> int:
        """Remove the keys pinned for AP ``ap`` (the next connection pins again); how many there were."""
        self.session.require("inventory")
        self.session.get_ap(ap)
        with transaction(self.db):
            count = forget(self.db, ap)
            audit(self.db, ap, self.session.who(), "forgotten", f"{count} pinned key(s) removed")
        return count

    def import_known_hosts(self, path: str | Path, *, replace: bool = False) -> dict[str, Any]:
        """Pin keys from an OpenSSH ``known_hosts`` file for the APs in scope that it names.

        An AP matches by ``ADDRESS`` (port 22) or ``[ADDRESS]:PORT``, hashed names included, or by
        its name. Keys of an AP that has other keys pinned already are not taken unless ``replace``.
        Returns ``{"pinned": [...], "unchanged": [...], "conflicts": [...], "skipped": [problems]}``.
        """
        self.session.require("inventory")
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise NotFound(
                f"cannot read {file}: {exc.strerror or exc}", hint="give the path of a known_hosts file"
            ) from exc
        entries, problems = parse_known_hosts(text, str(file))
        aps = self.session.select()
        pinned_now = pins_for(self.db, [ap["name"] for ap in aps])
        result: dict[str, Any] = {"pinned": [], "unchanged": [], "conflicts": [], "skipped": [str(p) for p in problems]}
        with transaction(self.db):
            for ap in aps:
                keys: list[str] = []
                for entry in entries:
                    if (matches(entry, ap["address"], self._ssh_port(ap)) or ap["name"] in entry.patterns) and not (
                        is_pinned(entry.key, keys)
                    ):
                        keys.append(entry.key)
                if not keys:
                    continue
                before = pinned_now.get(ap["name"], [])
                new = [k for k in keys if not is_pinned(k, before)]
                if not new:
                    result["unchanged"].append(ap["name"])
                    continue
                if before and not replace:
                    result["conflicts"].append(
                        f"{ap['name']}: pinned {', '.join(describe(k) for k in before)}, file has "
                        f"{', '.join(describe(k) for k in new)}; not changed (use --replace)"
                    )
                    continue
                for number, key in enumerate(keys):
                    pin(self.db, ap["name"], key, self.session.who(), f"import {file.name}", replace=number == 0)
                audit(self.db, ap["name"], self.session.who(), "imported",
                      f"pinned {', '.join(describe(k) for k in keys)} from {file}")
                result["pinned"].append(ap["name"])
        return result


__all__ = [
    "HostKeyService",
    "KnownHost",
    "fingerprint",
    "is_pinned",
    "matches",
    "parse_key",
    "parse_known_hosts",
    "pins_for",
    "record_seen",
]
