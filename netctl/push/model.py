"""Per-AP results of reading configs back: a diff or drift check, and a backup.

Pushes have :class:`netctl.push.run.PushResult`; all of them are :class:`netctl.results.Result`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from netctl.results import Result


@dataclass
class DiffResult(Result):
    """Rendered vs running config of one AP (``diff``), or intended vs running (``drift``).

    ``status``: changed, in-sync, drifted (drift only), failed, unreachable. ``changed`` is None when
    nothing could be compared; ``kind`` says how the diff reads (structural, unified) and is only
    there when it was compared.
    """

    PUBLIC: ClassVar[tuple[str, ...]] = (
        "ap", "platform", "template", "rendered_hash", "ok", "status", "changed", "diff", "kind", "reason",
    )
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"kind"})

    ap: str
    platform: str
    template: str
    rendered_hash: str | None
    ok: bool
    status: str
    changed: bool | None = None
    diff: str = ""
    kind: str | None = None
    reason: str | None = None


@dataclass
class BackupResult(Result):
    """One AP's running config stored as a version (``status``: stored, unchanged), or why not.

    ``version`` is the stored (or identical latest) version; there only when the backup worked.
    """

    PUBLIC: ClassVar[tuple[str, ...]] = ("ap", "ok", "status", "version", "reason")
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"version"})

    ap: str
    ok: bool
    status: str
    version: int | None = None
    reason: str | None = None

    @property
    def changed(self) -> bool:
        return False
