"""How netctl's own NETCONF session (netctl.drivers.netconf_ssh) logs in to a lab AP's real sshd: as
ncclient did (``allow_agent=False, look_for_keys=False``): the key file with the password as its
passphrase, then the password; a password alone, a key alone; a wrong password is the AP's failure.
Every session here only reads.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from netctl.drivers import Target, Transcript
from netctl.drivers.netconf import running_config, session
from netctl.errors import DeviceError

pytestmark = pytest.mark.lab

AP = "gs-meiderich-ap03"


def _target(city: Any, **changes: Any) -> Target:
    target = city.config._target(city.session.get_ap(AP))
    assert target.password and target.key_file, "the lab's NETCONF credentials hold a password and a key file"
    return dataclasses.replace(target, **changes)


def _login(target: Target) -> tuple[str, str]:
    """How the session authenticated, and the AP's hostname read over it."""
    transcript = Transcript()
    with session(target, transcript) as m:
        method = m.transport.auth_handler.auth_method
        running = running_config(m, target, transcript)
    assert f"<hostname>{AP}</hostname>" in running
    return method, running


def test_password_and_plain_key_file_log_in_with_the_password_as_ncclient_did(city: Any) -> None:
    """ncclient opened the key with the password as its passphrase, which a plain key refuses."""
    assert _login(_target(city))[0] == "password"


def test_password_alone_logs_in_with_the_password(city: Any) -> None:
    assert _login(_target(city, key_file=None))[0] == "password"


def test_key_file_alone_logs_in_with_the_key(city: Any) -> None:
    assert _login(_target(city, password=None))[0] == "publickey"


def test_an_encrypted_key_file_opens_with_the_password_as_its_passphrase(city: Any, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    target = _target(city)
    assert target.key_file and target.password
    key = serialization.load_ssh_private_key(Path(target.key_file).read_bytes(), None)
    locked = tmp_path / "locked_ed25519"
    locked.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                         serialization.BestAvailableEncryption(target.password.encode())))
    locked.chmod(0o600)
    assert _login(dataclasses.replace(target, key_file=str(locked)))[0] == "publickey"


def test_a_wrong_password_is_an_authentication_failure(city: Any) -> None:
    target = _target(city, key_file=None, password="not-the-password")
    transcript = Transcript()
    with pytest.raises(DeviceError) as caught:
        with session(target, transcript):
            pass
    assert caught.value.message == f"{AP}: authentication failed for {target.username}"
    assert "authentication failed" in transcript.text()
