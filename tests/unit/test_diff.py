"""Diffs of intended vs running: structural for NETCONF XML, unified for CLI, always masked."""

from __future__ import annotations

import pytest

from netctl.drivers.plan import compare, mask, restore_commands, strip_volatile, undo_commands

NS = 'xmlns="urn:netctl:params:xml:ns:yang:netctl-wlan-ap"'


def nwap(body: str) -> str:
    return f"<ap {NS}>{body}</ap>"


RADIO = "<radio><id>radio0</id><band>2.4ghz</band><channel>6</channel></radio>"


def test_order_whitespace_and_defaults_are_not_changes() -> None:
    intended = nwap(RADIO + "<ssid><name>A</name><security>open</security><hidden>false</hidden></ssid>")
    running = (
        f"<ap {NS}>\n  <ssid><hidden>false</hidden><name>A</name><security>open</security></ssid>\n"
        "  <radio><channel>6</channel><id>radio0</id><band>2.4ghz</band><enabled>true</enabled>"
        "<channel-width>20</channel-width></radio>\n</ap>\n"
    )
    result = compare(intended, running, "netconf-wlan")
    assert not result.changed and result.text == ""


def test_structural_diff_lists_added_removed_and_changed_leaves() -> None:
    running = nwap(RADIO + "<ssid><name>Old</name><security>open</security></ssid>")
    intended = nwap(
        RADIO.replace("<channel>6", "<channel>11") + "<ssid><name>New</name><security>open</security></ssid>"
    )
    result = compare(intended, running, "netconf-wlan")
    assert result.changed and result.kind == "structural"
    lines = result.text.splitlines()
    assert "~ ap/radio[id=radio0]/channel: 6 -> 11" in lines
    assert "+ ap/ssid[name=New]/security = open" in lines
    assert "- ap/ssid[name=Old]/security = open" in lines


def test_secrets_never_show_but_a_changed_secret_is_a_change() -> None:
    ssid = "<ssid><name>S</name><security>wpa2-psk</security><passphrase>{}</passphrase></ssid>"
    running = nwap(RADIO + ssid.format("old-secret-1"))
    intended = nwap(RADIO + ssid.format("new-secret-2"))
    result = compare(intended, running, "netconf-wlan", ["new-secret-2"])
    assert result.changed
    assert "secret" not in result.text.replace("(secret values differ)", "")
    assert "old-secret-1" not in result.text and "new-secret-2" not in result.text


def test_identityref_prefix_is_only_spelling() -> None:
    a = (
        '<ssids xmlns="http://openconfig.net/yang/wifi-mac" xmlns:oc-wifi-types="http://openconfig.net/yang/wifi/'
        'wifi-types"><ssid><name>Z</name><config><name>Z</name><operating-frequency>oc-wifi-types:FREQ_5GHZ'
        "</operating-frequency></config></ssid></ssids>"
    )
    b = a.replace("oc-wifi-types", "wt")
    assert not compare(a, b, "openconfig-wlan").changed


def test_uci_diff_only_covers_options_the_template_sets() -> None:
    running = (
        "wireless.radio0=wifi-device\nwireless.radio0.channel='1'\nwireless.radio0.country='DE'\n"
        "wireless.ssid0_radio0.key='old-key-123'\n"
    )
    intended = "uci set wireless.radio0.channel='6'\nuci set wireless.ssid0_radio0.key='new-key-456'\n"
    result = compare(intended, running, "openwrt", ["new-key-456"])
    assert result.changed and result.kind == "unified"
    assert "-wireless.radio0.channel='1'" in result.text and "+wireless.radio0.channel='6'" in result.text
    assert "country" not in result.text and "key-" not in result.text
    assert not compare("uci set wireless.radio0.channel='1'\n", running, "openwrt").changed


def test_ios_diff_and_volatile_lines() -> None:
    running = (
        "Building configuration...\n\nCurrent configuration : 1234 bytes\n"
        "! Last configuration change at 10:01:02 UTC Sat Nov 21 2026\n"
        "hostname sw1\n!\nvlan 10\n name STAFF\n!\ninterface GigabitEthernet0/1\n description old\n!\nend\n"
    )
    intended = "hostname sw1\nvlan 10\n name STAFF\nvlan 20\n name PUPILS\n"
    result = compare(intended, running, "cli-ios")
    assert result.changed
    assert "+vlan 20" in result.text and "+ name PUPILS" in result.text
    stripped = strip_volatile(running, "cli-ios")
    assert "Last configuration change" not in stripped and "Current configuration" not in stripped
    assert "hostname sw1" in stripped


