"""Dialogue and instruction formats read into one schema, and written back (pure Python).

The one schema (:func:`dialogue`), a plain dict that Spark stores as it is:

- ``messages``: the turns, ``[{role, content}]``, roles ``system`` / ``user`` / ``assistant``;
  contents exactly as in the source (never stripped), so a dialogue can be written back;
- ``source``: the dataset it came from; ``format``: the format it was read from;
- ``generator``: the model that wrote the assistant turns, when known (OpenAI-style ``model``,
  a ``generator`` field), else null: synthetic dialogues (self-chat, Evol-Instruct) set it and
  fit the same schema as human-written ones;
- ``metadata``: string -> string (Dolly's ``category``, HH-RLHF's side, where an instruction ends
  inside the first user turn, the record's own id).

Formats (:data:`FORMATS`), each read by ``read_<format>`` and written by ``write_<format>``:

- ``alpaca`` (Taori et al. 2023): ``instruction``, ``input``, ``output``. The user turn is the
  instruction, then a blank line and the input when there is one (Alpaca's own prompt keeps them
  in two sections; ``metadata.instruction_chars`` says where the instruction ends);
- ``self_instruct`` (Wang et al. 2023, Alpaca's ``seed_tasks.jsonl``): ``instruction`` and
  ``instances`` [{input, output}]: one dialogue per instance;
- ``sharegpt``: ``conversations`` [{from: human|gpt|system, value}] (FastChat / Vicuna);
- ``openai``: ``messages`` [{role, content}] (the Chat Completions layout), optional ``model``;
- ``dolly`` (databricks-dolly-15k): ``instruction``, ``context``, ``response``, ``category``;
- ``hh_rlhf`` (Bai et al. 2022): ``chosen`` (and ``rejected``), a whole dialogue in one string,
  turns introduced by ``\\n\\nHuman: `` and ``\\n\\nAssistant: ``; the chosen side is read.

``auto`` detects the format from a record's keys (:func:`detect_format`).
"""

from __future__ import annotations

import re

FORMATS = ("alpaca", "self_instruct", "sharegpt", "openai", "dolly", "hh_rlhf")
ROLES = ("system", "user", "assistant")
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "chatgpt": "assistant",
                  "assistant": "assistant", "bard": "assistant", "bing": "assistant",
                  "model": "assistant", "system": "system"}
SHAREGPT_NAMES = {"user": "human", "assistant": "gpt", "system": "system"}
HH_NAMES = {"user": "Human", "assistant": "Assistant"}
_HH_TURN = re.compile(r"\n\n(Human|Assistant): ")


class FormatError(ValueError):
    """A record that is not a dialogue of its format (one line)."""


def dialogue(messages: list[dict], fmt: str, source: str, generator: str | None = None,
             metadata: dict | None = None) -> dict:
    return {"messages": messages, "format": fmt, "source": source, "generator": generator,
            "metadata": {str(k): str(v) for k, v in (metadata or {}).items() if v is not None}}


def _text(record: dict, key: str, required: bool = True) -> str:
    value = record.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise FormatError(f"field {key!r} is {type(value).__name__}, not text")
    return value


def _with_input(instruction: str, extra: str) -> tuple[str, dict]:
    if extra:
        return f"{instruction}\n\n{extra}", {"instruction_chars": len(instruction)}
    return instruction, {}


def _split_input(dialog: dict) -> tuple[str, str]:
    content = dialog["messages"][0]["content"]
    cut = dialog["metadata"].get("instruction_chars")
    if cut is None:
        return content, ""
    return content[:int(cut)], content[int(cut) + 2:]


def _own_id(record: dict) -> dict:
    value = record.get("id")
    return {"id": value} if isinstance(value, (str, int)) else {}


def read_alpaca(record: dict, source: str) -> list[dict]:
    user, meta = _with_input(_text(record, "instruction"), _text(record, "input", False))
    return [dialogue([{"role": "user", "content": user},
                      {"role": "assistant", "content": _text(record, "output")}],
                     "alpaca", source, record.get("generator"), {**meta, **_own_id(record)})]


def write_alpaca(dialog: dict) -> dict:
    instruction, extra = _split_input(dialog)
    return {"instruction": instruction, "input": extra,
            "output": dialog["messages"][1]["content"]}


def read_self_instruct(record: dict, source: str) -> list[dict]:
    instances = record.get("instances")
    if not isinstance(instances, list) or not instances:
        raise FormatError("field 'instances' holds no instance")
    out = []
    for i, instance in enumerate(instances):
        if not isinstance(instance, dict):
            raise FormatError(f"instances[{i}] is not an object")
        user, meta = _with_input(_text(record, "instruction"), _text(instance, "input", False))
        meta.update({"instance": i, "name": record.get("name"), **_own_id(record)})
        out.append(dialogue([{"role": "user", "content": user},
                             {"role": "assistant", "content": _text(instance, "output")}],
                            "self_instruct", source, None, meta))
    return out


