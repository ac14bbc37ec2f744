"""The server of ``netctl serve``: a login in front of the TUI, one ``netctl tui`` process per browser tab.

aiohttp serves the login form, the TUI page, textual-serve's static files (xterm.js, its font) and the
websocket that textual-serve's page speaks; each websocket of a logged-in browser starts
``python -m netctl.cli --db DB --user NAME tui`` with Textual's web driver (textual-serve's
:class:`~textual_serve.app_service.AppService`, started without a shell).

Who the TUI acts as comes only from the server's own session table, looked up by the cookie's random
token; nothing else the browser sends (form fields after login, query strings, headers) names a user.
The server runs as an OS login that netctl maps to an admin (or root) and narrows each TUI to the user
who logged in with ``--user``, which only an admin may give (:meth:`netctl.core.Session._resolve_user`).

Raises at start: PermissionDenied (the server's OS login is no admin), NotFound (no database).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import shlex
import ssl
import sys
import time
from asyncio.subprocess import PIPE, Process
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from netctl.errors import PermissionDenied
from netctl.web.auth import (
    COOKIE,
    LoginLimiter,
    WebSession,
    WebSessions,
    cookie_attributes,
    same_origin,
)
from netctl.web.pages import login_page, tui_page

log = logging.getLogger("netctl.web")

#: TUI processes one browser session may run at once, and the server in all
MAX_TUIS_PER_SESSION = 3
MAX_TUIS = 50
#: how often ended sessions (idle, too old, password changed, user removed) are looked for (one query)
SWEEP_S = 1.0
#: how long a TUI may take to quit before it is killed
STOP_S = 5.0

TLS_GUIDANCE = """\
netctl serve speaks plain HTTP unless given --certfile and --keyfile. To reach it from other machines,
keep it on 127.0.0.1 and put a reverse proxy with TLS in front (nginx, Caddy, Apache; forward the
/ws websocket too) and start it with --public-url https://NAME/, or give it a certificate:
  netctl serve --host 0.0.0.0 --allow-remote --certfile cert.pem --keyfile key.pem
Passwords and session cookies cross the network in clear text without TLS (docs/security.md)."""

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make the form's Origin "null"
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tui_argv(db_path: str, user: str) -> list[str]:
    """The command of one browser tab's TUI: ``netctl --db DB [--lang LANG] --user NAME tui`` in this Python.

    A language the server was started with (``netctl --lang de serve``) is every tab's; otherwise the TUI
    opens in the user's own language (``netctl users set-lang``), else ``$NETCTL_LANG`` or the locale of
    the server's environment, which the tab inherits."""
    from netctl import i18n

    lang = ["--lang", i18n.current()] if i18n.source() == "option" else []
    return [sys.executable, "-m", "netctl.cli", "--db", db_path, *lang, "--user", user, "tui"]


class TuiProcess(AppService):
    """textual-serve's app service, started from an argument list (no shell) and stopped within :data:`STOP_S`."""

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        super().__init__(shlex.join(argv), **kwargs)
        self.argv = argv

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        environment = self._build_environment(width=width, height=height)
        for name in ("NETCTL_USER", "NETCTL_DB"):  # the argument list decides both
            environment.pop(name, None)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=PIPE, stdout=PIPE, stderr=PIPE, env=environment)
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """Relay the TUI's output until it ends, then close the tab's websocket (a TUI that quit or died
        never leaves the page waiting on a blank screen)."""
        await super().run()
        await self.remote_close()

    async def stop(self) -> None:
        """Ask the TUI to quit; kill it after :data:`STOP_S`; then close its pipes and reap it (no file
        descriptor or zombie is left per tab)."""
        process = self._process
        try:
            await asyncio.wait_for(super().stop(), STOP_S)
        except TimeoutError:
            pass
        if process is None:
            return
        if process.returncode is None:
            try:
                await asyncio.wait_for(process.wait(), STOP_S)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._stdin is not None:
            self._stdin.close()


