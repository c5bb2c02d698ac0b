"""The resource layer: what the pure rule families need from storage, loaded here.

Rule families (``webcurate.filters.*``) take loaded data (word sets, compiled patterns, a
per-language word lookup) and never import storage. This package reads lists by path
(:mod:`.lists`: local, ``s3://``, ``assets:``; once per process), installs the default lists
from registry packages (:mod:`.fetch`, run by ``make install``) and builds each family's loaded
resources from its config (:mod:`.filters`).
"""
