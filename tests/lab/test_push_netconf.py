"""NETCONF pushes against the lab's netconfd APs, read back over separate sessions.

Each test uses its own APs, so the tests do not depend on each other's order.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree

from tests.helpers.lab import set_tx, with_psks
from tests.helpers.netconf import NWAP, TX_5G, manager_for, read_leaf

pytestmark = pytest.mark.lab

@pytest.fixture
def nc_city(city: Any) -> Any:
    return with_psks(city)


def test_push_applies_and_reads_back_over_a_separate_session(nc_city: Any) -> None:
    ap = "gs-neudorf-ap01"
    set_tx(nc_city, ap, 11)
    first = nc_city.config.push(ap, confirm_timeout=20)[0]
    assert first.ok and first.status in ("applied", "unchanged"), first.reason
    set_tx(nc_city, ap, 12)
    result = nc_city.config.push(ap, confirm_timeout=20)[0]
    assert (result.ok, result.status, result.changed) == (True, "applied", True), result.reason
    assert "~ ap/radio[id=radio1]/tx-power: 11 -> 12" in result.diff
    assert read_leaf(nc_city, ap, TX_5G) == ["12"]
    assert read_leaf(nc_city, ap, "//n:ssid[n:name='Schule-Lernen']/n:passphrase/text()") == [
        "Pupil-Lab-Pass-2"
    ]
    assert read_leaf(nc_city, ap, "//n:system/n:hostname/text()") == [ap]
    again = nc_city.config.push(ap, confirm_timeout=20)[0]
    assert (again.status, again.changed) == ("unchanged", False)
    status = nc_city.config.config_status(ap)[0]
    assert status["status"] == "applied" and status["version"] >= 1
    audit = nc_city.config.audit(ap=ap)
    assert [a["outcome"] for a in audit][:2] == ["unchanged", "applied"]
    applied = audit[1]
    assert applied["rendered_hash"] and "tx-power: 11 -> 12" in applied["diff"]
    assert (
        "commit confirmed timeout 20" in applied["transcript"]
        and "commit (confirming)" in applied["transcript"]
    )
    assert (
        "Pupil-Lab-Pass-2" not in applied["transcript"]
        and "<passphrase>********</passphrase>" in applied["transcript"]
    )


def test_invalid_value_is_rejected_before_sending_and_by_the_device(nc_city: Any) -> None:
    from netctl.drivers import PushOptions, Transcript, get_driver
    from netctl.errors import RpcError

    ap = "gs-neudorf-ap02"
    set_tx(nc_city, ap, 13)
    assert nc_city.config.push(ap, confirm_timeout=20)[0].ok
    set_tx(nc_city, ap, 99)
    local = nc_city.config.push(ap, confirm_timeout=20)[0]
    assert local.status == "failed" and "tx-power: 99 is out of range 1..30" in (local.reason or "")
    assert nc_city.config.config_status(ap)[0]["status"] == "failed"
    # the device's own YANG check: a 2.4 GHz radio on channel 36 fails the model's `must`
    bad = f'<ap xmlns="{NWAP}"><radio><id>radio0</id><band>2.4ghz</band><channel>36</channel></radio></ap>'
    with pytest.raises(RpcError) as err:
        get_driver("netconf").push(
            nc_city.config._target(nc_city.session.get_ap(ap)), bad, [], PushOptions(confirm_timeout=20), Transcript()
        )
    assert err.value.tag in ("invalid-value", "operation-failed", "data-missing")
    assert "rpc-error" in err.value.reason
    assert read_leaf(nc_city, ap, TX_5G) == ["13"]
    assert read_leaf(nc_city, ap, "//n:radio[n:id='radio0']/n:channel/text()") != ["36"]


def test_failed_post_check_cancels_the_commit(nc_city: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from netctl.drivers.netconf import NetconfDriver
    from netctl.errors import DeviceError

    ap = "gs-huckingen-ap01"
    set_tx(nc_city, ap, 14)
    assert nc_city.config.push(ap, confirm_timeout=20)[0].ok

    def broken(self: Any, target: Any, intended: str, secrets: Any, transcript: Any, *_: Any) -> str:
        raise DeviceError("post-check: the AP did not answer a new session", ap=target.ap)

    monkeypatch.setattr(NetconfDriver, "_post_check", broken)
    set_tx(nc_city, ap, 15)
    result = nc_city.config.push(ap, confirm_timeout=20)[0]
    assert result.status == "failed" and "cancel-commit" in (result.reason or "")
    assert read_leaf(nc_city, ap, TX_5G) == ["14"]


def test_unconfirmed_commit_rolls_back_by_itself(nc_city: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody confirms the commit and cancel-commit fails: the AP's confirm timer restores the old config
    while netctl's session is still open."""
    from netctl.drivers.netconf import NetconfDriver
    from netctl.errors import DeviceError

    ap = "gs-huckingen-ap02"
    set_tx(nc_city, ap, 16)
    assert nc_city.config.push(ap, confirm_timeout=20)[0].ok
    seen: dict[str, list[str]] = {}

    def stalled(self: Any, target: Any, intended: str, secrets: Any, transcript: Any, *_: Any) -> str:
        seen["during"] = read_leaf(nc_city, ap, TX_5G)  # the unconfirmed change is live
        time.sleep(2 + 2)  # quiet: netconfd's timer fires only after >= 1 s without messages
        seen["after timer"] = read_leaf(nc_city, ap, TX_5G)
        raise DeviceError("post-check: read-back differs", ap=target.ap)

    real_quietly = NetconfDriver._quietly

    def no_cancel(target: Any, transcript: Any, what: str, fn: Any) -> bool:
        return False if what == "cancel-commit" else real_quietly(target, transcript, what, fn)

    monkeypatch.setattr(NetconfDriver, "_post_check", stalled)
    monkeypatch.setattr(NetconfDriver, "_quietly", staticmethod(no_cancel))
    set_tx(nc_city, ap, 17)
    result = nc_city.config.push(ap, confirm_timeout=2)[0]
    assert seen == {"during": ["17"], "after timer": ["16"]}
    assert result.status == "unsettled" and "roll back by itself within 2 s" in (result.reason or "")
    assert read_leaf(nc_city, ap, TX_5G) == ["16"]
    # the next config command reads the AP back once the rollback window is over and records it
    from netctl.push import journal

    monkeypatch.setattr(journal, "ROLLBACK_GRACE_S", 1)  # loopback: the timer has long fired
    nc_city.config.diff(ap)
    deadline = time.monotonic() + 2 + journal.ROLLBACK_GRACE_S + 10
    while list(nc_city.session.db.table("push_intents").rows) and time.monotonic() < deadline:
        time.sleep(0.5)
        nc_city.config.diff(ap)
    status = nc_city.config.config_status(ap)[0]
    assert status["status"] == "failed" and "does not run what it sent" in (status["reason"] or "")
    assert [a["outcome"] for a in nc_city.config.audit(ap=ap)][:2] == ["reconciled", "unsettled"]


