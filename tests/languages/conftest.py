"""Real multilingual documents for the language tests: the 697 CC-MAIN-2019-30 documents and the
UDHR translations, labelled by lid.176 as the extract job labels pages."""

from __future__ import annotations

import gzip
import json
import zipfile

import pytest

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
UDHR = "text/langid/udhr2.zip"


@pytest.fixture(scope="session")
def cc_docs(shared_data) -> list[dict]:
    """``{text, url, language, language_score}`` for each of the 697 documents."""
    from webcurate.extract.language import get_language_identifier

    identify = get_language_identifier()
    docs = []
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            language, score = identify.predict(record["text"])
            docs.append({"text": record["text"], "url": record["metadata"]["url"],
                         "language": language, "language_score": score})
    return docs


@pytest.fixture(scope="session")
def udhr(shared_data) -> dict[str, str]:
    """UDHR text by file stem (``cmn_hans``, ``tha``, ``jpn``, ``kor``, ``eng``, ...)."""
    with zipfile.ZipFile(shared_data / UDHR) as archive:
        return {name.rsplit("/", 1)[-1][:-4]: archive.read(name).decode("utf-8")
                for name in archive.namelist() if name.endswith(".txt")}
