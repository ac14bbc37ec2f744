"""The login rules of ``netctl serve``: password hashes, who may set them, the rate limit, sessions, the cookie.

The rules are pure (:mod:`netctl.web.auth`, the clock passed in); the last tests drive the real aiohttp
server on a loopback port (no TUI is started: they stop at the login).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, CookieJar, WSMsgType
from aiohttp.test_utils import TestServer

from netctl.api import Netctl
from netctl.core import os_login
from netctl.errors import ConfigError, PermissionDenied
from netctl.web.auth import (
    COOKIE,
    LoginLimiter,
    WebSessions,
    cookie_attributes,
    hash_password,
    same_origin,
    stamp_of,
    verify_password,
)
from netctl.web.server import WebServer

PASSWORD = "correct-horse-battery"


def test_a_password_is_stored_as_a_salted_scrypt_hash_and_checked() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("scrypt$16384$8$1$") and PASSWORD not in first
    assert first != second  # a fresh salt each time
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first)
    assert not verify_password("", first)
    assert not verify_password(PASSWORD, None)
    assert not verify_password(PASSWORD, "plain:" + PASSWORD)
    assert not verify_password(PASSWORD, "scrypt$16384$8$1$!!$??")
    assert not verify_password(PASSWORD, first.replace("scrypt", "md5", 1))


@pytest.fixture
def users(api: Any) -> Any:
    api.session.db["tenants"].insert({"name": "duisburg", "vars": "{}"})
    api.session.db["sites"].insert_all([{"name": n, "tenant": "duisburg", "kind": "school", "vars": "{}"}
                                        for n in ("gs-a", "gs-b")])
    api.access.add_user("ada", "admin", os_login=os_login())  # the server's OS login acts as an admin
    api.access.add_user("sam", "school-admin", sites=["gs-a"])
    api.access.add_user("tom", "school-admin", sites=["gs-b"])
    return api


@dataclass
class Browser:
    """A client that keeps its cookies (also of an IP address) and the served app's URL and origin."""

    client: ClientSession
    url: str
    origin: str

    async def log_in(self, password: str = PASSWORD, user: str = "sam", **headers: str) -> Any:
        return await self.client.post(self.url + "login", data={"user": user, "password": password},
                                      headers={"Origin": self.origin, **headers}, allow_redirects=False)


@asynccontextmanager
async def served(web: WebServer) -> AsyncIterator[Browser]:
    """``web`` on a free loopback port, and a browser for it."""
    async with (TestServer(web.make_app(), host="127.0.0.1") as server,
                ClientSession(cookie_jar=CookieJar(unsafe=True)) as client):
        url = str(server.make_url("/"))
        yield Browser(client, url, url.rstrip("/"))


def test_an_admin_sets_web_passwords_and_a_user_only_their_own(users: Any) -> None:
    users.access.set_web_password("sam", PASSWORD)
    stored = users.session.db["users"].get("sam")["web_password"]
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    found = users.access.web_login("sam", PASSWORD)
    assert (found["name"], found["role"], found["scope"]["sites"], found["stamp"]) == (
        "sam", "school-admin", ["gs-a"], stamp_of(stored))
    assert users.access.web_login("sam", "wrong-password") is None
    assert users.access.web_login("nobody", PASSWORD) is None
    assert users.access.web_login("tom", PASSWORD) is None  # tom has no web password

    sam = Netctl(users.session.db_path, user="sam")
    with pytest.raises(PermissionDenied):
        sam.access.set_web_password("tom", "tom-was-here-123")
    with pytest.raises(PermissionDenied):
        sam.access.web_login("sam", PASSWORD)  # only the server (an admin) checks passwords
    sam.access.set_web_password("sam", "my-own-new-password")
    assert users.access.web_stamps()["sam"] != found["stamp"]  # sessions of the old password end
    with pytest.raises(ConfigError, match="too short"):
        users.access.set_web_password("tom", "short")
    with pytest.raises(ConfigError, match="name"):
        users.access.set_web_password("tom", "Tom" + " " * 8)
    users.access.set_web_password("sam", None)
    assert users.access.web_stamps() == {}


