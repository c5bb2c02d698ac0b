"""The scale harness (``make scale``, issue 11): a Common Crawl-like corpus of real text at a
given size, the whole ``fineweb`` pipeline on a standalone cluster the harness starts itself, and
the checks of docs/scaling.md ("Proven at scale"). Run ``python -m tools.scale --help``."""
