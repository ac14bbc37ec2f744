"""``netctl users …``: thin commands over the facade; errors become a message and an exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from netctl.store import open_db
from tests.helpers.access import seed

NETCTL = str(Path(sys.executable).with_name("netctl"))


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NETCTL, "--db", str(db), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_users_commands_end_to_end(tmp_path: Path) -> None:
    db_path = tmp_path / "netctl.db"
    db = open_db(db_path, create=True)
    seed(db)
    db.conn.close()
    assert (
        run(db_path, "users", "add", "sam", "--role", "school-admin", "--site", "gs-meiderich").returncode
        != 0
    )
    out = run(db_path, "users", "add", "ada", "--role", "admin", "--os-login", "nobody-here")
    assert out.returncode == 0, out.stderr
    # from now on the OS login running the tests is nobody: act as ada explicitly
    for args in (
        ("users", "add", "eva", "--role", "engineer", "--tenant", "duisburg"),
        ("users", "add", "sam", "--role", "school-admin", "--site", "gs-meiderich"),
    ):
        out = run(db_path, "--user", "ada", *args)
        assert out.returncode == 0, out.stderr
    out = run(db_path, "--user", "eva", "users", "allow-action", "sam", "ssid-toggle:Duisburg-Free-WLAN")
    assert out.returncode == 0, out.stderr
    listed = json.loads(run(db_path, "--user", "ada", "users", "list", "--json").stdout)
    assert {u["name"]: u["allowed_actions"] for u in listed}["sam"] == ["ssid-toggle:Duisburg-Free-WLAN"]
    me = json.loads(run(db_path, "--user", "sam", "users", "whoami", "--json").stdout)
    assert me["role"] == "school-admin" and me["scope"]["sites"] == ["gs-meiderich"]
    assert "ssid-toggle:Duisburg-Free-WLAN" in me["actions"] and "push" not in me["actions"]
    denied = run(db_path, "--user", "sam", "users", "add", "x", "--role", "admin")
    assert denied.returncode == 4 and "may not manage users" in denied.stderr
    out = run(db_path, "--user", "ada", "users", "set-scope", "sam", "--site", "gym-hamborn")
    assert out.returncode == 0 and "sites=gym-hamborn" in out.stdout
    assert run(db_path, "--user", "ada", "users", "remove", "sam").returncode == 0
    gone = run(db_path, "--user", "sam", "users", "whoami")
    assert gone.returncode == 3 and "no netctl user named 'sam'" in gone.stderr
