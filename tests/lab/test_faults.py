"""The fault matrix: whatever goes wrong, every AP is fully on its old or its new config and the
database says which. Each case reads the device back over its own session, not through netctl.

Cases elsewhere: kill -9 of the controller mid-push, in-process and with workers, and racing pushes
(tests/lab/test_push_journal_lab.py); an impostor host key (tests/lab/test_hostkeys_lab.py);
candidate locked by another session (tests/lab/test_push_netconf.py).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.helpers.lab import set_tx, with_psks
from tests.helpers.netconf import TX_5G, read_leaf
from tests.helpers.ssh import ssh_run

pytestmark = pytest.mark.lab


@pytest.fixture
def nc_city(city: Any) -> Any:
    return with_psks(city)


def test_confirm_timer_firing_before_netctl_confirms_is_reported_rolled_back(
    nc_city: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """netctl stalls after the confirmed commit (a stopped process, a slow post-check) until the AP's
    confirm timer has restored the old config: the late confirming commit must not be taken for success."""
    from netctl.drivers.netconf import NetconfDriver

    ap = "gym-rheinhausen-ap01"
    set_tx(nc_city, ap, 5)
    assert nc_city.config.push(ap, confirm_timeout=20)[0].ok
    versions_before = nc_city.config.history(ap)
    real_post_check = NetconfDriver._post_check

    def slow(self: Any, *args: Any, **kwargs: Any) -> str:
        after = real_post_check(self, *args, **kwargs)
        time.sleep(2 + 2.5)  # quiet past the 2 s timer: netconfd restores the old config meanwhile
        return after

    monkeypatch.setattr(NetconfDriver, "_post_check", slow)
    set_tx(nc_city, ap, 6)
    result = nc_city.config.push(ap, confirm_timeout=2)[0]

    assert read_leaf(nc_city, ap, TX_5G) == ["5"]
    assert (result.ok, result.status) == (False, "rolled-back"), (result.status, result.reason)
    assert "rolled back" in (result.reason or "")
    status = nc_city.config.config_status(ap)[0]
    assert status["status"] == "failed" and "rolled back" in (status["reason"] or "")
    assert nc_city.config.history(ap) == versions_before  # no version the device never kept
    assert nc_city.config.audit(ap=ap)[0]["outcome"] == "rolled-back"


def test_changes_staged_but_never_committed_are_not_taken_for_the_running_config(nc_city: Any) -> None:
    """A push killed between ``uci set`` and ``uci commit`` (or a person at the console) leaves staged
    changes: drift must not call the AP in sync, and the next push commits exactly the intended config."""
    ap = "bus-1210-ap01"
    nc_city.inventory.set_ap(ap, {"vars.max_clients": 55})
    assert nc_city.config.push(ap)[0].ok
    nc_city.inventory.set_ap(ap, {"vars.max_clients": 56})
    # what the killed push had staged: the intended value, plus a stranger's change, never committed
    ssh_run(nc_city, ap, "uci set wireless.ssid0_radio0.maxassoc='56'; uci set wireless.radio0.txpower='3'")
    assert ssh_run(nc_city, ap, "uci changes").strip()

    drift = nc_city.config.drift(ap)[0]
    assert drift.status != "in-sync", drift
    assert "staged" in (drift.reason or "") + drift.diff, drift

    result = nc_city.config.push(ap)[0]
    assert (result.ok, result.status, result.changed) == (True, "applied", True), result.reason
    assert ssh_run(nc_city, ap, "uci changes").strip() == ""  # nothing left staged
    assert ssh_run(nc_city, ap, "uci get wireless.ssid0_radio0.maxassoc").strip() == "56"
    assert ssh_run(nc_city, ap, "uci get wireless.radio0.txpower").strip() != "3"  # the stranger's change is gone
    assert "discarded" in nc_city.config.audit(ap=ap)[0]["transcript"]
    assert nc_city.config.drift(ap)[0].status == "in-sync"


def test_a_push_killed_between_uci_set_and_commit_is_reconciled_then_pushed_cleanly(nc_city: Any) -> None:
    """What kill -9 of netctl between ``uci set`` and ``uci commit`` leaves: its journal row and staged
    changes on the AP. The next push records the dead run's outcome and then applies the config cleanly."""
    import datetime as dt
    import subprocess
    import sys

    from netctl.push import journal

    ap = "bus-1204-ap01"
    nc_city.inventory.set_ap(ap, {"vars.max_clients": 44})
    assert nc_city.config.push(ap)[0].ok
    nc_city.inventory.set_ap(ap, {"vars.max_clients": 45})
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    dead = journal.Holder("ada", journal.Holder.this_process("x").host, child.pid, "gone")
    journal.take(nc_city.session.db, "killed-run", dead, [journal.Intent(ap, "openwrt", "push", None, None, "x")],
                 confirm_timeout=0)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(timespec="seconds")
    nc_city.session.db.execute("update push_intents set orphan_seen = ?", [past])
    ssh_run(nc_city, ap, "uci set wireless.ssid0_radio0.maxassoc='45'")  # staged by the killed run

    result = nc_city.config.push(ap)[0]

    assert (result.ok, result.status) == (True, "applied"), result.reason
    assert ssh_run(nc_city, ap, "uci changes").strip() == ""
    assert ssh_run(nc_city, ap, "uci get wireless.ssid0_radio0.maxassoc").strip() == "45"
    reconciled = [a for a in nc_city.config.audit(ap=ap) if a["run"] == "killed-run"]
    assert [a["outcome"] for a in reconciled] == ["reconciled"] and "staged" in (reconciled[0]["reason"] or "")
    assert list(nc_city.session.db.table("push_intents").rows) == []


