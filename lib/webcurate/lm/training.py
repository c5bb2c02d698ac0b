"""Training one language's model as CCNet's Makefile does (``make lang=xx lm``): SentencePiece
(unigram, ``character_coverage`` 0.9995, vocabulary 65,536) on normalised text, the text encoded
into pieces, KenLM's ``lmplz -o 5 --discount_fallback`` estimating the ARPA model, and
``build_binary`` turning it into the binary the scorer memory-maps.

``lmplz`` and ``build_binary`` are KenLM's programs, built from the PyPI source package at
``make install`` (``tools/install_kenlm.sh``) into the virtualenv's ``bin/``; :func:`kenlm_tool`
finds them there or on ``PATH``, and :func:`missing_tools` lets the job fail at start with one
line. Pure: no pyspark.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass

KENLM_TOOLS = ("lmplz", "build_binary")
#: SentencePiece's own input cap per training run (it samples beyond it).
SP_MAX_SENTENCES = 10_000_000


@dataclass(frozen=True)
class SentencePieceParams:
    vocab_size: int
    character_coverage: float
    model_type: str
    input_sentence_size: int
    seed: int


@dataclass(frozen=True)
class KenlmParams:
    order: int
    memory: str
    discount_fallback: bool
    prune: list[int]


def kenlm_tool(name: str) -> str | None:
    """The path of KenLM program ``name``: beside this interpreter (the virtualenv's bin/), else
    on ``PATH``; None when absent."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    return shutil.which(name)


def missing_tools() -> list[str]:
    """KenLM programs that cannot be found, and ``kenlm`` / ``sentencepiece`` if not importable."""
    missing = [name for name in KENLM_TOOLS if kenlm_tool(name) is None]
    for module in ("kenlm", "sentencepiece"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"python module {module}")
    return missing


def train_sentencepiece(text_path: str, model_prefix: str, params: SentencePieceParams) -> str:
    """Train a SentencePiece model on ``text_path`` (one normalised line per line); returns the
    ``.model`` path. ``hard_vocab_limit`` is off: a small corpus gets a smaller vocabulary
    instead of an error (CCNet's Makefile retries with 40,000 pieces for the same reason)."""
    import sentencepiece

    if hasattr(sentencepiece, "set_random_generator_seed"):
        sentencepiece.set_random_generator_seed(params.seed)
    sentencepiece.SentencePieceTrainer.Train(
        input=text_path, model_prefix=model_prefix, vocab_size=params.vocab_size,
        character_coverage=params.character_coverage, model_type=params.model_type,
        hard_vocab_limit=False, input_sentence_size=min(params.input_sentence_size,
                                                        SP_MAX_SENTENCES),
        shuffle_input_sentence=True, seed_sentencepiece_size=1_000_000,
        num_threads=1, minloglevel=2)
    return f"{model_prefix}.model"


def encode_file(sp_model: str, text_path: str, pieces_path: str) -> int:
    """Every line of ``text_path`` as SentencePiece pieces (``spm_encode --output_format=piece``)
    into ``pieces_path``; returns the number of lines."""
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor()
    processor.Load(sp_model)
    count = 0
    with (open(text_path, encoding="utf-8") as source,
          open(pieces_path, "w", encoding="utf-8") as target):
        for line in source:
            pieces = processor.EncodeAsPieces(line.rstrip("\n"))
            if pieces:
                target.write(" ".join(pieces) + "\n")
                count += 1
    return count


def lmplz_command(params: KenlmParams, temp_dir: str, vocab_estimate: int) -> list[str]:
    command = [kenlm_tool("lmplz") or "lmplz", "-o", str(params.order), "-S", params.memory,
               "-T", temp_dir, "--vocab_estimate", str(vocab_estimate)]
    if params.prune:
        command += ["--prune", *[str(p) for p in params.prune]]
    if params.discount_fallback:
        command.append("--discount_fallback")
    return command


def _run(command: list[str], stdin=None, stdout=None) -> None:
    completed = subprocess.run(command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                               check=False)
    if completed.returncode != 0:
        tail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{os.path.basename(command[0])} failed (exit "
                           f"{completed.returncode}): {' | '.join(tail)}")


def build_kenlm(pieces_path: str, arpa_path: str, binary_path: str, params: KenlmParams,
                vocab_estimate: int) -> None:
    """``lmplz`` on the pieces -> ARPA, then ``build_binary`` ARPA -> binary (probing)."""
    temp_dir = os.path.dirname(arpa_path) or "."
    with open(pieces_path, "rb") as source, open(arpa_path, "wb") as target:
        _run(lmplz_command(params, temp_dir, vocab_estimate), stdin=source, stdout=target)
    _run([kenlm_tool("build_binary") or "build_binary", arpa_path, binary_path])


def write_lines(lines: Iterable[str], path: str) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as target:
        for line in lines:
            target.write(line + "\n")
            count += 1
    return count
