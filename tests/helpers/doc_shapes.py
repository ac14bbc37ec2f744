"""The JSON shapes the docs promise, read out of the docs, and a check of printed JSON against them.

The docs write a shape either as a JSON example (a ```json block) or in a short notation inside
backticks, where an object may list bare keys: ``[{"name", "tenant", "sites": [{"name", "aps"}]}]``.
:func:`parse_shape` reads both; :func:`assert_shape` compares keys, so the doc and the output cannot
drift apart: a key the doc lists and the output lacks fails, and so does a key the output prints
that the doc does not list.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

#: an object holding this key (``{"added": [], "…": "…"}``) lists only some of its keys
ELIDED = "…"
#: keys of a record; an object with other keys (AP names, group paths) is a map keyed by data
FIELD = re.compile(r"[a-z][a-z0-9_]*\Z")
TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([{}\[\],:])|([^\s{}\[\],:"]+))')


def section(doc: Path, heading: str) -> str:
    """The text under the Markdown heading ``heading`` up to the next heading of its level or above."""
    text = doc.read_text()
    match = re.search(rf"^(#+) {re.escape(heading)}\n", text, re.M)
    if match is None:
        raise AssertionError(f"{doc.name} has no heading {heading!r}")
    end = re.compile(rf"^#{{1,{len(match.group(1))}}} ", re.M).search(text, match.end())
    return text[match.end():end.start() if end else len(text)]


def json_blocks(text: str) -> dict[str, Any]:
    """Each ```json block of ``text`` by the bold label (``**AP**``) of the paragraph before it."""
    blocks: dict[str, Any] = {}
    for match in re.finditer(r"\*\*([^*]+)\*\*[^\n]*(?:\n[^\n]+)*\n\n```json\n(.*?)```", text, re.S):
        blocks[match.group(1)] = parse_shape(match.group(2))
    return blocks


def inline_shapes(text: str) -> dict[str, Any]:
    """Each shape written inline as ``**label**: `shape``` in ``text``, by label."""
    return {label: parse_shape(shape) for label, shape in re.findall(r"\*\*([^*]+)\*\*: `([^`]+)`", text)}


def parse_shape(text: str) -> Any:
    """Parse JSON or the docs' notation into dicts (a bare key maps to None), lists and strings."""
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read the shape at {text[position:position + 30]!r}")
        string, punctuation, word = match.groups()
        tokens.append(("str", json.loads(string)) if string else ("punct", punctuation) if punctuation
                      else ("word", word))
        position = match.end()
    value, rest = _value(tokens)
    if rest:
        raise ValueError(f"unexpected {rest[0][1]!r} after the shape in {text!r}")
    return value


def _value(tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
    if not tokens:
        raise ValueError("the shape ends too early")
    (kind, token), rest = tokens[0], tokens[1:]
    if kind != "punct":
        return token, rest
    if token == "[":
        items: list[Any] = []
        while rest and rest[0] != ("punct", "]"):
            item, rest = _value(rest)
            items.append(item)
            rest = rest[1:] if rest and rest[0] == ("punct", ",") else rest
        return items, rest[1:]
    if token == "{":
        record: dict[str, Any] = {}
        while rest and rest[0] != ("punct", "}"):
            (_, key), rest = rest[0], rest[1:]
            record[key] = None
            if rest and rest[0] == ("punct", ":"):
                record[key], rest = _value(rest[1:])
            rest = rest[1:] if rest and rest[0] == ("punct", ",") else rest
        return record, rest[1:]
    raise ValueError(f"unexpected {token!r}")


def assert_shape(documented: Any, printed: Any, where: str, *, deep: bool = True) -> None:
    """Fail unless ``printed`` has exactly the keys ``documented`` lists (nested records too when ``deep``).

    A list documented with an object compares every printed item with that object. Values that are
    not records are not compared: ``{}`` (free-form, like ``vars``), a map keyed by data (AP names),
    an example value.
    """
    if isinstance(documented, list):
        if documented and isinstance(documented[0], dict):
            assert isinstance(printed, list) and printed, f"{where}: expected a non-empty list, got {printed!r:.200}"
            for index, item in enumerate(printed):
                assert_shape(documented[0], item, f"{where}[{index}]", deep=deep)
        return
    if not isinstance(documented, dict):
        return
    keys = [key for key in documented if key != ELIDED]
    if not documented or not all(FIELD.match(key) for key in keys):
        return
    assert isinstance(printed, dict), f"{where}: expected an object, got {printed!r:.200}"
    missing = sorted(set(keys) - set(printed))
    unlisted = [] if ELIDED in documented else sorted(set(printed) - set(keys))
    problems = ([f"the docs list {missing} that the output lacks"] if missing else []) + (
        [f"the output prints {unlisted} that the docs do not list"] if unlisted else [])
    assert not problems, f"{where}: {'; '.join(problems)} (document a new field; never rename or remove one)"
    if deep:
        for key in keys:
            if printed[key] is not None:
                assert_shape(documented[key], printed[key], f"{where}.{key}", deep=deep)
