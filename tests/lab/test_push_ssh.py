"""SSH CLI pushes: the OpenWrt-style vehicle AP simulator and the IOS-style school switches.

Read-backs go over a separate SSH session (paramiko exec channel), not through netctl's driver.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.lab import with_psks
from tests.helpers.ssh import show_run, uci_show

pytestmark = pytest.mark.lab


@pytest.fixture
def ssh_city(city: Any) -> Any:
    return with_psks(city)


def test_openwrt_push_with_backup_verify_and_restore(ssh_city: Any) -> None:
    ap = "bus-1205-ap01"
    ssh_city.inventory.set_ap(ap, {"vars.max_clients": 70})
    result = ssh_city.config.push(ap)[0]
    assert result.ok and result.status in ("applied", "unchanged"), result.reason
    backup = ssh_city.config.backup(ap)[0]
    assert backup.ok, backup
    ssh_city.inventory.set_ap(ap, {"vars.max_clients": 90})
    result = ssh_city.config.push(ap)[0]
    assert (result.status, result.changed) == ("applied", True), result.reason
    assert (
        "-wireless.ssid0_radio0.maxassoc='70'" in result.diff and "+wireless.ssid0_radio0.maxassoc='90'" in result.diff
    )
    running = uci_show(ssh_city, ap)
    assert running["wireless.ssid0_radio0.ssid"] == "DVG-Free-WLAN"
    assert running["wireless.ssid0_radio0.maxassoc"] == "90"
    assert running["wireless.default_radio0.disabled"] == "1"
    assert "uci commit" in ssh_city.config.audit(ap=ap)[0]["transcript"]
    assert ssh_city.config.push(ap)[0].status == "unchanged"
    # restore the backup taken before the first push, through the same safe path: whole uci
    # packages are replaced, so sections the pushes added are gone again
    first_version = backup.version
    assert first_version is not None
    restored = ssh_city.config.restore(ap, first_version)
    assert restored.ok and restored.status in ("applied", "unchanged"), restored.reason
    pristine = uci_options_of_version(ssh_city, ap, first_version)
    assert uci_show(ssh_city, ap, "") == pristine
    assert pristine["wireless.ssid0_radio0.maxassoc"] == "70"
    assert ssh_city.config.audit(ap=ap)[0]["action"] == "restore"
    assert ssh_city.config.push(ap)[0].status == "applied"  # and forward again
    assert uci_show(ssh_city, ap)["wireless.ssid0_radio0.maxassoc"] == "90"


def uci_options_of_version(api: Any, ap: str, version: int) -> dict[str, str]:
    from netctl.drivers.plan import uci_options

    return uci_options(api.config.show_config(ap, version)["text"])


def test_openwrt_device_error_is_detected_and_changes_reverted(
    ssh_city: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from netctl.render.engine import environment, template_root

    ap = "bus-1206-ap01"
    before = uci_show(ssh_city, ap)
    templates = tmp_path / "templates"
    shutil.copytree(template_root(), templates)
    (templates / "openwrt" / "broken.uci.j2").write_text(
        "uci set wireless.radio0.channel='11'\nuci set nosuchconfig.x.y='1'\n"
    )
    monkeypatch.setenv("NETCTL_TEMPLATES", str(templates))
    environment.cache_clear()
    result = ssh_city.config.push(ap, template="broken")[0]
    assert result.status == "failed" and result.rpc_error_tag == "cli-error"
    assert "uci: Invalid argument" in (result.reason or "") and "put back" in (result.reason or "")
    assert uci_show(ssh_city, ap) == before
    assert uci_show(ssh_city, ap, "").get("wireless.radio0.channel") == before.get("wireless.radio0.channel")


def test_ios_switch_push_and_read_back(ssh_city: Any) -> None:
    from netctl.drivers.plan import ios_blocks

    ap = "gs-huckingen-sw01"
    first = ssh_city.config.push(ap)[0]
    assert first.ok and first.status in ("applied", "unchanged"), (first.reason, first.transcript[-2000:])
    vlan = next(v for v in range(100, 4000) if f"vlan {v}" not in show_run(ssh_city, ap))
    ssh_city.inventory.set_ap(ap, {"vars.guest_vlan": vlan})
    result = ssh_city.config.push(ap)[0]
    assert (result.status, result.changed) == ("applied", True), result.reason
    assert f"+vlan {vlan}" in result.diff and "write memory" in result.transcript
    blocks = show_run(ssh_city, ap)
    assert blocks[f"vlan {vlan}"] == ["name GUEST"]
    assert f"switchport trunk allowed vlan 10,20,{vlan}" in blocks["interface FastEthernet0/1"]
    assert ssh_city.config.push(ap)[0].status == "unchanged"
    stored = ios_blocks(ssh_city.config.show_config(ap)["text"])
    assert stored[f"vlan {vlan}"] == ["name GUEST"]


def test_ios_error_line_fails_the_push_and_the_switch_is_put_back(
    ssh_city: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from netctl.render.engine import environment, template_root

    ap = "gs-wanheim-sw01"
    before = show_run(ssh_city, ap)
    vlan = next(v for v in range(100, 4000) if f"vlan {v}" not in before)
    templates = tmp_path / "templates"
    shutil.copytree(template_root(), templates)
    (templates / "cli-ios" / "broken.ios.j2").write_text(
        f"vlan {vlan}\n name BROKEN\ninterface TenGigabitEthernet9/9\n description nowhere\n"
    )
    monkeypatch.setenv("NETCTL_TEMPLATES", str(templates))
    environment.cache_clear()
    result = ssh_city.config.push(ap, template="broken")[0]
    assert (result.status, result.rpc_error_tag) == ("failed", "cli-error")
    assert "% Invalid input" in (result.reason or "") and "put back" in (result.reason or "")
    assert f"no vlan {vlan}" in result.transcript
    after = show_run(ssh_city, ap)
    assert f"vlan {vlan}" not in after
    assert after == before


def test_ios_restore_takes_away_what_was_added_since(ssh_city: Any) -> None:
    """A restore is a full replace: a VLAN and an interface line added after the backup are removed."""
    from netctl.drivers.plan import ios_blocks

    ap = "ges-marxloh-sw01"
    first = ssh_city.config.push(ap)[0]
    assert first.ok, (first.reason, first.transcript[-2000:])
    backup = ssh_city.config.backup(ap)[0]
    assert backup.ok, backup
    version = ssh_city.config.history(ap)[0]["version"]
    before = show_run(ssh_city, ap)
    vlan = next(v for v in range(100, 4000) if f"vlan {v}" not in before)
    ssh_city.inventory.set_ap(ap, {"vars.guest_vlan": vlan})
    changed = ssh_city.config.push(ap)[0]
    assert changed.status == "applied", changed.reason
    assert f"vlan {vlan}" in show_run(ssh_city, ap)

    restored = ssh_city.config.restore(ap, version)
    assert restored.ok and restored.status == "applied", (restored.reason, restored.transcript[-2000:])
    assert f"no vlan {vlan}" in restored.transcript
    after = show_run(ssh_city, ap)
    assert f"vlan {vlan}" not in after
    assert after == before, "the switch is back to exactly the stored version"
    assert ios_blocks(ssh_city.config.show_config(ap, version)["text"])["vlan 30"] == ["name GUEST"]
