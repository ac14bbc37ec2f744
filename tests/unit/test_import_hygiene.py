"""The core stays headless and quick to import."""

import subprocess
import sys


def test_core_never_imports_textual() -> None:
    code = (
        "import sys, netctl.api, netctl.cli, netctl.selection, netctl.store;"
        "import netctl.cli.inventory, netctl.cli.config, netctl.cli.poll;"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_facade_import_does_not_load_drivers() -> None:
    code = (
        "import sys, netctl.api;"
        "print(sorted(m for m in ('ncclient', 'netmiko', 'pysnmp', 'paramiko') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
