"""Firmware upgrades: images stored with their sha256, plans, upgrades in waves within maintenance windows.

:mod:`netctl.firmware.plan` holds the pure rules (is a file an image, which version an AP runs, what to
do with it, the per-AP :class:`~netctl.firmware.plan.FirmwareResult`), :mod:`netctl.firmware.run` one
AP's upgrade over SSH, :mod:`netctl.firmware.ops` the facade's service (``Netctl.firmware``). What a
platform needs (its version command, where the image goes, its upload, checksum, check and install
commands, how long it may reboot) are fields of its definition (:mod:`netctl.platforms`).
"""