@pytest.fixture
def locked(nc_city: Any) -> Iterator[str]:
    ap = "gs-wanheim-ap01"
    with manager_for(nc_city, ap) as m:
        m.lock("candidate")
        try:
            yield ap
        finally:
            m.unlock("candidate")


def test_lock_held_by_another_session_is_reported_cleanly(nc_city: Any, locked: str) -> None:
    before = read_leaf(nc_city, locked, TX_5G)
    set_tx(nc_city, locked, 18 if before != ["18"] else 19)
    result = nc_city.config.push(locked, confirm_timeout=20)[0]
    assert (result.ok, result.status, result.rpc_error_tag) == (False, "failed", "lock-denied")
    assert "lock" in (result.reason or "")
    assert read_leaf(nc_city, locked, TX_5G) == before
    assert nc_city.config.config_status(locked)[0]["status"] == "failed"


def test_dry_run_changes_nothing(nc_city: Any) -> None:
    ap = "gs-wanheim-ap02"
    set_tx(nc_city, ap, 20)
    assert nc_city.config.push(ap, confirm_timeout=20)[0].ok
    status_before = nc_city.config.config_status(ap)[0]
    set_tx(nc_city, ap, 21)
    result = nc_city.config.push(ap, dry_run=True)[0]
    assert (result.status, result.changed) == ("dry-run", True)
    assert "~ ap/radio[id=radio1]/tx-power: 20 -> 21" in result.diff
    assert read_leaf(nc_city, ap, TX_5G) == ["20"]
    assert nc_city.config.config_status(ap)[0] == status_before
    assert nc_city.config.audit(ap=ap)[0]["dry_run"] == 1


