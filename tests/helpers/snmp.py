"""The tests' own SNMP reads, to see what an agent really serves: a GET (pysnmp 7 asyncio, as the poller
uses it) and net-snmp's ``snmpbulkwalk`` of one column."""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any


def snmp_get(
    target: str,
    oids: list[str],
    *,
    community: str | None = None,
    v3: tuple[str, str, str] | None = None,
    timeout: float = 1.0,
) -> dict[str, Any] | None:
    """GET ``oids`` from ``host:port``; a dict oid -> python value, or None on timeout."""
    from pysnmp.hlapi.v3arch.asyncio import (
        USM_AUTH_HMAC96_SHA,
        USM_PRIV_CFB128_AES,
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        UsmUserData,
        get_cmd,
    )

    host, port = target.rsplit(":", 1)

    async def run() -> dict[str, Any] | None:
        engine = SnmpEngine()
        try:
            auth = (
                UsmUserData(v3[0], v3[1], v3[2], authProtocol=USM_AUTH_HMAC96_SHA, privProtocol=USM_PRIV_CFB128_AES)
                if v3
                else CommunityData(community)
            )
            transport = await UdpTransportTarget.create((host, int(port)), timeout=timeout, retries=0)
            err, status, _idx, binds = await get_cmd(
                engine,
                auth,
                transport,
                ContextData(),
                *[ObjectType(ObjectIdentity(o)) for o in oids],
                lookupMib=False,
            )
        finally:
            engine.close_dispatcher()
        if err:
            return None
        assert not status, f"{target}: SNMP error {status}"
        out: dict[str, Any] = {}
        for name, value in binds:
            text = value.prettyPrint()
            out[str(name)] = int(value) if text.lstrip("-").isdigit() else text
        return out

    return asyncio.run(run())


def bulkwalk(lab: Any, device: str, oid: str) -> dict[str, str]:
    """``snmpbulkwalk`` of one column of lab device ``device``: index (after the column OID) -> value as
    net-snmp prints it."""
    out = subprocess.run(["snmpbulkwalk", "-v2c", "-c", lab.community, "-On", "-Oq", "-Oe", "-t", "2", "-r", "1",
                          lab.endpoints["snmp"][device], oid], capture_output=True, text=True, timeout=30,
                         env={"MIBS": "", "PATH": "/usr/bin:/bin"}, check=True).stdout
    rows = {}
    for line in out.splitlines():
        found, _, value = line.partition(" ")
        assert found.startswith(f".{oid}."), line
        if value.startswith("No more variables left"):  # endOfMibView: the recording's last subtree ends here
            continue
        rows[found[len(oid) + 2:]] = value.strip().strip('"')
    return rows


def mac(index: str) -> str:
    """The MAC an AP table's index starts with (six decimal octets)."""
    return ":".join(f"{int(p):02x}" for p in index.split(".")[:6])
