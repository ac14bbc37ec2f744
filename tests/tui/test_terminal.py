"""The real ``netctl tui`` in a real terminal (tmux): it starts from a shell, navigates and quits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netctl.store import open_db
from tests.helpers.tui import add_users, seed_city

NETCTL = str(Path(sys.executable).with_name("netctl"))


@pytest.fixture
def tmux() -> Iterator[Callable[..., str]]:
    """Run tmux on a private socket (never the user's server); the server is killed afterwards."""
    binary = shutil.which("tmux")
    assert binary, "tmux is required for this test (apt-get install tmux; `make install` does it)"
    socket = f"netctl-test-{uuid.uuid4().hex[:8]}"

    def run(*args: str) -> str:
        out = subprocess.run(
            [binary, "-L", socket, *args], capture_output=True, text=True, timeout=10, check=True
        )
        return out.stdout

    yield run
    subprocess.run([binary, "-L", socket, "kill-server"], capture_output=True, timeout=10, check=False)


def wait_for(screen: Callable[[], str], *texts: str, timeout: float = 20.0) -> str:
    """The screen once every one of ``texts`` is on it together (parts of a screen are drawn apart)."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen()
        if all(text in shown for text in texts):
            return shown
        time.sleep(0.1)
    raise AssertionError(f"{texts!r} did not all appear within {timeout}s; the screen shows:\n{shown}")


def start_tui(tmux: Callable[..., str], tmp_path: Path, *netctl_args: str) -> Callable[[], str]:
    """Start ``netctl [netctl_args] tui --user sam`` on the test city in an 80×24 tmux pane (no language in
    the environment); returns what the pane shows, read on each call."""
    db_path = tmp_path / "city.db"
    db = open_db(db_path, create=True)
    seed_city(db)
    add_users(db)
    db.conn.close()
    env = {"NETCTL_DB": str(db_path), "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}
    exports = " ".join(f"{k}={v!r}" for k, v in env.items())
    command = f"env {exports} {NETCTL} {' '.join(netctl_args)} tui --user sam; echo netctl-exited-$?; sleep 30"
    tmux("new-session", "-d", "-s", "t", "-x", "80", "-y", "24", command)
    return lambda: tmux("capture-pane", "-p", "-t", "t")


def test_netctl_tui_starts_navigates_and_quits_in_a_terminal(
    tmp_path: Path, tmux: Callable[..., str]
) -> None:
    screen = start_tui(tmux, tmp_path)
    shown = wait_for(screen, "gs-meiderich", "sam (school-admin)")
    assert "gym-hamborn" not in shown  # another school: not in sam's scope
    tmux("send-keys", "-t", "t", "a")
    # the table and its count line are drawn apart: CI once caught the rows without the count
    wait_for(screen, "gs-meiderich-ap03", "3 of 3 APs")
    tmux("send-keys", "-t", "t", "q")
    shown = wait_for(screen, "netctl-exited-")
    assert "netctl-exited-0" in shown


def test_netctl_tui_in_german(tmp_path: Path, tmux: Callable[..., str]) -> None:
    """``netctl --lang de tui`` as a school admin: the dashboard first, then the overview, the access point
    table and the help in German."""
    screen = start_tui(tmux, tmp_path, "--lang", "de")
    # a school admin's first screen: the dashboard of the school
    wait_for(screen, "sam (school-admin)", "Übersicht für Grundschule Meiderich", "Geräte online je WLAN")
    tmux("send-keys", "-t", "t", "o")
    wait_for(screen, "Überblick", "Grundschule Meiderich", "Schule", "nicht abgefragt", "Abfragen")
    tmux("send-keys", "-t", "t", "a")
    wait_for(screen, "Access Points: alle 3", "Standort", "Zustand", "Geräte", "ungeprüft", "3 von 3 APs")
    tmux("send-keys", "-t", "t", "?")
    wait_for(screen, "Was ein Zustand bedeutet", "▲ in Betrieb", "◆ eingeschränkt", "▼ ausgefallen", "? ungeprüft",
             "Konfiguration: wartet")
    tmux("send-keys", "-t", "t", "q")  # closes the help
    wait_for(screen, "3 von 3 APs")
    tmux("send-keys", "-t", "t", "q")
    assert "netctl-exited-0" in wait_for(screen, "netctl-exited-")


def test_netctl_tui_refuses_an_unknown_user_with_a_clear_message(tmp_path: Path) -> None:
    db_path = tmp_path / "city.db"
    db = open_db(db_path, create=True)
    seed_city(db)
    add_users(db)
    db.conn.close()
    out = subprocess.run(
        [NETCTL, "--db", str(db_path), "tui", "--user", "mallory"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert out.returncode == 3
    assert "no netctl user named 'mallory'" in out.stderr
