"""What each platform serves over SNMP, as data: scalars fetched by GET, table columns by GETBULK.

A profile names the scalars (``name -> OID``, instance included) and the tables (a column prefix and
``column name -> column number``). The poller never looks anything up in a MIB: these numbers are all
it sends. A platform names its profile (``snmp_profile`` in :mod:`netctl.platforms`); an AP may name
another one (``snmp.profile``). Adding a model is adding a profile here (or in a package of your own,
through the ``netctl.snmp_profiles`` entry point group: a :class:`Profile` of that name; a name
that is taken raises :class:`~netctl.registry.NameClash`).

Tables used:

- SNMPv2-MIB system group (sysDescr, sysObjectID, sysUpTime, sysName)
- IF-MIB ifTable (1.3.6.1.2.1.2.2.1) and ifXTable (1.3.6.1.2.1.31.1.1.1, 64-bit counters)
- HOST-RESOURCES-MIB hrProcessorLoad (1.3.6.1.2.1.25.3.3.1.2) and hrStorageTable (RAM row)
- UCD-SNMP-MIB memTotalReal / memAvailReal (1.3.6.1.4.1.2021.4.5.0 / .6.0)
- UBNT-UniFi-MIB unifiRadioTable (1.3.6.1.4.1.41112.1.6.1.1.1) and unifiVapTable
  (1.3.6.1.4.1.41112.1.6.1.2.1): clients per SSID and radio
- WLAN controllers (profiles ``huawei-ac`` and ``cisco-wlc``): HUAWEI-WLAN-AP-MIB hwWlanApTable and
  HUAWEI-WLAN-VAP-MIB hwWlanVapInfoTable; AIRESPACE-WIRELESS-MIB bsnAPTable and bsnAPIfTable (see
  :mod:`netctl.controllers.mibs`); never a station (client) table
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from netctl.errors import ConfigError
from netctl.platforms import find_platform
from netctl.registry import Registry


@dataclass(frozen=True)
class Table:
    """A conceptual table walked by GETBULK: ``base`` is the entry OID, ``columns`` name -> number."""

    base: str
    columns: dict[str, int]

    def column_oid(self, name: str) -> str:
        return f"{self.base}.{self.columns[name]}"


@dataclass(frozen=True)
class Profile:
    """What one kind of device serves: scalars (GET) and tables (GETBULK)."""

    name: str
    scalars: dict[str, str]
    tables: dict[str, Table] = field(default_factory=dict)
    #: scalars a healthy agent must serve; a reply without them is malformed
    required: tuple[str, ...] = ("sys_uptime",)
    #: tables walked only when another one came back empty: name -> (the table whose absence calls for
    #: it, the table to walk instead); e.g. 32-bit ifTable octets for agents without ifXTable
    fallbacks: dict[str, tuple[str, Table]] = field(default_factory=dict)
    #: tables handed over undecoded, as ``values["raw"][table][column] = {index: (type, value)}`` (a
    #: controller's AP tables, read by :mod:`netctl.controllers.mibs`)
    raw: tuple[str, ...] = ()
    #: the MIB family of a WLAN controller's AP tables (``huawei``, ``airespace``): polling a device with
    #: this profile discovers the APs behind it (:mod:`netctl.controllers`); None for everything else
    controller: str | None = None

    def fallback_tables(self, walked: Mapping[str, Mapping[str, Mapping[str, object]]]) -> dict[str, Table]:
        """The fallback tables a poll needs after ``walked`` (table -> column -> rows) came back."""
        needed = {}
        for name, (missing, table) in self.fallbacks.items():
            rows = walked.get(missing, {})
            if not any(rows.values()) and any(walked.get("if", {}).values()):
                needed[name] = table
        return needed

    def fallback_columns(self, walked: Mapping[str, Mapping[str, Mapping[str, object]]]) -> list[tuple[str, str, str]]:
        """``(table, column, column OID)`` of every fallback column a poll walks after ``walked``."""
        return [(name, column, table.column_oid(column))
                for name, table in self.fallback_tables(walked).items() for column in table.columns]


SYSTEM = {
    "sys_descr": "1.3.6.1.2.1.1.1.0",
    "sys_object_id": "1.3.6.1.2.1.1.2.0",
    "sys_uptime": "1.3.6.1.2.1.1.3.0",
    "sys_name": "1.3.6.1.2.1.1.5.0",
}

UCD_MEMORY = {
    "mem_total_kb": "1.3.6.1.4.1.2021.4.5.0",
    "mem_avail_kb": "1.3.6.1.4.1.2021.4.6.0",
}

IF_TABLE = Table("1.3.6.1.2.1.2.2.1", {"descr": 2, "oper_status": 8, "in_errors": 14, "out_errors": 20})
#: 32-bit octet counters, for agents without ifXTable (profile ``legacy-if``)
IF_OCTETS = Table("1.3.6.1.2.1.2.2.1", {"in_octets": 10, "out_octets": 16})
IFX_TABLE = Table("1.3.6.1.2.1.31.1.1.1", {"hc_in_octets": 6, "hc_out_octets": 10})
HR_PROCESSOR = Table("1.3.6.1.2.1.25.3.3.1", {"load": 2})
HR_STORAGE = Table("1.3.6.1.2.1.25.2.3.1", {"type": 2, "alloc_units": 4, "size": 5, "used": 6})
UNIFI_RADIO = Table("1.3.6.1.4.1.41112.1.6.1.1.1", {"name": 2, "radio": 3, "cu_total": 6})
UNIFI_VAP = Table("1.3.6.1.4.1.41112.1.6.1.2.1", {"essid": 6, "stations": 8, "radio": 9, "up": 22})
#: the whole VAP row (channel, name, traffic) for profiles that want it (``wlan-ap-full``)
UNIFI_VAP_FULL = Table("1.3.6.1.4.1.41112.1.6.1.2.1", {
    "channel": 4, "essid": 6, "name": 7, "stations": 8, "radio": 9, "rx_bytes": 10, "tx_bytes": 16, "up": 22,
})

#: WLAN controllers' AP tables (columns checked against the MIB files; see netctl.controllers.mibs)
#: HUAWEI-WLAN-AP-MIB hwWlanApTable, INDEX hwWlanApMac
HUAWEI_AP = Table("1.3.6.1.4.1.2011.6.139.13.3.3.1", {
    "sn": 2, "type": 3, "name": 4, "group": 5, "run_state": 6, "ip": 13, "run_time": 18, "users": 44, "id": 67,
})
#: HUAWEI-WLAN-VAP-MIB hwWlanVapInfoTable, INDEX hwWlanVapApMac, hwWlanVapRadioIndex, hwWlanVapWlanId: the
#: SSID, client count and state of each VAP (never its BSSID, column 5)
HUAWEI_VAP = Table("1.3.6.1.4.1.2011.6.139.17.1.1.1", {"ssid": 6, "users": 9, "status": 10})
#: AIRESPACE-WIRELESS-MIB bsnAPTable, INDEX bsnAPDot3MacAddress (AireOS and the Catalyst 9800)
AIRESPACE_AP = Table("1.3.6.1.4.1.14179.2.2.1.1", {
    "name": 3, "status": 6, "model": 16, "serial": 17, "ip": 19, "group": 30,
})
#: bsnAPIfTable, INDEX bsnAPDot3MacAddress, bsnAPIfSlotId: radio state and bsnApIfNoOfUsers. Clients per
#: SSID and AP are only in the MIB's station tables (bsnMobileStationTable, one row per client, indexed by
#: the client's MAC): netctl never walks those (docs/privacy.md), so a 9800's APs have no per-SSID counts
AIRESPACE_AP_IF = Table("1.3.6.1.4.1.14179.2.2.2.1", {"oper": 12, "users": 15})

#: without ifXTable (64-bit octets), traffic comes from ifTable's 32-bit octets
IF_OCTETS_FALLBACK = {"if_octets": ("ifx", IF_OCTETS)}

#: hrStorageType of physical memory (HOST-RESOURCES-TYPES hrStorageRam)
HR_STORAGE_RAM = "1.3.6.1.2.1.25.2.1.2"

#: interface names that are radios (ifName/ifDescr prefixes); a down one degrades the AP
WIRELESS_IF_PREFIXES = ("wlan", "wifi", "ath", "ra", "radio", "wl")

#: Every column costs ``max_repetitions`` varbinds per GETBULK round and pysnmp decodes each one
#: (~0.1 ms), so the default profiles fetch only what health and metrics use. Memory comes from the
#: UCD scalars; ``wlan-ap-hr`` reads hrStorage instead, ``wlan-ap-full`` adds the radio table and the
#: whole VAP row; ``legacy-if`` uses 32-bit ifTable octets for agents without ifXTable. The other
#: interface profiles fall back to those 32-bit octets by themselves when ifXTable comes back empty
#: (one more walk, only for such agents).
BUILTIN: tuple[Profile, ...] = (
    Profile(
        "wlan-ap",
        scalars={**SYSTEM, **UCD_MEMORY},
        tables={"if": IF_TABLE, "ifx": IFX_TABLE, "cpu": HR_PROCESSOR, "vap": UNIFI_VAP},
        fallbacks=IF_OCTETS_FALLBACK,
    ),
    Profile(
        "wlan-ap-hr",
        scalars=dict(SYSTEM),
        tables={"if": IF_TABLE, "ifx": IFX_TABLE, "cpu": HR_PROCESSOR, "storage": HR_STORAGE, "vap": UNIFI_VAP},
        fallbacks=IF_OCTETS_FALLBACK,
    ),
    Profile(
        "wlan-ap-full",
        scalars={**SYSTEM, **UCD_MEMORY},
        tables={"if": IF_TABLE, "ifx": IFX_TABLE, "cpu": HR_PROCESSOR, "storage": HR_STORAGE,
                "radio": UNIFI_RADIO, "vap": UNIFI_VAP_FULL},
        fallbacks=IF_OCTETS_FALLBACK,
    ),
    Profile(
        "legacy-if",
        scalars={**SYSTEM, **UCD_MEMORY},
        tables={"if": Table(IF_TABLE.base, {**IF_TABLE.columns, **IF_OCTETS.columns}), "cpu": HR_PROCESSOR},
    ),
    Profile(
        "switch",
        scalars=dict(SYSTEM),
        tables={"if": IF_TABLE, "ifx": IFX_TABLE, "cpu": HR_PROCESSOR},
        fallbacks=IF_OCTETS_FALLBACK,
    ),
    Profile("system-only", scalars=dict(SYSTEM)),
    # WLAN controllers: the system group by GET, the AP and station tables by GETBULK (handed over raw)
    Profile("huawei-ac", scalars=dict(SYSTEM), tables={"ctl_ap": HUAWEI_AP, "ctl_vap": HUAWEI_VAP},
            raw=("ctl_ap", "ctl_vap"), controller="huawei"),
    Profile("cisco-wlc", scalars=dict(SYSTEM), tables={"ctl_ap": AIRESPACE_AP, "ctl_ap_if": AIRESPACE_AP_IF},
            raw=("ctl_ap", "ctl_ap_if"), controller="airespace"),
    # the standard scalar poll (8 OIDs by GET, no tables): reachability and identity of any SNMP agent
    Profile("scalar", scalars={
        **SYSTEM,
        "sys_contact": "1.3.6.1.2.1.1.4.0",
        "sys_location": "1.3.6.1.2.1.1.6.0",
        "sys_services": "1.3.6.1.2.1.1.7.0",
        "if_number": "1.3.6.1.2.1.2.1.0",
    }),
)


#: every SNMP profile by name: the built-ins, then those of the ``netctl.snmp_profiles`` entry points
PROFILES: Registry[Profile] = Registry("SNMP profile", "netctl.snmp_profiles", definition=Profile)
for _profile in BUILTIN:
    PROFILES.register(_profile.name, _profile)


#: the profile of an AP whose platform netctl does not know
DEFAULT_PROFILE = "wlan-ap"


def profile_for(platform: str | None, override: str | None = None) -> Profile:
    """The profile of an AP: its ``snmp.profile`` if set, else its platform's ``snmp_profile``.

    Raises ConfigError for a profile name that is not registered.
    """
    definition = find_platform(platform)
    name = override or (definition.snmp_profile if definition else DEFAULT_PROFILE)
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown SNMP profile {name!r}",
                          hint="use one of: " + ", ".join(sorted(PROFILES))) from None
