"""``netctl push --dry-run --json`` prints the per-AP result docs/config.md promises, key for key."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli_city import CliCity
from tests.helpers.doc_shapes import assert_shape, section

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]


def documented_result() -> dict[str, None]:
    """The keys of "Per-AP result (`--json`): `ap, ok, …`" in docs/config.md."""
    fields = re.search(r"Per-AP result \(`--json`\): `([^`]+)`", section(ROOT / "docs" / "config.md", "Push"))
    assert fields, "docs/config.md no longer lists the per-AP result's keys"
    return dict.fromkeys(key.strip() for key in fields.group(1).split(","))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_push_dry_run_json_has_the_documented_keys(tmp_path: Path, lab: Any) -> None:
    city = CliCity(tmp_path, lab.secrets)
    city("inventory", "add", "shape-gone-ap01", "site=gs-meiderich", "platform=openwrt",
         f"address=127.0.0.1:{closed_port()}", "credentials=secret:lab/ssh")
    aps = ["gs-meiderich-ap01", "bus-1201-ap01", "gs-meiderich-sw01", "shape-gone-ap01"]
    results = city.json("push", "--dry-run", *aps)  # pending is no failure: exit 0
    by_ap = {r["ap"]: r for r in results}
    assert sorted(by_ap) == sorted(aps)
    assert [by_ap[ap]["status"] for ap in aps] == ["dry-run", "dry-run", "dry-run", "pending"], results
    assert_shape([documented_result()], results, "push --dry-run")
