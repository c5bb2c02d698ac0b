"""The registered filters: every :class:`~webcurate.filters.plugin.Filter` and ``Transform``
found in the ``webcurate.filters`` entry-point group, by name.

webcurate's own families (:mod:`webcurate.filters.builtin`) come first, in ``setup.py``'s order,
then every other installed package's, ordered by package and entry-point name, so the chain
names, the ``settings.*`` config keys and ``--help-config`` are the same on every machine with
the same packages. Executors import this module too, so a filter installed in the executors'
environment (the packed virtualenv, the image) is found there by the same name. A source
checkout without installed metadata (``--py-files``) registers the built-in families directly.
"""

from __future__ import annotations

from collections.abc import Iterable

from webcurate.filters.base import Signals  # noqa: F401 - re-exported for filter authors
from webcurate.filters.plugin import Document, Filter, Transform

ENTRY_POINT_GROUP = "webcurate.filters"
OWN_DISTRIBUTION = "webcurate"

REGISTRY: dict[str, Filter] = {}
_ORIGIN: dict[str, str] = {}

# The old name of the contract, for code written against it.
RegisteredFilter = Filter

__all__ = [
    "ENTRY_POINT_GROUP",
    "REGISTRY",
    "Document",
    "Filter",
    "Transform",
    "get_filter",
    "register",
    "signal_names",
]


class PluginError(ImportError):
    """An installed filter plugin cannot be loaded or clashes with another one."""


def register(entry: Filter, origin: str = "code") -> Filter:
    """Add one filter; a second filter of the same name is an error naming both origins."""
    if not isinstance(entry, Filter):
        raise PluginError(f"{origin}: {entry!r} is not a webcurate Filter or Transform")
    if entry.name in REGISTRY:
        raise PluginError(f"filter {entry.name!r} registered twice: by {_ORIGIN[entry.name]} "
                          f"and by {origin}")
    REGISTRY[entry.name] = entry
    _ORIGIN[entry.name] = origin
    return entry


def _as_filters(loaded) -> Iterable[Filter]:
    return [loaded] if isinstance(loaded, Filter) else list(loaded)


def _entry_points() -> list:
    from importlib.metadata import entry_points

    found = list(entry_points(group=ENTRY_POINT_GROUP))

    def distribution(ep) -> str:
        return (ep.dist.name if ep.dist is not None else "").lower()

    from webcurate.filters.builtin import FAMILIES

    order = {name: position for position, name in enumerate(FAMILIES)}
    own = sorted((ep for ep in found if distribution(ep) == OWN_DISTRIBUTION),
                 key=lambda ep: (order.get(ep.name, len(order)), ep.name))
    others = sorted((ep for ep in found if distribution(ep) != OWN_DISTRIBUTION),
                    key=lambda ep: (distribution(ep), ep.name))
    return own + others


def discover() -> None:
    """Register every filter of the entry-point group (called once, at import)."""
    points = _entry_points()
    if not any((ep.dist.name if ep.dist else "").lower() == OWN_DISTRIBUTION for ep in points):
        from webcurate.filters.builtin import FAMILIES

        for family, filters in FAMILIES.items():
            for entry in filters:
                register(entry, f"webcurate (builtin {family})")
    for ep in points:
        origin = f"{ep.dist.name if ep.dist else '?'} (entry point {ep.name} = {ep.value})"
        try:
            loaded = ep.load()
        except Exception as err:
            raise PluginError(f"cannot load filter plugin {origin}: {type(err).__name__}: "
                              f"{err}") from err
        for entry in _as_filters(loaded):
            register(entry, origin)


def get_filter(name: str) -> Filter:
    if name not in REGISTRY:
        raise KeyError(f"unknown filter {name!r} (registered: {', '.join(REGISTRY)})")
    return REGISTRY[name]


def signal_names(names: list[str]) -> list[str]:
    return [signal for name in names for signal, _ in get_filter(name).signals]


discover()