def test_failed_logins_are_limited_per_user_and_per_address() -> None:
    limiter = LoginLimiter(per_user=3, per_address=5, window_s=60.0)
    for second in range(3):
        assert limiter.wait("sam", "10.0.0.1", second) == 0.0
        limiter.failed("sam", "10.0.0.1", second)
    assert limiter.wait("sam", "10.0.0.1", 3) == pytest.approx(57.0)
    assert limiter.wait("sam", "10.0.0.2", 3) == pytest.approx(57.0)  # the user, from any address
    assert limiter.wait("tom", "10.0.0.2", 3) == 0.0
    limiter.failed("tom", "10.0.0.1", 4)
    limiter.failed("eva", "10.0.0.1", 5)
    assert limiter.wait("ada", "10.0.0.1", 6) == pytest.approx(54.0)  # the address, for any user
    assert limiter.wait("ada", "10.0.0.3", 6) == 0.0
    assert limiter.wait("sam", "10.0.0.2", 61) == 0.0  # the oldest failure left the window
    limiter.succeeded("tom", "10.0.0.3")
    assert limiter.wait("tom", "10.0.0.3", 6) == 0.0


def test_the_limiter_remembers_a_bounded_number_of_names() -> None:
    limiter = LoginLimiter(per_user=1, keys=10)
    for n in range(100):
        limiter.failed(f"user{n}", "10.0.0.1", 1.0)
    assert len(limiter._failures) <= 10


def test_a_session_ends_when_idle_too_old_logged_out_or_its_password_changed() -> None:
    sessions = WebSessions(idle_s=60.0, max_age_s=300.0)
    token = sessions.start("sam", "s1", 0.0, role="school-admin")
    assert len(token) >= 43 and token != sessions.start("sam", "s1", 0.0)
    assert sessions.get("made-up", 1.0) is None and sessions.get(None, 1.0) is None
    for now in (50.0, 100.0, 150.0, 200.0, 250.0):
        session = sessions.get(token, now)
        assert session is not None and (session.user, session.role) == ("sam", "school-admin")
    assert sessions.get(token, 301.0) is None  # used all along, but older than max_age_s

    idle = sessions.start("sam", "s1", 0.0)
    assert sessions.get(idle, 61.0) is None

    sessions = WebSessions(idle_s=60.0, max_age_s=300.0)
    kept, changed, removed = (sessions.start(u, s, 0.0) for u, s in (("sam", "s1"), ("tom", "t1"), ("eva", "e1")))
    ended = sessions.sweep(10.0, {"sam": "s1", "tom": "t2"})  # tom's password changed, eva was removed
    assert sorted(s.user for s in ended) == ["eva", "tom"]
    assert sessions.get(changed, 11.0) is None and sessions.get(removed, 11.0) is None
    session = sessions.get(kept, 11.0)
    assert session is not None and sessions.users() == {"sam"}
    assert [s.user for s in sessions.sweep(100.0, {"sam": "s1"})] == ["sam"]  # idle since 11.0

    sessions.end(sessions.get(sessions.start("sam", "s1", 0.0), 1.0).key)  # type: ignore[union-attr]
    assert sessions.users() == set()


def test_the_session_cookie_is_http_only_same_site_strict_and_secure_over_tls() -> None:
    assert cookie_attributes(secure=False) == {"httponly": True, "samesite": "Strict", "secure": False, "path": "/"}
    assert cookie_attributes(secure=True)["secure"] is True


def test_only_requests_from_the_server_s_own_origin_pass() -> None:
    assert same_origin("http://127.0.0.1:8000", host="127.0.0.1:8000", scheme="http")
    assert same_origin(None, host="127.0.0.1:8000", scheme="http")
    assert not same_origin("http://evil.example", host="127.0.0.1:8000", scheme="http")
    assert not same_origin("null", host="127.0.0.1:8000", scheme="http")
    assert not same_origin("https://127.0.0.1:8000", host="127.0.0.1:8000", scheme="http")
    assert same_origin("https://wlan.example.org", host="127.0.0.1:8000", scheme="http",
                       public_url="https://wlan.example.org/")
    assert not same_origin("http://127.0.0.1:8000", host="127.0.0.1:8000", scheme="http",
                           public_url="https://wlan.example.org")


