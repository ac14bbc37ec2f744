"""Secret references and the encrypted local secret store.

The inventory never holds a secret in clear text, only a reference, resolved when a connection is
made:

    env:NAME        the environment variable NAME
    file:PATH       the content of PATH (stripped; ``~`` expanded)
    secret:NAME     an entry of the encrypted store (table ``secrets``, Fernet)

Who may use which reference (checked when a variable is set or imported, and again when resolved):

- ``secret:TENANT/NAME`` (the first part of the name is a tenant) is that tenant's secret: it
  resolves only for APs of TENANT, and only entries of TENANT may reference it.
- Any other name (``lab/netconf``: ``lab`` is no tenant) is a global secret: it resolves for every
  AP, but only an admin may put a reference to it into the inventory.
- ``env:NAME`` reads the controller's environment: only an admin may use it, and never for the
  store's key (``NETCTL_SECRET_KEY``).
- ``file:PATH`` reads only below the directory an admin configured (``netctl secret file-dir DIR``,
  setting ``secret_file_dir``; unset: ``file:`` is refused), never the store's key file, and the real
  path counts (``..`` and symbolic links are followed before the check).

The store's key comes from ``$NETCTL_SECRET_KEY`` (a Fernet key), else the key file
``$NETCTL_SECRET_KEY_FILE`` or ``~/.config/netctl/secret.key`` (created with mode 0600 on first use).
Credentials references resolve to JSON objects: ``{"username": …, "password": …, "key_file": …,
"secret": …}``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlite_utils

from netctl.errors import SecretError
from netctl.secretrefs import MASK, SCHEMES, is_reference  # noqa: F401 - re-exported

#: the ``settings`` key of the one directory ``file:`` references may read
FILE_DIR_SETTING = "secret_file_dir"
#: environment variables an ``env:`` reference never reads
PROTECTED_ENV = frozenset({"NETCTL_SECRET_KEY", "NETCTL_SECRET_KEY_FILE"})


def _key_file() -> Path:
    return Path(os.environ.get("NETCTL_SECRET_KEY_FILE") or Path.home() / ".config" / "netctl" / "secret.key")


def _fernet() -> Any:
    """The secret store's Fernet: ``NETCTL_SECRET_KEY``, else the key file (made on first use).

    Built once per key (a push seals and opens several values per AP); a key file that changes is read
    again (its inode, size and modification time are part of the cache key)."""
    key = os.environ.get("NETCTL_SECRET_KEY")
    if key:
        return _fernet_of(key)
    path = _key_file()
    if not path.exists():
        from cryptography.fernet import Fernet

        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Fernet.generate_key())
    st = path.stat()
    return _fernet_of_file(str(path), (st.st_ino, st.st_size, st.st_mtime_ns))


@lru_cache(maxsize=8)
def _fernet_of_file(path: str, _version: tuple[int, int, int]) -> Any:
    return _fernet_of(Path(path).read_text().strip())


@lru_cache(maxsize=8)
def _fernet_of(key: str) -> Any:
    from cryptography.fernet import Fernet

    try:
        return Fernet(key.encode())
    except ValueError as exc:
        raise SecretError("the secret store key is not a valid Fernet key",
                          hint="set NETCTL_SECRET_KEY to a key from `netctl secret new-key`") from exc


def set_secret(db: sqlite_utils.Database, name: str, value: str) -> None:
    """Store ``value`` encrypted under ``name`` (replacing an older value)."""
    token = _fernet().encrypt(value.encode()).decode()
    db.table("secrets").upsert(
        {"name": name, "ciphertext": token, "updated": dt.datetime.now(dt.UTC).isoformat()}, pk="name")


def delete_secret(db: sqlite_utils.Database, name: str) -> bool:
    if db["secrets"].count_where("name = ?", [name]) == 0:
        return False
    db.table("secrets").delete(name)
    return True


def list_secrets(db: sqlite_utils.Database) -> list[dict[str, str]]:
    """Names and update times only; values are never listed."""
    return [{"name": r["name"], "updated": r["updated"]} for r in db["secrets"].rows_where(order_by="name")]


def secret_tenant(db: sqlite_utils.Database, name: str) -> str | None:
    """The tenant a secret belongs to (the first part of its name, when that names a tenant), or None
    for a global secret."""
    first, sep, _ = name.partition("/")
    if not sep or "tenants" not in db.table_names():
        return None
    return first if db["tenants"].count_where("name = ?", [first]) else None


def file_dir(db: sqlite_utils.Database) -> Path | None:
    """The directory ``file:`` references may read (real path), or None when an admin set none."""
    if "settings" not in db.table_names():
        return None
    rows = list(db["settings"].rows_where("key = ?", [FILE_DIR_SETTING]))
    return Path(rows[0]["value"]) if rows and rows[0]["value"] else None


def set_file_dir(db: sqlite_utils.Database, path: str | None) -> Path | None:
    """Set (or with None clear) the directory ``file:`` references may read; returns its real path.

    Raises SecretError when it is not an existing directory, or holds the store's key file.
    """
    if path is None:
        db.table("settings").delete_where("key = ?", [FILE_DIR_SETTING])
        return None
    real = Path(path).expanduser().resolve()
    if not real.is_dir():
        raise SecretError(f"{path} is not a directory", hint="create it first (mode 0700, owned by netctl's user)")
    if _key_file().resolve().is_relative_to(real):
        raise SecretError(f"{real} holds the secret store's key file {_key_file()}",
                          hint="choose a directory of its own for files that variables may read")
    db.table("settings").upsert({"key": FILE_DIR_SETTING, "value": str(real)}, pk="key")
    return real


def reference_problem(db: sqlite_utils.Database, ref: str, *, tenant: str | None, admin: bool) -> str | None:
    """Why an entry of ``tenant`` (None: a global variable) may not use ``ref``; None when it may.

    ``admin``: the user setting it may use global secrets and ``env:``. The same rules hold when
    the reference is resolved (:func:`resolve_secret`), so a reference written around this check
    still does not resolve.
    """
    ref = ref.strip()
    use = f"secret:{tenant}/NAME" if tenant else "a global secret"
    if ref.startswith("secret:"):
        owner = secret_tenant(db, ref[7:])
        if owner is None and not admin:
            return (f"{ref} is a global secret (its name does not start with a tenant): only an admin may use it; "
                    f"use {use}")
        if owner is not None and owner != tenant:
            where = f"an entry of tenant {tenant}" if tenant else "a global variable"
            return f"{ref} is a secret of tenant {owner}: {where} may not use it; use {use}"
        return None
    if ref.startswith("env:"):
        if not admin:
            return f"{ref} reads the controller's environment: only an admin may use env: references; use {use}"
        if ref[4:] in PROTECTED_ENV:
            return f"{ref} is the secret store's key: it never goes into a configuration"
        return None
    if ref.startswith("file:"):
        return _file_problem(db, ref)
    return None


def _file_problem(db: sqlite_utils.Database, ref: str) -> str | None:
    allowed = file_dir(db)
    if allowed is None:
        return (f"{ref}: file: references are off until an admin sets the directory they may read: "
                "netctl secret file-dir DIR")
    real = Path(ref[5:]).expanduser().resolve()
    if not real.is_relative_to(allowed):
        return (f"{ref} lies outside {allowed}, the only directory file: references may read "
                "(links and '..' followed); put the file there or use secret:NAME")
    if real == _key_file().resolve():
        return f"{ref} is the secret store's key file: it never goes into a configuration"
    return None


def resolve_secret(db: sqlite_utils.Database, ref: str, *, tenant: str | None = None) -> str:
    """Resolve a reference to its clear-text value for an AP of ``tenant`` (None: no tenant, global
    secrets only). Raises SecretError naming the reference: unresolvable, or not usable there."""
    from cryptography.fernet import InvalidToken

    if ref.startswith("secret:"):
        owner = secret_tenant(db, ref[7:])
        if owner is not None and owner != tenant:
            for_whom = f"an AP of tenant {tenant}" if tenant else "this use (no tenant)"
            raise SecretError(f"secret {ref} belongs to tenant {owner}: it resolves only for APs of tenant {owner}, "
                              f"not for {for_whom}",
                              hint=f"reference a secret of the AP's own tenant: secret:{tenant or 'TENANT'}/NAME")
    if ref.startswith("file:"):
        problem = _file_problem(db, ref)
        if problem:
            raise SecretError(f"secret {problem}", hint="an admin sets the directory: netctl secret file-dir DIR")
    if ref.startswith("env:") and ref[4:] in PROTECTED_ENV:
        raise SecretError(f"secret {ref} is the secret store's key: it never goes into a configuration",
                          hint="reference the value with secret:NAME instead")
    if ref.startswith("env:"):
        name = ref[4:]
        if name not in os.environ:
            raise SecretError(f"secret {ref}: environment variable {name} is not set",
                              hint=f"export {name}=… before running netctl")
        return os.environ[name]
    if ref.startswith("file:"):
        path = Path(ref[5:]).expanduser()
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise SecretError(f"secret {ref}: cannot read {path}: {exc.strerror}",
                              hint="check the path and its permissions") from exc
    if ref.startswith("secret:"):
        name = ref[7:]
        rows = list(db["secrets"].rows_where("name = ?", [name]))
        if not rows:
            raise SecretError(f"secret {ref}: no such entry in the secret store",
                              hint=f"add it with: netctl secret set {name}")
        try:
            return str(_fernet().decrypt(rows[0]["ciphertext"].encode()).decode())
        except InvalidToken as exc:
            raise SecretError(f"secret {ref}: cannot decrypt (wrong key?)",
                              hint="use the key the store was written with "
                                   "(NETCTL_SECRET_KEY or its key file)") from exc
    raise SecretError(f"{ref!r} is not a secret reference",
                      hint="use env:NAME, file:PATH or secret:NAME; secrets are never stored in clear text")


def resolve_credentials(db: sqlite_utils.Database, ref: str | None, *, tenant: str | None = None) -> dict[str, Any]:
    """Resolve a credentials reference of an AP of ``tenant`` to ``{"username", "password"?, "key_file"?,
    "secret"?}``."""
    if not ref:
        raise SecretError("no credentials reference set for this AP",
                          hint="set one with: netctl inventory set AP credentials=secret:NAME")
    raw = resolve_secret(db, ref, tenant=tenant)
    try:
        creds = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SecretError(f"credentials {ref} are not a JSON object",
                          hint='store e.g. {"username": "admin", "password": "…"}') from exc
    if not isinstance(creds, dict) or "username" not in creds:
        raise SecretError(f"credentials {ref} have no username", hint='store {"username": …, "password": …}')
    return creds
