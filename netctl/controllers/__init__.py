"""WLAN controllers and the APs behind them (``netctl controller …``, ``netctl inventory adopt``).

A controller is an inventory entry with ``role: controller`` (a Huawei AC, a Cisco Catalyst 9800 or
AireOS WLC). Its SNMP profile (:mod:`netctl.poll.oids`, ``controller=``) names the AP tables a poll of
it walks by GETBULK; the poll hands them over undecoded and this package turns them into the APs the
controller serves:

- :mod:`netctl.controllers.mibs` (pure): the MIB columns, index -> MAC, status words, one row per AP;
- :mod:`netctl.controllers.record`: the discovered APs stored per controller, and the health of the
  inventory APs that name the controller (``controller: NAME``) derived from its table, with the same
  health rules, history and alerts as a polled AP; an AP the table lacks raises an alert, a controller
  that did not answer turns its APs ``unknown``;
- :mod:`netctl.controllers.ops`: the facade's ``Netctl.controllers`` (list, APs, adopt).
"""