def test_parallel_push_of_fifty_aps_with_dead_ones(nc_city: Any) -> None:
    from netctl.selection import Selection

    dead = ["gym-hamborn-ap02", "zoo-aquarium-ap03", "ges-marxloh-ap03"]
    for name in dead:  # nothing listens on port 1 of these loopback addresses
        nc_city.inventory.set_ap(name, {"port": 1})
    names = [
        a["name"]
        for a in nc_city.session.select(Selection(role="ap"))
        if a["platform"] in ("netconf-wlan", "openconfig-wlan")
    ]
    names += [a["name"] for a in nc_city.session.select(Selection(platform="openwrt"))][: 50 - len(names)]
    assert len(names) == 50
    seen: list[tuple[str, str]] = []
    started = time.monotonic()
    results = nc_city.config.push(
        Selection(names=tuple(names)),
        concurrency=20,
        confirm_timeout=30,
        progress=lambda event: seen.append((event.ap, event.stage)),
    )
    took = time.monotonic() - started
    by_ap = {r.ap: r for r in results}
    assert sorted(by_ap) == sorted(names)
    for name in dead:
        assert by_ap[name].status == "pending" and "unreachable" in (by_ap[name].reason or "")
    alive = [r for r in results if r.ap not in dead]
    assert all(r.ok and r.status in ("applied", "unchanged") for r in alive), [
        (r.ap, r.status, r.reason) for r in alive if not r.ok
    ]
    assert sum(stage == "done" for _, stage in seen) == 50
    statuses = {s["ap"]: s["status"] for s in nc_city.config.config_status(Selection(names=tuple(names)))}
    assert [statuses[n] for n in dead] == ["pending"] * 3
    assert took < 60, took
    # the dead APs come back (the buses are in the depot): converge pushes exactly those
    for name in dead:
        nc_city.inventory.set_ap(name, {"port": next(a for a in lab_ports(name))})
    converged = nc_city.config.converge(Selection(names=tuple(names)))
    assert sorted(r.ap for r in converged) == sorted(dead)
    assert all(r.ok for r in converged), [(r.ap, r.reason) for r in converged]


def lab_ports(name: str) -> list[int]:
    """The AP's management port in the example inventory."""
    import yaml

    from tests.helpers.lab import INVENTORY_FILES

    for path in INVENTORY_FILES:
        if path.suffix == ".yaml":
            for ap in yaml.safe_load(path.read_text())["aps"]:
                if ap["name"] == name:
                    return [int(ap["port"])]
    raise AssertionError(f"{name} not in the example inventory")


def test_openconfig_ap_push_and_read_back(nc_city: Any) -> None:
    ap = "zoo-delphinarium-ap02"
    result = nc_city.config.push(ap, confirm_timeout=20)[0]
    assert result.ok, result.reason
    with manager_for(nc_city, ap) as m:
        reply = m.get_config(
            "running", filter=("subtree", '<ssids xmlns="http://openconfig.net/yang/wifi-mac"/>')
        )
    names = reply.data_ele.xpath(
        "//m:ssid/m:config/m:name/text()", namespaces={"m": "http://openconfig.net/yang/wifi-mac"}
    )
    assert sorted(names) == ["Zoo-Duisburg-Gast", "Zoo-Team"]
    assert etree.tostring(reply.data_ele).count(b"Zoo-Team-Lab-3") == 1
    assert nc_city.config.push(ap, confirm_timeout=20)[0].status == "unchanged"


