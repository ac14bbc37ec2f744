"""The core stays headless and quick to import."""

import ast
import subprocess
import sys
from pathlib import Path

NETCTL = Path(__file__).resolve().parents[2] / "netctl"


def test_core_never_imports_textual() -> None:
    code = (
        "import sys, netctl.api, netctl.cli, netctl.selection, netctl.store;"
        "import netctl.cli.inventory, netctl.cli.config, netctl.cli.poll;"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def loaded_by(imports: str, wanted: str) -> str:
    """What ``print(sorted(m for m in sys.modules if <wanted>))`` shows in a fresh interpreter after ``imports``."""
    code = f"import sys, {imports}; print(sorted(m for m in sys.modules if {wanted}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_facade_import_does_not_load_drivers() -> None:
    assert loaded_by("netctl.api", "m in ('ncclient', 'netmiko', 'pysnmp', 'paramiko')") == "[]"


def _netctl_imports(path: Path) -> set[str]:
    """Every netctl module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name == "netctl" or name.startswith("netctl.")}


def test_layers_are_one_way_push_drivers_platforms() -> None:
    """push uses drivers, drivers use platforms: a driver never imports netctl.push, and the platform
    definitions import nothing of netctl but errors and the registry."""
    drivers = sorted((NETCTL / "drivers").glob("*.py"))
    assert len(drivers) >= 4
    upward = {path.name: sorted(n for n in _netctl_imports(path) if n == "netctl.push" or n.startswith("netctl.push."))
              for path in drivers}
    assert upward == {path.name: [] for path in drivers}
    for module in ("platforms.py", "registry.py"):
        assert _netctl_imports(NETCTL / module) <= {"netctl.errors", "netctl.errors.ConfigError",
                                                   "netctl.registry", "netctl.registry.Registry"}, module


def test_drivers_load_without_the_push_layer() -> None:
    drivers = "netctl.drivers.netconf, netctl.drivers.cli, netctl.drivers.plan"
    assert loaded_by(drivers, "m == 'netctl.push' or m.startswith('netctl.push.')") == "[]"
