"""The example city in a temporary database, built and driven through the real click commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from tests.helpers.lab import INVENTORY_FILES


class CliCity:
    """``netctl init``, ``secret import`` and ``inventory import`` of the example city; then any command.

    Runs in-process with click's CliRunner, on its own database and secret key; ``NETCTL_DB`` and
    ``NETCTL_USER`` from the caller's environment are ignored (no users: the caller is admin).
    """

    def __init__(self, tmp_path: Path, secrets: dict[str, Any]) -> None:
        self.db = str(tmp_path / "city.db")
        self.runner = CliRunner(env={"NETCTL_SECRET_KEY": Fernet.generate_key().decode(), "NETCTL_DB": None,
                                     "NETCTL_USER": None, "NETCTL_SECRET_KEY_FILE": None})
        self.init = self.json("init")
        secrets_file = tmp_path / "secrets.json"
        secrets_file.write_text(json.dumps(secrets))
        self("secret", "import", str(secrets_file))
        self.files = [str(p) for p in INVENTORY_FILES]
        self.import_report = self.json("inventory", "import", *self.files)

    def __call__(self, *args: str, code: int = 0) -> Result:
        from netctl.cli import cli

        result = self.runner.invoke(cli, ["--db", self.db, *args], prog_name="netctl", catch_exceptions=False)
        assert result.exit_code == code, (args, result.exit_code, result.stdout, result.stderr)
        return result

    def json(self, *args: str, code: int = 0) -> Any:
        """The command with ``--json``, its stdout parsed."""
        return json.loads(self(*args, "--json", code=code).stdout)
