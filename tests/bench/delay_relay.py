"""A UDP relay on loopback that adds a fixed one-way delay: a slow link for the poll benchmark.

The kernel of the benchmark machines has no ``netem`` queueing discipline, so the 10 ms round trip is
made in user space: every datagram to a front address is sent on to its agent after ``delay`` and every
reply is sent back after ``delay`` again (two ways: RTT = 2 × delay). Front and agent addresses are
both on 127.0.0.0/8. It runs as its own process, so its CPU is not counted as the poller's, and it
stops by itself after ``--max-seconds``.

    python -m tests.bench.delay_relay --delay-ms 5 --map FILE --max-seconds 600
    (FILE: one ``front_host front_port agent_host agent_port`` per line)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from functools import partial
from typing import Any


class _Upstream(asyncio.DatagramProtocol):
    """The relay's socket towards one agent for one client: replies go back through the front."""

    def __init__(self, front: _Front, client: tuple[str, int], delay: float) -> None:
        self.front, self.client, self.delay = front, client, delay
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay, self.front.reply, data, self.client)


class _Front(asyncio.DatagramProtocol):
    """The address the poller talks to; forwards to ``agent`` after ``delay``."""

    def __init__(self, agent: tuple[str, int], delay: float) -> None:
        self.agent, self.delay = agent, delay
        self.transport: Any = None
        self.upstreams: dict[tuple[str, int], _Upstream] = {}
        self.pending: dict[tuple[str, int], list[bytes]] = {}

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def reply(self, data: bytes, client: tuple[str, int]) -> None:
        self.transport.sendto(data, client)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        asyncio.get_running_loop().call_later(self.delay, self._forward, data, addr)

    def _forward(self, data: bytes, client: tuple[str, int]) -> None:
        up = self.upstreams.get(client)
        if up is not None and up.transport is not None:
            up.transport.sendto(data)
            return
        self.pending.setdefault(client, []).append(data)
        if up is None:
            up = _Upstream(self, client, self.delay)
            self.upstreams[client] = up
            asyncio.get_running_loop().create_task(self._open(up, client))

    async def _open(self, up: _Upstream, client: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: up, remote_addr=self.agent)
        for data in self.pending.pop(client, []):
            up.transport.sendto(data)


async def serve(pairs: list[tuple[tuple[str, int], tuple[str, int]]], delay: float, max_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    for front, agent in pairs:
        if not (front[0].startswith("127.") and agent[0].startswith("127.")):
            raise SystemExit(f"refusing non-loopback address in {front} -> {agent}")
        await loop.create_datagram_endpoint(partial(_Front, agent, delay), local_addr=front)
    print("relay ready", flush=True)
    await asyncio.sleep(max_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay-ms", type=float, default=5.0)
    parser.add_argument("--map", required=True)
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args(argv)
    pairs = []
    with open(args.map) as fh:
        for line in fh:
            fh_, fp, ah, ap = line.split()
            pairs.append(((fh_, int(fp)), (ah, int(ap))))
    asyncio.run(serve(pairs, args.delay_ms / 1000, args.max_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