async def test_the_server_asks_for_a_login_limits_failures_and_sets_the_session_cookie(users: Any) -> None:
    users.access.set_web_password("sam", PASSWORD)
    web = WebServer(users.session.db_path, limiter=LoginLimiter(per_user=3))
    assert web.check_admin() == ["sam"]
    async with served(web) as browser:
        client, url, origin, login = browser.client, browser.url, browser.origin, browser.log_in
        first = await client.get(url, allow_redirects=False)
        assert (first.status, first.headers["Location"]) == (303, "login")
        assert "frame-ancestors 'none'" in first.headers["Content-Security-Policy"]
        assert (await client.get(url + "ws")).status == 403  # no TUI without a session
        assert (await login(Origin="http://evil.example")).status == 403
        assert (await login("wrong-password-1")).status == 401
        assert (await login("wrong-password-2")).status == 401
        assert (await login("wrong-password-3", user="tom")).status == 401  # tom has no password
        assert (await login("wrong-password-4")).status == 401
        refused = await login()  # the right one, but sam had three failures
        assert refused.status == 429 and "too many failed logins" in await refused.text()
        assert len(client.cookie_jar) == 0  # no session cookie

        web.limiter.succeeded("sam", "127.0.0.1")
        ok = await login()
        assert (ok.status, ok.headers["Location"]) == (303, "./")
        cookie = ok.cookies[COOKIE]
        assert (cookie["httponly"], cookie["samesite"], cookie["path"], cookie["secure"]) == (True, "Strict", "/", "")
        page = await client.get(url)
        assert page.status == 200 and "sam (school-admin)" in await page.text()
        assert (await client.get(url + "ws", headers={"Origin": "http://evil.example"})).status == 403

        out = await client.post(url + "logout", headers={"Origin": origin}, allow_redirects=False)
        assert (out.status, out.headers["Location"]) == (303, "login")
        assert web.sessions.users() == set()
        forged = await client.get(url, cookies={COOKIE: cookie.value}, allow_redirects=False)
        assert forged.status == 303  # the old token is dead on the server, not only in this browser


async def test_over_tls_the_session_cookie_is_secure(users: Any, tmp_path: Path) -> None:
    import ssl

    from netctl.web.server import run, tls_context
    from tests.helpers.receivers import self_signed

    cert, key = self_signed(tmp_path)
    users.access.set_web_password("sam", PASSWORD)
    urls: list[str] = []
    stop = asyncio.Event()
    serving = asyncio.create_task(run(WebServer(users.session.db_path, secure=True), "127.0.0.1", 0,
                                      ssl_context=tls_context(str(cert), str(key)), announce=urls.append, stop=stop))
    try:
        for _ in range(100):
            if urls or serving.done():
                break
            await asyncio.sleep(0.05)
        (url,) = urls
        assert url.startswith("https://127.0.0.1:")
        trust = ssl.create_default_context(cafile=str(cert))
        async with ClientSession() as client:
            ok = await client.post(url + "login", data={"user": "sam", "password": PASSWORD}, ssl=trust,
                                   headers={"Origin": url.rstrip("/")}, allow_redirects=False)
            assert ok.status == 303
            assert ok.cookies[COOKIE]["secure"] is True and ok.cookies[COOKIE]["httponly"] is True
    finally:
        stop.set()
        await asyncio.wait_for(serving, 10)


