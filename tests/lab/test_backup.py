"""Backups, history, show-config and restore against the lab's NETCONF APs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.lab import set_tx, with_psks
from tests.helpers.netconf import TX_5G, read_leaf

pytestmark = pytest.mark.lab


def test_backup_dedups_masks_and_restores(city: Any) -> None:
    api = with_psks(city)
    ap = "gs-eick-ap01"
    set_tx(api, ap, 8)
    assert api.config.push(ap, confirm_timeout=20)[0].ok
    first = api.config.backup(ap)[0]
    assert first.ok and first.status in ("stored", "unchanged")
    again = api.config.backup(ap)[0]
    assert first.version is not None
    assert (again.status, again.version) == ("unchanged", first.version)
    shown = api.config.show_config(ap, first.version)
    assert "Moers-Pupil-5" not in shown["text"] and "<passphrase>********</passphrase>" in shown["text"]
    assert "<tx-power>8</tx-power>" in shown["text"]
    set_tx(api, ap, 9)
    assert api.config.push(ap, confirm_timeout=20)[0].changed
    versions = [v["version"] for v in api.config.history(ap)]
    assert versions[0] > first.version
    assert read_leaf(api, ap, TX_5G) == ["9"]
    restored = api.config.restore(ap, first.version, confirm_timeout=20)
    assert restored.ok and restored.status == "applied", restored.reason
    assert read_leaf(api, ap, TX_5G) == ["8"]
    # the passphrase came back from the sealed copy, not the masked one
    assert read_leaf(api, ap, "//n:ssid[n:name='Moers-Schule-Lernen']/n:passphrase/text()") == [
        "Moers-Pupil-5"
    ]
    audit = api.config.audit(ap=ap)[0]
    assert audit["action"] == "restore" and audit["template"] == f"version {first.version}"


def test_backup_of_unreachable_ap_is_a_result(city: Any) -> None:
    api = with_psks(city)
    api.inventory.set_ap("gs-eick-ap02", {"port": 1})
    results = api.config.backup(["gs-eick-ap02", "gs-eick-ap01"])
    by_ap = {r.ap: r for r in results}
    assert by_ap["gs-eick-ap02"].status == "unreachable"
    assert by_ap["gs-eick-ap01"].ok


def test_restore_to_an_unreachable_ap_is_pending_and_converges_to_the_version(city: Any) -> None:
    api = with_psks(city)
    ap = "gym-adolfinum-ap02"
    set_tx(api, ap, 6)
    assert api.config.push(ap, confirm_timeout=20)[0].ok
    version = api.config.history(ap)[0]["version"]
    set_tx(api, ap, 7)
    assert api.config.push(ap, confirm_timeout=20)[0].changed
    port = api.session.get_ap(ap)["port"]
    api.inventory.set_ap(ap, {"port": 1})
    away = api.config.restore(ap, version, confirm_timeout=20)
    assert away.status == "pending"
    assert api.config.config_status(ap)[0]["template"] == f"version {version}"
    api.inventory.set_ap(ap, {"port": port})
    [back] = api.config.converge(ap, confirm_timeout=20)
    assert back.ok and back.status == "applied", back.reason
    assert read_leaf(api, ap, TX_5G) == ["6"]


def test_backup_of_the_whole_city_in_worker_processes(city: Any) -> None:
    """Every configurable device of the example city, read by two worker processes."""
    api = with_psks(city)
    devices = [a["name"] for a in api.session.select() if a["platform"] != "snmp-only"]
    assert len(devices) >= 50
    first = {r.ap: r for r in api.config.backup(workers=2, concurrency=20)}
    stored = [name for name in devices if first[name].ok]
    assert stored == devices, {n: first[n].reason for n in devices if not first[n].ok}
    platforms = {api.session.get_ap(n)["platform"] for n in stored}
    assert platforms >= {"netconf-wlan", "openconfig-wlan", "openwrt", "cli-ios"}
    again = {r.ap: r for r in api.config.backup(workers=2, concurrency=20)}
    changed = [n for n in devices if again[n].version != first[n].version]
    assert not changed, changed  # the same running configs: nothing new stored
    assert all(api.config.history(n) for n in devices)