#: where the AP dies: before the named step of the NETCONF push starts, or right after it answered
KILL_POINTS = [
    ("before", "lock candidate"),
    ("after", "edit-config candidate"),
    ("after", "commit confirmed"),
    ("after", "commit (confirming)"),
]


@pytest.mark.parametrize(("when", "step"), KILL_POINTS, ids=[f"{w}-{s.split(' (')[0]}" for w, s in KILL_POINTS])
def test_ap_killed_at_four_points_of_a_netconf_push(
    nc_city: Any, lab: Any, monkeypatch: pytest.MonkeyPatch, when: str, step: str
) -> None:
    """The AP's NETCONF server dies at one point of the push and comes back (as an AP that crashed and
    rebooted). Whatever it came back with, the next config command leaves the database saying so."""
    from netctl.drivers import netconf as nc_driver
    from netctl.push import journal

    ap = {"lock candidate": "gym-rheinhausen-ap02", "edit-config candidate": "gym-rheinhausen-ap03",
          "commit confirmed": "ges-marxloh-ap01", "commit (confirming)": "ges-marxloh-ap02"}[step]
    set_tx(nc_city, ap, 3)
    assert nc_city.config.push(ap, confirm_timeout=20)[0].ok
    set_tx(nc_city, ap, 4)
    real_call = nc_driver._call
    killed: list[str] = []

    def dying(dev: Any, transcript: Any, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if when == "before" and what.startswith(step) and not killed:
            killed.append(what)
            lab.stop_netconf(ap)
        reply = real_call(dev, transcript, what, fn, *args, **kwargs)
        if when == "after" and what.startswith(step) and not killed:
            killed.append(what)
            lab.stop_netconf(ap)
        return reply

    monkeypatch.setattr(nc_driver, "_call", dying)
    try:
        result = nc_city.config.push(ap, confirm_timeout=2)[0]
    finally:
        monkeypatch.setattr(nc_driver, "_call", real_call)
        lab.start_netconf(ap)
    assert killed, "the kill point was never reached"
    assert not result.ok, (result.status, result.reason)  # the push cannot know it worked

    # the lab's netconfd keeps loopback time: one second of grace after its 2 s timer is plenty
    monkeypatch.setattr(journal, "ROLLBACK_GRACE_S", 1)
    nc_city.config.diff(ap)  # the next config command: finds what is unsettled
    deadline = time.monotonic() + 2 + journal.ROLLBACK_GRACE_S + 10
    while list(nc_city.session.db.table("push_intents").rows) and time.monotonic() < deadline:
        time.sleep(0.5)
        nc_city.config.diff(ap)  # settles it once the confirm timer and the grace are over

    on_device = read_leaf(nc_city, ap, TX_5G)
    assert on_device in (["3"], ["4"]), on_device  # fully old or fully new
    status = nc_city.config.config_status(ap)[0]
    pushed_hash = nc_city.config._render_one(nc_city.session.get_ap(ap), None, resolve=True).hash
    says_new = status["status"] == "applied" and status["intended_hash"] == pushed_hash
    assert says_new == (on_device == ["4"]), (step, on_device, status["status"], status["reason"])
    assert list(nc_city.session.db.table("push_intents").rows) == []
    set_tx(nc_city, ap, 3)