def test_serve_listens_beyond_loopback_only_when_told_and_then_says_how_to_use_tls(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from netctl.cli import cli
    from netctl.web.server import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("127.3.2.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.7") and not is_loopback("wlan.example.org")
    runner = CliRunner()
    refused = runner.invoke(cli, ["--db", str(tmp_path / "none.db"), "serve", "--host", "0.0.0.0"])
    assert refused.exit_code == 2
    assert "--allow-remote" in refused.output and "reverse proxy with TLS" in refused.output
    half = runner.invoke(cli, ["--db", str(tmp_path / "none.db"), "serve", "--certfile", __file__])
    assert "give --certfile and --keyfile together" in str(half.exception)


async def test_a_tui_that_ends_closes_the_tab_s_websocket(users: Any) -> None:
    users.access.set_web_password("sam", PASSWORD)
    web = WebServer(users.session.db_path)
    started: list[str] = []

    def dying_tui(db_path: str, user: str) -> list[str]:
        started.append(user)
        return [sys.executable, "-c", "print('__GANGLION__', flush=True)"]

    web.tui_command = dying_tui
    async with served(web) as browser:
        await browser.log_in()
        async with browser.client.ws_connect(browser.url + "ws?width=80&height=24",
                                             headers={"Origin": browser.origin}) as socket:
            message = await asyncio.wait_for(socket.receive(), 10)
            assert message.type.name in ("CLOSE", "CLOSED", "CLOSING")
    assert started == ["sam"]  # the TUI is started as the user of the session, nothing the browser sends
    assert all(not open_ for open_ in web.sockets.values())  # no websocket left behind


def test_netctl_users_passwd_sets_reads_from_stdin_and_clears(users: Any) -> None:
    from click.testing import CliRunner

    from netctl.cli import cli

    runner = CliRunner()
    db = users.session.db_path
    done = runner.invoke(cli, ["--db", db, "users", "passwd", "sam", "--password-stdin"], input=PASSWORD + "\n")
    assert done.exit_code == 0 and "sam: web password set" in done.output
    assert users.access.web_login("sam", PASSWORD) is not None
    prompted = runner.invoke(cli, ["--db", db, "users", "passwd", "tom"], input="tom-password-9\ntom-password-9\n")
    assert prompted.exit_code == 0 and users.access.web_login("tom", "tom-password-9") is not None
    cleared = runner.invoke(cli, ["--db", db, "users", "passwd", "sam", "--clear"])
    assert cleared.exit_code == 0 and users.access.web_login("sam", PASSWORD) is None
    assert sorted(users.access.web_stamps()) == ["tom"]


def test_a_tab_s_tui_runs_as_the_user_in_the_server_s_language() -> None:
    from netctl import i18n
    from netctl.web.server import tui_argv

    try:
        i18n.choose("de")
        argv = tui_argv("/srv/city.db", "sam")
    finally:
        i18n.choose("en")
    assert argv[1:] == ["-m", "netctl.cli", "--db", "/srv/city.db", "--lang", "de", "--user", "sam", "tui"]


def test_without_a_server_language_a_tab_opens_in_the_user_s_own() -> None:
    # no --lang: the tab's netctl applies the user's own language (netctl users set-lang; tested in
    # test_user_language), else the NETCTL_LANG or locale it inherits from the server
    from netctl import i18n
    from netctl.web.server import tui_argv

    for env in ({"LANG": "de_DE.UTF-8"}, {"NETCTL_LANG": "de"}, {}):
        try:
            i18n.choose(env=env)
            argv = tui_argv("/srv/city.db", "sam")
        finally:
            i18n.choose("en")
        assert argv[1:] == ["-m", "netctl.cli", "--db", "/srv/city.db", "--user", "sam", "tui"], env


async def test_behind_a_proxy_the_page_uses_the_public_url_and_the_cookie_is_secure(users: Any) -> None:
    users.access.set_web_password("sam", PASSWORD)
    public = "https://wlan.example.org/netctl"
    web = WebServer(users.session.db_path, public_url=public + "/")
    async with served(web) as browser:
        assert (await browser.log_in()).status == 403  # the browser's origin is the proxy's
        ok = await browser.log_in(Origin="https://wlan.example.org")
        assert ok.status == 303 and ok.cookies[COOKIE]["secure"] is True
        page = await (await browser.client.get(browser.url, cookies={COOKIE: ok.cookies[COOKIE].value})).text()
        assert 'data-session-websocket-url="wss://wlan.example.org/netctl/ws"' in page
        assert f'src="{public}/static/js/textual.js"' in page


async def test_concurrent_wrong_logins_get_no_more_tries_than_the_limit(users: Any) -> None:
    users.access.set_web_password("sam", PASSWORD)
    web = WebServer(users.session.db_path, limiter=LoginLimiter(per_user=3))
    async with served(web) as browser:
        answers = await asyncio.gather(*(browser.log_in(f"guess-number-{n}") for n in range(12)))
        assert sorted(answer.status for answer in answers) == [401] * 3 + [429] * 9
        assert (await browser.log_in()).status == 429  # the limit holds for the right password too
    many = LoginLimiter(per_user=3, per_address=5)
    for n in range(10):  # ten good logins from one school's address (one NAT) never lock it out
        assert many.wait(f"user{n}", "10.0.0.1", n) == 0.0
        many.failed(f"user{n}", "10.0.0.1", n)
        many.succeeded(f"user{n}", "10.0.0.1")


async def test_keys_typed_in_the_tui_keep_the_session_and_idleness_ends_it(users: Any) -> None:
    users.access.set_web_password("sam", PASSWORD)
    sweep = 0.1
    web = WebServer(users.session.db_path, idle_s=sweep * 3, sweep_s=sweep)
    web.tui_command = lambda db_path, user: [
        sys.executable, "-c", "import sys; print('__GANGLION__', flush=True); sys.stdin.buffer.read()"]
    async with served(web) as browser:
        await browser.log_in()
        async with browser.client.ws_connect(browser.url + "ws", headers={"Origin": browser.origin}) as socket:
            for _ in range(12):  # typing for twice the idle time, a key every sixth of it
                await socket.send_json(["stdin", "j"])
                await asyncio.sleep(sweep * 0.5)
            assert web.sessions.users() == {"sam"} and not socket.closed
            message = await asyncio.wait_for(socket.receive(), 5)  # then nothing: the session ends
            assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
        assert web.sessions.users() == set() and web.sockets == {}


def test_touch_restarts_the_idle_time_of_a_live_session_only() -> None:
    sessions = WebSessions(idle_s=60.0, max_age_s=300.0)
    token = sessions.start("sam", "s1", 0.0)
    key = sessions.get(token, 0.0).key  # type: ignore[union-attr]
    assert sessions.touch(key, 50.0) and sessions.touch(key, 100.0)
    assert sessions.get(token, 150.0) is not None
    assert not sessions.touch(key, 301.0)  # too old
    assert not sessions.touch("no-such-key", 1.0)
