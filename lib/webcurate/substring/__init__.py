"""Exact-substring dedup (Lee et al. 2022, as RefinedWeb ran it): pure core in :mod:`.windows`,
settings in :mod:`.settings`, the Spark adapter in :mod:`.spark`."""
