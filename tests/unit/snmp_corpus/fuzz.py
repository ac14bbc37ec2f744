"""Seeded mutations of real SNMP replies (``replies.json``) fed to the fast path's decoders.

Shared by the unit test (``tests/unit/test_poll_fuzz.py``, ~12,000 cases in a few seconds) and the
benchmark run (``tests/bench/bench_fuzz.py``, many more). A case passes when the decoder returns or
raises one of its documented errors (:class:`BerError`, :class:`UsmError`), and its time is recorded.

SNMPv3 replies are fuzzed twice: as received (most mutations then fail authentication, as they should)
and re-signed / re-encrypted with the corpus's test keys after the mutation, so the code behind the
authentication check sees hostile content too.
"""

from __future__ import annotations

import hmac
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netctl.poll import usm
from netctl.poll.ber import BerError, decode_response, header, peek_request_id, read_integer

CORPUS = Path(__file__).resolve().parent / "replies.json"
DOCUMENTED = (BerError, usm.UsmError)
#: hostile pieces spliced into replies: huge INTEGER/Counter32/OID arcs, huge and indefinite lengths
HOSTILE = [
    b"\x41\x82\x07\x08\x01" + bytes(1799),
    b"\x02\x82\x07\x08\x7f" + b"\xff" * 1799,
    b"\x06\x82\x07\x08\x2b" + b"\x81" * 1798 + b"\x01",
    b"\x06\x83\x00\xff\xf0" + b"\xff" * 200,
    b"\x30\x84\x80\x00\x00\x00",
    b"\x30\x80",
    b"\x46\x09\x01" + bytes(8),
    b"\x43\x05\x01\x00\x00\x00\x00",
    b"\x02\x01\xff",
    b"\x04\x84\xff\xff\xff\xff",
    b"\x06\x00",
    b"\x06\x01\x80",
    b"\x40\x03\x01\x02\x03",
]


@dataclass
class Outcome:
    cases: int = 0
    decoded: int = 0
    documented: int = 0
    undocumented: list[str] = field(default_factory=list)
    slowest_s: float = 0.0
    slowest_case: str = ""
    total_s: float = 0.0


def load() -> dict[str, Any]:
    corpus: dict[str, Any] = json.loads(CORPUS.read_text())
    engine_id = bytes.fromhex(corpus["engine_id"])
    corpus["keys"] = usm.Keys.derive(engine_id, corpus["auth_protocol"], corpus["auth_password"],
                                     corpus["priv_password"])
    corpus["auth_keys"] = usm.Keys(corpus["keys"].hash_name, corpus["keys"].auth, None)
    return corpus


