"""Per-page limits: deterministic caps first (bytes, elements, depth), the clock only as a guard;
every page a limit cut is listed in errors/ with its reason and offset."""

from __future__ import annotations

from collections import Counter

import pytest
from extract.test_records import page, read_rows, record, warc

from webcurate.extract import html as html_mod
from webcurate.extract.settings import ExtractSettings
from webcurate.extract.tally import MAX_COUNTER_KEYS, OTHER_KEY, bounded


@pytest.mark.parametrize("extractor", ["resiliparse", "trafilatura"])
def test_a_page_over_the_element_cap_is_skipped_and_recorded_whatever_the_clock(extractor):
    """The cap is on the DOM, not on time: the same page is skipped with a generous time limit
    and kept below the cap, so a page's fate does not depend on the node's load."""
    many = ("<html><body><article>" + "<p>a short paragraph of words</p>" * 3_000
            + "</article></body></html>").encode()
    first = warc(record("http://ok.example/", page("fine")))
    data = first + warc(record("http://many.example/", many))
    capped = ExtractSettings(extractor=extractor, max_html_nodes=2_000, max_seconds_per_doc=60)
    docs, errors, summary = read_rows(data, capped)
    assert [d["url"] for d in docs] == ["http://ok.example/"]
    assert [(e["level"], e["error_type"], e["source_offset"]) for e in errors] == [
        ("warning", "extract_html_too_large", len(first))]
    assert "3004 elements, over max_html_nodes (2000)" in errors[0]["error"]
    assert "http://many.example/" in errors[0]["error"]
    assert summary["skipped_by_reason"] == {"extract_html_too_large": 1}
    docs, errors, _ = read_rows(data, ExtractSettings(extractor=extractor, max_html_nodes=4_000))
    assert [d["url"] for d in docs] == ["http://ok.example/", "http://many.example/"]
    assert errors == []


def test_a_page_cut_by_the_real_wall_clock_guard_is_recorded_with_its_offset():
    """No stand-in extractor: the real one on a big page under a 1 ms limit (SIGALRM is
    handled as soon as the C call returns)."""
    big = page("<b>word</b> and more words " * 30_000)  # ~800 KB, 30,000 elements
    first = warc(record("http://ok.example/", page("fine")))
    data = first + warc(record("http://slow.example/", big))
    docs, errors, summary = read_rows(data, ExtractSettings(max_seconds_per_doc=0.001))
    assert "http://slow.example/" not in [d["url"] for d in docs]
    timeouts = {e["source_offset"]: e for e in errors if e["error_type"] == "extract_timeout"}
    assert timeouts[len(first)]["level"] == "warning"
    assert "http://slow.example/" in timeouts[len(first)]["error"]
    assert summary["skipped_by_reason"]["extract_timeout"] == len(timeouts)  # each one listed


def test_the_element_cap_defaults_per_extractor_and_can_be_set():
    assert html_mod.max_html_nodes(ExtractSettings()) == 100_000
    assert html_mod.max_html_nodes(ExtractSettings(extractor="trafilatura")) == 20_000
    assert html_mod.max_html_nodes(ExtractSettings(max_html_nodes=500)) == 500
    with pytest.raises(html_mod.HtmlTooLarge):
        html_mod.extract_text("<p>x</p>" * 600, ExtractSettings(max_html_nodes=500))


def test_summary_counters_stay_small_whatever_the_input_holds():
    """A file full of invented WARC types cannot blow up its summary (and so the marker)."""
    counts = Counter({f"type-{i}": i + 1 for i in range(1_000)})
    counts["x" * 10_000] = 1
    kept = bounded(counts)
    assert len(kept) == MAX_COUNTER_KEYS and sum(kept.values()) == sum(counts.values())
    assert kept["type-999"] == 1_000 and OTHER_KEY in kept
    assert max(len(key) for key in bounded(Counter({"x" * 10_000: 1}))) == 100
