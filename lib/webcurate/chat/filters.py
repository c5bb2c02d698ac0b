"""Dialogue filters: one pure function, a verdict ``(reason or None, signals)`` per dialogue.

Rules, in order (the first failing one names the reason; every reason has the ``chat_`` prefix):

- ``chat_bad_roles``: turns must alternate user / assistant after optional system turns, start
  with the user and end with the assistant (what a supervised fine-tuning loss expects);
- ``chat_too_few_turns`` / ``chat_too_many_turns``: user + assistant turns outside
  ``[min_turns, max_turns]``;
- ``chat_empty_turn``: a turn with fewer than ``min_turn_chars`` non-blank characters
  (FastChat's ShareGPT cleaning drops such conversations);
- ``chat_truncated_turn``: an assistant turn that stops mid-thought: an unclosed code fence
  (an odd number of ```), or a last character in ``truncation_marks`` (a comma, a colon, an
  opening bracket);
  with ``require_terminal_punctuation`` also a last turn without sentence-final punctuation;
- ``chat_too_short`` / ``chat_too_long``: total characters outside ``[min_chars, max_chars]``,
  or a turn longer than ``max_turn_chars``;
- ``chat_repeated_turns``: more than ``max_repeated_turns`` turns of ``min_repeat_chars`` or
  more equal (whitespace and case aside) to an earlier turn of the same role: loops of
  generated dialogue;
- ``chat_language``: with ``allowed_languages``, the language of the user and assistant text
  (lid.176 through the ``identify`` callable the adapter passes) not allowed, or its
  probability below ``min_language_score``.

Exact and near dedup of prompts are whole-corpus steps (:mod:`webcurate.chat.spark`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from webcurate.config import option

TERMINAL = (".", "!", "?", "\"", "'", ")", "]", "}", "`", "*", "\u00bb", "\u201d", "\u2019",
            "\u3002", "\uff01", "\uff1f", "\u2026")  # closing quotes, CJK . ! ?, ellipsis


@dataclass(frozen=True)
class DialogueFilterSettings:
    """Thresholds of the dialogue filters (null disables a bound)."""

    min_turns: int = option(2, min=1, help="fewest user + assistant turns")
    max_turns: int | None = option(64, min=1, help="most user + assistant turns")
    require_alternation: bool = option(
        True, help="user and assistant alternate, user first, assistant last")
    min_turn_chars: int = option(1, min=0, help="a turn with fewer non-blank characters is empty")
    max_turn_chars: int | None = option(32_000, min=1, help="longest turn in characters")
    min_chars: int = option(2, min=0, help="fewest characters over all turns")
    max_chars: int | None = option(200_000, min=1, help="most characters over all turns")
    truncation_marks: list[str] = option(
        [",", ":", "(", "[", "{", "\\"],
        help="an assistant turn ending in one of these looks cut off")
    require_terminal_punctuation: bool = option(
        False, help="the last turn must end in sentence-final punctuation (strict)")
    max_repeated_turns: int = option(0, min=0, help="turns allowed to repeat an earlier one")
    min_repeat_chars: int = option(
        30, min=0, help="shorter turns may repeat (a user's 'Go on.' twice is no loop)")
    allowed_languages: list[str] = option(
        [], help="lid.176 codes kept (e.g. [en]); empty: no language filter")
    min_language_score: float = option(0.5, min=0.0, max=1.0,
                                       help="lowest lid.176 probability kept")
    language_max_chars: int = option(2000, min=100, help="characters given to lid.176")


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _bad_roles(roles: list[str]) -> bool:
    body = roles[next((i for i, r in enumerate(roles) if r != "system"), len(roles)):]
    if not body or "system" in body or body[-1] != "assistant":
        return True
    return any(r != ("user" if i % 2 == 0 else "assistant") for i, r in enumerate(body))


def _truncated(messages: list[dict], settings: DialogueFilterSettings) -> bool:
    for m in messages:
        if m["role"] != "assistant":
            continue
        content = m["content"].rstrip()
        if content.count("```") % 2 or (content and content[-1] in settings.truncation_marks):
            return True
    last = messages[-1]["content"].rstrip()
    return settings.require_terminal_punctuation and not last.endswith(TERMINAL)


def _repeats(messages: list[dict], min_chars: int) -> int:
    seen: set[tuple[str, str]] = set()
    repeats = 0
    for m in messages:
        key = (m["role"], _norm(m["content"]))
        if len(key[1]) < min_chars:
            continue
        repeats += key in seen
        seen.add(key)
    return repeats


def check_dialogue(messages: list[dict], settings: DialogueFilterSettings,
                   identify: Callable[[str], tuple[str | None, float]] | None = None
                   ) -> tuple[str | None, dict]:
    """``(reason or None, {turns, chars, language, language_score})`` of one dialogue."""
    turns = sum(1 for m in messages if m["role"] != "system")
    chars = sum(len(m["content"]) for m in messages)
    signals = {"turns": turns, "chars": chars, "language": None, "language_score": None}
    if not messages:
        return "chat_too_few_turns", signals
    if settings.require_alternation and _bad_roles([m["role"] for m in messages]):
        return "chat_bad_roles", signals
    if turns < settings.min_turns:
        return "chat_too_few_turns", signals
    if settings.max_turns is not None and turns > settings.max_turns:
        return "chat_too_many_turns", signals
    if any(len("".join(m["content"].split())) < settings.min_turn_chars for m in messages):
        return "chat_empty_turn", signals
    if _truncated(messages, settings):
        return "chat_truncated_turn", signals
    if chars < settings.min_chars:
        return "chat_too_short", signals
    if (settings.max_chars is not None and chars > settings.max_chars) or (
            settings.max_turn_chars is not None
            and max(len(m["content"]) for m in messages) > settings.max_turn_chars):
        return "chat_too_long", signals
    if _repeats(messages, settings.min_repeat_chars) > settings.max_repeated_turns:
        return "chat_repeated_turns", signals
    if settings.allowed_languages and identify is not None:
        text = " ".join(m["content"] for m in messages if m["role"] != "system")
        language, score = identify(text[:settings.language_max_chars])
        signals.update(language=language, language_score=score)
        if language not in settings.allowed_languages or score < settings.min_language_score:
            return "chat_language", signals
    return None, signals


def prompt_text(messages: list[dict], which: str) -> str:
    """The text deduplicated as the prompt: the first user turn, or every user turn."""
    users = [m["content"] for m in messages if m["role"] == "user"]
    if which == "first_user":
        return users[0] if users else ""
    return "\n".join(users)
