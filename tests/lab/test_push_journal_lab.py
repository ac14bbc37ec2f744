"""Pushes that never interleave and never end unrecorded: the AP lock and the intent journal, in the lab.

Every check reads the device back over its own session (paramiko for the OpenWrt simulator, ncclient
for netconfd), never through netctl.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from netctl.push import journal
from netctl.selection import Selection
from tests.helpers.lab import set_tx, with_psks
from tests.helpers.netconf import TX_5G, read_leaf
from tests.helpers.ssh import ios_config, uci_show

pytestmark = pytest.mark.lab

MAXASSOC = "wireless.ssid0_radio0.maxassoc"
CHANNEL = "wireless.radio0.channel"


@pytest.fixture
def psk_city(city: Any) -> Any:
    return with_psks(city)


def db_path(api: Any) -> str:
    return str(api.session.db_path)


def netctl(api: Any, *argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "netctl.cli", "--db", db_path(api), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def status_row(api: Any, ap: str) -> dict[str, Any]:
    return dict(next(iter(api.session.db.table("config_status").rows_where("ap = ?", [ap]))))


def intents(path: str) -> list[tuple[str, str]]:
    """(ap, run) of the journal rows, read with a separate sqlite connection."""
    conn = sqlite3.connect(path, timeout=10)
    try:
        return [tuple(r) for r in conn.execute("select ap, run from push_intents order by ap")]
    finally:
        conn.close()


def test_a_push_to_an_ap_another_run_holds_sends_nothing(psk_city: Any) -> None:
    ap = "bus-1207-ap01"
    psk_city.inventory.set_ap(ap, {"vars.max_clients": 61})
    first = psk_city.config.push(ap)[0]
    assert first.ok and first.status in ("applied", "unchanged"), first.reason
    assert uci_show(psk_city, ap)[MAXASSOC] == "61"
    before = status_row(psk_city, ap)

    psk_city.inventory.set_ap(ap, {"vars.max_clients": 62})
    other = journal.Holder(who="eve", host=journal.Holder.this_process("x").host, pid=os.getpid(),
                           pid_start=journal.Holder.this_process("x").pid_start)
    busy = journal.take(psk_city.session.db, "run-of-eve", other,
                        [journal.Intent(ap, "openwrt", "push", None, None, "x")], confirm_timeout=60)
    assert busy == {}
    try:
        held = psk_city.config.push(ap)[0]
        assert (held.ok, held.status) == (False, "busy")
        assert "AP busy" in (held.reason or "") and "eve" in (held.reason or "")
        assert uci_show(psk_city, ap)[MAXASSOC] == "61"  # nothing was sent
        assert status_row(psk_city, ap)["intended_hash"] == before["intended_hash"]
        assert psk_city.config.audit(ap=ap)[0]["outcome"] == "busy"
        code, _out, err = finish(netctl(psk_city, "push", ap))
        assert code == 1 and "busy" in err + _out
    finally:
        journal.release(psk_city.session.db, "run-of-eve", ap)

    done = psk_city.config.push(ap)[0]
    assert (done.status, done.changed) == ("applied", True), done.reason
    assert uci_show(psk_city, ap)[MAXASSOC] == "62"
    assert journal.TABLE in psk_city.session.db.table_names() and intents(db_path(psk_city)) == []


NWAP = "urn:netctl:params:xml:ns:yang:netctl-wlan-ap"


def netconf_ap(channel: int) -> str:
    """A whole, minimal AP config (it replaces the AP's subtree; the test pushes the real one back)."""
    return (f'<ap xmlns="{NWAP}"><system><hostname>{{{{ ap.name }}}}</hostname></system>'
            f"<radio><id>radio0</id><band>2.4ghz</band><channel>{channel}</channel></radio>"
            "<radio><id>radio1</id><band>5ghz</band><channel>36</channel></radio></ap>\n")


def netconf_channel(api: Any, ap: str) -> str:
    from tests.helpers.netconf import read_leaf

    return ",".join(read_leaf(api, ap, "//n:radio[n:id='radio0']/n:channel/text()"))


def ios_vlan_name(api: Any, ap: str) -> str:
    from tests.helpers.ssh import show_run

    return ",".join(show_run(api, ap).get("vlan 3901", []))


#: per platform: an AP no other test pushes, two templates setting one value differently, and an
#: independent read of that value (the value each template leaves on the device)
RACES = {
    "openwrt": ("bus-1208-ap01", "uci.j2", {"six": f"uci set {CHANNEL}='6'\n", "eleven": f"uci set {CHANNEL}='11'\n"},
                lambda api, ap: uci_show(api, ap)[CHANNEL], {"six": "6", "eleven": "11"}),
    "netconf-wlan": ("bk-sued-ap03", "xml.j2", {"six": netconf_ap(6), "eleven": netconf_ap(11)},
                     netconf_channel, {"six": "6", "eleven": "11"}),
    "cli-ios": ("hs-homberg-sw01", "ios.j2", {"six": "vlan 3901\n name RACE-SIX\n",
                                              "eleven": "vlan 3901\n name RACE-ELEVEN\n"},
                ios_vlan_name, {"six": "name RACE-SIX", "eleven": "name RACE-ELEVEN"}),
}


@pytest.mark.parametrize("platform", sorted(RACES))
def test_two_pushes_racing_for_one_ap_leave_status_and_device_agreeing(
    psk_city: Any, tmp_path: Path, platform: str
) -> None:
    ap, suffix, texts, read, leaves = RACES[platform]
    folder = tmp_path / "templates" / platform
    folder.mkdir(parents=True)
    for name, text in texts.items():
        (folder / f"{name}.{suffix}").write_text(text)
    env = {"NETCTL_TEMPLATES": str(tmp_path / "templates")}
    try:
        for _attempt in range(3):
            runs = [netctl(psk_city, "push", ap, "--template", name, "--json", env=env) for name in texts]
            outcomes = []
            for proc in runs:
                _code, out, err = finish(proc)
                outcomes.append(json.loads(out)[0]["status"] if out.strip().startswith("[") else err)
            assert set(outcomes) <= {"applied", "unchanged", "busy"}, outcomes
            assert "applied" in outcomes or "unchanged" in outcomes
            device = read(psk_city, ap)
            recorded = status_row(psk_city, ap)["template"]
            assert recorded and device == leaves[recorded.split("/")[1].split(".")[0]], (outcomes, device, recorded)
            assert intents(db_path(psk_city)) == []
    finally:
        if platform == "netconf-wlan":
            psk_city.config.push(ap)  # the AP's real configuration back
        elif platform == "cli-ios":
            ios_config(psk_city, ap, ["no vlan 3901"])


def wait_for_intents(path: str, deadline_s: float = 30) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            if intents(path):
                return
        except sqlite3.OperationalError:
            pass  # table not there yet / database busy
        time.sleep(0.02)
    raise AssertionError("the push wrote no intent within 30 s")


@pytest.mark.parametrize(("workers", "delay"), [(1, 0.0), (1, 0.5), (2, 0.3), (2, 1.2)])
def test_kill_9_mid_push_then_the_next_command_records_what_each_ap_runs(
    psk_city: Any, workers: int, delay: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = "ges-ruhrort"
    aps = [f"{site}-ap0{i}" for i in (1, 2, 3)]
    old, new = (7, 8) if delay < 1 else (9, 10)
    for ap in aps:
        set_tx(psk_city, ap, old)
    assert all(r.ok for r in psk_city.config.push(aps)), "baseline push failed"
    for ap in aps:
        set_tx(psk_city, ap, new)

    push = netctl(psk_city, "push", "--site", site, "--confirm-timeout", "3", "--workers", str(workers))
    wait_for_intents(db_path(psk_city))
    run = intents(db_path(psk_city))[0][1]
    time.sleep(delay)
    push.send_signal(signal.SIGKILL)
    push.communicate(timeout=30)

    # the next config command (here in this process, with one second of grace on loopback) finds the
    # orphans, waits out any rollback, then reads each AP back and records what it runs
    monkeypatch.setattr(journal, "ROLLBACK_GRACE_S", 1)
    psk_city.config.diff(Selection(site=site))
    deadline = time.monotonic() + 3 + journal.ROLLBACK_GRACE_S + 10
    while intents(db_path(psk_city)) and time.monotonic() < deadline:
        time.sleep(0.5)
        psk_city.config.diff(Selection(site=site))

    assert intents(db_path(psk_city)) == []
    audit = psk_city.config.audit()
    for ap in aps:
        on_device = read_leaf(psk_city, ap, TX_5G)
        assert on_device in ([str(old)], [str(new)]), (ap, on_device)  # fully old or fully new
        row = status_row(psk_city, ap)
        rendered_new = psk_city.config._render_one(psk_city.session.get_ap(ap), None, resolve=True).hash  # as pushed
        if on_device == [str(new)]:
            assert (row["status"], row["intended_hash"]) == ("applied", rendered_new), (ap, row)
        else:
            assert not (row["status"] == "applied" and row["intended_hash"] == rendered_new), (ap, row)
        # recorded by the push itself before it died, or reconciled afterwards: never left without a word
        assert [a["outcome"] for a in audit if a["ap"] == ap and a["run"] == run] in (
            ["applied"], ["unchanged"], ["failed"], ["reconciled"]), (ap, run)
    for ap in aps:  # leave the site as it was
        set_tx(psk_city, ap, old)
    psk_city.config.push(aps)
