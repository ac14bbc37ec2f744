"""Pinned host keys: fingerprints, known_hosts parsing, first contact, refusal, scope (in-memory database).

Fingerprints and hashed known_hosts names are checked against OpenSSH's own ``ssh-keygen``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlite_utils

from netctl.api import Netctl
from netctl.drivers import PushOptions, Target
from netctl.errors import ConfigError, NotFound, PermissionDenied
from netctl.hostkeys import (
    fingerprint,
    matches,
    parse_key,
    parse_known_hosts,
    pins_for,
    record_seen,
)
from netctl.push.run import PushJob
from tests.helpers.access import seed


def keygen(tmp_path: Path, name: str, kind: str = "ed25519") -> tuple[str, str]:
    """A fresh public key line and ssh-keygen's SHA256 fingerprint of it."""
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True, timeout=60)
    line = Path(f"{path}.pub").read_text().strip()
    listed = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", f"{path}.pub"], capture_output=True,
                            text=True, check=True, timeout=30).stdout.split()
    return line, listed[1]


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, tuple[str, str]]:
    return {name: keygen(tmp_path, name, kind) for name, kind in
            (("real", "ed25519"), ("other", "ed25519"), ("rsa", "rsa"))}


@pytest.fixture
def admin(memdb: sqlite_utils.Database) -> Netctl:
    seed(memdb)
    return Netctl(memdb, user="root")


def test_fingerprints_match_ssh_keygen(keys: dict[str, tuple[str, str]]) -> None:
    for line, expected in keys.values():
        assert fingerprint(line) == expected
        assert parse_key(line) == " ".join(line.split()[:2])  # the comment is dropped


def test_malformed_keys_are_refused_with_a_clear_error(keys: dict[str, tuple[str, str]]) -> None:
    real = keys["real"][0].split()
    for bad in ("", "ssh-ed25519", "ssh-ed25519 not-base64!", f"ssh-rsa {real[1]}", f"ssh-ed25519 {real[1][:20]}"):
        with pytest.raises(ConfigError):
            parse_key(bad)


