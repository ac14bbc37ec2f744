"""The TUI in a browser: the real ``netctl serve``, a real headless Chromium (Debian's, driven by Playwright)
and the lab's real APs.

A school admin of Grundschule Neudorf is refused with a wrong password, logs in, sees only their
school's APs, switches the guest SSID off and on again in the WLANs window, and each switch is read back
over the test's own NETCONF session to each AP of the school. Chromium may reach nothing but loopback:
every other request is aborted and counted (textual-serve's own page loads a web font from a CDN; ours
does not). What the TUI shows is read from the bytes the page's terminal received (a pyte screen fed
from the websocket frames), because xterm.js draws on a canvas.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from netctl.api import Netctl
from netctl.core import os_login
from netctl.selection import Selection
from netctl.web.server import SWEEP_S
from tests.helpers.lab import with_psks
from tests.helpers.netconf import read_leaf

pytestmark = pytest.mark.lab

SITE = "gs-neudorf"
APS = [f"{SITE}-ap0{i}" for i in (1, 2, 3)]
GUEST = "Duisburg-Free-WLAN"
ENABLED = f"//n:ssid[n:name='{GUEST}']/n:enabled/text()"
PASSWORD = "Neudorf-Web-Pass-7"
#: Debian's chromium package: the browser itself (/usr/bin/chromium is a shell wrapper around it)
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.path.exists(p)), "")
INSTALL = "run `make` (its install step adds Debian's chromium and the test extra with playwright and pyte)"


def guest_enabled(city: Any) -> list[str]:
    """The guest SSID's ``enabled`` leaf on each AP of the school, read over the test's own NETCONF sessions."""
    return [value for ap in APS for value in read_leaf(city, ap, ENABLED)]


def switched(city: Any, state: bool) -> bool:
    return guest_enabled(city) == [str(state).lower()] * len(APS)


@pytest.fixture
def neudorf(city: Any) -> Any:
    """The city with the guest SSID on at the school's APs (pushed as intended when an earlier run or
    another test left it otherwise) and sam, the school's admin, who may switch the guest SSID and has a
    web password."""
    with_psks(city)
    if not switched(city, True):
        assert all(r.ok for r in city.config.push(Selection(site=SITE, role="ap"), confirm_timeout=20))
        assert switched(city, True)
    city.access.add_user("ada", "admin", os_login=os_login())  # netctl serve runs as an admin's OS login
    city.access.add_user("eva", "engineer", tenants=["duisburg"])
    city.access.add_user("sam", "school-admin", sites=[SITE])
    Netctl(city.session.db_path, user="eva").access.allow_action("sam", f"ssid-toggle:{GUEST}")
    city.access.set_web_password("sam", PASSWORD)
    return city


@pytest.fixture
def server(neudorf: Any, tmp_path: Path) -> Iterator[str]:
    """``netctl serve`` on a free loopback port over the city's database; yields its URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("NETCTL_USER", "NETCTL_DB")}
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen([sys.executable, "-m", "netctl.cli", "--db", neudorf.session.db_path, "serve",
                                "--port", "0"], stderr=log, stdout=subprocess.DEVNULL, env=env, text=True)
    try:
        url = None
        deadline = time.monotonic() + 10
        while url is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
            log.seek(0)
            found = re.search(r"serving (http://127\.0\.0\.1:\d+/)", log.read())
            url = found.group(1) if found else None
        log.seek(0)
        assert url, f"netctl serve did not start: {log.read()}"
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.seek(0)
        print(log.read())
        log.close()
    assert tuis_of(neudorf.session.db_path) == [], "a TUI process outlived netctl serve"