def read_sharegpt(record: dict, source: str) -> list[dict]:
    turns = record.get("conversations")
    if not isinstance(turns, list):
        raise FormatError("field 'conversations' is not a list")
    messages = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise FormatError(f"conversations[{i}] is not an object")
        role = SHAREGPT_ROLES.get(str(turn.get("from", "")).lower())
        if role is None:
            raise FormatError(f"conversations[{i}]: unknown speaker {turn.get('from')!r}")
        messages.append({"role": role, "content": _text(turn, "value")})
    return [dialogue(messages, "sharegpt", source, record.get("model"), _own_id(record))]


def write_sharegpt(dialog: dict) -> dict:
    out = {"conversations": [{"from": SHAREGPT_NAMES[m["role"]], "value": m["content"]}
                             for m in dialog["messages"]]}
    if "id" in dialog["metadata"]:
        out["id"] = dialog["metadata"]["id"]
    return out


def read_openai(record: dict, source: str) -> list[dict]:
    turns = record.get("messages")
    if not isinstance(turns, list):
        raise FormatError("field 'messages' is not a list")
    messages = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or turn.get("role") not in ROLES:
            raise FormatError(f"messages[{i}] has no role of {', '.join(ROLES)}")
        messages.append({"role": turn["role"], "content": _text(turn, "content")})
    return [dialogue(messages, "openai", source, record.get("model") or record.get("generator"),
                     _own_id(record))]


def write_openai(dialog: dict) -> dict:
    out = {"messages": [{"role": m["role"], "content": m["content"]}
                        for m in dialog["messages"]]}
    if dialog.get("generator"):
        out["model"] = dialog["generator"]
    return out


def read_dolly(record: dict, source: str) -> list[dict]:
    user, meta = _with_input(_text(record, "instruction"), _text(record, "context", False))
    meta["category"] = record.get("category")
    return [dialogue([{"role": "user", "content": user},
                      {"role": "assistant", "content": _text(record, "response")}],
                     "dolly", source, None, {**meta, **_own_id(record)})]


def write_dolly(dialog: dict) -> dict:
    instruction, context = _split_input(dialog)
    return {"instruction": instruction, "context": context,
            "response": dialog["messages"][1]["content"],
            "category": dialog["metadata"].get("category", "")}


def parse_hh(text: str) -> list[dict]:
    """``"\\n\\nHuman: a\\n\\nAssistant: b"`` -> turns; text before the first turn is an error."""
    parts = _HH_TURN.split(text)
    if parts[0] != "" or len(parts) < 3:
        raise FormatError("not a \\n\\nHuman: / \\n\\nAssistant: dialogue")
    return [{"role": "user" if speaker == "Human" else "assistant", "content": content}
            for speaker, content in zip(parts[1::2], parts[2::2], strict=True)]


def read_hh_rlhf(record: dict, source: str) -> list[dict]:
    return [dialogue(parse_hh(_text(record, "chosen")), "hh_rlhf", source, None,
                     {"side": "chosen"})]


def write_hh_rlhf(dialog: dict) -> dict:
    return {"chosen": "".join(f"\n\n{HH_NAMES[m['role']]}: {m['content']}"
                              for m in dialog["messages"])}


READERS = {"alpaca": read_alpaca, "self_instruct": read_self_instruct,
           "sharegpt": read_sharegpt, "openai": read_openai, "dolly": read_dolly,
           "hh_rlhf": read_hh_rlhf}
WRITERS = {"alpaca": write_alpaca, "sharegpt": write_sharegpt, "openai": write_openai,
           "dolly": write_dolly, "hh_rlhf": write_hh_rlhf}


def detect_format(record: dict) -> str:
    if "conversations" in record:
        return "sharegpt"
    if "messages" in record:
        return "openai"
    if "chosen" in record:
        return "hh_rlhf"
    if "instances" in record and "instruction" in record:
        return "self_instruct"
    if "response" in record and "instruction" in record:
        return "dolly"
    if "output" in record and "instruction" in record:
        return "alpaca"
    raise FormatError(f"no known dialogue format has the keys {sorted(record)[:6]}")


def read_record(record: dict, fmt: str, source: str) -> list[dict]:
    """One source record -> its dialogues in the one schema (``fmt`` may be ``auto``)."""
    if not isinstance(record, dict):
        raise FormatError(f"a JSON {type(record).__name__}, not an object")
    return READERS[detect_format(record) if fmt == "auto" else fmt](record, source)


def render_text(messages: list[dict]) -> str:
    """The dialogue as one document text (what decontamination and the text filters read)."""
    names = {"system": "System", "user": "User", "assistant": "Assistant"}
    return "\n\n".join(f"{names[m['role']]}: {m['content']}" for m in messages)