def test_known_hosts_plain_ported_hashed_and_negated_names(tmp_path: Path, keys: dict[str, tuple[str, str]]) -> None:
    real, other = keys["real"][0], keys["other"][0]
    hashed = tmp_path / "hashed"
    hashed.write_text(f"[127.1.1.1]:10011 {real}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(hashed)], check=True, capture_output=True, timeout=30)
    text = (
        "# comment\n"
        f"10.0.0.5 {real}\n"
        f"[10.0.0.6]:830,10.0.0.7 {other}\n"
        f"10.0.1.* ,!10.0.1.9 {other}\n".replace(" ,", ",")
        + hashed.read_text()
        + f"@revoked 10.0.0.8 {other}\n"
        + "10.0.0.9 ssh-ed25519 AAAA\n"
    )
    entries, problems = parse_known_hosts(text, "kh")
    assert len(entries) == 4
    assert [p.line for p in problems] == [6, 7]
    assert matches(entries[0], "10.0.0.5", 22) and not matches(entries[0], "10.0.0.5", 830)
    assert matches(entries[1], "10.0.0.6", 830) and matches(entries[1], "10.0.0.7", 22)
    assert matches(entries[2], "10.0.1.3", 22) and not matches(entries[2], "10.0.1.9", 22)
    assert matches(entries[3], "127.1.1.1", 10011) and not matches(entries[3], "127.1.1.2", 10011)


def test_first_contact_pins_a_changed_key_is_refused_alerted_and_audited(
        admin: Netctl, keys: dict[str, tuple[str, str]]) -> None:
    real, other = keys["real"][0], keys["other"][0]
    ap = admin.session.get_ap("gs-meiderich-ap01")
    assert record_seen(admin.session.db, ap, real, False, "anna", "push") == "pinned"
    row = admin.hostkeys.host_keys("gs-meiderich-ap01")[0]
    assert (row["fingerprint"], row["key_type"], row["seen_by"]) == (keys["real"][1], "ssh-ed25519", "anna")
    assert row["first_seen"] and row["source"] == "first contact (push)"
    assert record_seen(admin.session.db, ap, real, False, "anna", "push") is None
    assert record_seen(admin.session.db, ap, other, True, "anna", "drift") == "refused"
    assert pins_for(admin.session.db, ["gs-meiderich-ap01"]) == {"gs-meiderich-ap01": [parse_key(real)]}
    audit = admin.config.audit(ap="gs-meiderich-ap01")
    assert [a["outcome"] for a in audit] == ["refused", "pinned"]
    assert keys["real"][1] in audit[0]["reason"] and keys["other"][1] in audit[0]["reason"]
    alert = admin.monitor.alerts(selection="gs-meiderich-ap01")[0]
    assert alert["kind"] == "host-key-changed" and keys["other"][1] in alert["message"]
    # a second refusal refreshes the open alert instead of opening another one
    record_seen(admin.session.db, ap, other, True, "anna", "push")
    assert len([a for a in admin.monitor.alerts(selection="gs-meiderich-ap01") if a["kind"] == "host-key-changed"]) == 1
    # trust replaces the pin and closes the alert; forget removes it
    admin.hostkeys.trust_host_key("gs-meiderich-ap01", other)
    assert [r["fingerprint"] for r in admin.hostkeys.host_keys("gs-meiderich-ap01")] == [keys["other"][1]]
    assert not [a for a in admin.monitor.alerts(selection="gs-meiderich-ap01") if a["kind"] == "host-key-changed"]
    assert admin.hostkeys.forget_host_key("gs-meiderich-ap01") == 1
    assert admin.hostkeys.host_keys("gs-meiderich-ap01")[0]["fingerprint"] is None


def test_import_known_hosts_pins_aps_by_address_and_port(
        admin: Netctl, tmp_path: Path, keys: dict[str, tuple[str, str]]) -> None:
    admin.inventory.set_ap("gs-meiderich-ap02", {"address": "127.0.0.2", "port": 830})
    admin.inventory.set_ap("gym-hamborn-ap01", {"address": "127.0.0.3", "port": 22})
    kh = tmp_path / "known_hosts"
    kh.write_text(f"[127.0.0.2]:830 {keys['real'][0]}\n[127.0.0.2]:830 {keys['rsa'][0]}\n"
                  f"127.0.0.3 {keys['other'][0]}\nnot a line\n")
    result = admin.hostkeys.import_known_hosts(kh)
    assert sorted(result["pinned"]) == ["gs-meiderich-ap02", "gym-hamborn-ap01"] and len(result["skipped"]) == 1
    assert sorted(pins_for(admin.session.db, ["gs-meiderich-ap02"])["gs-meiderich-ap02"]) == sorted(
        parse_key(k) for k in (keys["real"][0], keys["rsa"][0]))
    kh.write_text(f"127.0.0.3 {keys['real'][0]}\n")
    again = admin.hostkeys.import_known_hosts(kh)
    assert again["pinned"] == [] and "gym-hamborn-ap01" in again["conflicts"][0]
    assert admin.hostkeys.import_known_hosts(kh, replace=True)["pinned"] == ["gym-hamborn-ap01"]
    with pytest.raises(NotFound):
        admin.hostkeys.import_known_hosts(tmp_path / "missing")


def test_scope_rules_for_host_keys(admin: Netctl, keys: dict[str, tuple[str, str]]) -> None:
    admin.access.add_user("root", "admin")
    admin.access.add_user("eve", "engineer", tenants=["moers"])
    admin.access.add_user("sam", "school-admin", sites=["gs-meiderich"])
    for ap in ("gs-meiderich-ap01", "gs-moers-mitte-ap01"):
        record_seen(admin.session.db, admin.session.get_ap(ap), keys["real"][0], False, "root", "backup")
    eve = Netctl(admin.session.db, user="eve")
    assert {r["ap"] for r in eve.hostkeys.host_keys()} == {"gs-moers-mitte-ap01", "gs-moers-mitte-ap02"}
    with pytest.raises(NotFound):
        eve.hostkeys.forget_host_key("gs-meiderich-ap01")
    with pytest.raises(NotFound):
        eve.hostkeys.trust_host_key("gs-meiderich-ap01", keys["other"][0])
    assert eve.hostkeys.forget_host_key("gs-moers-mitte-ap01") == 1
    sam = Netctl(admin.session.db, user="sam")
    assert {r["ap"] for r in sam.hostkeys.host_keys()} == {"gs-meiderich-ap01", "gs-meiderich-ap02"}
    with pytest.raises(PermissionDenied):
        sam.hostkeys.forget_host_key("gs-meiderich-ap01")


def test_pinned_keys_travel_with_jobs_to_worker_processes(keys: dict[str, tuple[str, str]]) -> None:
    target = Target("ap1", "openwrt", "127.0.0.1", 1, "admin", password="pw", host_keys=[keys["real"][0]],
                    host_key_policy="strict")
    job = PushJob("ap1", "openwrt", "cli", target, "x\n", [], None, None, PushOptions())
    again = PushJob.from_dict(json.loads(json.dumps(job.to_dict())))
    assert again.target.host_keys == [keys["real"][0]] and again.target.host_key_policy == "strict"


def test_cli_lists_keys_as_json(tmp_path: Path, keys: dict[str, tuple[str, str]]) -> None:
    from click.testing import CliRunner

    from netctl.cli import cli

    db_path = tmp_path / "n.db"
    sqlite3.connect(db_path).close()  # an existing (empty) file: netctl upgrades it
    nc = Netctl(db_path)
    seed(nc.session.db)
    record_seen(nc.session.db, nc.session.get_ap("gs-meiderich-ap01"), keys["real"][0], False, "root", "push")
    nc.close()
    out = CliRunner().invoke(cli, ["--db", str(db_path), "hostkeys", "list", "--json", "gs-meiderich-ap01"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0]["fingerprint"] == keys["real"][1]
    gone = CliRunner().invoke(cli, ["--db", str(db_path), "hostkeys", "forget", "gs-meiderich-ap01"])
    assert gone.exit_code == 0 and "1 pinned key(s) removed" in gone.output