def test_cli_push_json_and_audit(nc_city: Any) -> None:
    import json

    from click.testing import CliRunner

    from netctl.cli import cli

    ap = "rs-walsum-ap01"
    set_tx(nc_city, ap, 22)
    db = nc_city.session.db_path
    runner = CliRunner()
    dry = runner.invoke(cli, ["--db", db, "push", ap, "--dry-run", "--json"], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    [row] = json.loads(dry.output)
    assert set(row) >= {"ap", "ok", "status", "changed", "reason", "rpc_error_tag", "diff", "duration_s"}
    assert row["status"] in ("dry-run", "unchanged")
    done = runner.invoke(cli, ["--db", db, "push", ap, "--confirm-timeout", "20"], catch_exceptions=False)
    assert done.exit_code == 0 and ap in done.output
    assert read_leaf(nc_city, ap, TX_5G) == ["22"]
    audit = runner.invoke(cli, ["--db", db, "audit", "--ap", ap, "--since", "1h", "--json"], catch_exceptions=False)
    rows = json.loads(audit.output)
    assert [r["dry_run"] for r in rows][:2] == [0, 1] and "transcript" not in rows[0]


def test_post_check_opens_a_second_session(nc_city: Any) -> None:
    """On the push's SSH connection where the platform allows it, on a new connection otherwise;
    either way a new NETCONF session (its own session-id) reads the committed config back."""
    import dataclasses
    import re

    from netctl.platforms import PLATFORMS

    def push_tx(value: int) -> str:
        set_tx(nc_city, ap, value)
        result = nc_city.config.push(ap, confirm_timeout=20)[0]
        assert (result.ok, result.status) == (True, "applied"), result.reason
        ids = re.findall(r"hello, session-id (\d+)", result.transcript)
        assert len(ids) == 2 and ids[0] != ids[1], result.transcript
        assert read_leaf(nc_city, ap, TX_5G) == [str(value)]
        return str(result.transcript)

    ap = "gs-neudorf-ap03"
    set_tx(nc_city, ap, 9)
    nc_city.config.push(ap, confirm_timeout=20)
    same = push_tx(10)
    assert "post-check: new NETCONF session on the push's SSH connection" in same
    assert same.count("connect 127.") == 1
    by_connection = dataclasses.replace(PLATFORMS["netconf-wlan"], post_check_session="connection")
    with PLATFORMS.swapped("netconf-wlan", by_connection):
        assert "post-check: connect 127." in push_tx(11)


def test_an_rpc_sent_with_the_hello_is_answered_once_sent_again(nc_city: Any) -> None:
    """netconfd leaves an RPC that arrives in one read with the client hello unprocessed until more
    input comes: the post-check's channel session sends an unanswered get-config once more."""
    from netctl.drivers.netconf import BASE_NS, CLIENT_HELLO, EOM, NUDGE_AFTER_S, ChannelSession

    get = "<get-config><source><running/></source></get-config>"
    with manager_for(nc_city, "gs-wanheim-ap03") as m:
        nc = ChannelSession(m._session.transport, 10)
        try:
            assert b"<session-id>" in nc.read()
            rpc = f'<rpc xmlns="{BASE_NS}" message-id="1">{get}</rpc>'
            nc.channel.sendall(CLIENT_HELLO.encode() + EOM + rpc.encode() + EOM)
            with pytest.raises(TimeoutError):
                nc.read(NUDGE_AFTER_S)
            reply, twice = nc.rpc(2, get, nudge=True)
            assert reply.get("message-id") == "1" and reply.find(f"{{{BASE_NS}}}data") is not None
            assert twice is False  # the stuck RPC's answer came as soon as the second one arrived
        finally:
            nc.close()


def test_staged_push_stops_after_a_failed_canary(nc_city: Any, locked: str) -> None:
    """The canary (its candidate locked by another session) fails: the other APs are not touched;
    allowing one failure lets the next waves go."""
    from netctl.selection import Selection

    site = Selection(site="gs-wanheim", role="ap")
    names = [a["name"] for a in nc_city.session.select(site)]
    assert names[0] == locked and len(names) == 3
    for n, ap in enumerate(names[1:]):  # a known starting point
        set_tx(nc_city, ap, 3 + n)
    assert all(r.ok for r in nc_city.config.push(Selection(names=tuple(names[1:])), confirm_timeout=20))
    for n, ap in enumerate(names):
        set_tx(nc_city, ap, 5 + n)
    before = {ap: read_leaf(nc_city, ap, TX_5G) for ap in names}
    assert before[names[1]] == ["3"] and before[names[2]] == ["4"]
    status_before = {s["ap"]: s for s in nc_city.config.config_status(site)}
    results = nc_city.config.push(site, canary=1, wave_size=1, confirm_timeout=20)
    assert [r.status for r in results] == ["failed", "skipped", "skipped"], [(r.ap, r.reason) for r in results]
    assert all("more than --max-failures 0" in (r.reason or "") for r in results[1:])
    assert {ap: read_leaf(nc_city, ap, TX_5G) for ap in names} == before
    assert {s["ap"]: s for s in nc_city.config.config_status(Selection(names=tuple(names[1:])))} == {
        ap: status_before[ap] for ap in names[1:] if ap in status_before
    }
    audit = [a for a in nc_city.config.audit(since="1h") if a["ap"] in names]
    staged = next(a["run"] for a in audit if a["outcome"] == "skipped")
    assert sorted(a["outcome"] for a in audit if a["run"] == staged) == ["failed", "skipped", "skipped"]
    again = nc_city.config.push(site, canary=1, wave_size=1, max_failures=1, confirm_timeout=20)
    assert [r.status for r in again] == ["failed", "applied", "applied"], [(r.ap, r.reason) for r in again]
    assert [read_leaf(nc_city, ap, TX_5G) for ap in names[1:]] == [["6"], ["7"]]
