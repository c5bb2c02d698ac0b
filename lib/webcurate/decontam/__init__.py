"""Decontamination: remove or redact documents that share n-grams with evaluation sets, as
GPT-3 (Brown et al. 2020, Appendix C: 13-gram overlap), Llama and OLMo did.

Pure core (no pyspark): :mod:`.normalize` (GPT-3's words: lowercase, no punctuation,
whitespace-delimited), :mod:`.ngrams` (64-bit n-gram hashes, vectorised per batch),
:mod:`.benchmarks` (benchmark files and the fields that form an item's text),
:mod:`.redact` (GPT-3's 200-character windows and pieces), :mod:`.core` (the exact index,
matching, the decision per document, the whole method in one process).

The Spark adapter is :mod:`.spark` (the benchmark n-gram table as a dataset, the size-based
index, the join, routing); the job is :mod:`webcurate.jobs.decontaminate`.
"""

from webcurate.decontam.benchmarks import BenchmarkSpec
from webcurate.decontam.core import NgramIndex, decontaminate, find_matches
from webcurate.decontam.normalize import words

__all__ = ["BenchmarkSpec", "NgramIndex", "decontaminate", "find_matches", "words"]
