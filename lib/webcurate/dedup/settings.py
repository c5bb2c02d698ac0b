"""The sections of the dedup job's config: plain frozen values that executors receive as they are.

Defaults are FineWeb's MinHash setup (datatrove ``MinhashConfig``: 5-gram word shingles, 14 bands
x 8 rows = 112 permutations) and, for line dedup, C4's keep-one-copy rule. Every field carries
one line of help and its range or choices, which :mod:`webcurate.config` checks before Spark
starts; cross-field rules (``bands x rows == num_perm``) are checked by ``preflight_dedup``.
"""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option

SCHEMES = ("affine32", "legacy")
SHINGLE_HASHES = ("words64", "sha1")
SURVIVOR_RULES = ("lowest_doc_id", "highest_score", "newest", "url_md5")
UNITS = ("line", "paragraph")
LINE_POLICIES = ("keep_first", "drop_all")
NORMALIZE_STYLES = ("words", "datatrove")
URL_KEYS = ("raw", "c4")
LINE_KEYS = ("words", "tfds")


@dataclass(frozen=True)
class NormalizeSettings:
    """How text is normalised before exact hashing, shingling and line hashing.

    Words are what is left between Unicode whitespace and, with ``punctuation``, between
    punctuation and symbols; they are re-joined by one space, so whitespace is always collapsed.
    """

    lowercase: bool = option(True, help="compare text case-insensitively")
    punctuation: bool = option(
        True, help="treat punctuation and symbols as spaces (letters, digits, marks remain)")
    digits: bool = option(False, help="replace every decimal digit by 0 (CCNet)")
    accents: bool = option(False, help="strip diacritics: NFD, then drop non-spacing marks")
    style: str = option(
        "words", choices=NORMALIZE_STYLES,
        help="words: the rules above; datatrove: datatrove 0.10.1's simplify_text "
             "(MinhashConfig's TextNormConfig), the flags above selecting its steps: numbers "
             "(decimal part included) -> 0, its punctuation set -> spaces, NFD minus marks")

    def __post_init__(self) -> None:
        if self.style not in NORMALIZE_STYLES:
            raise ValueError(f"style must be one of {NORMALIZE_STYLES}, got {self.style!r}")


@dataclass(frozen=True)
class MinHashSettings:
    """MinHash-LSH near-duplicate detection (Broder 1997; Leskovec et al., MMDS ch. 3)."""

    ngram: int = option(5, min=1, max=64, help="words per shingle (FineWeb: 5)")
    num_perm: int = option(112, min=2, max=1024, help="MinHash permutations (FineWeb: 112)")
    bands: int = option(14, min=1, max=1024,
                        help="LSH bands; bands x rows must equal num_perm (ignored with threshold)")
    rows: int = option(8, min=1, max=1024, help="rows (hash values) per band (FineWeb: 8)")
    threshold: float | None = option(
        None, min=0.01, max=0.99,
        help="Jaccard threshold: when set, bands and rows are chosen from it and num_perm by "
             "minimising the weighted false positive + false negative areas")
    false_positive_weight: float = option(
        0.5, min=0.0, max=1.0, help="weight of the false positive area when choosing bands/rows")
    seed: int = option(42, min=0, max=2**32 - 1, help="seed of the permutations")
    scheme: str = option(
        "affine32", choices=SCHEMES,
        help="permutations: affine32 (a*h+b mod 2^32 after a murmur3 mix, datasketch 2.x) or "
             "legacy ((a*h+b) mod (2^61-1), low 32 bits, datasketch 1.x)")
    shingle_hash: str = option(
        "words64", choices=SHINGLE_HASHES,
        help="words64: vectorised 64-bit word hashes mixed per n-gram (fast); sha1: datasketch's "
             "sha1_hash32 of the shingle's UTF-8 (slow, for interoperability)")
    verify: bool = option(
        False, help="keep only candidate pairs whose true Jaccard of shingle sets reaches "
                    "verify_threshold (cuts false positives; more shuffle)")
    verify_threshold: float = option(0.8, min=0.0, max=1.0, help="true Jaccard for verify")
    hot_bucket_size: int = option(
        64, min=2, max=1_000_000,
        help="with verify: band buckets up to this size emit all pairs, larger (hot) buckets "
             "link every member to the bucket's minimum only (O(n)); without verify every "
             "bucket is linked that way")
    per_language: bool = option(
        False, help="deduplicate within each language only (FineWeb-2): band buckets and exact "
                    "keys are keyed by the documents' language column")
    language_words: bool = option(
        False, help="shingle the words of each document's language (webcurate.text.segmenters:"
                    " jieba, Sudachi, PyThaiNLP, Kiwi) instead of its whitespace pieces "
                    "(FineWeb-2); needs a language column")

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, got {self.scheme!r}")
        if self.shingle_hash not in SHINGLE_HASHES:
            raise ValueError(f"shingle_hash must be one of {SHINGLE_HASHES}")


