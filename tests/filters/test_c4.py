"""C4 rules: the line transform and the page decision, one literal text per rule."""

from __future__ import annotations

import pytest

from webcurate.config import ConfigError, build
from webcurate.filters.c4 import (
    C4_PAPER,
    C4_TFDS,
    LINE_JAVASCRIPT,
    LINE_NO_TERMINAL_PUNCT,
    LINE_POLICY,
    LINE_TOO_FEW_WORDS,
    LINE_TOO_LONG_WORD,
    REASON_CURLY_BRACKET,
    REASON_LOREM_IPSUM,
    REASON_TOO_FEW_SENTENCES,
    C4QualityConfig,
    c4_clean_lines,
    c4_preset,
    c4_quality,
)
from webcurate.text.sentences import count_sentences

PROSE = "\n".join([
    "The first sentence is here. The second one follows it.",
    "A third sentence sits on its own line!",
    "Is this the fourth sentence? Yes, and this is the fifth.",
])


def test_keeps_five_sentences():
    verdict = c4_quality(PROSE)
    assert verdict.keep and verdict.reason is None
    assert verdict.signals["c4_sentences"] == 5
    assert verdict.signals["c4_kept_lines"] == 3
    assert c4_clean_lines(PROSE) == (PROSE, dict.fromkeys(
        [LINE_TOO_LONG_WORD, LINE_NO_TERMINAL_PUNCT, LINE_TOO_FEW_WORDS, LINE_JAVASCRIPT,
         LINE_POLICY], 0))


def test_too_few_sentences():
    verdict = c4_quality("Only one sentence here.\nAnd a second one there.")
    assert verdict.reason == REASON_TOO_FEW_SENTENCES
    assert verdict.signals["c4_sentences"] == 2
    assert c4_quality("").reason == REASON_TOO_FEW_SENTENCES


@pytest.mark.parametrize(("line", "rule"), [
    ("Menu Home About Contact", LINE_NO_TERMINAL_PUNCT),
    ("And then it trailed off...", LINE_NO_TERMINAL_PUNCT),
    ("Too short.", LINE_TOO_FEW_WORDS),
    ("Please enable JavaScript to view this page.", LINE_JAVASCRIPT),
    ("Read our Privacy Policy before you go.", LINE_POLICY),
    ("This site uses cookies to work well.", LINE_POLICY),
    (f"A word {'x' * 1001} too long.", LINE_TOO_LONG_WORD),
])
def test_line_rules_remove_lines(line, rule):
    cleaned, removed = c4_clean_lines(f"{PROSE}\n{line}")
    assert cleaned == PROSE
    assert removed[rule] == 1
    assert sum(removed.values()) == 1
    assert c4_quality(f"{PROSE}\n{line}").signals[rule] == 1


def test_terminal_marks_include_quotes():
    for line in ['He said "stop now."', "It ended with 'quote marks.'", 'Then she said "go"']:
        assert c4_clean_lines(line)[0] == line


def test_citations_are_removed_and_words_counted_before():
    text = "The value is known [1].\nThe edit marker [edit]\nSee this one.[2]\nSee this.[3]"
    cleaned, removed = c4_clean_lines(text)
    assert cleaned == "The value is known .\nSee this one."
    assert removed[LINE_NO_TERMINAL_PUNCT] == 1  # "[edit]" removed, then no final mark
    assert removed[LINE_TOO_FEW_WORDS] == 1  # "See this.[3]": two words
    assert c4_clean_lines("Fact here [citation needed].")[0] == "Fact here ."


def test_lines_are_stripped_and_joined():
    assert c4_clean_lines("  Kept line is here.  \n\n\tAnother kept line here.\n")[0] == (
        "Kept line is here.\nAnother kept line here.")


def test_lorem_ipsum_rejects_page():
    verdict = c4_quality(f"{PROSE}\nLorem ipsum dolor sit amet.")
    assert verdict.reason == REASON_LOREM_IPSUM


def test_curly_bracket_rejects_page():
    assert c4_quality(f"{PROSE}\nThe code is function() {{ return 1; }}.").reason == (
        REASON_CURLY_BRACKET)


def test_page_rules_only_on_lines_that_reach_them():
    # no terminal punctuation: removed before the page rules are checked
    assert c4_quality(f"{PROSE}\nvar x = {{a: 1}}").keep
    assert c4_quality(f"{PROSE}\nlorem ipsum dolor").keep
    # the javascript rule comes before the curly bracket rule
    assert c4_quality(f"{PROSE}\nIn javascript write {{}} here.").keep
    # the first page rule in text order wins
    text = f"{PROSE}\nCode {{ here }} now.\nLorem ipsum dolor sit."
    assert c4_quality(text).reason == REASON_CURLY_BRACKET


def test_page_rule_lines_stay_in_the_transform():
    cleaned, _ = c4_clean_lines("Lorem ipsum dolor sit.")
    assert cleaned == "Lorem ipsum dolor sit."


def test_none_and_false_disable_rules():
    config = C4QualityConfig(min_sentences=None, drop_lorem_ipsum=False, min_words_per_line=None,
                             require_terminal_punct=False)
    assert c4_quality("Lorem ipsum\nno", config).keep


def test_sentences_follow_spacy_sentencizer():
    assert count_sentences("Hi. Bye") == 2
    assert count_sentences("Mr. Smith went to e.g. Paris.") == 1
    assert count_sentences("Wait... what") == 1
    assert count_sentences('"Go." He went. Really?! Yes') == 4
    assert count_sentences("Hi.  .") == 2  # whitespace run is a token of its own


def test_tfds_preset():
    assert c4_preset("tfds") is C4_TFDS and c4_preset("paper") is C4_PAPER
    text = "\n".join([
        "Four words line here.",
        "This line has five words.",
        "This line ends in a quote mark.'",
        "One sentence here. Two sentences there.",
    ])
    cleaned, removed = c4_clean_lines(text, C4_TFDS)
    assert cleaned == "This line has five words.\nOne sentence here. Two sentences there."
    assert removed[LINE_TOO_FEW_WORDS] == 1 and removed[LINE_NO_TERMINAL_PUNCT] == 1
    assert c4_quality(text, C4_TFDS).keep
    assert c4_quality(text).signals["c4_kept_lines"] == 4  # the paper preset keeps every line
    # TFDS counts words after removing citation markers
    assert c4_clean_lines("Three words here [1] [2].", C4_TFDS)[1][LINE_TOO_FEW_WORDS] == 1
    with pytest.raises(ValueError, match="unknown C4 preset"):
        c4_preset("mc4")


def test_config_is_validated():
    assert build(C4QualityConfig, {"terminal_marks": [".", "!"]}).terminal_marks == (".", "!")
    with pytest.raises(ConfigError, match="min_sentences"):
        build(C4QualityConfig, {"min_sentences": -1})
