"""One registry shape for everything netctl looks up by name: platforms (:mod:`netctl.platforms`),
drivers (:mod:`netctl.drivers`), SNMP profiles (:mod:`netctl.poll.oids`), notifier kinds
(:mod:`netctl.notify`) and jobs (:mod:`netctl.schedule.jobs`).

A :class:`Registry` holds the built-in definitions and, on first lookup, those third parties add
through an entry point group (``[project.entry-points."netctl.platforms"]`` …). A name is defined
once: registering a name that is taken (a built-in and a plugin, or two plugins) raises
:class:`NameClash` naming both sources, so nothing silently wins over something else.

Keep this module free of imports beyond the standard library: the platform table and the poller
read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from netctl.errors import ConfigError

T = TypeVar("T")

_PLUGIN = "entry point"


class NameClash(ConfigError):
    """Two definitions claim one name in a registry; ``sources`` says where each comes from."""

    def __init__(self, kind: str, name: str, first: str, second: str) -> None:
        super().__init__(
            f"{kind} {name!r} is defined twice: by {first} and by {second}",
            hint="rename one of them, or uninstall the package that brings the second",
        )
        self.kind = kind
        self.name = name
        self.sources = (first, second)


def _entry_points(group: str) -> list[tuple[str, str, str, Callable[[], object]]]:
    """``(name, value, distribution, load)`` of every installed entry point of ``group``."""
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group=group):
        dist = ep.dist.name if ep.dist is not None else "an unnamed distribution"
        found.append((ep.name, ep.value, dist, ep.load))
    return found


def import_spec(spec: str) -> Any:
    """The object a ``module:attr`` text names (a lazily registered driver, notifier or job)."""
    import importlib

    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr)


class Registry(Mapping[str, T], Generic[T]):
    """Definitions of one ``kind`` by name: built-ins, then the plugins of ``group`` (loaded once).

    A plugin's entry point names the definition (``package.module:OBJECT``), which is imported when
    plugins are loaded; it must be a ``definition`` (a :class:`netctl.platforms.Platform` …) whose
    ``name`` is the entry point's, or ConfigError says so. Drivers pass ``load_value=True`` to keep
    the ``module:attr`` text instead, so a driver's library is imported only when it is used. A
    clash while loading plugins raises :class:`NameClash` from every lookup until it is resolved
    (nothing of the failed load is kept).
    """

    def __init__(
        self,
        kind: str,
        group: str | None = None,
        *,
        load_value: bool = False,
        definition: type | None = None,
    ) -> None:
        self.kind = kind
        self.group = group
        self._load_value = load_value
        self._definition = definition
        self._items: dict[str, T] = {}
        self._sources: dict[str, str] = {}
        self._plugins_loaded = group is None

    def register(self, name: str, value: T, source: str = "netctl (built-in)") -> None:
        """Add ``value`` as ``name``; raises NameClash when the name is taken."""
        self._add(self._items, self._sources, name, value, source)

    def _add(self, items: dict[str, T], sources: dict[str, str], name: str, value: T, source: str) -> None:
        if name in items:
            raise NameClash(self.kind, name, sources[name], source)
        items[name] = value
        sources[name] = source

    def source(self, name: str) -> str:
        """Where ``name`` was defined (``netctl (built-in)`` or the plugin's entry point)."""
        self._load_plugins()
        return self._sources[name]

    def _check(self, name: str, definition: object, source: str) -> None:
        wanted = self._definition
        if wanted is not None and not (isinstance(definition, wanted) and getattr(definition, "name", name) == name):
            raise ConfigError(
                f"{source} is not a {wanted.__module__}.{wanted.__qualname__} named {name!r}",
                hint=f"point the entry point at a {wanted.__qualname__}(...) definition of the same name",
            )

    @staticmethod
    def _import(load: Callable[[], object], source: str) -> object:
        try:
            return load()
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot load {source}: {exc}",
                              hint="reinstall the package that brings it, or uninstall it") from exc

    def _load_plugins(self) -> None:
        if self._plugins_loaded or self.group is None:
            return
        items, sources = dict(self._items), dict(self._sources)
        for name, value, dist, load in _entry_points(self.group):
            source = f"{_PLUGIN} {name} = {value} ({dist}, group {self.group})"
            if name in items:
                raise NameClash(self.kind, name, sources[name], source)
            definition = value if self._load_value else self._import(load, source)
            self._check(name, definition, source)
            self._add(items, sources, name, definition, source)  # type: ignore[arg-type]
        self._items, self._sources = items, sources
        self._plugins_loaded = True

    def unregister(self, name: str) -> None:
        """Forget ``name`` (a job a test registered); nothing happens when it is not registered."""
        self._items.pop(name, None)
        self._sources.pop(name, None)

    @contextmanager
    def swapped(self, name: str, value: T) -> Iterator[T]:
        """Hold ``value`` as ``name`` while the block runs, then the previous definition again (tests)."""
        self._load_plugins()
        previous = self._items[name]
        self._items[name] = value
        try:
            yield value
        finally:
            self._items[name] = previous

    def reload(self) -> None:
        """Forget the plugins found so far and look again on the next lookup (after installing one)."""
        self._items = {n: v for n, v in self._items.items() if not self._sources[n].startswith(_PLUGIN)}
        self._sources = {n: s for n, s in self._sources.items() if n in self._items}
        self._plugins_loaded = self.group is None

    def __getitem__(self, name: str) -> T:
        if not self._plugins_loaded:
            self._load_plugins()
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        self._load_plugins()
        return iter(self._items)

    def __len__(self) -> int:
        self._load_plugins()
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._items


__all__ = ["NameClash", "Registry", "import_spec"]
