"""Reference documents for ``language-stats`` from the texts at hand: the UDHR translations.

The shipped settings (``webcurate/assets/languages``) were derived from the Universal
Declaration of Human Rights in every translation lid.176 recognises (udhr2: 388 versions), each
cut into pseudo-documents of ``lines_per_document`` non-blank lines, labelled by lid.176 as the
extract job labels pages. It is a small, formal reference (FineWeb-2 used far larger ones):
re-derive from your own data with ``webcurate language-stats``. Reproduce the shipped folder::

    python -m webcurate.languages.reference udhr ../shared/data/text/langid/udhr2.zip ref.jsonl
    webcurate language-stats --set input=ref.jsonl --set output=OUT --set min_documents=5
"""

from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Iterator


def udhr_documents(zip_path: str, lines_per_document: int = 6, min_score: float = 0.5
                   ) -> Iterator[dict]:
    """``{id, text, language, language_score}`` pseudo-documents of every UDHR translation whose
    whole text lid.176 labels with a score of at least ``min_score``."""
    from webcurate.extract.language import get_language_identifier

    identify = get_language_identifier()
    with zipfile.ZipFile(zip_path) as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith(".txt"):
                continue
            text = archive.read(name).decode("utf-8", "replace")
            language, score = identify.predict(text)
            if language is None or score < min_score:
                continue
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            stem = name.rsplit("/", 1)[-1][:-4]
            for start in range(0, len(lines), lines_per_document):
                chunk = "\n".join(lines[start:start + lines_per_document])
                chunk_language, chunk_score = identify.predict(chunk)
                yield {"id": f"udhr-{stem}-{start}", "text": chunk, "language": language,
                       "language_score": chunk_score if chunk_language == language else 0.0,
                       "url": f"udhr:{stem}"}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "udhr":
        print("usage: python -m webcurate.languages.reference udhr UDHR_ZIP OUT.jsonl",
              file=sys.stderr)
        return 2
    with open(argv[2], "w", encoding="utf-8") as out:
        for doc in udhr_documents(argv[1]):
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