def test_mask_uses_platform_patterns_and_known_values() -> None:
    text = "enable secret 5 $1$abc$xyz\nsnmp-server community s3cr3t RO\nbanner motd hunter22\n"
    masked = mask(text, "cli-ios", ["hunter22"])
    assert "$1$abc$xyz" not in masked and "s3cr3t" not in masked and "hunter22" not in masked
    assert "snmp-server community ******** RO" in masked


def test_undo_and_restore_commands() -> None:
    backup = "hostname old\n!\nvlan 10\n name STAFF\n!\n"
    intended = "hostname new\nvlan 10\n name STAFF\nvlan 20\n name PUPILS\n"
    assert undo_commands(backup, intended, "cli-ios") == ["hostname old", "no vlan 20"]
    uci_backup = "wireless.radio0.channel='1'\n"
    assert undo_commands(
        uci_backup, "uci set wireless.radio0.channel='6'\nuci set wireless.x.ssid='a'\n", "openwrt"
    ) == ["uci set wireless.radio0.channel='1'", "uci delete wireless.x.ssid"]
    assert restore_commands(uci_backup, "openwrt") == (
        "# netctl-replace: wireless\nuci set wireless.radio0.channel='1'\n"
    )


def test_restore_of_a_uci_list_option_rebuilds_the_list() -> None:
    backup = "system.ntp=timeserver\nsystem.ntp.server='0.pool.example' '1.pool.example'\n"
    assert restore_commands(backup, "openwrt").splitlines() == [
        "# netctl-replace: system",
        "uci set system.ntp='timeserver'",
        "uci set system.ntp.server='0.pool.example'",
        "uci add_list system.ntp.server='1.pool.example'",
    ]


def test_uci_list_restore_reads_back_equal() -> None:
    from netctl.drivers.plan import uci_options

    backup = "system.ntp.server='0.pool.example' '1.pool.example'\n"
    assert uci_options(restore_commands(backup, "openwrt")) == uci_options(backup)
    assert not compare(restore_commands(backup, "openwrt"), backup, "openwrt").changed


def test_uci_restore_replaces_whole_packages() -> None:
    from netctl.drivers.plan import uci_delete_commands

    backup = "wireless.radio0=wifi-device\nwireless.radio0.channel='1'\n"
    running = (backup.replace("'1'", "'6'") + "wireless.radio0.txpower='9'\nwireless.ssid0=wifi-iface\n"
               "wireless.ssid0.ssid='x'\nsystem.ntp=timeserver\n")
    restore = restore_commands(backup, "openwrt")
    assert uci_delete_commands(restore, running) == ["uci delete wireless.radio0.txpower", "uci delete wireless.ssid0"]
    result = compare(restore, running, "openwrt")
    assert result.changed and "-wireless.ssid0.ssid='x'" in result.text and "system.ntp" not in result.text
    assert not compare(restore, backup + "system.ntp=timeserver\n", "openwrt").changed
    # a template's partial config never deletes what it does not mention
    assert uci_delete_commands("uci set wireless.radio0.channel='1'\n", running) == []


def test_ordered_by_user_leaf_list_order_is_a_change() -> None:
    a = nwap("<system><ntp-server>127.0.0.123</ntp-server><ntp-server>127.0.0.124</ntp-server></system>")
    b = nwap("<system><ntp-server>127.0.0.124</ntp-server><ntp-server>127.0.0.123</ntp-server></system>")
    result = compare(a, b, "netconf-wlan")
    assert result.changed and "ntp-server: 127.0.0.124, 127.0.0.123 -> 127.0.0.123, 127.0.0.124" in result.text
    days = "<ssid><name>S</name><security>open</security><schedule><day>{}</day><day>{}</day></schedule></ssid>"
    assert not compare(nwap(days.format("mon", "tue")), nwap(days.format("tue", "mon")), "netconf-wlan").changed


def test_a_running_config_that_is_not_xml_is_a_device_error_naming_it() -> None:
    from netctl.errors import DeviceError

    with pytest.raises(DeviceError, match="not well-formed XML") as err:
        compare("<ap><x>1</x></ap>", "<ap><x>1</x", "netconf-wlan")
    assert err.value.__cause__ is not None


def test_a_sealed_config_from_another_key_is_a_secret_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    from netctl.errors import SecretError
    from netctl.push.ops import _seal, _unseal

    monkeypatch.setenv("NETCTL_SECRET_KEY", Fernet.generate_key().decode())
    sealed = _seal("<ap/>")
    assert _unseal(sealed) == "<ap/>"
    monkeypatch.setenv("NETCTL_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(SecretError, match="cannot be decrypted"):
        _unseal(sealed)
    with pytest.raises(SecretError):
        _unseal("not a token")
