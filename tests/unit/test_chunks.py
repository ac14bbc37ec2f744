"""The chunk codec (netctl.poll.chunks): bit-for-bit round trips, its limits, and refusing foreign bytes.

Property tests (Hypothesis, derandomized) draw series of any shape: NaN (several payloads), infinities,
-0.0, subnormals, huge counters, decimals, irregular and huge intervals, timestamps at the ends of
the range. Hand-picked cases pin what the property tests might not reach and the sizes that matter.
"""

from __future__ import annotations

import math
import struct
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netctl.poll import chunks
from netctl.poll.chunks import TS_MAX, TS_MIN, decode, encode

FAST = settings(max_examples=200, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
T0 = 1_790_000_000


def bits(value: float) -> int:
    return int.from_bytes(struct.pack("<d", value), "little")


def float_of(pattern: int) -> float:
    return float(struct.unpack("<d", pattern.to_bytes(8, "little"))[0])


def same(a: list[tuple[int, float]], b: list[tuple[int, float]]) -> bool:
    """Equal bit for bit (NaN payloads and the sign of zero included)."""
    return [(t, bits(v)) for t, v in a] == [(t, bits(v)) for t, v in b]


ODD_FLOATS = [0.0, -0.0, math.inf, -math.inf, math.nan, float_of(0x7FF8_0000_0000_0001),
              float_of(0xFFF0_0000_0000_0001), 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931308134157e308,
              2.0 ** 64, 2.0 ** 53 + 2, 0.1, 1e-7, 123456.789, -42.5, 18446744073709551615.0]
VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(ODD_FLOATS),
                   st.sampled_from([0.0, 1.0, 2.0]),  # few distinct values: runs, steps, a lone change
                   st.integers(-2**60, 2**60).map(float),
                   st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False).map(float),
                   st.integers(0, 2**64 - 1).map(float_of))


@st.composite
def series(draw: Any, values: Any = VALUES) -> list[tuple[int, float]]:
    """Strictly increasing timestamps from regular, jittered, irregular or enormous steps."""
    n = draw(st.integers(1, 200))
    start = draw(st.one_of(st.integers(TS_MIN, TS_MAX - 1), st.just(T0), st.just(TS_MIN), st.just(0)))
    step = st.one_of(st.just(60), st.just(60), st.integers(58, 62), st.integers(1, 10**6), st.integers(1, 2**61))
    stamps = [start]
    for _ in range(n - 1):
        nxt = stamps[-1] + draw(step)
        if nxt >= TS_MAX:
            break
        stamps.append(nxt)
    kind = draw(st.sampled_from(["any", "constant", "linear"]))
    if kind == "constant":
        value = draw(values)
        return [(t, value) for t in stamps]
    if kind == "linear":
        first, delta = draw(st.integers(-2**40, 2**40)), draw(st.integers(-1000, 1000))
        return [(t, float(first + i * delta)) for i, t in enumerate(stamps)]
    return [(t, draw(values)) for t in stamps]


@FAST
@given(series())
def test_any_series_comes_back_bit_for_bit(samples: list[tuple[int, float]]) -> None:
    blob = encode(samples)
    assert same(decode(blob), samples)
    assert chunks.timestamps(blob) == [t for t, _v in samples]
    assert chunks.header(blob) == (len(samples), samples[0][0])
    assert encode(samples) == blob  # deterministic


@FAST
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_value_error(blob: bytes) -> None:
    try:
        decode(blob)
    except ValueError:
        pass


@FAST
@given(series(), st.data())
def test_a_damaged_chunk_raises_value_error_or_decodes(samples: list[tuple[int, float]], data: Any) -> None:
    blob = bytearray(encode(samples))
    how = data.draw(st.sampled_from(["cut", "flip", "append"]))
    if how == "cut":
        blob = blob[:data.draw(st.integers(0, len(blob) - 1))]
    elif how == "flip":
        at = data.draw(st.integers(0, len(blob) - 1))
        blob[at] ^= data.draw(st.integers(1, 255))
    else:
        blob += data.draw(st.binary(min_size=1, max_size=8))
    try:
        got = decode(bytes(blob))
    except ValueError:
        return
    stamps = [t for t, _v in got]
    assert stamps == sorted(set(stamps)) and all(TS_MIN <= t < TS_MAX for t in stamps)


