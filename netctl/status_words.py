"""What a status means, in plain words: one table for the TUI, its help and ``netctl status``.

The core records technical states (``up``, ``degraded``, ``down``, ``unknown`` for health; ``applied``,
``pending``, ``failed``, ``drifted``, … for an AP's configuration). People who look after a school read a
short word and one line that says what it means for them. The words are English in the code and go
through :mod:`netctl.i18n` where they are shown; machine output (``--json``, CSV, the audit, logs) keeps
the technical state.

    word(state)         the short word ("working", "in Betrieb")
    explain(state)      the one-line explanation
    config_word(status), config_explain(status)   the same for a configuration status
"""

from __future__ import annotations

from netctl.i18n import N_, _

#: health state → (short word, what it means); the order is the order help screens list them in
HEALTH: dict[str, tuple[str, str]] = {
    "up": (N_("working"), N_("answers every poll and reports no problem")),
    "degraded": (N_("limited"), N_("answers, but something is wrong (see why): slow, busy or part of it off")),
    "down": (N_("offline"), N_("did not answer the last polls: its WLAN is probably gone")),
    "unknown": (N_("unchecked"), N_("not polled yet, or the last poll could not tell")),
}

#: configuration status → (short word, what it means); the words fit the AP table's column of 8
CONFIG: dict[str, tuple[str, str]] = {
    "applied": (N_("current"), N_("has the configuration netctl sent last")),
    "pending": (N_("waiting"), N_("was not reachable: gets its configuration as soon as it is back (converge)")),
    "failed": (N_("failed"), N_("the last change could not be applied (see why); the AP kept its old one")),
    "drifted": (N_("edited"), N_("its configuration differs from what netctl sent")),
    "unreachable": (N_("waiting"), N_("was not reachable: gets its configuration as soon as it is back (converge)")),
    "rolled-back": (N_("undone"), N_("a change was taken back automatically because the AP was not well")),
    "unknown": (N_("unknown"), N_("netctl has not sent or read its configuration yet")),
}


def word(state: str) -> str:
    """The short word for health ``state`` in the language in use (an unknown state stays as it is)."""
    entry = HEALTH.get(state)
    return _(entry[0]) if entry else state


def explain(state: str) -> str:
    """The one-line explanation of health ``state`` ("" for a state the table does not know)."""
    entry = HEALTH.get(state)
    return _(entry[1]) if entry else ""


def _config_entry(status: str) -> tuple[str, str] | None:
    return CONFIG.get(status or "unknown") or (CONFIG["unknown"] if status == "-" else None)


def config_word(status: str) -> str:
    """The short word for configuration ``status`` (``-`` and "" read as not known)."""
    entry = _config_entry(status)
    return _(entry[0]) if entry else status


def config_explain(status: str) -> str:
    """The one-line explanation of configuration ``status`` ("" for one the table does not know)."""
    entry = _config_entry(status)
    return _(entry[1]) if entry else ""
