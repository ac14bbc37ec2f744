"""The platforms: one definition per AP platform, everything netctl needs to know to talk to it.

An AP's ``platform`` names one :class:`Platform`. The definition says which transport and driver
push and back up its configuration, which templates render it and how values are quoted into them,
how configs of its dialect are compared and undone, the local checks and YANG modules a rendered
config passes, the CLI commands and error patterns of SSH platforms, how the NETCONF post-check
reaches the AP, and which SNMP profile the poller uses. Platform differences are data: add a
platform by adding a definition, here or in a package of your own::

    [project.entry-points."netctl.platforms"]
    my-ap = "my_package.platforms:MY_AP"      # a netctl.platforms.Platform named "my-ap"

Every definition is held by one registry (:data:`PLATFORMS`, a :class:`~netctl.registry.Registry`):
a plugin that names a built-in platform, or two plugins that name the same one, raise
:class:`~netctl.registry.NameClash` naming both sources instead of one silently winning.

Keep this module free of imports beyond the standard library: the inventory validator, the
renderer, the drivers and the poller all read it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netctl.errors import ConfigError
from netctl.registry import Registry

#: XML namespaces of the built-in NETCONF platforms' models (their running filters name them)
NWAP_NS = "urn:netctl:params:xml:ns:yang:netctl-wlan-ap"
OC_MAC_NS = "http://openconfig.net/yang/wifi-mac"
OC_PHY_NS = "http://openconfig.net/yang/wifi-phy"
#: Cisco's IOS-XE wireless models of the Catalyst 9800 (WLAN profiles and policies, site, RF and AP tags)
C9800_WLAN_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-wireless-wlan-cfg"
C9800_SITE_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-wireless-site-cfg"
C9800_RF_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-wireless-rf-cfg"
C9800_AP_NS = "http://cisco.com/ns/yang/Cisco-IOS-XE-wireless-ap-cfg"


@dataclass(frozen=True)
class Platform:
    """What one AP platform is and how netctl talks to it. Only ``name`` and ``description`` are
    required: a device that is only polled needs nothing else.

    Facts are attributes (``platform.default_port``); ``netctl inventory platforms --json`` shows
    them all (:meth:`as_dict`).
    """

    name: str
    #: one line for humans (``netctl inventory platforms``)
    description: str
    #: "netconf" or "ssh"; None for devices that are only polled
    transport: str | None = None
    #: the driver registered under this name (:func:`netctl.drivers.get_driver`)
    driver: str | None = None
    #: directory under templates/ holding this platform's Jinja2 templates, and the one rendered
    #: when an AP names none
    template_dir: str | None = None
    default_template: str | None = None
    #: netmiko ``device_type`` of SSH CLI platforms
    device_type: str | None = None
    #: management port when the AP gives none (None: no management session)
    default_port: int | None = None
    #: the OID/health profile the poller uses (:data:`netctl.poll.oids.PROFILES`); an AP's own
    #: ``snmp.profile`` overrides it
    snmp_profile: str = "wlan-ap"
    #: "xml" or "cli": what a stored config of this platform is
    config_format: str | None = None
    #: how configs are compared, restored and undone (:mod:`netctl.drivers.plan`): xml (NETCONF
    #: subtrees as canonical leaf paths), uci (OpenWrt options), ios (IOS-style blocks), vrp (Huawei VRP
    #: views) or zxros (ZTE ZXROS modes closed by ``$``)
    dialect: str = "xml"
    #: how values are written into templates (:mod:`netctl.values`): the dialect whose finaliser every
    #: ``{{ … }}`` output goes through (xml, uci, ios, vrp or zxros)
    quoting: str | None = None
    #: extra ``(variable pattern, rule)`` value rules of this platform (:mod:`netctl.values`)
    field_rules: tuple[tuple[str, str], ...] = ()
    #: the interface names its CLI takes (a regular expression; None: the generic rule)
    interface_pattern: str | None = None
    #: the local check of a rendered config (:data:`netctl.render.schema.CHECKS`); None: none
    local_check: str | None = None
    #: YANG modules a rendered config is validated against before it is sent, in load order (from
    #: netctl's built-in YANG folder, :mod:`netctl.render.yang`)
    yang_modules: tuple[str, ...] = ()
    #: canonical form of XML configs (:func:`netctl.render.schema.flatten`): list name -> key leaves,
    #: leaf-lists whose order is configuration (``ordered-by user``), and list path -> leaf -> the
    #: model's default
    list_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ordered_by_user: frozenset[str] = frozenset()
    model_defaults: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: the NETCONF subtree filter that fetches only what the platform's templates manage
    running_filter: str | None = None
    #: how the post-check after a confirmed commit reaches the AP: "connection" opens a new SSH
    #: connection (it proves SSH logins still work: for models that hold management settings such
    #: as SSH, users or addresses); "channel" opens a new NETCONF session on the push's own SSH
    #: connection (it proves the NETCONF server still takes sessions and serves the committed config,
    #: at a third of the cost: for models with no management settings)
    post_check_session: str | None = None
    #: SSH CLI platforms (:mod:`netctl.drivers.cli`): how to read, enter config mode, save and undo
    backup_command: str | None = None
    enter_config: str | None = None
    commit_commands: tuple[str, ...] = ()
    revert_commands: tuple[str, ...] = ()
    #: changes staged and never committed (a push killed between set and commit, a person at the
    #: console) are listed by ``staged_command`` and discarded package by package with
    #: ``discard_staged_command`` before a push (and reported, not taken for the config, by backup,
    #: diff and drift)
    staged_command: str | None = None
    discard_staged_command: str | None = None
    #: how a line sent in configuration mode is answered: a regular expression for the end of the
    #: answer (None: an IOS-style ``#`` prompt or a ``%`` message), the command that leaves configuration
    #: mode in one step (None: one ``exit`` per level, read from the ``(config…)#`` prompt), and a
    #: question some commands ask before they act (``save``: ``[Y/N]``) with the answer netctl gives
    config_prompt: str | None = None
    #: a prompt that says the session is in configuration mode (None: netmiko's own check, which on
    #: VRP waits for two seconds of silence each time it looks)
    config_mode_prompt: str | None = None
    leave_config: str | None = None
    confirm: tuple[str, str] | None = None
    #: the command that ends a session (None: netmiko's own clean-up, or ``exit`` where there is no
    #: configuration mode); with it the session is ended at once instead of after netmiko's probe for
    #: configuration mode, which waits for two seconds of silence on VRP
    logout_command: str | None = None
    #: device output lines that are errors (regular expressions)
    error_patterns: tuple[str, ...] = ()
    #: secrets in a config (three groups: before, the secret, after), masked in every diff and log
    secret_patterns: tuple[str, ...] = ()
    #: lines that change by themselves (timestamps, counters), left out of diffs and backup hashes
    volatile_patterns: tuple[str, ...] = ()
    #: how the device shows a secret it keeps only as cipher text (regular expressions a secret of
    #: ``secret_patterns`` matches whole): netctl cannot read it, so a compare takes the intended secret
    #: of that line as equal to it (a secret changed on the device by hand is not seen; vrp dialect)
    opaque_secret_patterns: tuple[str, ...] = ()
    #: how a targeted change switches one SSID (:mod:`netctl.push.targeted`): ``xml`` is a NETCONF
    #: fragment sent with merge semantics (``{ssid}`` and ``{value}`` filled in), ``uci_option`` the
    #: option set on each ``wifi-iface`` section of the SSID; ``on``/``off`` are the values written
    ssid_enabled: Mapping[str, str] | None = None
    #: firmware upgrades (:mod:`netctl.firmware`; None: netctl does not upgrade this platform): the
    #: command that prints the running release and a regular expression whose first group is the
    #: version in its output; where the image goes on the AP (``{version}`` filled in); the commands
    #: (``{path}`` filled in) that receive it on stdin, print its sha256 (first word; None: the platform
    #: prints none, netctl compares the sha256 of the bytes it sent and says so in the result), check it
    #: without installing, make it the next startup's image (None: installing does that), and install it
    #: (the session drops, the AP reboots); how long the AP may take to answer SSH again (seconds).
    #: Every answer is also read for the platform's ``error_patterns``: a line that is an error fails
    #: the step even when the command exits 0 (VRP's exec channel does)
    firmware_version_command: str | None = None
    firmware_version_pattern: str | None = None
    firmware_path: str | None = None
    firmware_upload_command: str | None = None
    firmware_checksum_command: str | None = None
    firmware_test_command: str | None = None
    firmware_startup_command: str | None = None
    firmware_install_command: str | None = None
    #: the questions the install command asks before it acts and netctl's answers (regular expression
    #: for the end of the output, answer), first match wins; given, the install runs in an interactive
    #: shell that answers them (VRP's ``reboot`` asks ``[Y/N]``); empty: on an exec channel
    firmware_install_answers: tuple[tuple[str, str], ...] = ()
    firmware_reboot_s: float | None = None
    #: the SSH port of the firmware commands when it is not the AP's own port (a controller configured
    #: over NETCONF whose software is installed on its SSH CLI); None: the AP's port. The host keys pinned
    #: for the AP are checked there too (one SSH server, one key)
    firmware_port: int | None = None
    #: how the upload command takes the image: ``stdin`` (the bytes on its stdin: ``cat > {path}``) or
    #: ``scp`` (the command is an SCP sink, ``scp -t {path}``, and netctl speaks SCP's source side to it:
    #: what ``scp FILE user@device:{path}`` does, for devices whose SCP server writes to their flash)
    firmware_upload_protocol: str = "stdin"
    #: after the version is read back, the AP must pass the push's health gate over SNMP (clients back
    #: within the gate's time); False: netctl has no SNMP health rules for the platform, the version read
    #: back over SSH is the last check, and each upgrade's result says the health check was not made
    firmware_health_gate: bool = True

    def as_dict(self) -> dict[str, Any]:
        """The definition as plain JSON-ready data (lists for tuples and sets)."""
        return {f: _plain(getattr(self, f)) for f in _FIELDS}


_FIELDS = tuple(f.name for f in dataclasses.fields(Platform))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


#: NETCONF platforms: SSIDs are list keys, and yuma123 writes them into '-quoted instance identifiers
#: (it dies on a "'"); the server trims values, so none may start or end with white space
_NETCONF_FIELD_RULES = (("*_ssid", "list-key"), ("ssids_disabled", "list-key"), ("*", "trimmed"))

BUILTIN: tuple[Platform, ...] = (
    Platform(
        "netconf-wlan",
        "WLAN AP with a NETCONF server (candidate datastore, confirmed commit)",
        transport="netconf",
        driver="netconf",
        template_dir="netconf-wlan",
        default_template="ap.xml.j2",
        default_port=830,
        snmp_profile="wlan-ap",
        config_format="xml",
        dialect="xml",
        quoting="xml",
        field_rules=_NETCONF_FIELD_RULES,
        local_check="netctl-wlan-ap",
        yang_modules=("netctl-wlan-ap",),
        list_keys={"radio": ("id",), "ssid": ("name",)},
        ordered_by_user=frozenset({"ap/system/ntp-server"}),
        model_defaults={
            "ap/radio": {"channel-width": "20", "enabled": "true"},
            "ap/ssid": {"enabled": "true", "security": "wpa2-psk", "hidden": "false"},
        },
        running_filter=f'<ap xmlns="{NWAP_NS}"/>',
        # yang/netctl-wlan-ap.yang: system identity, radios, SSIDs; no SSH, users or addresses
        post_check_session="channel",
        secret_patterns=(r"(<passphrase>)([^<]*)(</passphrase>)",),
        ssid_enabled={
            "xml": f'<ap xmlns="{NWAP_NS}"><ssid><name>{{ssid}}</name><enabled>{{value}}</enabled></ssid></ap>',
            "on": "true", "off": "false",
        },
    ),
    Platform(
        "openconfig-wlan",
        "WLAN AP speaking the OpenConfig WiFi models over NETCONF",
        transport="netconf",
        driver="netconf",
        template_dir="openconfig-wlan",
        default_template="ap.xml.j2",
        default_port=830,
        snmp_profile="wlan-ap",
        config_format="xml",
        dialect="xml",
        quoting="xml",
        field_rules=_NETCONF_FIELD_RULES,
        local_check="openconfig-wifi",
        yang_modules=("openconfig-wifi-types", "openconfig-wifi-mac", "openconfig-wifi-phy"),
        list_keys={"radio": ("id", "operating-frequency"), "ssid": ("name",)},
        model_defaults={
            "radios/radio": {"config/enabled": "true", "config/transmit-power": "9", "config/channel-width": "20"},
            "ssids/ssid": {"config/enabled": "true", "config/hidden": "false",
                           "config/operating-frequency": "FREQ_2_5_GHZ"},
        },
        running_filter=f'<radios xmlns="{OC_PHY_NS}"/><ssids xmlns="{OC_MAC_NS}"/>',
        # openconfig-wifi-mac/-phy: SSIDs and radios only
        post_check_session="channel",
        secret_patterns=(r"(<wpa[23]-psk>)([^<]*)(</wpa[23]-psk>)",),
        ssid_enabled={
            "xml": f'<ssids xmlns="{OC_MAC_NS}"><ssid><name>{{ssid}}</name><config>'
                   "<name>{ssid}</name><enabled>{value}</enabled></config></ssid></ssids>",
            "on": "true", "off": "false",
        },
    ),
    Platform(
        "openwrt",
        "OpenWrt (vehicle) AP configured over SSH (uci)",
        transport="ssh",
        driver="cli",
        template_dir="openwrt",
        default_template="vehicle.uci.j2",
        device_type="linux",
        default_port=22,
        snmp_profile="wlan-ap",
        config_format="cli",
        dialect="uci",
        quoting="uci",
        local_check="uci",
        backup_command="uci show",
        commit_commands=("uci commit", "wifi reload"),
        revert_commands=("uci revert wireless", "uci revert system"),
        staged_command="uci changes",
        discard_staged_command="uci revert {package}",
        error_patterns=(r"^uci: ", r"(?i)invalid argument", r"(?i)entry not found", r"(?i)command not found",
                        r"(?i)^error\b", r"(?i)parse error"),
        secret_patterns=(r"(\.key=')([^']*)(')",),
        volatile_patterns=(r"^system\.@system\[0\]\.uptime=", r"(?i)^.*\.last_(seen|change)="),
        ssid_enabled={"uci_option": "disabled", "on": "0", "off": "1"},
        # sysupgrade keeps the configuration (-n would not); real images are checked by sysupgrade -T
        firmware_version_command="cat /etc/openwrt_release",
        firmware_version_pattern=r"(?m)^DISTRIB_RELEASE='([^']+)'",
        firmware_path="/tmp/firmware.bin",
        firmware_upload_command="cat > {path}",
        firmware_checksum_command="sha256sum {path}",
        firmware_test_command="sysupgrade -T {path}",
        firmware_install_command="sysupgrade {path}",
        firmware_reboot_s=300.0,
    ),
    Platform(
        "cli-ios",
        "Cisco IOS access switch configured over the SSH CLI",
        transport="ssh",
        driver="cli",
        template_dir="cli-ios",
        default_template="switch.ios.j2",
        device_type="cisco_ios",
        default_port=22,
        snmp_profile="switch",
        config_format="cli",
        dialect="ios",
        quoting="ios",
        interface_pattern=r"(?:FastEthernet|GigabitEthernet|TenGigabitEthernet|TwentyFiveGigE|FortyGigabitEthernet"
                          r"|HundredGigE|Ethernet|Port-channel|Vlan)[0-9]{1,4}(?:/[0-9]{1,3}){0,3}",
        local_check="ios",
        backup_command="show running-config",
        enter_config="configure terminal",
        commit_commands=("write memory",),
        error_patterns=(r"^% ?Invalid input", r"^% ?Incomplete command", r"^% ?Ambiguous command",
                        r"^% ?Unknown command", r"^% ?Bad ", r"^% ?Error", r"(?i)^%.*not allowed"),
        secret_patterns=(r"^((?:enable )?secret \d+ |(?:enable )?password (?:\d+ )?)(\S+)()$",
                         r"^(snmp-server community )(\S+)(.*)$", r"^( key(?:-string)? (?:\d+ )?)(\S+)()$"),
        volatile_patterns=(r"^! (Last configuration change|NVRAM config last updated)", r"^Building configuration",
                           r"^Current configuration\s*:", r"^ntp clock-period"),
    ),
    Platform(
        "huawei-ac",
        "Huawei WLAN controller (AC, VRP wlan view) configured over the SSH CLI",
        transport="ssh",
        driver="cli",
        template_dir="huawei-ac",
        default_template="wlan.vrp.j2",
        device_type="huawei",
        default_port=22,
        # its SNMP agent serves hwWlanApTable: polling the AC discovers the APs behind it (netctl.controllers)
        snmp_profile="huawei-ac",
        config_format="cli",
        dialect="vrp",
        quoting="vrp",
        local_check="vrp",
        # the WLAN plan is a list of profiles (vars.wlans[N].ssid …): the city rules by their last part
        field_rules=(("wlans*.ssid", "ssid"), ("wlans*.psk", "wpa-psk"), ("wlans*.vlan", "vlan")),
        backup_command="display current-configuration",
        enter_config="system-view",
        # VRP applies each line at once; save writes the running config to the startup file
        commit_commands=("save",),
        config_prompt=r"[\]>]\s*$",
        config_mode_prompt=r"\]\s*$",
        leave_config="return",
        logout_command="quit",
        confirm=(r"\[Y/N\]:?\s*$", "y"),
        error_patterns=(r"^\s*Error:",),
        secret_patterns=(r"^(\s*security \S+ (?:psk|sae) pass-phrase )(\S+)( .*)$",),
        # a real AC shows a pass-phrase as cipher text, %^%#…%^%# (older VRP: %$%$…%$%$)
        opaque_secret_patterns=(r"%\^%#\S+%\^%#", r"%\$%\$\S+%\$%\$"),
        volatile_patterns=(r"^!",),
        # software in the user view: the image goes to the flash, becomes the next startup's (the AC
        # refuses a package that is not for it), and reboot asks before it acts. VRP prints no sha256 of
        # a file (its own check is `check file-integrity` against Huawei's .asc signature): netctl compares
        # the bytes it sent. The health gate reads its AP table: the APs that were up before must be back
        firmware_version_command="display version",
        firmware_version_pattern=r"VRP \(R\) software, Version [0-9.]+ \((?:\S+ )?(V\d{3}R\d{3}\S*)\)",
        firmware_path="flash:/{version}.cc",
        # a real AC takes the image over SFTP; the lab's simulator over this exec channel (docs/lab.md)
        firmware_upload_command="upload {path}",
        firmware_startup_command="startup system-software {path}",
        firmware_install_command="reboot",
        # any other question (a real AC with unsaved changes asks to save them first) is answered no
        firmware_install_answers=((r"(?i)system will reboot.*\[Y/N\]:?\s*$", "y"), (r"\[Y/N\]:?\s*$", "n")),
        firmware_reboot_s=900.0,
    ),
    Platform(
        "cisco-9800",
        "Cisco Catalyst 9800 WLAN controller: WLANs, policy profiles and tags over NETCONF (Cisco's IOS-XE "
        "wireless YANG), polled over SNMP (AIRESPACE-WIRELESS-MIB AP tables)",
        transport="netconf",
        driver="netconf",
        template_dir="cisco-9800",
        default_template="wlan.xml.j2",
        default_port=830,
        snmp_profile="cisco-wlc",
        config_format="xml",
        dialect="xml",
        quoting="xml",
        # types of Cisco's models, one WLAN per ID, tags that name what is defined (netctl.render.schema)
        local_check="cisco-9800",
        # Cisco's names are printable ASCII without white space at either end (the models' pattern), at most
        # 32 characters; list keys may not hold "'" (yuma123 writes them into '-quoted instance identifiers)
        field_rules=(
            ("wlans*.ssid", "ssid"), ("wlans*.psk", "wpa-psk"), ("wlans*.vlan", "vlan"),
            ("wlans*.wlan_id", "wlan-id"), ("wlans*.security", "wlan-security"), ("wlans*.aaa_list", "cisco-name"),
            ("wlans*.profile", "cisco-name"), ("wlans*.policy", "cisco-name"), ("policy_tags*.name", "cisco-name"),
            ("policy_tags*.wlans", "cisco-name"), ("site_tags*.name", "cisco-name"), ("rf_tags*.name", "cisco-name"),
            ("controller_aps*.policy_tag", "cisco-name"), ("controller_aps*.site_tag", "cisco-name"),
            ("controller_aps*.rf_tag", "cisco-name"), ("controller_aps*.mac", "mac"),
            *_NETCONF_FIELD_RULES,
        ),
        list_keys={
            "wlan-cfg-entry": ("profile-name",), "policy-list-entry": ("tag-name",),
            # wlan-policy is a policy profile under wlan-policies, a WLAN of a policy tag under policy-list-entry
            "wlan-policy": ("policy-profile-name", "wlan-profile-name"),
            "site-tag-config": ("site-tag-name",), "rf-tag": ("tag-name",), "ap-tag": ("ap-mac",),
        },
        running_filter=(f'<wlan-cfg-data xmlns="{C9800_WLAN_NS}"/><site-cfg-data xmlns="{C9800_SITE_NS}"/>'
                        f'<rf-cfg-data xmlns="{C9800_RF_NS}"/><ap-cfg-data xmlns="{C9800_AP_NS}"/>'),
        # the models hold no management settings (SSH, users, addresses): a new session on the push's connection
        post_check_session="channel",
        secret_patterns=(r"(<psk>)([^<]*)(</psk>)",),
        # software on the SSH CLI (port 22, the NETCONF login) while the configuration stays on NETCONF: the
        # package goes to the bootflash over SCP (`ip scp server enable`), `install add file … activate commit`
        # adds, activates and commits it and reloads after asking [y/n]. IOS-XE prints no sha256 of a file
        # (`verify` knows /md5 and /sha512): netctl compares the bytes it sent. The health gate reads its AP
        # table (AIRESPACE-WIRELESS-MIB): the APs that were up before must be back
        error_patterns=(r"^FAILED:", r"^%\s*Invalid input", r"^%\s*Incomplete command", r"^%\s*Error"),
        firmware_version_command="show version",
        firmware_version_pattern=r"Cisco IOS Software \[[^\]]*\], .*?, Version ([^,\s]+),",
        firmware_path="bootflash:C9800-universalk9_wlc.{version}.SPA.bin",
        firmware_upload_command="scp -t {path}",
        firmware_upload_protocol="scp",
        firmware_install_command="install add file {path} activate commit",
        # the reload question is answered yes, and so is saving the running configuration before it (what
        # netctl pushed over NETCONF is lost by a reload unless it is saved); any other question no
        firmware_install_answers=((r"(?i)save the configuration.*\[y/n\]\s*$", "y"),
                                  (r"(?i)reload of the system.*\[y/n\]\s*$", "y"), (r"\[y/n\]\s*$", "n")),
        firmware_reboot_s=1200.0,
        firmware_port=22,
    ),
    Platform(
        "zte-zxros",
        "ZTE ZXR10 access switch (ZXROS): VLANs and AP ports configured over the SSH CLI",
        transport="ssh",
        driver="cli",
        template_dir="zte-zxros",
        default_template="switch.zte.j2",
        device_type="zte_zxros",
        default_port=22,
        snmp_profile="switch",
        config_format="cli",
        dialect="zxros",
        quoting="zxros",
        local_check="zxros",
        # the AP ports of the switch (vars.switch_ports[N].port …): ZXROS port names, VLANs, mode, description
        field_rules=(("switch_ports*.port", "interface"), ("switch_ports*.vlan", "vlan"),
                     ("switch_ports*.mode", "switchport-mode"), ("switch_ports*.description", "port-description")),
        interface_pattern=r"(?:gei|xgei)-[0-9]{1,2}/[0-9]{1,2}/[0-9]{1,2}/[0-9]{1,3}|smartgroup[0-9]{1,3}",
        backup_command="show running-config",
        enter_config="configure terminal",
        # ZXROS applies each line at once; write saves the running config as the startup one
        commit_commands=("write",),
        # a prompt line (NAME#, NAME(config-swvlan-if-gei-1/1/1/1)#), never an echoed line that ends in '#'
        config_prompt=r"(?:^|\n)[\w.-]+(?:\([\w./-]+\))?#\s*$",
        config_mode_prompt=r"\)#\s*$",
        # modes nest three deep (config, switchvlan-configuration, a port): end leaves them all
        leave_config="end",
        logout_command="exit",
        error_patterns=(r"^%\s*Error\b", r"^%\s*Invalid input", r"^%\s*Incomplete command", r"^%\s*Ambiguous command",
                        r"^%\s*Command not found", r"^%\s*Parameter too much"),
        secret_patterns=(r"^(\s*password (?:encrypted )?)(\S+)(.*)$",
                         r"^(\s*snmp-server community (?:encrypted )?)(\S+)(.*)$"),
        # !<mim> says when the config changed and was saved; !<section> markers carry nothing
        volatile_patterns=(r"^!",),
    ),
    Platform(
        "controller-ap",
        "AP behind a WLAN controller: configured on the controller, its health read from the controller's AP table",
    ),
    Platform(
        "snmp-only",
        "Device that is only polled over SNMP; netctl never configures it",
        snmp_profile="wlan-ap",
    ),
)


#: every platform netctl knows, by name: the built-ins, then those of the ``netctl.platforms`` entry points
PLATFORMS: Registry[Platform] = Registry("platform", "netctl.platforms", definition=Platform)
for _platform in BUILTIN:
    PLATFORMS.register(_platform.name, _platform)


def get_platform(name: str) -> Platform:
    """The definition of platform ``name``. Raises ConfigError naming the known platforms."""
    try:
        return PLATFORMS[name]
    except KeyError:
        raise ConfigError(f"unknown platform {name!r}",
                          hint="use one of: " + ", ".join(sorted(PLATFORMS))) from None


def find_platform(name: str | None) -> Platform | None:
    """The definition of platform ``name``, None for an unknown name (callers with a fallback)."""
    return PLATFORMS.get(name or "")


def platform_names() -> list[str]:
    return sorted(PLATFORMS)


def platform_table() -> dict[str, dict[str, Any]]:
    """Every platform as plain data (``netctl inventory platforms --json``)."""
    return {name: PLATFORMS[name].as_dict() for name in sorted(PLATFORMS)}