def tuis_of(db_path: str) -> list[str]:
    """Command lines of running ``netctl … tui`` processes over ``db_path`` (from /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended meanwhile
            continue
        if db_path.encode() in argv and b"tui" in argv:
            found.append(b" ".join(argv).decode(errors="replace"))
    return found


class Terminal:
    """What the page's terminal shows: the websocket's frames fed into a pyte screen of the page's size."""

    def __init__(self, pyte: Any) -> None:
        self.screen = pyte.Screen(120, 40)
        self.stream = pyte.ByteStream(self.screen)
        self.closed = False

    def listen(self, websocket: Any) -> None:
        self.closed = False
        websocket.on("framereceived", self.received)
        websocket.on("framesent", self.sent)
        websocket.on("close", self.close)

    def close(self, _websocket: Any) -> None:
        self.closed = True

    def received(self, payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            self.stream.feed(payload)

    def sent(self, payload: bytes | str) -> None:
        message = json.loads(payload)
        if message[0] == "resize":
            self.screen.resize(lines=message[1]["height"], columns=message[1]["width"])

    def text(self) -> str:
        return "\n".join(self.screen.display)


def wait_for(page: Any, check: Callable[[], bool], what: Callable[[], str], seconds: float = 8.0) -> None:
    """Wait until ``check()`` holds, letting the page's events arrive in 50 ms steps; fail with ``what()``."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s in vain:\n{what()}")
        page.wait_for_timeout(50)


def test_school_admin_logs_in_sees_only_their_school_and_switches_the_guest_ssid(neudorf: Any, server: str) -> None:
    city = neudorf
    try:
        import pyte
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"{exc.name} is not installed: {INSTALL}")
    assert CHROMIUM, f"Debian's chromium is not installed: {INSTALL}"

    outside: list[str] = []
    terminal = Terminal(pyte)

    def loopback_only(route: Any) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"] if os.geteuid() == 0 else [])
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 760})
            context.route("**/*", loopback_only)
            page = context.new_page()
            page.set_default_timeout(8000)
            page.on("websocket", terminal.listen)

            def log_in(password: str) -> None:
                page.fill("#user", "sam")
                page.fill("#password", password)
                page.click("button[type=submit]")

            page.goto(server)
            assert page.url == server + "login"
            log_in("not-the-password")
            assert page.locator(".error").inner_text() == "wrong user or password"
            assert not context.cookies()

            log_in(PASSWORD)
            page.wait_for_url(server)
            assert page.locator("#bar").inner_text().startswith("netctl · sam (school-admin)")
            (cookie,) = context.cookies()
            assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (
                "netctl_session", True, "Strict", False)

            def shows(*texts: str) -> Callable[[], bool]:
                return lambda: all(t in terminal.text() for t in texts)

            wait_for(page, shows("sam (school-admin)"), terminal.text)
            page.click("#terminal")  # the keys go to the terminal
            page.keyboard.press("a")
            wait_for(page, shows("Access points: all", *APS), terminal.text)
            seen = terminal.text()
            assert "4 of 4 APs" in seen  # the school's three APs and its switch, of the city's many
            assert "gym-hamborn" not in seen and "gs-meiderich" not in seen and "moers" not in seen.lower()

            page.keyboard.press("o")
            wait_for(page, shows("w WLANs"), terminal.text)  # the overview's keys in the footer
            page.keyboard.press("ArrowDown")
            page.keyboard.press("w")
            wait_for(page, shows(f"WLANs at {SITE}", GUEST, "3 SSID(s)"), terminal.text)
            for state, word in ((False, "OFF"), (True, "ON")):
                page.keyboard.press("End")
                page.keyboard.press("Enter")
                wait_for(page, shows(f"switch {word} the WLAN '{GUEST}' at {SITE}", "3 of 3 AP(s) change"),
                         terminal.text)
                page.keyboard.press("y")
                wait_for(page, partial(switched, city, state), lambda: f"{guest_enabled(city)}\n{terminal.text()}",
                         seconds=20)
                wait_for(page, shows("3 AP(s): applied 3"), terminal.text, seconds=10)

            db_path = city.session.db_path
            assert len(tuis_of(db_path)) == 1, tuis_of(db_path)  # one TUI process for the tab, as sam
            assert "--user sam tui" in tuis_of(db_path)[0]
            page.click("#logout")
            page.wait_for_url(server + "login")
            wait_for(page, lambda: tuis_of(db_path) == [], lambda: f"TUIs after logout: {tuis_of(db_path)}")
            assert not context.cookies()
            page.goto(server)
            assert page.url == server + "login"

            # a changed password ends the session and closes its TUI within the server's check interval
            log_in(PASSWORD)
            page.wait_for_url(server)
            wait_for(page, lambda: not terminal.closed, lambda: "no TUI after the second login")
            city.access.set_web_password("sam", PASSWORD + "-new")
            wait_for(page, lambda: terminal.closed, lambda: "the TUI is still open", seconds=SWEEP_S + 3)
            assert page.locator(".ended").is_visible()
            wait_for(page, lambda: tuis_of(db_path) == [], lambda: f"TUIs after the session ended: {tuis_of(db_path)}")
            page.goto(server)
            assert page.url == server + "login"
        finally:
            browser.close()
            if guest_enabled(city) != ["true"] * 3:
                city.ssids.set_ssid_enabled(SITE, GUEST, True, confirm_timeout=20)

    assert outside == []
    audit = [row for row in city.config.audit(ap=APS[0]) if row.get("action") in ("ssid-off", "ssid-on")]
    assert [row["who"].split(" ")[0] for row in audit[:2]] == ["sam", "sam"], audit[:2]
