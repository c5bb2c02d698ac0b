"""Each rule family's loaded lists, built once per process from its config and the storage.

The families build their resources from a :class:`~webcurate.filters.wordsets.ListSource`
(pure); here that source is storage, and the result is cached per process, config, storage and
assets folder (:func:`webcurate.resources.lists.per_process`), so a Python worker reads the
4.56 M-domain blocklist once however many tasks it runs.
"""

from __future__ import annotations

from webcurate.filters.badwords import C4BadWordsConfig, C4BadWordsResources
from webcurate.filters.refinedweb import (
    RefinedWebUrlConfig,
    RefinedWebUrlResources,
    build_refinedweb_url_resources,
)
from webcurate.filters.url_blocklist import (
    UrlBlocklistConfig,
    UrlBlocklistResources,
    build_url_blocklist_resources,
)
from webcurate.io.storage import StorageConfig
from webcurate.resources.lists import StorageLists, per_process


@per_process
def load_c4_badwords_resources(config: C4BadWordsConfig,
                               storage: StorageConfig) -> C4BadWordsResources:
    """C4's bad-words lists of ``config`` (each language's pattern compiled on first use)."""
    return C4BadWordsResources(config, StorageLists(storage))


@per_process
def load_url_blocklist_resources(config: UrlBlocklistConfig,
                                 storage: StorageConfig) -> UrlBlocklistResources:
    """FineWeb's URL lists of ``config`` (the domains take ~2 s and 36 MB)."""
    return build_url_blocklist_resources(config, StorageLists(storage))


@per_process
def load_refinedweb_url_resources(config: RefinedWebUrlConfig,
                                  storage: StorageConfig) -> RefinedWebUrlResources:
    """RefinedWeb's URL blocklist and word lists of ``config``."""
    return build_refinedweb_url_resources(config, StorageLists(storage))
