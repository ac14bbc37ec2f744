"""The lab: real peers on loopback that play the city's access points (see docs/lab.md).

``ensure_lab()`` returns the running :class:`Lab` (starting it when needed): SNMP agents
(snmpsim, net-snmp snmpd), NETCONF servers (yuma123 netconfd behind OpenSSH), the OpenWrt-style
CLI simulator, the Huawei AC CLI simulator and the ZTE ZXR10-style switch simulator behind OpenSSH,
and IOS-style switches (fake-switches). Heavy work happens only when a function is called; importing this package starts
nothing.
"""

from __future__ import annotations

from lab.errors import LabError
from lab.fleet import start_netconf_fleet, start_snmpd_fleet, stop_netconf_fleet, stop_snmpd_fleet
from lab.lab import Lab, default_dir, ensure_lab

__all__ = [
    "Lab",
    "LabError",
    "default_dir",
    "ensure_lab",
    "start_netconf_fleet",
    "start_snmpd_fleet",
    "stop_netconf_fleet",
    "stop_snmpd_fleet",
]
