"""The report's funnel shows tokens next to documents for the stages that counted them."""

from __future__ import annotations

from webcurate.report.sections import funnel_section
from webcurate.report.stages import StageOutput, funnel_rows


def test_funnel_rows_carry_tokens_of_the_tokenize_stage():
    stages = [StageOutput("dedup", "/x/dedup", {"documents_in": 10, "documents_kept": 8}),
              StageOutput("tokenize", "/x/tokenize",
                          {"documents_in": 8, "documents_kept": 7, "tokens": 123_456})]
    rows = funnel_rows(stages, {})
    assert [r["tokens"] for r in rows] == [None, None, 123_456]
    assert rows[-1]["documents"] == 7
    _, _, html = funnel_section(stages, {}, None)
    assert "<th>tokens</th>" in html.replace(' class="num"', "") and "123,456" in html


def test_no_tokens_column_without_a_counting_stage():
    stages = [StageOutput("dedup", "/x/dedup", {"documents_in": 10, "documents_kept": 8})]
    _, _, html = funnel_section(stages, {}, None)
    assert "tokens" not in html
