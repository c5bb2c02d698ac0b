"""Line / paragraph units: splitting, keys, rebuilding, and the rule on the shared fixtures."""

from __future__ import annotations

import pytest
from oracles import reference_unit_dedup

from webcurate.dedup.settings import NormalizeSettings
from webcurate.dedup.text_units import (
    batch_unit_keys,
    remove_units,
    split_units,
    unit_keys,
)

DEFAULT = NormalizeSettings()
WITH_DUPLICATES = "text/dedup/documents_with_line_duplicates"
DEDUPLICATED = "text/dedup/documents_line_deduplicated"


@pytest.mark.parametrize("text", ["a\nb\n", "a\nb", "\n\na\n\n\nb\n \nc", "", "single"])
@pytest.mark.parametrize("unit", ["line", "paragraph"])
def test_units_keep_every_byte(text, unit):
    assert "".join(split_units(text, unit)) == text


def test_line_and_paragraph_boundaries():
    text = "Title\n\nFirst para\nstill first\n \n\nSecond\n"
    assert split_units(text, "line") == ["Title\n", "\n", "First para\n", "still first\n",
                                         " \n", "\n", "Second\n"]
    assert split_units(text, "paragraph") == ["Title\n\n", "First para\nstill first\n \n\n",
                                              "Second\n"]
    assert remove_units(text, "paragraph", {1}) == "Title\n\nSecond\n"


def test_keys_are_normalised_and_blank_units_have_none():
    keys = unit_keys(["- Home\n", "home", "  HOME!!\n", "\n", "---\n", "Away\n"], DEFAULT)
    assert keys[0] == keys[1] == keys[2] and len(keys[0]) == 16
    assert keys[3] is None and keys[4] is None
    assert keys[5] not in (None, keys[0])


def test_batch_keys_index_documents_and_units():
    doc_index, unit_index, keys = batch_unit_keys(["a\n\nb\n", None, "b\n"], "line", DEFAULT)
    assert doc_index.tolist() == [0, 0, 2] and unit_index.tolist() == [0, 2, 0]
    assert keys[1] == keys[2]


def read_fixture(directory):
    return {path.name: path.read_text() for path in sorted(directory.glob("doc*.txt"))}


def test_drop_all_reproduces_the_shared_line_dedup_fixture(shared_data):
    """Stanford CS336's exact line dedup fixture: every copy of a repeated line goes."""
    docs = read_fixture(shared_data / WITH_DUPLICATES)
    expected = read_fixture(shared_data / DEDUPLICATED)
    assert reference_unit_dedup(docs, "line", "drop_all", DEFAULT) == expected


def test_keep_first_keeps_one_copy_in_the_first_document(shared_data):
    docs = read_fixture(shared_data / WITH_DUPLICATES)
    result = reference_unit_dedup(docs, "line", "keep_first", DEFAULT)
    assert result["doc1.txt"] == docs["doc1.txt"] and result["doc2.txt"] == ""
    assert result["doc3.txt"] == docs["doc3.txt"]
    assert result["doc4.txt"] == "<Insert generic page content here for doc4.txt>\n"
