"""Secret references and the encrypted local secret store.

The inventory never holds a secret in clear text, only a reference, resolved when a connection is
made:

    env:NAME        the environment variable NAME
    file:PATH       the content of PATH (stripped; ``~`` expanded)
    secret:NAME     an entry of the encrypted store (table ``secrets``, Fernet)

The store's key comes from ``$NETCTL_SECRET_KEY`` (a Fernet key), else the key file
``$NETCTL_SECRET_KEY_FILE`` or ``~/.config/netctl/secret.key`` (created with mode 0600 on first use).
Credentials references resolve to JSON objects: ``{"username": …, "password": …, "key_file": …,
"secret": …}``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import sqlite_utils

from netctl.errors import SecretError

SCHEMES = ("env:", "file:", "secret:")
MASK = "********"


def is_reference(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SCHEMES)


def _key_file() -> Path:
    return Path(os.environ.get("NETCTL_SECRET_KEY_FILE") or Path.home() / ".config" / "netctl" / "secret.key")


def _fernet() -> Any:
    from cryptography.fernet import Fernet

    key = os.environ.get("NETCTL_SECRET_KEY")
    if not key:
        path = _key_file()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
        key = path.read_text().strip()
    try:
        return Fernet(key.encode() if isinstance(key, str) else key)
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


def resolve_secret(db: sqlite_utils.Database, ref: str) -> str:
    """Resolve a reference to its clear-text value. Raises SecretError naming the reference."""
    from cryptography.fernet import InvalidToken

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


def resolve_credentials(db: sqlite_utils.Database, ref: str | None) -> dict[str, Any]:
    """Resolve a credentials reference to ``{"username", "password"?, "key_file"?, "secret"?}``."""
    if not ref:
        raise SecretError("no credentials reference set for this AP",
                          hint="set one with: netctl inventory set AP credentials=secret:NAME")
    raw = resolve_secret(db, ref)
    try:
        creds = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SecretError(f"credentials {ref} are not a JSON object",
                          hint='store e.g. {"username": "admin", "password": "…"}') from exc
    if not isinstance(creds, dict) or "username" not in creds:
        raise SecretError(f"credentials {ref} have no username", hint='store {"username": …, "password": …}')
    return creds
