"""``netctl poll --deadline SECONDS`` bounds the whole poll from the command line."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from click.testing import CliRunner

from netctl.cli import cli
from tests.helpers.poll import add_city


def test_poll_deadline_option_cuts_the_poll_short(api: Any) -> None:
    add_city(api)
    api.inventory.import_secrets({"x": "public"})
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a bound port that never answers
    silent.bind(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    snmp = json.dumps({"version": "2c", "port": port, "community": "secret:x"})
    api.session.db.execute("update aps set snmp = ?, address = '127.0.0.1'", [snmp])
    api.session.db.conn.commit()
    try:
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["--db", str(api.session.db_path), "poll", "ap1", "--timeout", "5",
                                          "--retries", "2",
                                          "--deadline", "1", "--json"], catch_exceptions=False)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert result.exit_code == 5, result.output
    rows = json.loads(result.output)
    assert [(r["ap"], r["ok"], r["error_kind"]) for r in rows] == [("ap1", False, "timeout")]
    assert "deadline" in rows[0]["error"]
    assert elapsed < 5  # without the deadline: 5 s x 3 tries


def test_poll_deadline_must_be_positive(api: Any) -> None:
    result = CliRunner().invoke(cli, ["--db", str(api.session.db_path), "poll", "--deadline", "0"])
    assert result.exit_code == 2 and "--deadline" in result.output
