"""Secret references and the encrypted store: resolved only on demand, never printed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from netctl.core import ROLE_ACTIONS
from netctl.errors import InventoryError, NotFound, PermissionDenied, SecretError
from netctl.inventory.secrets import resolve_credentials, resolve_secret
from tests.helpers.lab import INVENTORY_FILES

CLEAR = "s3cr3t-only-in-the-store"


@pytest.fixture(autouse=True)
def store_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("NETCTL_SECRET_KEY", key)
    return key


def test_env_file_and_store_references(api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETCTL_TEST_COMMUNITY", "from-env")
    (tmp_path / "community").write_text("from-file\n")
    api.inventory.set_secret("lab/community", "from-store")
    api.inventory.set_secret_file_dir(str(tmp_path))
    assert resolve_secret(api.session.db, "env:NETCTL_TEST_COMMUNITY") == "from-env"
    assert resolve_secret(api.session.db, f"file:{tmp_path / 'community'}") == "from-file"
    with pytest.raises(SecretError, match="cannot read"):
        resolve_secret(api.session.db, f"file:{tmp_path / 'missing'}")
    assert resolve_secret(api.session.db, "secret:lab/community") == "from-store"
    stored = api.session.db["secrets"].get("lab/community")["ciphertext"]
    assert "from-store" not in stored


@pytest.mark.parametrize(("ref", "message"), [
    ("env:NETCTL_TEST_UNSET_VARIABLE", "environment variable NETCTL_TEST_UNSET_VARIABLE is not set"),
    ("file:/nonexistent/netctl/secret", "file: references are off until an admin sets the directory"),
    ("secret:missing", "no such entry in the secret store"),
    ("plaintext", "is not a secret reference"),
])
def test_unresolvable_references_say_why(api: Any, ref: str, message: str) -> None:
    with pytest.raises(SecretError, match=message):
        resolve_secret(api.session.db, ref)


def test_wrong_key_cannot_decrypt(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    api.inventory.set_secret("x", CLEAR)
    monkeypatch.setenv("NETCTL_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(SecretError, match="cannot decrypt"):
        resolve_secret(api.session.db, "secret:x")


def test_key_file_created_private(api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETCTL_SECRET_KEY")
    key_file = tmp_path / "keys" / "secret.key"
    monkeypatch.setenv("NETCTL_SECRET_KEY_FILE", str(key_file))
    api.inventory.set_secret("x", CLEAR)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert resolve_secret(api.session.db, "secret:x") == CLEAR


def test_import_secrets_stores_credentials_objects(api: Any) -> None:
    names = api.inventory.import_secrets({"lab/netconf": {"username": "netconf", "password": CLEAR},
                                "lab/snmp-community": CLEAR})
    assert names == ["lab/netconf", "lab/snmp-community"]
    assert resolve_credentials(api.session.db, "secret:lab/netconf") == {"username": "netconf", "password": CLEAR}
    assert [s["name"] for s in api.inventory.list_secrets()] == ["lab/netconf", "lab/snmp-community"]
    assert CLEAR not in json.dumps(api.inventory.list_secrets())
    with pytest.raises(InventoryError, match="bad secret name"):
        api.inventory.set_secret("../etc", CLEAR)
    api.inventory.delete_secret("lab/netconf")
    with pytest.raises(NotFound):
        api.inventory.delete_secret("lab/netconf")


def test_secret_values_never_appear_in_inventory_output(api: Any) -> None:
    api.inventory.import_secrets({"lab/netconf": {"username": "u", "password": CLEAR}, "lab/snmp-community": CLEAR,
                        "lab/ios": CLEAR, "lab/ssh": CLEAR, "lab/snmpv3-auth": CLEAR,
                        "lab/snmpv3-priv": CLEAR})
    api.inventory.import_inventory([str(p) for p in INVENTORY_FILES])
    outputs = [json.dumps(api.inventory.list_aps()), json.dumps(api.inventory.show_ap("zoo-entrance-ap01")),
               json.dumps(api.inventory.ap_vars("zoo-entrance-ap01"), default=str),
               json.dumps(api.inventory.merged_vars(api.session.get_ap("zoo-entrance-ap01")), default=str)]
    outputs += [api.inventory.export_inventory(fmt) for fmt in ("yaml", "json", "csv")]
    for text in outputs:
        assert CLEAR not in text
    assert "secret:lab/snmpv3-auth" in outputs[1]  # the reference is shown, never its value


def test_only_roles_with_secrets_may_write_them(api: Any) -> None:
    api.session.allowed_actions = ROLE_ACTIONS["engineer"]
    with pytest.raises(PermissionDenied, match="may not .*secrets"):
        api.inventory.set_secret("x", CLEAR)
    api.session.allowed_actions = ROLE_ACTIONS["school-admin"]
    with pytest.raises(PermissionDenied, match="may not .*inventory"):
        api.inventory.import_inventory([str(INVENTORY_FILES[0])])
