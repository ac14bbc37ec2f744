"""The lab city as the push tests need it: the passphrases its templates use, and inventory edits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: the example city's inventory files, in the order they import
INVENTORY_FILES = [ROOT / "inventory" / "duisburg.yaml", ROOT / "inventory" / "duisburg-transit.csv",
                   ROOT / "inventory" / "moers.yaml"]

#: passphrases the templates use (set in the facade's secret store for the tests)
PSK = {
    "duisburg/staff-psk": "Staff-Lab-Pass-1",
    "duisburg/pupil-psk": "Pupil-Lab-Pass-2",
    "duisburg/zoo-staff-psk": "Zoo-Team-Lab-3",
    "moers/staff-psk": "Moers-Staff-4",
    "moers/pupil-psk": "Moers-Pupil-5",
}


def with_psks(api: Any) -> Any:
    """``api`` with :data:`PSK` in its secret store (so the lab city's SSIDs render)."""
    api.inventory.import_secrets(PSK)
    return api


def set_tx(api: Any, ap: str, value: int) -> None:
    """Set the AP's 5 GHz transmit power in the inventory (a change every platform's template shows)."""
    api.inventory.set_ap(ap, {"vars.radio_5g_tx_power": value})
