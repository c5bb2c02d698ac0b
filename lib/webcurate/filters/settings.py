"""``settings:`` of the filter job: one section per registered filter, with its defaults.

Built from the registry, so registering a filter is the only step that makes its thresholds
configurable (``--set settings.gopher_quality.min_doc_words=100``). A section is used only when
its filter is in the chain.
"""

from __future__ import annotations

import dataclasses

from webcurate.config import option
from webcurate.filters.registry import REGISTRY

FilterSettings = dataclasses.make_dataclass(
    "FilterSettings",
    [(name, entry.config_class, option(entry.config_class, help=entry.summary))
     for name, entry in REGISTRY.items()],
    frozen=True,
)
FilterSettings.__module__ = __name__
FilterSettings.__doc__ = "Per registered filter, its settings (published defaults)."
