"""``netctl init``, ``netctl inventory …`` and ``netctl secret …`` through the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from tests.helpers.lab import INVENTORY_FILES

NETCTL = str(Path(sys.executable).parent / "netctl")
CLEAR = "cli-s3cr3t-never-printed"
FILES = [str(p) for p in INVENTORY_FILES]


class Runner:
    def __init__(self, tmp_path: Path) -> None:
        self.db = str(tmp_path / "cli.db")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("NETCTL_")}
        self.env["NETCTL_SECRET_KEY"] = Fernet.generate_key().decode()
        self.outputs: list[str] = []

    def __call__(self, *args: str, code: int = 0, stdin: str | None = None, db: bool = True) -> Any:
        cmd = [NETCTL, *(["--db", self.db] if db else []), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, input=stdin, env=self.env, timeout=60)
        self.outputs += [proc.stdout, proc.stderr]
        assert proc.returncode == code, (cmd, proc.returncode, proc.stdout, proc.stderr)
        return proc

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self(*args, "--json", code=code).stdout)


@pytest.fixture
def netctl(tmp_path: Path) -> Runner:
    runner = Runner(tmp_path)
    runner("init")  # every command but init refuses a missing database
    return runner


def test_init_import_list_show_vars(netctl: Runner) -> None:
    info = netctl.json("init")
    assert info["journal_mode"] == "wal" and "001_inventory" in info["migrations"]
    dry = netctl("inventory", "import", "--dry-run", *FILES).stdout
    assert dry.startswith("dry run: nothing was written") and "aps: 76 added" in dry
    assert netctl.json("inventory", "list") == []
    assert "aps: 76 added, 0 changed, 0 unchanged" in netctl("inventory", "import", *FILES).stdout
    again = netctl.json("inventory", "import", *FILES)
    assert again["changed"] is False and len(again["aps"]["unchanged"]) == 76
    zoo = netctl.json("inventory", "list", "--kind", "zoo", "zoo-*-ap0[1-3]")
    assert [a["name"] for a in zoo] == ["zoo-aquarium-ap03", "zoo-delphinarium-ap02", "zoo-entrance-ap01"]
    assert set(zoo[0]) >= {"name", "tenant", "site", "site_kind", "platform", "transport", "address", "port",
                           "groups", "tags", "snmp", "credentials", "vars"}
    table = netctl("inventory", "list", "--tenant", "moers", "--tag", "poe").stdout.splitlines()
    assert table[0].split() == ["NAME", "TENANT", "SITE", "KIND", "ROLE", "PLATFORM", "ADDRESS", "PORT",
                                "GROUPS", "TAGS"]
    assert [row.split()[0] for row in table[2:]] == ["gs-eick-sw01", "gym-adolfinum-sw01"]
    show = netctl.json("inventory", "show", "bus-1201-ap01")
    assert (show["vehicle_id"], show["port"]) == ("B1201", 2222)
    assert show["site_title"] == "DVG Bus- und Strassenbahnflotte"
    variables = {r["key"]: r for r in netctl.json("inventory", "vars", "bus-1201-ap01")}
    assert (variables["uplink"]["value"], variables["uplink"]["source"]) == ("lte", "group:bus")
    assert variables["free_ssid"]["source"] == "site:dvg-fleet" and variables["site"]["source"] == "fact"
    human = netctl("inventory", "vars", "bus-1201-ap01").stdout
    assert "site.kind" in human and "transit" in human
    tree = netctl.json("inventory", "tree")
    assert [(t["name"], t["aps"]) for t in tree] == [("duisburg", 70), ("moers", 6)]
    missing = netctl("inventory", "show", "no-such-ap", code=3)
    assert "no access point named 'no-such-ap'" in missing.stderr and "hint:" in missing.stderr


def test_bad_file_reports_every_problem_with_line_and_changes_nothing(netctl: Runner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,site,platform,address,snmp_version,snmp_community\n"
                   "a1,dvg-fleet,openwrt,127.0.0.1,2c,public\n"
                   "a2,nowhere,openwrt,127.0.0.2,,\n"
                   "a3,dvg-fleet,openwrt,ap3.example.org,,\n")
    result = netctl("inventory", "import", *FILES, str(bad), code=2)
    assert f"{bad}:2: [a1] snmp community is clear text" in result.stderr
    assert f"{bad}:3: [a2] unknown site 'nowhere'" in result.stderr
    assert f"{bad}:4: [a3] bad management address 'ap3.example.org'" in result.stderr
    assert "nothing was changed" in result.stderr and "public" not in result.stderr
    problems = netctl.json("inventory", "import", *FILES, str(bad), code=2)
    assert problems["ok"] is False
    assert [(p["file"], p["line"], p["ap"]) for p in problems["problems"]] == [
        (str(bad), 2, "a1"), (str(bad), 3, "a2"), (str(bad), 4, "a3")]
    assert netctl.json("inventory", "list") == []


def test_add_set_remove_export_reimport(netctl: Runner, tmp_path: Path) -> None:
    netctl("inventory", "import", *FILES)
    added = netctl.json("inventory", "add", "gs-eick-ap03", "site=gs-eick", "platform=netconf-wlan",
                        "address=[::1]:10413", "groups=classroom,hall", "tags=indoor", "vars.max_clients=60",
                        "snmp.version=2c", "snmp.community=secret:lab/snmp-community")
    assert (added["tenant"], added["address"], added["port"], added["groups"]) == ("moers", "::1", 10413,
                                                                                     ["classroom", "hall"])
    assert added["vars"] == {"max_clients": 60}
    changed = netctl("inventory", "set", "gs-eick-ap03", "model=NW-AP 820", "--unset", "vars.max_clients")
    changed = changed.stdout
    assert changed.strip() == "changed gs-eick-ap03: model, vars"
    refused = netctl("inventory", "set", "gs-eick-ap03", "credentials=admin:admin", code=2)
    assert "credentials is clear text" in refused.stderr
    export = tmp_path / "city.csv"
    netctl("inventory", "export", "--format", "csv", "--delimiter", ";", "-o", str(export))
    assert export.read_text().startswith("name;tenant;site;")
    assert len(netctl.json("inventory", "import", str(export))["aps"]["unchanged"]) == 77
    yaml_text = netctl("inventory", "export", "--format", "yaml").stdout
    assert "gs-eick-ap03" in yaml_text and "address: ::1" in yaml_text
    assert netctl("inventory", "remove", "gs-eick-ap03").stdout.strip() == "removed gs-eick-ap03"
    assert len(netctl.json("inventory", "list", "gs-eick-*")) == 3


def test_secret_commands_and_values_never_printed(netctl: Runner, tmp_path: Path) -> None:
    secrets_file = tmp_path / "secrets.json"
    secrets_file.write_text(json.dumps({"lab/netconf": {"username": "netconf", "password": CLEAR},
                                        "lab/snmp-community": CLEAR}))
    assert netctl("secret", "import", str(secrets_file)).stdout.strip() == "stored 2 secret(s)"
    assert netctl("secret", "set", "lab/ssh", "--value-file", "-", stdin=CLEAR + "\n").stdout.strip() \
        == "stored secret:lab/ssh"
    names = [s["name"] for s in netctl.json("secret", "list")]
    assert names == ["lab/netconf", "lab/snmp-community", "lab/ssh"]
    netctl("secret", "rm", "lab/ssh")
    assert netctl("secret", "rm", "lab/ssh", code=3).stderr.startswith("error: no secret named 'lab/ssh'")
    key = netctl("secret", "new-key", db=False).stdout.strip()
    Fernet(key.encode())  # a valid key
    netctl("inventory", "import", *FILES)
    netctl("inventory", "list", "--json")
    netctl("inventory", "show", "zoo-entrance-ap01", "--json")
    netctl("inventory", "export", "--format", "json")
    assert all(CLEAR not in text for text in netctl.outputs)


def test_db_from_environment(tmp_path: Path) -> None:
    netctl = Runner(tmp_path)
    netctl.env["NETCTL_DB"] = str(tmp_path / "env.db")
    netctl("init", db=False)
    assert (tmp_path / "env.db").exists() and not Path(netctl.db).exists()
