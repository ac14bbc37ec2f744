"""Reading inventory files (YAML, JSON, CSV) into raw entries that remember file and line.

YAML and JSON go through one PyYAML loader (libyaml when available) that records the start line of
every mapping and of each of its keys, so a problem can name the line of the AP entry or of the
very field. CSV files are what spreadsheet programs export: comma or semicolon delimited (sniffed
from the header), UTF-8 with or without a byte-order mark; the header is line 1 and every problem
names the physical line of its row. Nothing here checks values: that is :mod:`validate`'s job.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from netctl.errors import Problem
from netctl.inventory.validate import AP_FIELDS, SNMP_FIELDS, Entry

#: top-level YAML sections -> entry kind
SECTIONS = {"globals": "globals", "tenants": "tenant", "sites": "site", "groups": "group", "aps": "ap"}

#: CSV columns (besides ``vars.NAME``): AP fields, and ``snmp_FIELD`` for the SNMP settings.
CSV_AP_COLUMNS = tuple(f for f in AP_FIELDS if f not in ("snmp", "vars"))
CSV_SNMP_COLUMNS = tuple(f"snmp_{f}" for f in SNMP_FIELDS)
CSV_COLUMNS = CSV_AP_COLUMNS + CSV_SNMP_COLUMNS

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict):  # type: ignore[type-arg]
    """A mapping read from YAML, with its start ``line`` and ``keylines`` (key -> line)."""

    line: int = 0
    keylines: dict[str, int]
    duplicates: list[tuple[str, int]]


class LineLoader(_BaseLoader):  # type: ignore[misc]
    """Safe YAML loader whose mappings are :class:`LineDict` (1-based lines)."""

    def construct_line_map(self, node: yaml.MappingNode) -> Any:
        data = LineDict()
        data.line = node.start_mark.line + 1
        data.keylines = {}
        data.duplicates = []
        yield data
        for key_node, _ in node.value:
            key = str(key_node.value)
            if key in data.keylines:
                data.duplicates.append((key, key_node.start_mark.line + 1))
            else:
                data.keylines[key] = key_node.start_mark.line + 1
        data.update(self.construct_mapping(node))


LineLoader.add_constructor("tag:yaml.org,2002:map", LineLoader.construct_line_map)


def load_files(paths: list[str]) -> tuple[list[Entry], list[Problem]]:
    """Read every file; return all entries and all problems (files are read even after a bad one)."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    for path in paths:
        found, trouble = load_file(path)
        entries.extend(found)
        problems.extend(trouble)
    return entries, problems


def load_file(path: str) -> tuple[list[Entry], list[Problem]]:
    """Entries of one file, by its extension (.yaml/.yml/.json or .csv)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json", ".csv"):
        return [], [Problem(path, None,
                            f"unknown file type {suffix or '(none)'!r}: use .yaml, .yml, .json or .csv")]
    try:
        raw = p.read_bytes()
    except OSError as exc:
        return [], [Problem(path, None, f"cannot read the file: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [Problem(path, line, "the file is not UTF-8; save it as UTF-8 "
                                        "(in spreadsheet programs: 'CSV UTF-8')")]
    if suffix == ".csv":
        return parse_csv(text, path)
    return parse_yaml(text, path)


def parse_yaml(text: str, path: str) -> tuple[list[Entry], list[Problem]]:
    """Entries of a YAML (or JSON) inventory document."""
    try:
        doc = yaml.load(text, Loader=LineLoader)  # noqa: S506 - LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        return [], [Problem(path, line, f"not valid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return [], [Problem(path, None, f"not valid YAML: {exc}")]
    if doc is None:
        return [], []
    if not isinstance(doc, LineDict):
        return [], [Problem(path, 1, "the document must be a mapping with sections: " + ", ".join(SECTIONS))]
    entries: list[Entry] = []
    problems = _duplicates(doc, path)
    for section, items in doc.items():
        line = doc.keylines.get(section)
        kind = SECTIONS.get(section)
        if kind is None:
            problems.append(Problem(path, line, f"unknown section {section!r}; use: {', '.join(SECTIONS)}"))
            continue
        if items is None:
            continue
        if kind == "globals":
            if not isinstance(items, LineDict):
                problems.append(Problem(path, line, "globals must be a mapping of name: value"))
                continue
            start = items.line or line
            entries.append(Entry("globals", {"vars": items}, path, start, {"vars": start or 0}))
            continue
        if not isinstance(items, list):
            problems.append(Problem(path, line, f"{section} must be a list of entries ('- name: …')"))
            continue
        for item in items:
            if not isinstance(item, LineDict):
                problems.append(Problem(path, line,
                                        f"every entry of {section} must be a mapping, not {item!r}"))
                continue
            problems.extend(_duplicates(item, path))
            entries.append(Entry(kind, dict(item), path, item.line, dict(item.keylines)))
    return entries, problems


def _duplicates(mapping: LineDict, path: str) -> list[Problem]:
    return [Problem(path, line, f"key {key!r} appears twice in one entry")
            for key, line in mapping.duplicates]


def parse_csv(text: str, path: str) -> tuple[list[Entry], list[Problem]]:
    """AP entries of a CSV file; delimiter ``,`` or ``;`` sniffed from the header line."""
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[Problem] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], []
    columns = [h.strip().lower() for h in header]
    bad = [c for c in columns if c not in CSV_COLUMNS and not (c.startswith("vars.") and len(c) > 5)]
    for col in bad:
        problems.append(Problem(path, 1, f"unknown column {col!r}; known columns: {', '.join(CSV_COLUMNS)}, "
                                         "vars.NAME"))
    if "name" not in columns:
        problems.append(Problem(path, 1, "the header has no 'name' column"))
    if problems:
        return [], problems
    entries: list[Entry] = []
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(path, start, f"unreadable CSV row: {exc}"))
            break
        line = start
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) != len(columns):
            problems.append(Problem(path, line, f"{len(row)} cells but the header has {len(columns)} columns "
                                                f"(delimiter {delimiter!r})", row[0].strip() or None))
            continue
        entries.append(Entry("ap", csv_row_to_ap(dict(zip(columns, row, strict=True))), path, line))
    return entries, problems


def csv_row_to_ap(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row (column -> cell) as a raw AP mapping; empty cells are left out."""
    ap: dict[str, Any] = {}
    snmp: dict[str, Any] = {}
    variables: dict[str, Any] = {}
    for column, cell in row.items():
        value = cell.strip()
        if value == "":
            continue
        if column.startswith("snmp_"):
            snmp[column[5:]] = value
        elif column.startswith("vars."):
            variables[column[5:]] = parse_cell_value(value)
        else:
            ap[column] = value
    if snmp:
        ap["snmp"] = snmp
    if variables:
        ap["vars"] = variables
    return ap


def parse_cell_value(text: str) -> Any:
    """A variable cell: JSON when it parses (numbers, true/false, lists, quoted text), else text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def format_cell_value(value: Any) -> str:
    """The inverse of :func:`parse_cell_value`: text stays bare unless it would read back as JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)
