"""Start snmpsim's command responder with per-address recordings and a per-address off switch.

This file runs inside the lab's tools virtualenv (where snmpsim lives) and is never imported by
netctl itself. It is the stock ``snmpsim-command-responder`` with one change: the responder picks
the recording by the agent endpoint a request arrived on (``--agent-udpv4-endpoint`` number N has
transport domain 1.3.6.1.6.1.1.N), as snmpsim documents for transport-based simulation, and it
drops requests for addresses listed in the stop file, so from the network one simulated AP is gone
(timeouts) while the others keep answering.

Environment:
    NETCTL_SNMPSIM_MAP   JSON file: {"endpoints": [{"address", "context", "v3only"}, ...],
                         "stopfile": PATH}; endpoint i is the i-th --agent-udpv4-endpoint.
"""

from __future__ import annotations

import json
import os
import random
import sys

# this file lives next to netctl modules; keep them off the import path of the tools virtualenv
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

from pysnmp.entity.rfc3413 import cmdrsp  # noqa: E402
from snmpsim.commands import responder  # noqa: E402
from snmpsim.error import NoDataNotification  # noqa: E402

with open(os.environ["NETCTL_SNMPSIM_MAP"], encoding="utf-8") as _fh:
    _MAP = json.load(_fh)
_ENDPOINTS = _MAP["endpoints"]
_STOPFILE = _MAP["stopfile"]
_stopped: set[str] = set()
_stop_mtime = -1.0


def _is_stopped(address: str) -> bool:
    global _stop_mtime, _stopped
    try:
        mtime = os.stat(_STOPFILE).st_mtime
    except OSError:
        mtime = 0.0
    if mtime != _stop_mtime:
        _stop_mtime = mtime
        try:
            with open(_STOPFILE, encoding="utf-8") as fh:
                _stopped = {line.strip() for line in fh if line.strip()}
        except OSError:
            _stopped = set()
    return address in _stopped


def _select_context(snmp_engine: object) -> str:
    ctx = snmp_engine.observer.get_execution_context("rfc3412.receiveMessage:request")  # type: ignore[attr-defined]
    index = int(ctx["transportDomain"][-1])
    if index >= len(_ENDPOINTS):
        raise NoDataNotification()
    endpoint = _ENDPOINTS[index]
    if _is_stopped(endpoint["address"]):
        raise NoDataNotification()
    if endpoint.get("v3only") and int(ctx["securityModel"]) in (1, 2):
        raise NoDataNotification()
    return str(endpoint["context"])


def _responder(base: type) -> type:
    class Responder(base):  # type: ignore[misc, valid-type]
        def handle_management_operation(self, snmpEngine, stateReference, contextName, PDU):  # noqa: N803
            try:
                context_name = _select_context(snmpEngine)
            except NoDataNotification:
                self.release_state_information(stateReference)
                return
            base.handle_management_operation(self, snmpEngine, stateReference, context_name, PDU)

    Responder.__name__ = base.__name__
    return Responder


_randrange = random.randrange


def _int_randrange(start: float, stop: float | None = None, step: float = 1) -> int:
    """snmpsim's ``numeric`` module passes floats (``deviation``); Python >= 3.12 wants ints."""
    return _randrange(int(start), None if stop is None else int(stop), int(step))


random.randrange = _int_randrange  # type: ignore[assignment]
responder.GetCommandResponder = _responder(cmdrsp.GetCommandResponder)
responder.SetCommandResponder = _responder(cmdrsp.SetCommandResponder)
responder.NextCommandResponder = _responder(cmdrsp.NextCommandResponder)
responder.BulkCommandResponder = _responder(cmdrsp.BulkCommandResponder)

if __name__ == "__main__":
    sys.exit(responder.main())
