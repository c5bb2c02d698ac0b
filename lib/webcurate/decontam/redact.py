"""GPT-3's redaction (Brown et al. 2020, Appendix C): "we removed the colliding 13-gram as well
as a 200 character window around it, splitting the original document into pieces ... Pieces
less than 200 characters long were discarded. Documents split into more than 10 pieces were
considered contaminated and removed entirely."

Here a document's matched n-grams are character spans; each is widened by ``window_chars`` on
both sides, overlapping windows merge, and what lies between them are the pieces. The pieces
are counted before the short ones are dropped (the paper's "split into more than 10 pieces");
the kept pieces are joined by ``separator`` into the document's new text.
"""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.decontam.settings import RedactSettings

TOO_DIRTY = "too_many_pieces"
NOTHING_LEFT = "nothing_left"


@dataclass(frozen=True)
class Redaction:
    text: str | None  # None: the document is removed
    reason: str | None  # why it is removed (TOO_DIRTY, NOTHING_LEFT), else None
    pieces: int  # pieces the cuts left, short ones included
    removed_chars: int  # characters of the original not in the new text (separators aside)


def cut_windows(spans: list[tuple[int, int]], length: int, window: int) -> list[tuple[int, int]]:
    """The matched spans widened by ``window`` and merged, sorted: what is cut out."""
    merged: list[list[int]] = []
    for match_start, match_end in sorted(spans):
        start, end = max(0, match_start - window), min(length, match_end + window)
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def redact(text: str, spans: list[tuple[int, int]], settings: RedactSettings) -> Redaction:
    """``text`` without the windows around ``spans`` (character offsets of matched n-grams)."""
    if not spans:
        return Redaction(text, None, 1, 0)
    cuts = cut_windows(spans, len(text), settings.window_chars)
    pieces, previous = [], 0
    for start, end in cuts:
        if start > previous:
            pieces.append(text[previous:start])
        previous = end
    if previous < len(text):
        pieces.append(text[previous:])
    if len(pieces) > settings.max_pieces:
        return Redaction(None, TOO_DIRTY, len(pieces), len(text))
    kept = [p for p in pieces if len(p) >= settings.min_piece_chars]
    if not kept:
        return Redaction(None, NOTHING_LEFT, len(pieces), len(text))
    return Redaction(settings.separator.join(kept), None, len(pieces),
                     len(text) - sum(len(p) for p in kept))
