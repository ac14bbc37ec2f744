"""YANG validation of rendered NETCONF configs before anything is sent (libyang, extra ``yang``).

A NETCONF platform's row in :mod:`netctl.platforms` names its YANG modules (``yang_modules``, in
load order); they are read from netctl's built-in YANG folder (:func:`netctl.resources.yang_dir`
and its ``openconfig/`` folder). The renderer validates every rendered config of such a platform
with libyang (types, ranges, patterns, ``must``, ``when``, leafrefs, mandatory leaves) after the
local checks of :mod:`netctl.render.schema`, so a config the AP's model would reject fails that
AP's render and is never sent.

libyang is an optional extra (``pip install 'netctl[yang]'``, built against the C library: Debian's
``libyang2-dev``). Without it only the local checks run; :func:`available` says which.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from netctl.platforms import find_platform


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether the libyang bindings can be imported."""
    try:
        import libyang  # noqa: F401
    except ImportError:
        return False
    return True


_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _context(modules: tuple[str, ...]) -> Any:
    """A libyang context with ``modules`` loaded from the built-in YANG folder (cached per process)."""
    import libyang

    from netctl.resources import yang_dir

    root = yang_dir()
    ctx = libyang.Context(f"{root}:{root / 'openconfig'}")
    for name in modules:
        ctx.load_module(name)
    return ctx


def modules_of(platform: str) -> tuple[str, ...]:
    definition = find_platform(platform)
    return definition.yang_modules if definition else ()


def validate(platform: str, text: str) -> list[str]:
    """What the platform's YANG model rejects in the rendered config ``text`` (empty: valid, or
    nothing to validate: a platform without ``yang_modules`` or libyang not installed)."""
    modules = modules_of(platform)
    if not modules or not available():
        return []
    import libyang

    with _LOCK:  # a libyang context is not safe for parses from several threads at once
        ctx = _context(modules)
        try:
            tree = ctx.parse_data_mem(text, "xml", no_state=True, strict=True, validate_present=True)
        except libyang.LibyangError as exc:
            return [f"{str(exc).removeprefix('failed to parse data tree: ')} (YANG: {', '.join(modules)})"]
        if tree is not None:
            tree.free()
    return []