class WebServer:
    """The login, the sessions and the TUI processes of one ``netctl serve``."""

    def __init__(self, db_path: str, *, admin_user: str | None = None, public_url: str | None = None,
                 secure: bool = False,
                 idle_s: float = 1800.0, max_age_s: float = 12 * 3600.0, limiter: LoginLimiter | None = None,
                 clock: Callable[[], float] = time.monotonic, sweep_s: float = SWEEP_S) -> None:
        """``admin_user``: the admin the server acts as (default: its OS login's user); ``secure``: the browser
        reaches the server over TLS (here or at a proxy), so the cookie is Secure."""
        import textual_serve

        self.db_path = db_path
        self.admin_user = admin_user
        self.public_url = public_url.rstrip("/") if public_url else None
        self.secure = secure or bool(public_url and public_url.startswith("https:"))
        self.sessions = WebSessions(idle_s=idle_s, max_age_s=max_age_s)
        self.limiter = limiter or LoginLimiter()
        self.clock = clock
        self.sweep_s = sweep_s
        self.static_dir = Path(textual_serve.__file__).parent / "static"
        self.download_manager = DownloadManager()
        #: session key -> its open websockets (each runs one TUI)
        self.sockets: dict[str, set[web.WebSocketResponse]] = {}
        #: the command of one tab's TUI for a user
        self.tui_command: Callable[[str, str], list[str]] = tui_argv

    # -- the database, as the server's own (admin) user; in a thread, never on the event loop -------
    def _admin(self) -> Any:
        from netctl.api import Netctl

        return Netctl(self.db_path, user=self.admin_user)

    def check_admin(self) -> list[str]:
        """Refuse to serve unless the server's OS login acts as an admin; the users who may log in."""
        api = self._admin()
        try:
            if not api.session.can("users"):
                raise PermissionDenied(
                    f"netctl serve runs as {api.session.user_name!r} (role {api.session.role}), not as an admin",
                    hint="run it as an OS login mapped to a netctl admin (netctl users add NAME --role admin "
                         "--os-login LOGIN) or as root; each TUI then acts as the user who logged in")
            return sorted(api.access.web_stamps())
        finally:
            api.close()

    def _login(self, user: str, password: str) -> dict[str, Any] | None:
        api = self._admin()
        try:
            found: dict[str, Any] | None = api.access.web_login(user, password)
            return found
        finally:
            api.close()

    def _stamps(self) -> dict[str, str]:
        api = self._admin()
        try:
            stamps: dict[str, str] = api.access.web_stamps()
            return stamps
        finally:
            api.close()

    # -- the web application --------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers], client_max_size=64 * 1024)
        app.add_routes([
            web.get("/", self.index),
            web.get("/login", self.login_form),
            web.post("/login", self.login),
            web.post("/logout", self.logout),
            web.get("/ws", self.websocket),
            web.static("/static", self.static_dir),
        ])
        app.on_startup.append(self._start_sweeper)
        app.on_shutdown.append(self._close_all)
        return app

    @web.middleware
    async def _headers(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        if not response.prepared:
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
        return response

    def _static_url(self) -> str:
        return f"{self.public_url or ''}/static/"

    def _session(self, request: web.Request) -> WebSession | None:
        return self.sessions.get(request.cookies.get(COOKIE), self.clock())

    def _same_origin(self, request: web.Request) -> bool:
        return same_origin(request.headers.get("Origin"), host=request.host, scheme=request.scheme,
                           public_url=self.public_url)

    def _page(self, text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")

    @staticmethod
    def _redirect(location: str) -> web.Response:
        return web.Response(status=303, headers={"Location": location})

    async def index(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is None:
            return self._redirect("login")
        if self.public_url:
            websocket_url = "ws" + self.public_url.removeprefix("http") + "/ws"
        else:
            websocket_url = f"{'wss' if request.secure else 'ws'}://{request.host}/ws"
        return self._page(tui_page(static_url=self._static_url(), websocket_url=websocket_url,
                                   user=session.user, role=session.role))

    async def login_form(self, request: web.Request) -> web.Response:
        if self._session(request) is not None:
            return self._redirect("./")
        return self._page(login_page(static_url=self._static_url()))

    async def login(self, request: web.Request) -> web.Response:
        if not self._same_origin(request):
            return self._page(login_page(static_url=self._static_url(), message="refused: another site"), 403)
        form = await request.post()
        user = str(form.get("user", ""))[:128].strip()
        password = str(form.get("password", ""))[:1024]
        address = request.remote or "?"
        wait = self.limiter.wait(user, address, self.clock())
        if wait > 0:
            log.warning("web login for %r from %s refused: too many failed logins", user, address)
            minutes = max(1, round(wait / 60))
            return self._page(login_page(static_url=self._static_url(), user=user,
                                         message=f"too many failed logins: try again in {minutes} minute(s)"), 429)
        self.limiter.failed(user, address, self.clock())  # until the password is checked: no parallel tries
        found = await asyncio.to_thread(self._login, user, password)
        if found is None:
            log.warning("web login for %r from %s failed", user, address)
            return self._page(login_page(static_url=self._static_url(), user=user,
                                         message="wrong user or password"), 401)
        self.limiter.succeeded(user, address)
        token = self.sessions.start(found["name"], found["stamp"], self.clock(), role=found["role"])
        log.info("web login: %s from %s", found["name"], address)
        response = self._redirect("./")
        response.set_cookie(COOKIE, token, **cookie_attributes(secure=self.secure))  # type: ignore[arg-type]
        return response

    async def logout(self, request: web.Request) -> web.Response:
        if not self._same_origin(request):
            return self._page(login_page(static_url=self._static_url(), message="refused: another site"), 403)
        session = self._session(request)
        if session is not None:
            self.sessions.end(session.key)
            await self._close_session(session.key)
            log.info("web logout: %s", session.user)
        response = self._redirect("login")
        response.del_cookie(COOKIE, path="/")
        return response

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request)
        if session is None or not self._same_origin(request):
            return web.Response(status=403, text="log in first")
        if (await asyncio.to_thread(self._stamps)).get(session.user) != session.stamp:
            self.sessions.end(session.key)
            return web.Response(status=403, text="the session ended: log in again")
        open_here = self.sockets.setdefault(session.key, set())
        if len(open_here) >= MAX_TUIS_PER_SESSION or sum(map(len, self.sockets.values())) >= MAX_TUIS:
            return web.Response(status=429, text="too many TUIs open: close a tab")
        socket = web.WebSocketResponse(heartbeat=15, max_msg_size=64 * 1024)
        await socket.prepare(request)
        open_here.add(socket)
        tui = TuiProcess(self.tui_command(self.db_path, session.user), write_bytes=socket.send_bytes,
                         write_str=socket.send_str, close=socket.close, download_manager=self.download_manager)
        try:
            await tui.start(_size(request, "width", 80), _size(request, "height", 24))
            await self._relay(socket, tui, session.key)
        finally:
            await tui.stop()
            open_here.discard(socket)
            if not open_here and self.sockets.get(session.key) is open_here:
                del self.sockets[session.key]
            await socket.close()
        return socket

    async def _relay(self, socket: web.WebSocketResponse, tui: TuiProcess, key: str) -> None:
        """The browser's keys, size, focus and pings to the TUI (textual-serve's websocket messages); a key
        keeps the session from going idle."""
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
                kind, data = (envelope + [None])[:2]
            except (ValueError, TypeError):
                continue
            if kind == "stdin" and isinstance(data, str):
                self.sessions.touch(key, self.clock())
                await tui.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await tui.set_terminal_size(_bounded(data.get("width"), 80), _bounded(data.get("height"), 24))
            elif kind == "ping":
                await socket.send_json(["pong", data])
            elif kind == "blur":
                await tui.blur()
            elif kind == "focus":
                await tui.focus()

    # -- ending sessions ---------------------------------------------------------------------------------
    async def _close_session(self, key: str) -> None:
        for socket in list(self.sockets.pop(key, set())):
            await socket.close()

    async def _close_all(self, _app: web.Application) -> None:
        for key in list(self.sockets):
            await self._close_session(key)

    async def _start_sweeper(self, app: web.Application) -> None:
        task = asyncio.create_task(self._sweep())
        app.on_cleanup.append(lambda _app: _cancel(task))

    async def _sweep(self) -> None:
        """End sessions that expired or whose user's password changed or was removed, and close their TUIs."""
        while True:
            await asyncio.sleep(self.sweep_s)
            try:
                stamps = await asyncio.to_thread(self._stamps)
            except Exception:  # noqa: BLE001 - a locked or moved database must not stop the sweeper
                log.exception("netctl serve could not read the users")
                continue
            for session in self.sessions.sweep(self.clock(), stamps):
                log.info("web session of %s ended", session.user)
                await self._close_session(session.key)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()


def _bounded(value: Any, default: int) -> int:
    """A terminal size from the browser: an int from 1 to 1000, else ``default``."""
    return value if isinstance(value, int) and 0 < value <= 1000 else default


def _size(request: web.Request, name: str, default: int) -> int:
    try:
        return _bounded(int(request.query.get(name, default)), default)
    except ValueError:
        return default


def tls_context(certfile: str | None, keyfile: str | None) -> ssl.SSLContext | None:
    """A server TLS context from a certificate and key file (PEM), or None for plain HTTP."""
    if not certfile:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context


async def run(server: WebServer, host: str, port: int, *, ssl_context: ssl.SSLContext | None,
              announce: Callable[[str], None], stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (default: until SIGTERM or SIGINT); ``announce`` gets the URL once the
    port is bound (port 0: a free one)."""
    import signal

    runner = web.AppRunner(server.make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
    addresses = runner.addresses
    bound = addresses[0][1] if addresses else port
    shown = f"[{host}]" if ":" in host else host
    announce(f"{'https' if ssl_context else 'http'}://{shown}:{bound}/")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
