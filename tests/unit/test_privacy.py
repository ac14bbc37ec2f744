"""Privacy by default: the poller never asks an agent for a client or hardware identifier.

What is never fetched cannot be stored. Every OID any poll profile sends (scalars, table columns,
fallback tables) must lie outside the objects that name clients or devices by MAC address: client
(station) tables, bridge forwarding and ARP/neighbour tables, interface hardware addresses, BSSIDs.
The lab test ``tests/lab/test_privacy.py`` checks the database after real polls.
"""

from __future__ import annotations

from netctl.poll.oids import PROFILES, Profile

#: subtrees that hold per-client or per-device identifiers (MAC addresses, client IPs)
IDENTIFYING = {
    "1.2.840.10036": "IEEE802dot11-MIB (station and association tables, MAC addresses)",
    "1.3.6.1.2.1.2.2.1.6": "IF-MIB ifPhysAddress",
    "1.3.6.1.2.1.17.4.3": "BRIDGE-MIB dot1dTpFdbTable (MACs seen on a port)",
    "1.3.6.1.2.1.17.7.1.2": "Q-BRIDGE-MIB dot1qTpFdbTable (MACs seen on a port)",
    "1.3.6.1.2.1.4.22": "IP-MIB ipNetToMediaTable (ARP: client IP and MAC)",
    "1.3.6.1.2.1.4.35": "IP-MIB ipNetToPhysicalTable (neighbours: client IP and MAC)",
    "1.3.6.1.4.1.41112.1.6.1.2.1.2": "UBNT-UniFi-MIB unifiVapBssId",
    "1.3.6.1.4.1.41112.1.6.1.4": "UBNT-UniFi-MIB station table",
    "1.3.6.1.4.1.14179.2.1.4": "AIRESPACE-WIRELESS-MIB bsnMobileStationTable (Cisco WLC clients)",
    "1.3.6.1.4.1.14179.2.1.5": "AIRESPACE-WIRELESS-MIB bsnMobileStationPerRadioPerVapTable (client MACs)",
    "1.3.6.1.4.1.2011.6.139.18.1.2": "HUAWEI-WLAN-STATION-MIB hwWlanStationTable (Huawei AC clients)",
    "1.3.6.1.4.1.2011.6.139.17.1.1.1.5": "HUAWEI-WLAN-VAP-MIB hwWlanVapBssid",
    "1.3.6.1.4.1.14823.2.2.1.4.1.2": "WLSX-WLAN-MIB wlsxWlanStationTable (Aruba clients)",
}


def oids_sent(profile: Profile) -> list[str]:
    oids = list(profile.scalars.values())
    tables = [*profile.tables.values(), *(table for _missing, table in profile.fallbacks.values())]
    oids += [table.column_oid(column) for table in tables for column in table.columns]
    return oids


def under(oid: str, subtree: str) -> bool:
    return oid == subtree or oid.startswith(subtree + ".")


def test_no_profile_asks_for_a_client_or_hardware_identifier() -> None:
    asked = [(name, oid, why) for name, profile in PROFILES.items() for oid in oids_sent(profile)
             for subtree, why in IDENTIFYING.items() if under(oid, subtree)]
    assert asked == []


def test_the_check_sees_an_identifying_column() -> None:
    from netctl.poll.oids import UNIFI_VAP, Table

    leaky = Profile("leaky", scalars={}, tables={"vap": Table(UNIFI_VAP.base, {**UNIFI_VAP.columns, "bssid": 2})})
    assert [oid for oid in oids_sent(leaky) if under(oid, "1.3.6.1.4.1.41112.1.6.1.2.1.2")] == [
        "1.3.6.1.4.1.41112.1.6.1.2.1.2"
    ]
