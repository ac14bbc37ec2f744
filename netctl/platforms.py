"""The platform registry: one table of what each AP platform is and how netctl talks to it.

An AP's ``platform`` names one row here. The row says which transport and driver push and back up
its configuration, which template directory renders it, the netmiko ``device_type`` for SSH CLI
platforms, the management port used when the inventory gives none, and which SNMP profile (OID
table) the poller uses. Platform differences are data: add a platform by adding a row.

Keep this module free of imports beyond the standard library: the inventory validator, the
renderer, the drivers and the poller all read it.
"""

from __future__ import annotations

from typing import Any

from netctl.errors import ConfigError

#: platform name -> facts. Keys of every row:
#:   transport      "netconf" or "ssh"; None for devices that are only polled
#:   driver         the driver registered under this name (netctl.drivers)
#:   template_dir   directory under templates/ holding this platform's Jinja2 templates
#:   device_type    netmiko device_type for SSH CLI platforms, None for NETCONF
#:   default_port   management port when the AP gives none (None: no management session)
#:   snmp_profile   name of the OID/health profile the poller uses
#:   description    one line for humans (``netctl inventory platforms``)
#: NETCONF rows also say how the post-check after a confirmed commit reaches the AP
#: (``post_check_session``): "connection" opens a new SSH connection (it proves SSH logins still
#: work: for models that hold management settings such as SSH, users or addresses); "channel"
#: opens a new NETCONF session on the push's own SSH connection (it proves the NETCONF server
#: still takes sessions and serves the committed config, at a third of the cost: for models with
#: no management settings, where a change cannot lock netctl out of SSH).
#: Rows with templates also say how values are written into them (netctl.values): ``quoting``
#: (the dialect whose finaliser every ``{{ … }}`` output goes through: xml, uci, ios or vrp),
#: ``field_rules`` (extra ``(variable pattern, rule)`` pairs for this platform) and
#: ``interface_pattern`` (the interface names its CLI takes). NETCONF rows name the YANG modules a
#: rendered config is validated against before it is sent (``yang_modules``, in load order; from
#: netctl's built-in YANG folder, netctl.render.yang).
#: ``ssid_enabled`` says how a targeted change switches one SSID (netctl.push.targeted): ``xml`` is a
#: NETCONF fragment sent with merge semantics (``{ssid}`` and ``{value}`` filled in), ``uci_option``
#: the option set on each ``wifi-iface`` section of the SSID; ``on``/``off`` are the values written.
PLATFORMS: dict[str, dict[str, Any]] = {
    "netconf-wlan": {
        "transport": "netconf",
        "driver": "netconf",
        "template_dir": "netconf-wlan",
        "device_type": None,
        "default_port": 830,
        "snmp_profile": "wlan-ap",
        "description": "WLAN AP with a NETCONF server (candidate datastore, confirmed commit)",
        # configuration management (netctl.render, netctl.drivers.netconf)
        "default_template": "ap.xml.j2",
        # yang/netctl-wlan-ap.yang: system identity, radios, SSIDs; no SSH, users or addresses
        "post_check_session": "channel",
        "config_format": "xml",
        "quoting": "xml",
        "yang_modules": ["netctl-wlan-ap"],
        # SSIDs are list keys: yuma123 writes them into '-quoted instance identifiers and dies on a "'"
        "field_rules": [("*_ssid", "list-key"), ("ssids_disabled", "list-key"), ("*", "trimmed")],
        "secret_patterns": [r"(<passphrase>)([^<]*)(</passphrase>)"],
        "ssid_enabled": {
            "xml": '<ap xmlns="urn:netctl:params:xml:ns:yang:netctl-wlan-ap"><ssid><name>{ssid}</name>'
                   "<enabled>{value}</enabled></ssid></ap>",
            "on": "true", "off": "false",
        },
        "volatile_patterns": [],
    },
    "openconfig-wlan": {
        "transport": "netconf",
        "driver": "netconf",
        "template_dir": "openconfig-wlan",
        "device_type": None,
        "default_port": 830,
        "snmp_profile": "wlan-ap",
        "description": "WLAN AP speaking the OpenConfig WiFi models over NETCONF",
        "default_template": "ap.xml.j2",
        # openconfig-wifi-mac/-phy: SSIDs and radios only
        "post_check_session": "channel",
        "config_format": "xml",
        "quoting": "xml",
        "yang_modules": ["openconfig-wifi-types", "openconfig-wifi-mac", "openconfig-wifi-phy"],
        "field_rules": [("*_ssid", "list-key"), ("ssids_disabled", "list-key"), ("*", "trimmed")],
        "secret_patterns": [r"(<wpa[23]-psk>)([^<]*)(</wpa[23]-psk>)"],
        "ssid_enabled": {
            "xml": '<ssids xmlns="http://openconfig.net/yang/wifi-mac"><ssid><name>{ssid}</name><config>'
                   "<name>{ssid}</name><enabled>{value}</enabled></config></ssid></ssids>",
            "on": "true", "off": "false",
        },
        "volatile_patterns": [],
    },
    "openwrt": {
        "transport": "ssh",
        "driver": "cli",
        "template_dir": "openwrt",
        "device_type": "linux",
        "default_port": 22,
        "snmp_profile": "wlan-ap",
        "description": "OpenWrt (vehicle) AP configured over SSH (uci)",
        "default_template": "vehicle.uci.j2",
        "config_format": "cli",
        "quoting": "uci",
        # netctl.drivers.cli: how to read, stage, save, verify and undo a config; which lines are errors
        "backup_command": "uci show",
        "enter_config": None,
        "commit_commands": ["uci commit", "wifi reload"],
        "revert_commands": ["uci revert wireless", "uci revert system"],
        # changes staged and never committed (a push killed between set and commit, a person at the
        # console): `uci show` shows them as if they ran; they are listed by this command and
        # discarded package by package before a push (and reported, not taken for the config, by
        # backup, diff and drift)
        "staged_command": "uci changes",
        "discard_staged_command": "uci revert {package}",
        "error_patterns": [r"^uci: ", r"(?i)invalid argument", r"(?i)entry not found", r"(?i)command not found",
                           r"(?i)^error\b", r"(?i)parse error"],
        "secret_patterns": [r"(\.key=')([^']*)(')"],
        "ssid_enabled": {"uci_option": "disabled", "on": "0", "off": "1"},
        "volatile_patterns": [r"^system\.@system\[0\]\.uptime=", r"(?i)^.*\.last_(seen|change)="],
    },
    "cli-ios": {
        "transport": "ssh",
        "driver": "cli",
        "template_dir": "cli-ios",
        "device_type": "cisco_ios",
        "default_port": 22,
        "snmp_profile": "switch",
        "description": "Cisco IOS access switch configured over the SSH CLI",
        "default_template": "switch.ios.j2",
        "config_format": "cli",
        "quoting": "ios",
        "interface_pattern": r"(?:FastEthernet|GigabitEthernet|TenGigabitEthernet|TwentyFiveGigE|FortyGigabitEthernet"
                             r"|HundredGigE|Ethernet|Port-channel|Vlan)[0-9]{1,4}(?:/[0-9]{1,3}){0,3}",
        "backup_command": "show running-config",
        "enter_config": "configure terminal",
        "commit_commands": ["write memory"],
        "revert_commands": [],
        "error_patterns": [r"^% ?Invalid input", r"^% ?Incomplete command", r"^% ?Ambiguous command",
                           r"^% ?Unknown command", r"^% ?Bad ", r"^% ?Error", r"(?i)^%.*not allowed"],
        "secret_patterns": [r"^((?:enable )?secret \d+ |(?:enable )?password (?:\d+ )?)(\S+)()$",
                            r"^(snmp-server community )(\S+)(.*)$", r"^( key(?:-string)? (?:\d+ )?)(\S+)()$"],
        "volatile_patterns": [r"^! (Last configuration change|NVRAM config last updated)", r"^Building configuration",
                              r"^Current configuration\s*:", r"^ntp clock-period"],
    },
    "snmp-only": {
        "transport": None,
        "driver": None,
        "template_dir": None,
        "device_type": None,
        "default_port": None,
        "snmp_profile": "wlan-ap",
        "description": "Device that is only polled over SNMP; netctl never configures it",
    },
}


def get_platform(name: str) -> dict[str, Any]:
    """The registry row of ``name``. Raises ConfigError naming the known platforms."""
    try:
        return PLATFORMS[name]
    except KeyError:
        raise ConfigError(f"unknown platform {name!r}",
                          hint="use one of: " + ", ".join(sorted(PLATFORMS))) from None


def platform_names() -> list[str]:
    return sorted(PLATFORMS)
