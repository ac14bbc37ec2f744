"""Automatic convergence in the lab: an AP away at its push gets its config when a poll sees it again.

The AP "goes away" as a real one would for netctl: its SNMP agent stops answering and its NETCONF
address refuses connections. Read-backs use the test's own ncclient session to the AP's real address.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from ncclient import manager

from netctl.poll.jobs import poll_job
from tests.helpers.lab import set_tx, with_psks
from tests.helpers.netconf import NWAP, TX_5G

pytestmark = pytest.mark.lab

AP = "rs-walsum-ap01"


def tx_on_device(api: Any, lab: Any) -> list[str]:
    creds = json.loads(lab.secrets["lab/netconf"])
    host, port = lab.endpoints["netconf"][AP].rsplit(":", 1)
    with manager.connect(host=host, port=int(port), username=creds["username"], key_filename=creds["key_file"],
                         hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=10) as m:
        reply = m.get_config("running", filter=("subtree", f'<ap xmlns="{NWAP}"/>'))
    return [str(v) for v in reply.data_ele.xpath(TX_5G, namespaces={"n": NWAP})]


def status(api: Any) -> dict[str, Any]:
    return dict(api.session.db["config_status"].get(AP))


def converges(api: Any) -> int:
    return sum(1 for a in api.config.audit(ap=AP) if a["action"] == "converge")


def polled(api: Any, **options: Any) -> dict[str, Any]:
    (row,) = [r for r in poll_job(api.session.db_path, json.dumps({"names": [AP]}),
                                  options={"timeout": 0.5, "retries": 0, **options}) if r["ap"] == AP]
    return row


def test_a_pending_ap_gets_its_config_when_a_poll_sees_it_back(city: Any, lab: Any) -> None:
    api = with_psks(city)
    real_port = api.session.get_ap(AP)["port"]
    set_tx(api, AP, 6)
    assert api.config.push(AP)[0].ok
    try:
        # away: no SNMP answer, NETCONF refused; the push leaves the AP pending
        lab.stop_snmp_agent(AP)
        api.inventory.set_ap(AP, {"port": 1})
        set_tx(api, AP, 7)
        assert api.config.push(AP)[0].status == "pending"
        assert "converge" not in polled(api)  # did not answer: nothing tried
        assert status(api)["status"] == "pending" and converges(api) == 0

        # SNMP back, NETCONF still refused: one automatic try, then it waits
        lab.start_snmp_agent(AP)
        assert polled(api, converge=False)["ok"] and converges(api) == 0  # the job option turns it off
        assert polled(api)["converge"] == "pending"
        row = status(api)
        assert row["status"] == "pending" and row["retries"] == 1 and row["retry_at"]
        assert "next try" in row["reason"]
        assert "converge" not in polled(api)  # backing off: not tried again at once
        assert converges(api) == 1
        assert tx_on_device(api, lab) == ["6"]

        # fully back, and the back-off is over: the pending config goes out by itself
        api.inventory.set_ap(AP, {"port": real_port})
        api.session.db.execute("update config_status set retry_at = '2000-01-01T00:00:00+00:00' where ap = ?", [AP])
        assert polled(api)["converge"] == "applied"
        assert tx_on_device(api, lab) == ["7"]
        row = status(api)
        assert (row["status"], row["retries"], row["retry_at"]) == ("applied", 0, None)
        assert converges(api) == 2
        assert "converge" not in polled(api)  # nothing pending any more
    finally:
        lab.start_snmp_agent(AP)
        api.inventory.set_ap(AP, {"port": real_port})