@pytest.mark.parametrize("samples, why", [
    ([], "at least one"),
    ([(T0, 1.0), (T0, 2.0)], "duplicate"),
    ([(T0, 1.0), (T0 + 60, 2.0), (T0 + 30, 3.0)], "increase"),
    ([(T0 + 0.5, 1.0)], "not an integer"),
    ([(True, 1.0)], "not an integer"),
    ([(T0, 1)], "not a float"),
    ([(T0, None)], "not a float"),
    ([(TS_MAX, 1.0)], "outside"),
    ([(TS_MIN - 1, 1.0)], "outside"),
])
def test_encode_refuses_what_is_not_one_chunk(samples: list[tuple[Any, Any]], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        encode(samples)


def test_the_ends_of_the_timestamp_range() -> None:
    samples = [(TS_MIN, 1.0), (0, 2.0), (TS_MAX - 1, 3.0)]  # deltas of 2**62 - 1 and a delta-of-delta near -2**62
    assert same(decode(encode(samples)), samples)


def test_decode_refuses_other_versions_and_bodies() -> None:
    good = encode([(T0, 1.0), (T0 + 60, 2.0)])
    with pytest.raises(ValueError, match="version"):
        decode(b"\x02" + good[1:])
    with pytest.raises(ValueError, match="version"):
        decode(b"")
    with pytest.raises(ValueError):
        decode(good[:4])
    # a well-formed DEFLATE stream of the wrong length for the samples claimed
    head = 2 + len(chunks._varint(chunks._zigzag(T0))) + 1  # version, n, ts0, mode
    wrong = good[:head] + zlib.compress(bytes(17), 6, wbits=-15)
    with pytest.raises(ValueError, match="not 24"):
        decode(wrong)
    with pytest.raises(ValueError, match="bytes"):
        decode("text")  # type: ignore[arg-type]


def regular(values: list[float], step: int = 60) -> list[tuple[int, float]]:
    return [(T0 + step * i, v) for i, v in enumerate(values)]


@pytest.mark.parametrize("name, values, most", [
    ("up, constant", [1.0] * 120, 30),
    ("uptime, linear", [1000.0 + 60 * i for i in range(120)], 34),
    ("a rate with three decimals, constant", [133333.333] * 120, 40),
    ("a counter past 2**53, constant steps (XOR)", [2.0 ** 60 + 2 ** 10 * i for i in range(120)], 220),
])
def test_two_hours_of_one_minute_polls_take_a_few_bytes(name: str, values: list[float], most: int) -> None:
    blob = encode(regular(values))
    assert len(blob) <= most, (name, len(blob))
    assert same(decode(blob), regular(values))


def test_decimal_values_are_stored_as_integers_and_come_back_exactly() -> None:
    values = [round(1234.5678 + i * 0.001, 3) for i in range(100)]
    at = 1 + len(chunks._varint(100)) + len(chunks._varint(chunks._zigzag(T0)))  # the value mode's byte
    blob = encode(regular(values))
    assert blob[at] == 1 + 3 and decode(blob) == regular(values)  # k / 10**3
    # one value off the decimal grid (0.1 + 0.2) sends the chunk to XOR, still exact
    odd = values[:50] + [0.1 + 0.2] + values[51:]
    blob = encode(regular(odd))
    assert blob[at] == 0 and decode(blob) == regular(odd)


@pytest.mark.parametrize("values", [
    [0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 2.0], [0.0, 1.0, 1.0], [5.0, 5.0, 10.0, 15.0], [0.0, 0.0, 0.0, 1e-300],
    [0.0, 0.0, math.inf], [3.0, 3.0], [0.5, 0.5, 0.75],
])
def test_runs_that_change_once_are_not_taken_for_constants(values: list[float]) -> None:
    assert same(decode(encode(regular(values))), regular(values))
    stamps = [(T0, 1.0), (T0 + 60, 1.0), (T0 + 120, 1.0), (T0 + 181, 1.0)]  # one late poll
    assert decode(encode(stamps)) == stamps


def test_negative_zero_and_nan_keep_their_bits() -> None:
    samples = regular([0.0, -0.0, float_of(0x7FF8_0000_0000_00FF), 1.0, -math.inf])
    assert same(decode(encode(samples)), samples)