def mutate(data: bytes, rng: random.Random, *, same_length: bool = False) -> bytes:
    """One to three random edits of ``data``."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if not out:
            break
        choice = rng.randrange(9 if not same_length else 3)
        at = rng.randrange(len(out))
        if choice == 0:
            out[at] ^= 1 << rng.randrange(8)
        elif choice == 1:
            out[at] = rng.choice((0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF, rng.randrange(256)))
        elif choice == 2 and at + 1 < len(out):
            out[at + 1] = rng.choice((0x00, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xFF))
        elif choice == 3:
            del out[at:]
        elif choice == 4:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice == 5:
            del out[at:at + rng.randint(1, 16)]
        elif choice == 6:
            out[at:at] = rng.choice(HOSTILE)
        elif choice == 7:
            out[at:at + rng.randint(1, 6)] = rng.choice(HOSTILE)
        else:
            start = rng.randrange(len(out))
            out[at:at] = out[start:start + rng.randint(1, 64)]
    return bytes(out)


Node = list[Any]  # [tag, bytes | list[Node]]
PRIMITIVE_TAGS = (0x02, 0x04, 0x05, 0x06, 0x40, 0x41, 0x42, 0x43, 0x44, 0x46, 0x80, 0x81, 0x82, 0x30, 0xA2, 0xA8)


def parse(data: bytes) -> list[Node]:
    """A TLV tree (constructed tags, and OCTET STRINGs holding a SEQUENCE, are opened); ValueError if broken."""
    nodes: list[Node] = []
    pos = 0
    while pos < len(data):
        tag, start, stop = header(data, pos, len(data))
        content = data[start:stop]
        if tag & 0x20 or (tag == 0x04 and content[:1] == b"\x30" and _parses(content)):
            nodes.append([tag, parse(content)])
        else:
            nodes.append([tag, content])
        pos = stop
    return nodes


def _parses(data: bytes) -> bool:
    try:
        parse(data)
    except (BerError, IndexError):
        return False
    return True


def serialize(nodes: list[Node], long_form: float = 0.0, rng: random.Random | None = None) -> bytes:
    out = bytearray()
    for tag, content in nodes:
        body = serialize(content, long_form, rng) if isinstance(content, list) else content
        n = len(body)
        if rng is not None and rng.random() < long_form:
            length = b"\x84" + n.to_bytes(4, "big")
        elif n < 0x80:
            length = bytes((n,))
        else:
            raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
            length = bytes((0x80 | len(raw),)) + raw
        out += bytes((tag,)) + length + body
    return bytes(out)


def _all_nodes(nodes: list[Node], into: list[tuple[list[Node], int]]) -> list[tuple[list[Node], int]]:
    for i, node in enumerate(nodes):
        into.append((nodes, i))
        if isinstance(node[1], list):
            _all_nodes(node[1], into)
    return into


def _hostile_content(tag: int, rng: random.Random) -> bytes:
    pick = rng.randrange(8)
    if pick == 0:
        return b"\x01" + bytes(rng.choice((8, 9, 16, 600, 1799)))
    if pick == 1:
        return b"\xff" * rng.choice((5, 9, 10, 1800))
    if pick == 2:  # OID arcs: one huge, many small, non-minimal, unterminated
        return rng.choice((b"\x2b" + b"\x81" * rng.choice((5, 40, 1798, 65000)) + b"\x01",
                           b"\x2b" + b"\x01" * rng.choice((127, 128, 129, 4000)), b"\x2b\x80\x01", b"\x2b\x81",
                           b"\x8f\xff\xff\xff\x7f\x01", b""))
    if pick == 3:
        return bytes(rng.randrange(256) for _ in range(rng.choice((0, 1, 4, 8, 9, 33))))
    if pick == 4:
        return (rng.choice((-1, 0, 1 << 31, 1 << 32, (1 << 63) + 1, 1 << 64, -(1 << 40))) % (1 << 72)).to_bytes(
            9, "big", signed=False)
    if pick == 5:
        return b"\x80" + bytes(rng.randrange(1, 12))
    if pick == 6:
        return b""
    return bytes(rng.choice((1, 2, 4, 5, 8, 9)))


def structured(data: bytes, rng: random.Random, *, rebuild: Callable[[bytes], bytes] | None = None) -> bytes:
    """One to three edits of the TLV tree of ``data`` (values, tags, repeated/dropped/swapped elements),
    with every length then recomputed; ``rebuild`` post-processes (re-sign) the result."""
    try:
        tree = parse(data)
    except (BerError, IndexError):
        return mutate(data, rng)
    for _ in range(rng.randint(1, 3)):
        nodes = _all_nodes(tree, [])
        parent, i = rng.choice(nodes)
        node = parent[i]
        action = rng.randrange(6)
        if action <= 1 and not isinstance(node[1], list):
            node[1] = _hostile_content(node[0], rng)
        elif action == 2:
            node[0] = rng.choice(PRIMITIVE_TAGS)
            if not isinstance(node[1], list) and rng.random() < 0.5:
                node[1] = _hostile_content(node[0], rng)
        elif action == 3:
            parent.insert(i, [node[0], node[1] if not isinstance(node[1], list) else list(node[1])])
            if rng.random() < 0.3:
                parent[i:i] = [parent[i]] * rng.choice((5, 50))
        elif action == 4 and len(parent) > 1:
            del parent[i]
        else:
            j = rng.randrange(len(parent))
            parent[i], parent[j] = parent[j], parent[i]
    out = serialize(tree, 0.05, rng)
    return rebuild(out) if rebuild is not None else out


def _usm_fields(data: bytes) -> tuple[int, int, int, int, int, int]:
    """Offsets in an SNMPv3 message: auth parameter start, priv start/end, msgData start/end, flags at."""
    _t, pos, end = header(data, 0, len(data))
    _v, pos = read_integer(data, pos, end, "version")
    _t, gpos, gend = header(data, pos, end)
    _i, gpos = read_integer(data, gpos, gend, "msgID")
    _m, gpos = read_integer(data, gpos, gend, "msgMaxSize")
    _t, flags_at, gpos = header(data, gpos, gend)
    pos = gend
    _t, pos, sec_end = header(data, pos, end)
    _t, pos, usm_end = header(data, pos, sec_end)
    for _ in range(4):
        _t, _s, pos = header(data, pos, usm_end)
    _t, auth_start, pos = header(data, pos, usm_end)
    _t, priv_start, pos = header(data, pos, usm_end)
    return auth_start, priv_start, pos, pos, end, flags_at


def resigned_mutation(data: bytes, keys: usm.Keys, rng: random.Random) -> bytes:
    """``data`` with its (decrypted) scoped PDU mutated, then re-encrypted and re-signed with ``keys``."""
    auth_start, priv_start, priv_end, body_start, end, flags_at = _usm_fields(data)
    flags = data[flags_at]
    out = bytearray(data)
    if rng.random() < 0.5:  # the whole message's structure (boots, time, models…), re-signed
        return structured(data, rng, rebuild=lambda message: _sign(message, keys))
    if flags & usm.FLAG_PRIV and keys.priv is not None:
        _t, enc_start, enc_end = header(data, body_start, end)
        boots, engine_time = _boots_time(data)
        iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + data[priv_start:priv_end]
        plain = usm._aes_cfb(keys.priv, iv, data[enc_start:enc_end], encrypt=False)
        changed = structured(plain, rng)
        cipher = usm._aes_cfb(keys.priv, iv, changed, encrypt=True)
        tree = parse(data)
        tree[0][1][-1] = [0x04, cipher]
        return _sign(serialize(tree), keys)
    out[body_start:] = structured(bytes(out[body_start:]), rng)
    return _sign(bytes(out), keys)


def _sign(message: bytes, keys: usm.Keys) -> bytes:
    """``message`` with its authentication parameter set by ``keys`` (when it still has one of 12 octets)."""
    try:
        auth_start = _usm_fields(message)[0]
    except (BerError, IndexError, ValueError):
        return message
    out = bytearray(message)
    if out[auth_start - 1] != 12:
        return message
    out[auth_start:auth_start + 12] = bytes(12)
    out[auth_start:auth_start + 12] = hmac.new(keys.auth, bytes(out), keys.hash_name).digest()[:12]
    return bytes(out)


def _boots_time(data: bytes) -> tuple[int, int]:
    _t, pos, end = header(data, 0, len(data))
    _v, pos = read_integer(data, pos, end, "version")
    _t, _s, pos = header(data, pos, end)
    _t, pos, sec_end = header(data, pos, end)
    _t, pos, usm_end = header(data, pos, sec_end)
    _t, _s, pos = header(data, pos, usm_end)
    boots, pos = read_integer(data, pos, usm_end, "boots")
    engine_time, pos = read_integer(data, pos, usm_end, "time")
    return boots, engine_time


def cases(corpus: dict[str, Any], count: int, seed: int) -> Iterator[tuple[str, bytes, Callable[[bytes], Any]]]:
    """``count`` (name, datagram, decoder) cases: v2c mutations, raw v3 mutations, re-signed v3 mutations."""
    rng = random.Random(seed)
    replies = corpus["replies"]
    v2c = [bytes.fromhex(r["hex"]) for r in replies if r["kind"] == "v2c"]
    v3 = [(r["request"], bytes.fromhex(r["hex"])) for r in replies if r["kind"].startswith("v3")]
    keys, auth_keys = corpus["keys"], corpus["auth_keys"]

    def v3_decoder(k: usm.Keys | None) -> Callable[[bytes], Any]:
        def decode(data: bytes) -> Any:
            reply = usm.decode(data, k)
            return reply.report()
        return decode

    for n in range(count):
        kind = n % 5
        if kind == 0:
            yield f"v2c#{n}", mutate(rng.choice(v2c), rng), decode_response
        elif kind == 1:
            yield f"v2c-tree#{n}", structured(rng.choice(v2c), rng), decode_response
        elif kind == 2:
            request, data = rng.choice(v3)
            k = None if rng.random() < 0.3 else (auth_keys if "NoPriv" in request else keys)
            changed = mutate(data, rng) if rng.random() < 0.5 else structured(data, rng)
            yield f"v3#{n}", changed, v3_decoder(k)
        elif kind == 3:
            request, data = rng.choice([e for e in v3 if e[0].startswith(("GET ", "GETBULK"))])
            k = auth_keys if "NoPriv" in request else keys
            yield f"v3-signed#{n}", resigned_mutation(data, k, rng), v3_decoder(k)
        else:
            yield f"peek#{n}", mutate(rng.choice(v2c + [d for _r, d in v3]), rng), peek_request_id


def run(count: int, seed: int = 20261127) -> Outcome:
    corpus = load()
    outcome = Outcome()
    clock = time.perf_counter
    for name, data, decoder in cases(corpus, count, seed):
        outcome.cases += 1
        started = clock()
        try:
            decoder(data)
            outcome.decoded += 1
        except DOCUMENTED:
            outcome.documented += 1
        except Exception as exc:  # noqa: BLE001 - what the fuzzing looks for
            if len(outcome.undocumented) < 20:
                outcome.undocumented.append(f"{name}: {type(exc).__name__}: {str(exc)[:120]} <- {data[:48].hex()}")
        spent = clock() - started
        outcome.total_s += spent
        if spent > outcome.slowest_s:
            outcome.slowest_s, outcome.slowest_case = spent, name
    return outcome