@dataclass(frozen=True)
class SurvivorSettings:
    """Which document of a duplicate group is kept; ties always go to the lowest ``doc_id``."""

    rule: str = option(
        "lowest_doc_id", choices=SURVIVOR_RULES,
        help="lowest_doc_id | highest_score (score_column) | newest (warc_date) | url_md5 "
             "(the smallest MD5 of the url, as TFDS picks the page that keeps a C4 line)")
    score_column: str = option(
        "quality_score", help="numeric column for rule highest_score (null scores lose)")
    date_column: str = option("warc_date", help="timestamp column for rule newest and URL dedup")
    url_key: str = option(
        "raw", choices=URL_KEYS,
        help="what URL dedup compares: raw urls, or c4 (TFDS normalize_url: http(s)://(www.) "
             "and a ?utm_ / ?ref / ?feed query dropped, trailing slashes stripped)")


@dataclass(frozen=True)
class ComponentsSettings:
    """Distributed connected components (Kiveris et al. 2014, large-star / small-star)."""

    max_iterations: int = option(
        40, min=1, max=1000,
        help="rounds of large-star + small-star before giving up (the guard; dedup graphs "
             "take 0-3, a 5,000-node chain 10)")
    checkpoint_dir: str | None = option(
        None, help="Hadoop-style directory for round checkpoints (survive a lost executor); "
                   "null = <dataset>/_work when Spark can write the output's scheme (local, "
                   "hdfs, s3a; s3:// via s3a when the cluster has it), else executor-local "
                   "checkpoints (a warning in stats outside local mode)")


@dataclass(frozen=True)
class LineSettings:
    """Line / paragraph dedup (C4's global line dedup, CCNet's paragraph hashes)."""

    unit: str = option(
        "line", choices=UNITS,
        help="line: split at newlines (C4, and CCNet's 'paragraphs' of WET text); paragraph: "
             "at blank lines")
    policy: str = option(
        "keep_first", choices=LINE_POLICIES,
        help="keep_first: one copy survives, in the first document by the survivor rule "
             "(C4, CCNet); drop_all: every copy of a repeated unit is removed")
    min_doc_words: int = option(
        50, min=0, max=1_000_000,
        help="a document that lost units is dropped when fewer words remain (0 = keep all)")
    key: str = option(
        "words", choices=LINE_KEYS,
        help="words: a unit's normalised words (normalize.*); tfds: the unit stripped and "
             "lowercased, whitespace inside kept, as TFDS c4_utils keys C4's lines")
    min_doc_sentences: int = option(
        0, min=0, max=1_000_000,
        help="a document that lost units is dropped when its text then holds fewer sentences "
             "(C4: 3; text.sentences.count_sentences over the whole text; 0 = no check)")

    def __post_init__(self) -> None:
        if self.key not in LINE_KEYS:
            raise ValueError(f"key must be one of {LINE_KEYS}, got {self.key!r}")
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {self.unit!r}")
        if self.policy not in LINE_POLICIES:
            raise ValueError(f"policy must be one of {LINE_POLICIES}, got {self.policy!r}")
