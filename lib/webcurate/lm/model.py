"""Document perplexity under a SentencePiece + KenLM model, as CCNet computes it
(cc_net ``perplexity.py``: ``MultiSentencePiece`` then ``DocLM``; re-implemented).

A document is split into lines (CCNet's paragraphs); each normalised line
(:mod:`.normalize`) is cut into SentencePiece pieces, and KenLM scores the pieces joined by
spaces with sentence boundaries (``<s>`` ... ``</s>``), giving a log10 probability. The document's
perplexity is ``10 ** (-sum(log10 p) / sum(pieces + 1))`` over its lines (the ``+ 1`` counts
``</s>``), rounded to one decimal as CCNet rounds it. Lower is better (closer to the
training text). Blank lines are skipped (CCNet scores them as a lone ``</s>``; after its own
line dedup it has none either).

:class:`LanguageModels` holds the models of a directory written by ``webcurate train-lm``
(``<lang>.sp.model``, ``<lang>.arpa.bin``, ``models.json``); :func:`get_language_models` keeps
one instance per Python process and model version, so each Spark worker loads a model once.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable

from webcurate.lm.normalize import normalized_lines

MANIFEST = "models.json"
SP_SUFFIX = ".sp.model"
LM_SUFFIX = ".arpa.bin"


def perplexity(log10_score: float, length: int) -> float:
    """CCNet's ``pp``: ``10 ** (-log10_score / length)``."""
    return 10.0 ** (-log10_score / length)


class LanguageModel:
    """One language: a SentencePiece processor and a KenLM model, both loaded from local paths."""

    def __init__(self, sp_path: str, lm_path: str):
        import kenlm
        import sentencepiece

        for path in (sp_path, lm_path):
            if not os.path.isfile(path):
                raise FileNotFoundError(f"language model file not found: {path}")
        self.sp = sentencepiece.SentencePieceProcessor()
        self.sp.Load(sp_path)
        self.lm = kenlm.Model(lm_path)

    def pieces(self, normalized_line: str) -> str:
        """The line's pieces joined by spaces (``spm_encode --output_format=piece``)."""
        return " ".join(self.sp.EncodeAsPieces(normalized_line))

    def score_lines(self, lines: list[str]) -> tuple[float, int]:
        """``(sum of log10 probabilities, sum of pieces + 1)`` over already-normalised lines."""
        log_score, length = 0.0, 0
        for line in lines:
            pieces = self.pieces(line)
            log_score += self.lm.score(pieces, bos=True, eos=True)
            length += len(pieces.split()) + 1
        return log_score, length

    def document_perplexity(self, text: str | None) -> float | None:
        """The document's perplexity (one decimal), None when it has no non-blank line."""
        lines = normalized_lines(text)
        if not lines:
            return None
        log_score, length = self.score_lines(lines)
        return round(perplexity(log_score, length), 1)


def read_manifest(local_dir: str) -> dict:
    """``models.json`` of a train-lm output: ``{"languages": {lang: {...}}, ...}``."""
    with open(os.path.join(local_dir, MANIFEST), encoding="utf-8") as handle:
        return json.load(handle)


class LanguageModels:
    """Every language of a train-lm output directory, each loaded on first use."""

    def __init__(self, local_dir: str, languages: list[str]):
        self.local_dir = local_dir
        self.languages = set(languages)
        self._models: dict[str, LanguageModel] = {}

    def get(self, language: str | None) -> LanguageModel | None:
        if language not in self.languages:
            return None
        if language not in self._models:
            self._models[language] = LanguageModel(
                os.path.join(self.local_dir, f"{language}{SP_SUFFIX}"),
                os.path.join(self.local_dir, f"{language}{LM_SUFFIX}"))
        return self._models[language]

    def document_perplexity(self, text: str | None, language: str | None) -> float | None:
        model = self.get(language)
        return None if model is None else model.document_perplexity(text)


_CACHE: dict[tuple[str, str], LanguageModels] = {}
_LOCK = threading.Lock()


def get_language_models(models_dir: str, version: str, languages: list[str],
                        fetch: Callable[[str], str]) -> LanguageModels:
    """The process-wide :class:`LanguageModels` for ``models_dir`` at ``version``; ``fetch`` turns
    a file URI into a local path (a cached download for ``s3://``), called once per file."""
    key = (models_dir, version)
    with _LOCK:
        if key not in _CACHE:
            local = {fetch(f"{models_dir.rstrip('/')}/{lang}{suffix}")
                     for lang in languages for suffix in (SP_SUFFIX, LM_SUFFIX)}
            directories = {os.path.dirname(p) for p in local}
            if len(directories) > 1:
                raise ValueError(f"model files of {models_dir} fetched into several directories")
            local_dir = directories.pop() if directories else models_dir
            _CACHE[key] = LanguageModels(local_dir, languages)
        return _CACHE[key]
