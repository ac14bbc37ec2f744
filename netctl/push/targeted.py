"""Targeted changes: one setting on each AP, sent alone, through the push's safe path.

A full push sends what the template renders: every radio, every SSID, every pending change an
engineer made in the inventory. Switching one SSID on or off must touch only that SSID's enabled
state, whatever else differs between the inventory and the AP. A targeted change is a partial
configuration:

    xml   a NETCONF fragment sent with merge semantics (no ``operation="replace"``): only the
          leaves it names change on the AP
    uci   ``uci set`` lines of one option per ``wifi-iface`` section

Comparing it with the running config looks only at what it names
(:func:`netctl.drivers.plan.partial_compare`), so the diff shows that one leaf, the read-back checks
that one leaf, and an AP that does not have the setting at all is refused instead of getting half an
SSID (:func:`netctl.drivers.plan.missing`).

How each platform writes an SSID's enabled state is data in :mod:`netctl.platforms`
(``ssid_enabled``). Everything here is pure: no device, no database.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from netctl.errors import ConfigError
from netctl.platforms import get_platform

#: audit actions of targeted changes (the journal's reconcile compares them partially too)
SSID_OFF = "ssid-off"
SSID_ON = "ssid-on"
TARGETED_ACTIONS = frozenset({SSID_OFF, SSID_ON})

_UCI_SSID = re.compile(r"^uci set wireless\.([A-Za-z0-9_]+)\.ssid='((?:[^']|'\\'')*)'\s*$", re.MULTILINE)


def ssid_enabled_config(platform: str, ssid: str, enabled: bool, rendered: str = "") -> str:
    """The partial config that sets SSID ``ssid`` on (``enabled``) or off on one AP of ``platform``.

    xml platforms need only the name; uci platforms find the ``wifi-iface`` sections of the SSID in
    ``rendered`` (the AP's rendered config, secrets masked or not). Raises ConfigError when the
    platform cannot switch an SSID or (uci) the rendered config has no section for it.
    """
    spec = get_platform(platform).ssid_enabled
    if not spec:
        raise ConfigError(
            f"platform {platform!r} cannot switch an SSID on its own",
            hint="switch it in the inventory (site variable ssids_disabled) and push the APs",
        )
    value = spec["on" if enabled else "off"]
    if "xml" in spec:
        return str(spec["xml"]).format(ssid=escape(ssid), value=value)
    sections = [s for s, name in _UCI_SSID.findall(rendered) if name.replace("'\\''", "'") == ssid]
    if not sections:
        raise ConfigError(
            f"the rendered config has no wireless section for SSID {ssid!r}",
            hint="check the SSID name: netctl render AP shows the APs' SSIDs",
        )
    option = spec["uci_option"]
    return "".join(f"uci set wireless.{section}.{option}='{value}'\n" for section in sections)


__all__ = [
    "SSID_OFF",
    "SSID_ON",
    "TARGETED_ACTIONS",
    "ssid_enabled_config",
]
