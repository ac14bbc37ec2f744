"""The tests' own NETCONF sessions to the lab's APs (ncclient, not netctl's driver), to read back what a
push really left in the running config."""

from __future__ import annotations

import json
from typing import Any

#: namespace of the netctl-wlan-ap YANG model the netconf-wlan APs run
NWAP = "urn:netctl:params:xml:ns:yang:netctl-wlan-ap"
#: the 5 GHz radio's transmit power in the AP model (for :func:`read_leaf`)
TX_5G = "//n:radio[n:id='radio1']/n:tx-power/text()"


def manager_for(api: Any, ap_name: str) -> Any:
    """A separate ncclient session to ``ap_name`` (not through netctl's driver)."""
    from ncclient import manager

    target = api.config._target(api.session.get_ap(ap_name))
    return manager.connect(
        host=target.host,
        port=target.port,
        username=target.username,
        password=target.password,
        key_filename=target.key_file,
        hostkey_verify=False,
        allow_agent=False,
        look_for_keys=False,
        timeout=10,
    )


#: the tests' own reading sessions, one per AP address, kept for the whole run: a new session costs
#: about 0.3 s, a read over an open one a third of that (reads only; never netctl's sessions)
_READERS: dict[tuple[str, int], Any] = {}


def read_leaf(api: Any, ap_name: str, xpath: str) -> list[str]:
    """Values at ``xpath`` (prefix n: = the AP model) in the AP's running config, read over the test's own
    session (opened again when the AP's server went away since the last read)."""
    target = api.config._target(api.session.get_ap(ap_name))
    key = (target.host, target.port)
    for attempt in range(2):
        m = _READERS.get(key)
        if m is None or not m.connected:
            m = _READERS[key] = manager_for(api, ap_name)
        try:
            reply = m.get_config("running", filter=("subtree", f'<ap xmlns="{NWAP}"/>'))
            break
        except Exception:  # the server was restarted or killed since: one new session, then fail as usual
            _READERS.pop(key, None)
            if attempt:
                raise
    return [str(v) for v in reply.data_ele.xpath(xpath, namespaces={"n": NWAP})]


def nc_connect(lab: Any, ap: str) -> Any:
    """A NETCONF session to the lab AP ``ap`` with the lab's own credentials (no netctl inventory needed)."""
    from ncclient import manager

    creds = json.loads(lab.secrets["lab/netconf"])
    host, port = lab.endpoints["netconf"][ap].rsplit(":", 1)
    return manager.connect(
        host=host,
        port=int(port),
        username=creds["username"],
        key_filename=creds["key_file"],
        hostkey_verify=False,
        allow_agent=False,
        look_for_keys=False,
        timeout=15,
    )
