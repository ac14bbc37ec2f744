"""The login rules of ``netctl serve``: web passwords, the login rate limit and browser sessions.

Pure logic: no I/O, and the time is always passed in (``now``: seconds of a monotonic clock), so unit
tests call it directly; :mod:`netctl.web.server` does the I/O around it.

- Passwords are stored only as salted scrypt hashes (``scrypt$N$r$p$SALT$HASH``, base64) and compared in
  constant time; checking a user without a password costs the same as checking one with.
- Failed logins are counted per user and per client address in a sliding window; over the limit,
  the login is refused before any password is checked. Each try counts from its start (a good one is
  taken back), so tries sent at the same time get no more checks than the limit.
- A browser session is a random token (256 bits) in a cookie that is HttpOnly, SameSite=Strict and
  Secure when the server speaks TLS; the server keeps only the token's SHA-256. A session ends after
  ``idle_s`` without a request, after ``max_age_s`` in any case, at logout, and when the user's
  password changes or the user is removed (its ``stamp`` no longer matches).

Raises: ConfigError (a new password that is too short or is the user's name).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from netctl.errors import ConfigError

#: scrypt cost: 2**14 x 8 x 1 (16 MiB, about 50 ms per check)
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_PASSWORD = 10

#: the cookie that carries the session token
COOKIE = "netctl_session"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * r * n * p + 2**20,
                          dklen=HASH_BYTES)


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """The stored form of ``password``: ``scrypt$N$r$p$SALT$HASH`` with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p))}"


#: checked when a user has no password, so that costs what a wrong password costs
_NO_PASSWORD = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(bytes(SALT_BYTES))}${_b64(bytes(HASH_BYTES))}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (:func:`hash_password`); False for no or a broken hash."""
    try:
        scheme, n, r, p, salt, expected = (stored or _NO_PASSWORD).split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
        same = hmac.compare_digest(actual, base64.b64decode(expected))
    except ValueError:
        _scrypt(password, bytes(SALT_BYTES), SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return False
    return same and stored is not None


def check_new_password(user: str, password: str) -> None:
    """Refuse a web password that is too short or is the user's name (ConfigError)."""
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password is too short ({len(password)} characters)",
                          hint=f"use at least {MIN_PASSWORD} characters, e.g. four random words")
    if password.strip().lower() == user.lower():
        raise ConfigError("the password is the user's name", hint="choose another password")


def stamp_of(stored: str | None) -> str:
    """A short fingerprint of a stored hash: a session started with one ends when it changes."""
    return hashlib.sha256((stored or "").encode("ascii")).hexdigest()[:16]


class LoginLimiter:
    """Failed logins per user and per client address in a sliding window of ``window_s`` seconds.

    At most ``keys`` users and addresses are remembered (the oldest are forgotten first), so a flood
    of made-up names cannot grow the server's memory without bound.
    """

    def __init__(self, *, per_user: int = 5, per_address: int = 20, window_s: float = 900.0,
                 keys: int = 10_000) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.window_s = window_s
        self.keys = keys
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def wait(self, user: str, address: str, now: float) -> float:
        """Seconds until a login for ``user`` from ``address`` may be tried again (0.0: now)."""
        waits = [0.0]
        for key, limit in ((f"user:{user}", self.per_user), (f"addr:{address}", self.per_address)):
            times = self._recent(key, now)
            if len(times) >= limit:
                waits.append(times[len(times) - limit] + self.window_s - now)
        return max(waits)

    def failed(self, user: str, address: str, now: float) -> None:
        """Count a failed login. The server counts each try before its password is checked, so tries
        running at the same time cannot pass the limit together; :meth:`succeeded` takes a good one back."""
        for key in (f"user:{user}", f"addr:{address}"):
            times = self._recent(key, now)
            if key not in self._failures:
                if len(self._failures) >= self.keys:
                    del self._failures[next(iter(self._failures))]
                self._failures[key] = times
            times.append(now)

    def succeeded(self, user: str, address: str) -> None:
        """A good login: forget the user's failures and take back the address's latest count (its try)."""
        self._failures.pop(f"user:{user}", None)
        times = self._failures.get(f"addr:{address}")
        if times:
            times.pop()


@dataclass
class WebSession:
    """One logged-in browser: the netctl user, when it started and was last used, the password stamp."""

    key: str
    user: str
    stamp: str
    started: float
    seen: float
    role: str = ""


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class WebSessions:
    """Browser sessions by token; only the tokens' SHA-256 are kept."""

    def __init__(self, *, idle_s: float = 1800.0, max_age_s: float = 12 * 3600.0) -> None:
        self.idle_s = idle_s
        self.max_age_s = max_age_s
        self._sessions: dict[str, WebSession] = {}

    def start(self, user: str, stamp: str, now: float, *, role: str = "") -> str:
        """A new session for ``user``; returns the token for the cookie."""
        token = secrets.token_urlsafe(32)
        key = _key(token)
        self._sessions[key] = WebSession(key, user, stamp, now, now, role)
        return token

    def _alive(self, session: WebSession, now: float) -> bool:
        return now - session.seen < self.idle_s and now - session.started < self.max_age_s

    def get(self, token: str | None, now: float) -> WebSession | None:
        """The live session of ``token`` (its idle time starts again), or None (ended or unknown)."""
        session = self._sessions.get(_key(token)) if token else None
        if session is None:
            return None
        if not self._alive(session, now):
            del self._sessions[session.key]
            return None
        session.seen = now
        return session

    def touch(self, key: str, now: float) -> bool:
        """The session with this key was used (a key typed in its TUI): its idle time starts again. False
        when it has ended."""
        session = self._sessions.get(key)
        if session is None or not self._alive(session, now):
            return False
        session.seen = now
        return True

    def end(self, key: str) -> None:
        """End the session with this key (logout)."""
        self._sessions.pop(key, None)

    def sweep(self, now: float, stamps: dict[str, str]) -> list[WebSession]:
        """End and return the sessions that expired or whose user's password stamp is no longer ``stamps[user]``
        (a user missing from ``stamps`` was removed or lost the password)."""
        ended = [s for s in self._sessions.values() if not self._alive(s, now) or stamps.get(s.user) != s.stamp]
        for session in ended:
            del self._sessions[session.key]
        return ended

    def users(self) -> set[str]:
        """The users with a session."""
        return {s.user for s in self._sessions.values()}


def cookie_attributes(*, secure: bool) -> dict[str, object]:
    """How the session cookie is set (aiohttp ``set_cookie`` keywords): only for HTTP, never sent by a
    request another site starts, Secure over TLS, the whole path; no Max-Age (the server ends it)."""
    return {"httponly": True, "samesite": "Strict", "secure": secure, "path": "/"}


def same_origin(origin: str | None, *, host: str, scheme: str, public_url: str | None = None) -> bool:
    """Whether a request's ``Origin`` header names this server (the public URL's origin when one is set,
    else ``scheme://host`` as the request reached it). A request without ``Origin`` (not sent by a
    browser's script or form) passes; the SameSite cookie guards those."""
    if origin is None:
        return True
    if public_url:
        parts = urlsplit(public_url)
        scheme, host = parts.scheme, parts.netloc
    return origin.lower() == f"{scheme}://{host}".lower()
