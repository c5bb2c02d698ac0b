"""datatrove's own decisions on a set of documents: the reference side of the filter parity check.

Runs INSIDE ``.venv-datatrove`` (datatrove 0.10.1 + spaCy, which its English word tokenizer needs);
never imported by webcurate. Reads JSONL ``{"id", "text", "url"?, "language"?, "only"?}`` (``url``
and ``language`` become the document's metadata; ``only`` lists the filters that apply to it) and
writes one JSONL line per document and filter: ``{"id", "filter", "keep", "reason"}``, each filter
built with its default settings. Add a filter by adding a line to ``REFERENCE_FILTERS`` (name ->
constructor taking the lists folder).

Nothing is downloaded: ``C4BadWordsFilter`` fetches LDNOOBW lists at run time, so its download
function is pointed at ``--lists``/ldnoobw; ``URLFilter`` gets FineWeb's lists from
``--lists``/fineweb (the same files as datatrove's packaged assets, sha256-identical) instead of
extracting its tarball into the Hugging Face cache, and a ``TLDExtract`` on the suffix-list
snapshot that tldextract ships instead of one that downloads the live list.

    .venv-datatrove/bin/python tests/parity/reference_filters.py docs.jsonl out.jsonl \
        [--filters gopher_quality,url_blocklist] [--timings timings.json] \
        [--words words.jsonl] [--lists ../shared/data/lists]
"""

from __future__ import annotations

import argparse
import json
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)

C4_ENGLISH_LIST = "en.c4-commit-25e679f.txt"
# The chain whose speed the harness compares (the Gopher chain, as FineWeb runs it).
TEXT_CHAIN = ("gopher_quality", "gopher_repetition", "c4", "fineweb")


def _lines(path: Path, member: str | None = None) -> list[str]:
    """The lines of a list file (or tar member) as a file iteration gives them, ``\\n`` kept."""
    if member is None:
        with open(path, encoding="utf-8") as f:
            return list(f)
    with tarfile.open(path, "r:gz") as tar:
        return tar.extractfile(member).read().decode("utf-8").splitlines(keepends=True)


def url_filter(lists: Path) -> object:
    """datatrove's URLFilter with FineWeb's lists, read from ``lists/fineweb``."""
    from datatrove.pipeline.filters import URLFilter
    from tldextract import TLDExtract

    fineweb = lists / "fineweb"
    archive = fineweb / "url_filterblacklistsv0_3_0.tar.gz"
    flt = URLFilter(
        extra_domains=_lines(archive, "domains"), extra_urls=_lines(archive, "urls"),
        banned_words=_lines(fineweb / "banned_words.txt"),
        banned_subwords=_lines(fineweb / "banned_subwords.txt"),
        soft_banned_words=_lines(fineweb / "soft_banned_words.txt"),
        use_integrated_lists=False)
    flt.tldextractor = TLDExtract(suffix_list_urls=(), cache_dir=None)
    return flt


def badwords_filter(lists: Path) -> object:
    """datatrove's C4BadWordsFilter, its list download served from ``lists/ldnoobw``; languages
    without a list are kept (``fail_on_missing_language=False``), as in the parity config."""
    from datatrove.pipeline.filters import c4_filters

    def local_list(url: str, **_kwargs) -> str:
        name = C4_ENGLISH_LIST if url == c4_filters._EN_BADWORDS_URL else url.rsplit("/", 1)[1]
        return str(lists / "ldnoobw" / name)

    c4_filters.cached_asset_path_or_download = local_list
    return c4_filters.C4BadWordsFilter(fail_on_missing_language=False)


REFERENCE_FILTERS: dict[str, Callable[[Path], object]] = {
    "gopher_quality": lambda _lists: GopherQualityFilter(),
    "gopher_repetition": lambda _lists: GopherRepetitionFilter(),
    "c4": lambda _lists: C4QualityFilter(),
    "fineweb": lambda _lists: FineWebQualityFilter(),
    "url_blocklist": url_filter,
    "c4_badwords": badwords_filter,
}


def decide(flt: object, doc: dict) -> tuple[bool, str | None]:
    """(keep, reason) from a datatrove filter, whose ``filter`` returns a bool or (bool, str)."""
    metadata = {key: doc[key] for key in ("url", "language") if doc.get(key)}
    result = flt.filter(Document(text=doc["text"], id=doc["id"], metadata=metadata))
    if isinstance(result, tuple):
        return bool(result[0]), result[1]
    return bool(result), None


def applies(doc: dict, name: str) -> bool:
    return name in doc.get("only", (name,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs")
    parser.add_argument("out")
    parser.add_argument("--filters", default=",".join(REFERENCE_FILTERS))
    parser.add_argument("--timings", help="write {filter: cpu seconds} here")
    parser.add_argument("--words", help="write datatrove's English words per document here")
    parser.add_argument("--lists", type=Path, default=Path("../shared/data/lists"),
                        help="folder with ldnoobw/ and fineweb/ (the shared test lists)")
    args = parser.parse_args()
    with open(args.docs, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    names = args.filters.split(",")
    filters = {name: REFERENCE_FILTERS[name](args.lists) for name in names}
    timings = {}
    with open(args.out, "w", encoding="utf-8") as out:
        for name, flt in filters.items():
            decide(flt, {"id": "warmup", "text": "warm up the tokenizer " * 60,
                         "url": "http://example.com/", "language": "en"})  # lazy loads
            started = time.process_time()
            rows = [(d["id"], *decide(flt, d)) for d in docs if applies(d, name)]
            timings[name] = time.process_time() - started
            for doc_id, keep, reason in rows:
                row = {"id": doc_id, "filter": name, "keep": keep, "reason": reason}
                out.write(json.dumps(row) + "\n")
    started = time.process_time()
    text_filters = [filters[name] for name in names if name in TEXT_CHAIN]
    for d in docs:  # one document through every filter: datatrove caches its words per text
        if "only" not in d:
            for flt in text_filters:
                decide(flt, d)
    timings["chain"] = time.process_time() - started
    if args.timings:
        with open(args.timings, "w") as f:
            json.dump({"docs": len(docs), "cpu_seconds": timings}, f)
    if args.words:
        from datatrove.utils.word_tokenizers import load_word_tokenizer

        tokenizer = load_word_tokenizer("en")
        with open(args.words, "w", encoding="utf-8") as f:
            for d in docs:
                if "only" not in d:
                    words = tokenizer.word_tokenize(d["text"])
                    f.write(json.dumps({"id": d["id"], "words": words}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
