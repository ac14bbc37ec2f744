"""What a secret reference looks like, and the mask a secret is shown as: pure, no secret store.

The store and the resolution of references are :mod:`netctl.inventory.secrets`; rendering and the
drivers (which also run on workers that have no database) need only these words.
"""

from __future__ import annotations

#: how a value names a secret instead of holding it (:mod:`netctl.inventory.secrets`)
SCHEMES = ("env:", "file:", "secret:")
#: what a secret looks like wherever it is shown
MASK = "********"


def is_reference(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SCHEMES)
