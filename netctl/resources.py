"""Where netctl's own data files are: the platforms' Jinja2 templates and the YANG models.

An installed netctl carries them as package data (``netctl/_data/templates``, ``netctl/_data/yang``,
copied there when the wheel is built, see ``setup.py``) and reads them through
:mod:`importlib.resources`; a checkout (an editable install) reads the top-level ``templates/`` and
``yang/`` folders. ``$NETCTL_TEMPLATES`` (or a template directory given by the caller) overrides
the templates, so a city can keep its own.

    templates_dir()   the built-in templates
    yang_dir()        the built-in YANG modules (``netctl-wlan-ap.yang``, ``openconfig/``)

Both raise :class:`~netctl.errors.ConfigError` when neither location exists (a broken install).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from netctl.errors import ConfigError

#: the checkout's root when netctl runs from a clone (``<root>/netctl/resources.py``)
CHECKOUT = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Path:
    packaged = resources.files("netctl").joinpath("_data", name)
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    checkout = CHECKOUT / name
    if checkout.is_dir() and (CHECKOUT / "pyproject.toml").is_file():
        return checkout
    raise ConfigError(
        f"netctl's built-in {name} are missing (looked in {packaged} and {checkout})",
        hint="reinstall netctl (pip install --force-reinstall netctl) or run it from a complete checkout",
    )


def templates_dir() -> Path:
    """The folder of built-in templates: ``templates/<platform dir>/*.j2`` and ``templates/_shared``."""
    return _data_dir("templates")


def yang_dir() -> Path:
    """The folder of built-in YANG modules: the AP model and the vendored OpenConfig wifi modules."""
    return _data_dir("yang")
