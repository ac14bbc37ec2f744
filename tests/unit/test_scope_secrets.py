"""Scope holds for global variables and secret references (issue 11, finding 4).

Only admins change global variables. A ``secret:TENANT/NAME`` reference resolves only for APs of
that tenant; a secret name whose first part is no tenant (``lab/netconf``) is global and only an
admin may reference it, as only an admin may use ``env:``; ``file:`` reads only below the directory
an admin configured. Refused at set/import time with an error naming AP and variable, and again when
resolved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from netctl.errors import InventoryError, PermissionDenied, SecretError
from netctl.inventory.secrets import resolve_secret
from netctl.store import open_db
from tests.helpers.access import as_user, make_scope_db


@pytest.fixture(autouse=True)
def store_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETCTL_SECRET_KEY", Fernet.generate_key().decode())


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return make_scope_db(tmp_path)


# -- global variables -------------------------------------------------------------------------------
@pytest.mark.parametrize("user", ["eva", "max"])
def test_only_admins_change_global_variables(db_path: str, user: str, tmp_path: Path) -> None:
    as_user(db_path, "ada").inventory.set_globals({"ntp_server": "127.0.0.1"})
    engineer = as_user(db_path, user)
    with pytest.raises(PermissionDenied, match="global"):
        engineer.inventory.set_globals({"ntp_server": None})
    with pytest.raises(PermissionDenied, match="global"):
        engineer.inventory.set_globals({"ntp_server": "6.6.6.6"})
    doc = tmp_path / "globals.yaml"
    doc.write_text("globals:\n  ntp_server: 6.6.6.6\n")
    with pytest.raises(PermissionDenied, match="global"):
        engineer.inventory.import_inventory([str(doc)])
    db = open_db(db_path)
    assert [(r["key"], json.loads(r["value"])) for r in db["globals"].rows] == [("ntp_server", "127.0.0.1")]
    db.conn.close()


# -- secret and file references -------------------------------------------------------------------
def ap_var(db_path: str, ap: str, key: str) -> Any:
    db = open_db(db_path)
    try:
        return json.loads(db.table("aps").get(ap)["vars"] or "{}").get(key)
    finally:
        db.conn.close()


@pytest.mark.parametrize("user", ["eva", "ada"])
def test_a_secret_of_another_tenant_is_refused_at_set_time(db_path: str, user: str) -> None:
    nc = as_user(db_path, user)
    with pytest.raises(InventoryError) as err:
        nc.inventory.set_ap("gs-meiderich-ap01", {"vars.guest_psk": "secret:moers/guest-psk"})
    text = str(err.value)
    assert "gs-meiderich-ap01" in text and "guest_psk" in text and "moers" in text
    assert ap_var(db_path, "gs-meiderich-ap01", "guest_psk") is None
    with pytest.raises(InventoryError, match="moers"):
        nc.inventory.set_entry("site", "gs-meiderich", {"vars.guest_psk": "secret:moers/guest-psk"})
    nc.inventory.set_ap("gs-meiderich-ap01", {"vars.guest_psk": "secret:duisburg/guest-psk"})
    assert ap_var(db_path, "gs-meiderich-ap01", "guest_psk") == "secret:duisburg/guest-psk"


def test_a_secret_of_another_tenant_does_not_resolve(db_path: str) -> None:
    ada = as_user(db_path, "ada")
    ada.inventory.set_secret("moers/guest-psk", "moers-only")
    ada.inventory.set_secret("lab/community", "global-value")
    assert resolve_secret(ada.session.db, "secret:moers/guest-psk", tenant="moers") == "moers-only"
    with pytest.raises(SecretError, match="tenant moers"):
        resolve_secret(ada.session.db, "secret:moers/guest-psk", tenant="duisburg")
    with pytest.raises(SecretError, match="tenant moers"):
        resolve_secret(ada.session.db, "secret:moers/guest-psk")
    assert resolve_secret(ada.session.db, "secret:lab/community", tenant="duisburg") == "global-value"


def test_a_global_secret_or_env_reference_needs_an_admin(db_path: str) -> None:
    eva = as_user(db_path, "eva")
    for ref in ("secret:lab/netconf", "env:NETCTL_SECRET_KEY"):
        with pytest.raises(InventoryError, match="admin"):
            eva.inventory.set_ap("gs-meiderich-ap01", {"vars.ssid_name": ref})
    assert ap_var(db_path, "gs-meiderich-ap01", "ssid_name") is None
    as_user(db_path, "ada").inventory.set_ap("gs-meiderich-ap01", {"vars.radius_secret": "secret:lab/radius"})
    # an unrelated change by eva keeps the admin's reference as it is
    eva.inventory.set_ap("gs-meiderich-ap01", {"vars.max_clients": 40})
    assert ap_var(db_path, "gs-meiderich-ap01", "radius_secret") == "secret:lab/radius"


def test_file_references_only_under_the_directory_an_admin_configured(db_path: str, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "keys" / "secret.key"
    key_file.parent.mkdir()
    key_file.write_text(Fernet.generate_key().decode())
    monkeypatch.setenv("NETCTL_SECRET_KEY_FILE", str(key_file))
    allowed = tmp_path / "secrets"
    allowed.mkdir()
    (allowed / "psk").write_text("from-file\n")
    ada = as_user(db_path, "ada")
    # off until an admin sets the directory: nobody may use file:, not even an admin
    with pytest.raises(InventoryError, match="file-dir"):
        ada.inventory.set_ap("gs-meiderich-ap01", {"vars.guest_psk": f"file:{allowed / 'psk'}"})
    with pytest.raises(PermissionDenied):
        as_user(db_path, "eva").inventory.set_secret_file_dir(str(allowed))
    ada.inventory.set_secret_file_dir(str(allowed))
    assert ada.inventory.secret_file_dir() == str(allowed.resolve())
    for user in ("eva", "ada"):
        for ref in (f"file:{key_file}", "file:/etc/shadow", f"file:{allowed}/../keys/secret.key"):
            with pytest.raises(InventoryError) as err:
                as_user(db_path, user).inventory.set_ap("gs-meiderich-ap01", {"vars.guest_psk": ref})
            assert "guest_psk" in str(err.value) and str(allowed.resolve()) in str(err.value)
    as_user(db_path, "eva").inventory.set_ap("gs-meiderich-ap01", {"vars.guest_psk": f"file:{allowed / 'psk'}"})
    assert resolve_secret(ada.session.db, f"file:{allowed / 'psk'}", tenant="duisburg") == "from-file"
    # at resolve time too: a reference written around the checks, or a symlink placed later
    (allowed / "link").symlink_to(key_file)
    for ref in (f"file:{key_file}", f"file:{allowed / 'link'}"):
        with pytest.raises(SecretError, match="outside"):
            resolve_secret(ada.session.db, ref, tenant="duisburg")


def test_the_commands_of_the_report_are_refused_through_the_console_script(db_path: str) -> None:
    """The exact commands of issue 11 (as root, which may act as eva), each refused with exit 4."""
    import subprocess
    import sys

    netctl = str(Path(sys.executable).with_name("netctl"))
    as_user(db_path, "ada").inventory.set_globals({"ntp_server": "127.0.0.1"})
    for args in (("jobs", "set", "nightly", "--job", "push", "--selection", '{"tenant":"moers"}'),
                 ("jobs", "set", "poll", "--selection", '{"tenant":"duisburg"}'),
                 ("inventory", "set-global", "--unset", "ntp_server")):
        out = subprocess.run([netctl, "--db", db_path, "--user", "eva", *args], capture_output=True, text=True,
                             timeout=60, check=False)
        assert out.returncode == 4, (args, out.stdout, out.stderr)
        assert "eva" in out.stderr and "hint:" not in out.stdout
    out = subprocess.run([netctl, "--db", db_path, "--user", "eva", "inventory", "set", "gs-meiderich-ap01",
                          "vars.psk=secret:moers/staff-psk"], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 2 and "tenant moers" in out.stderr and "gs-meiderich-ap01" in out.stderr
    poll = {j["name"]: j for j in as_user(db_path, "ada").jobs.list_jobs()}["poll"]
    assert not any(poll["selection"].values())
    db = open_db(db_path)
    assert db["globals"].count == 1 and db["jobs"].count_where("name = 'nightly'") == 0
    db.conn.close()


def test_a_render_for_a_device_never_resolves_another_tenants_secret(api: Any) -> None:
    """A Moers passphrase written into Duisburg's variables around the set-time check (straight into
    the database) is not rendered for a Duisburg AP; the AP's own tenant's passphrase is."""
    from tests.helpers.lab import INVENTORY_FILES

    api.inventory.import_secrets({"lab/netconf": {"username": "u", "password": "p"}, "lab/snmp-community": "c",
                        "duisburg/staff-psk": "duisburg-staff-1", "duisburg/pupil-psk": "duisburg-pupil-2",
                        "moers/staff-psk": "moers-staff-only"})
    api.inventory.import_inventory([str(p) for p in INVENTORY_FILES])
    ap = "gs-meiderich-ap01"
    [ok] = api.config.diff(ap, offline=True)
    assert ok.reason and ok.reason.startswith("no backup yet"), ok  # rendered: only the backup is missing
    tenant_vars = json.loads(api.session.db["tenants"].get("duisburg")["vars"])
    tenant_vars["staff_psk"] = "secret:moers/staff-psk"
    api.session.db["tenants"].update("duisburg", {"vars": json.dumps(tenant_vars)})
    [refused] = api.config.diff(ap, offline=True)
    text = json.dumps(refused.to_dict(), default=str)
    assert "tenant moers" in text and "moers-staff-only" not in text


def test_an_snmp_community_resolves_only_for_its_own_tenants_aps(db_path: str) -> None:
    from netctl.poll.ops import build_targets

    ada = as_user(db_path, "ada")
    ada.inventory.set_secret("moers/community", "moers-community")
    community = {"version": "2c", "port": 9, "community": "secret:moers/community"}
    for ap in ("gs-moers-mitte-ap01", "gs-meiderich-ap01"):
        ada.session.db.table("aps").update(ap, {"snmp": json.dumps(community)})  # around the set-time check
    aps = [ada.session.get_ap("gs-moers-mitte-ap01"), ada.session.get_ap("gs-meiderich-ap01")]
    targets, failed = build_targets(ada.session.db, aps)
    assert [(t.ap, t.community) for t in targets] == [("gs-moers-mitte-ap01", "moers-community")]
    assert [f.ap for f in failed] == ["gs-meiderich-ap01"] and "tenant moers" in str(failed[0].error)
