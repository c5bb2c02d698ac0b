"""The train-lm job: text per language -> CCNet's SentencePiece + KenLM 5-gram models.

CCNet (Wenzek et al. 2020, section 3.3; facebookresearch/cc_net ``Makefile``: ``make lang=xx
lm``) trains, per language, a SentencePiece model and a 5-gram KenLM model on the openings of
that language's Wikipedia; ``webcurate perplexity`` then scores Common Crawl with them.

1. **Spark prepares and samples** each language's text (:mod:`webcurate.lm.spark`): files cut
   into documents, normalised into lines as CCNet normalises (:mod:`webcurate.lm.normalize`), at
   most ``max_docs`` documents by a deterministic key, streamed to the driver's disk.
2. **SentencePiece** trains on those lines (unigram, ``character_coverage`` 0.9995, a vocabulary
   of ``sentencepiece.vocab_size``: CCNet's 65,536), then encodes them into pieces.
3. **KenLM**: ``lmplz -o 5 --discount_fallback`` estimates the ARPA model from the pieces and
   ``build_binary`` turns it into ``<lang>.arpa.bin`` (programs built from PyPI's ``kenlm`` source
   package by ``make install``; missing ones fail the job at start with one line).
4. **Outputs** in ``output``: ``<lang>.sp.model``, ``<lang>.arpa.bin``, ``models.json`` (the
   languages, their sizes and settings: the perplexity job reads it), ``config.yaml``,
   ``stats.json``. A rerun with the same settings trains the same models (single-threaded
   SentencePiece, fixed seed) and replaces them.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass

from webcurate.config import ConfigError, option, to_dict
from webcurate.io import storage as st
from webcurate.io.inputs import InputError
from webcurate.io.storage import StorageConfig
from webcurate.jobs.common import JobResult
from webcurate.lm.model import LM_SUFFIX, MANIFEST, SP_SUFFIX
from webcurate.lm.training import KenlmParams, SentencePieceParams
from webcurate.spark import SparkConfig
from webcurate.stages import Stage


@dataclass(frozen=True)
class SentencePieceSettings:
    """SentencePiece training (CCNet's Makefile: ``spm_train``)."""

    vocab_size: int = option(65_536, min=16, max=1_000_000,
                             help="pieces (an upper bound: a small corpus gets fewer)")
    character_coverage: float = option(0.9995, min=0.9, max=1.0,
                                       help="share of characters covered by the alphabet")
    model_type: str = option("unigram", choices=("unigram", "bpe"), help="SentencePiece model")
    input_sentence_size: int = option(
        400_000 * 20, min=1000, help="lines SentencePiece trains on at most (it samples)")


@dataclass(frozen=True)
class KenlmSettings:
    """``lmplz`` estimation (CCNet: ``-o 5 -S 8G --discount_fallback``)."""

    order: int = option(5, min=2, max=6, help="n-gram order (CCNet: 5; the build supports 6)")
    memory: str = option("20%", help="lmplz -S: sorting memory, e.g. 8G or 20%")
    discount_fallback: bool = option(
        True, help="lmplz --discount_fallback: fall back to default discounts on tiny corpora")
    prune: list[int] = option([], min=0, help="lmplz --prune thresholds per order; [] = none")


@dataclass(frozen=True)
class TrainLmConfig:
    """``webcurate train-lm``: one SentencePiece + KenLM model per language."""

    corpora: dict[str, list[str]] = option(
        help="language -> its training text: text files (.txt, .gz, .bz2, .zip, MediaWiki XML) "
             "or Parquet/JSONL documents; file, directory, glob or list; local or s3://")
    output: str = option(help="models directory: <lang>.sp.model, <lang>.arpa.bin, models.json")
    max_docs: int | None = option(
        1_000_000, min=1, help="documents per language at most (CCNet: 1,000,000 openings)")
    text_doc_chars: int = option(
        3000, min=100, max=1_000_000, help="text files: cut into documents of at most N chars")
    seed: int = option(0, min=0, help="sampling and SentencePiece seed")
    sentencepiece: SentencePieceSettings = option(SentencePieceSettings,
                                                  help="SentencePiece settings")
    kenlm: KenlmSettings = option(KenlmSettings, help="KenLM lmplz settings")
    keep_arpa: bool = option(False, help="also keep <lang>.arpa (text; large)")
    storage: StorageConfig = option(StorageConfig, help="object storage access")
    spark: SparkConfig = option(SparkConfig, help="Spark session settings")

    def __post_init__(self):
        if not self.corpora:
            raise ValueError("config key 'corpora': name at least one language")
        if self.kenlm.prune and len(self.kenlm.prune) > self.kenlm.order:
            raise ValueError("config key 'kenlm.prune': at most one threshold per order")


def require_kenlm() -> None:
    """One line when KenLM's programs or the Python modules are missing."""
    from webcurate.lm.training import missing_tools

    missing = missing_tools()
    if missing:
        raise ConfigError(f"KenLM is not installed ({', '.join(missing)} missing): run "
                          "`make install` (tools/install_kenlm.sh builds lmplz and build_binary "
                          "from PyPI's kenlm source package)")


def preflight_train_lm(config: TrainLmConfig) -> None:
    require_kenlm()
    if not (st.is_local(config.output) or st.is_s3(config.output)):
        raise ConfigError(f"config key 'output': a local path or s3://, got {config.output!r}")


def train_language(spark, config: TrainLmConfig, language: str, tmp: str) -> dict:
    """Steps 1-3 for one language in ``tmp``; returns its stats."""
    from webcurate.lm.spark import sampled_training_lines, training_documents
    from webcurate.lm.training import build_kenlm, encode_file, train_sentencepiece, write_lines

    try:
        docs, sources = training_documents(spark, list(config.corpora[language]), config.storage,
                                           language, config.text_doc_chars, config.seed)
    except InputError as err:
        raise ConfigError(f"config key 'corpora.{language}': {err}") from None
    lines, counts = sampled_training_lines(docs, config.max_docs)
    text_path = os.path.join(tmp, f"{language}.txt")
    line_count = write_lines(lines, text_path)
    if line_count < 10:
        raise ConfigError(f"config key 'corpora.{language}': {line_count} lines of text; "
                          "need 10 or more")
    started = time.time()
    sp = config.sentencepiece
    sp_model = train_sentencepiece(text_path, os.path.join(tmp, language), SentencePieceParams(
        sp.vocab_size, sp.character_coverage, sp.model_type, sp.input_sentence_size,
        config.seed))
    pieces_path = os.path.join(tmp, f"{language}.pieces.txt")
    encode_file(sp_model, text_path, pieces_path)
    sp_seconds = time.time() - started
    arpa = os.path.join(tmp, f"{language}.arpa")
    binary = os.path.join(tmp, f"{language}{LM_SUFFIX}")
    km = config.kenlm
    build_kenlm(pieces_path, arpa, binary,
                KenlmParams(km.order, km.memory, km.discount_fallback, list(km.prune)),
                vocab_estimate=sp.vocab_size)
    import sentencepiece

    pieces = sentencepiece.SentencePieceProcessor()
    pieces.Load(sp_model)
    return {"sources": sources, **counts, "training_lines": line_count,
            "vocab_size": pieces.GetPieceSize(), "sp_model_bytes": os.path.getsize(sp_model),
            "lm_bytes": os.path.getsize(binary), "arpa_bytes": os.path.getsize(arpa),
            "sentencepiece_seconds": round(sp_seconds, 3),
            "kenlm_seconds": round(time.time() - started - sp_seconds, 3)}


def run_train_lm(spark, config: TrainLmConfig) -> JobResult:
    started = time.time()
    preflight_train_lm(config)
    languages: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="webcurate-train-lm-") as tmp:
        for language in sorted(config.corpora):
            languages[language] = train_language(spark, config, language, tmp)
            suffixes = [SP_SUFFIX, LM_SUFFIX] + ([".arpa"] if config.keep_arpa else [])
            for suffix in suffixes:
                local = os.path.join(tmp, f"{language}{suffix.replace('.sp.model', '.model')}")
                with open(local, "rb") as handle:
                    st.write_bytes(st.join_uri(config.output, f"{language}{suffix}"),
                                   handle.read(), config.storage)
    manifest = {"languages": languages, "normalization": "ccnet",
                "sentencepiece": to_dict(config.sentencepiece), "kenlm": to_dict(config.kenlm),
                "max_docs": config.max_docs, "seed": config.seed}
    st.write_bytes(st.join_uri(config.output, MANIFEST),
                   json.dumps(manifest, indent=2).encode("utf-8"), config.storage)
    return JobResult(stats={**manifest, "seconds": round(time.time() - started, 3)})


STAGE = Stage(
    "train-lm", "text per language -> CCNet's SentencePiece + KenLM 5-gram models",
    TrainLmConfig, run_train_lm, preflight=preflight_train_lm)
