"""Instruction, chat and article records as training documents for a quality classifier.

DCLM's classifier (Li et al. 2024, section 4.4; mlfoundations/dclm) takes its positives from
instruction and question-answering data, OpenHermes-2.5 and the ELI5 subreddit, not from
documents with a ``text`` field. A JSON Lines / JSON file whose records have no ``text`` is read
here, one document per record (or per task instance), in whichever of these shapes it has:

- ``instruction`` / ``input`` / ``output`` (Alpaca, Code Alpaca): the three joined by blank lines;
- ``instruction`` + ``instances: [{input, output}]`` (Self-Instruct seed tasks): the instruction
  with every instance;
- ``conversations: [{from, value}]`` (ShareGPT, as OpenHermes-2.5 ships) or ``messages:
  [{role, content}]``: the turns' texts, one paragraph each;
- ``chosen`` (Anthropic HH-RLHF): the preferred dialogue as it is (``Human:`` / ``Assistant:``);
- ``title`` + ``answers: {text: [...]}`` (ELI5 as on the Hugging Face hub): question and answers;
- a Super-NaturalInstructions task file (one JSON object with ``Definition`` and ``Instances``):
  one document per instance, the definition, the input and the first output;
- an object of articles ``{id: {articleBody, ...}}`` (scrapinghub's article-extraction
  benchmark ground truth): one document per article body.

A record of none of these shapes yields an empty text, which the trainer drops with the other
too-short documents (its ``min_doc_chars``).
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from typing import BinaryIO

DOCUMENT_KEY = "text"
MAX_FIRST_LINE_CHARS = 1 << 26


def _joined(*parts) -> str:
    return "\n\n".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())


def _instance_text(instance) -> str:
    if not isinstance(instance, dict):
        return ""
    output = instance.get("output")
    if isinstance(output, list):
        output = output[0] if output else ""
    return _joined(instance.get("input"), output)


def record_text(record) -> str:
    """The text of one record (see the module docstring); ``""`` for an unknown shape."""
    if not isinstance(record, dict):
        return ""
    if isinstance(record.get("conversations"), list):
        return _joined(*[t.get("value") for t in record["conversations"] if isinstance(t, dict)])
    if isinstance(record.get("messages"), list):
        return _joined(*[t.get("content") for t in record["messages"] if isinstance(t, dict)])
    if isinstance(record.get("instances"), list):
        return _joined(record.get("instruction"),
                       *[_instance_text(i) for i in record["instances"]])
    if "instruction" in record:
        return _joined(record.get("instruction"), record.get("input"), record.get("output"))
    if isinstance(record.get("chosen"), str):
        return record["chosen"].strip()
    if isinstance(record.get("answers"), dict):
        answers = record["answers"].get("text") or []
        return _joined(record.get("title"), record.get("selftext"), *answers)
    if isinstance(record.get("articleBody"), str):
        return record["articleBody"].strip()
    return ""


def object_texts(value) -> Iterator[tuple[str, str]]:
    """``(key, text)`` of a whole-file JSON value: a Super-NaturalInstructions task, a mapping
    of articles, or a list of records."""
    if isinstance(value, dict) and isinstance(value.get("Instances"), list):
        definition = value.get("Definition")
        definition = " ".join(definition) if isinstance(definition, list) else definition
        for index, instance in enumerate(value["Instances"]):
            key = instance.get("id", index) if isinstance(instance, dict) else index
            yield str(key), _joined(definition, _instance_text(instance))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key), record_text(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield str(index), record_text(item)


def _text_stream(name: str, raw: BinaryIO) -> io.TextIOBase:
    binary = gzip.GzipFile(fileobj=raw) if name.lower().endswith(".gz") else raw
    return io.TextIOWrapper(binary, encoding="utf-8", errors="replace")


def iter_record_documents(name: str, raw: BinaryIO) -> Iterator[tuple[str, str]]:
    """``(key, text)`` of every record of a JSON Lines or JSON file (``.gz`` allowed): JSON
    Lines when its first line is a whole JSON value, else one JSON value for the file. A line
    that is not JSON yields an empty text (dropped later as too short)."""
    stream = _text_stream(name, raw)
    first = stream.readline()
    try:
        json.loads(first)
    except ValueError:
        yield from object_texts(json.loads(first + stream.read()))
        return
    for index, line in enumerate([first] if first.strip() else []):
        yield str(index), record_text(json.loads(line))
    for index, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield str(index), record_text(json.loads(line))
        except ValueError:
            yield str(index), ""


def holds_documents(name: str, raw: BinaryIO) -> bool:
    """Whether a JSON(L) file's first record is a document (has a ``text`` string); else the
    file is read by :func:`iter_record_documents`. Reads the first line only."""
    if name.lower().endswith((".parquet", ".pq")):
        return True
    first = _text_stream(name, raw).readline(MAX_FIRST_LINE_CHARS)
    try:
        record = json.loads(first)
    except ValueError:
        return False
    return isinstance(record, dict) and isinstance(record.get(DOCUMENT_KEY), str)
