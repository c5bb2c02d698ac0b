"""The decontamination settings executors receive: plain frozen values with help and ranges.

Defaults are GPT-3's (Brown et al. 2020, Appendix C): 13-gram overlap; in redact mode the
colliding 13-gram and 200 characters either side are cut out, pieces under 200 characters are
dropped and a document split into more than 10 pieces is removed whole; 13-grams that match
more than 10 training documents are ignored ("common cultural phrases, legal boilerplate").
"""

from __future__ import annotations

from dataclasses import dataclass

from webcurate.config import option

ACTIONS = ("remove", "redact")
INDEXES = ("auto", "broadcast", "bloom", "join")


@dataclass(frozen=True)
class RedactSettings:
    """``action: redact``: what is cut around a match and what is left (GPT-3's rules)."""

    window_chars: int = option(200, min=0, help="characters cut on each side of a matched "
                                                "n-gram (GPT-3: 200)")
    min_piece_chars: int = option(200, min=0, help="pieces left shorter than this are dropped "
                                                   "(GPT-3: 200)")
    max_pieces: int = option(10, min=1, help="a document split into more pieces is removed "
                                             "whole (GPT-3: 10)")
    separator: str = option("\n\n", help="what joins the pieces kept of a redacted document")
