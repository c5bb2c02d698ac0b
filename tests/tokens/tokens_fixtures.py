"""Real documents and small tokenizers trained on them (no download): a Hugging Face BPE
``tokenizer.json`` and a SentencePiece unigram model, built once per test session."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"


def real_documents(shared_data: Path, limit: int | None = None) -> list[dict]:
    """The 697 real Common Crawl documents (55 languages): id, text, url."""
    rows = []
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            rows.append({"id": row["id"], "text": row["text"],
                         "url": (row.get("metadata") or {}).get("url")})
            if limit and len(rows) >= limit:
                break
    return rows


def train_hf_tokenizer(texts: list[str], path: Path, vocab_size: int = 2000) -> Path:
    """A byte-level BPE tokenizer.json with an ``<|endoftext|>`` special token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    tok.save(str(path))
    return path


def train_sentencepiece(texts: list[str], prefix: Path, vocab_size: int = 4000) -> Path:
    """A unigram SentencePiece model (``<prefix>.model``), eos id 2."""
    import io

    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(t for t in texts if t.strip()), model_writer=model,
        vocab_size=vocab_size, character_coverage=0.995, model_type="unigram",
        input_sentence_size=20000, shuffle_input_sentence=False, max_sentence_length=20000,
        minloglevel=2)
    path = Path(str(prefix) + ".model")
    path.write_bytes(model.getvalue())
    return path
