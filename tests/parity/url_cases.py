"""Urls for the url-filter parity check, beyond the documents' own urls.

- every WARC-Target-URI of the real WARC / WET / ARC samples in ``shared/data/warc/``;
- the 697 CC documents' urls as their metadata also stores them, without the scheme (the form
  UT1 writes its url list in, so these reach datatrove's exact-url rule);
- hand-made cases for the corners of the rules: case in hosts and words, ports, user info,
  trailing dots, IP hosts, private suffixes, nested subdomains, soft-word counts, subwords split
  by punctuation, non-ASCII hosts, non-http schemes.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

HAND_CASES = (
    "http://0-1sex.com/", "http://0-1SEX.com/", "http://www.0-1sex.com/page",
    "http://user:pw@0-1sex.com:8080/x", "http://0-1sex.com./", "https://a.b.0-1sex.com/",
    "http://10000_gratis_sexfoto.jouwpagina.nl/", "http://x.10000_gratis_sexfoto.jouwpagina.nl/",
    "http://jouwpagina.nl/", "https://spy-cam-masturbation.blogspot.pt/2019/",
    "https://other.blogspot.pt/", "http://1.168.20.184/.i", "1.168.20.184/.i",
    "http://1.168.20.184/", "http://[::1]/porn", "http://localhost/porn",
    "0149614511.strimbat.fr/porno-anal-escort-granville-faire-sa-salope-baise-une-vache-video-"
    "gratuite-x-escort-girl-auxerre",
    "http://example.com/porn-videos", "http://example.com/PORN-videos", "http://example.com/pornography",
    "http://example.com/free-sex-webcam", "http://example.com/sex/sexy", "http://example.com/sexy",
    "http://example.com/Sex/Webcam", "http://example.com/nude?sex=1", "http://example.com/xxx",
    "http://example.com/xvideos123", "http://example.com/x-videos", "http://example.com/blow-job",
    "https://example.com/a/b?q=blow%20job", "http://example.com/XVIDEOS", "http://exam.ple/tits",
    "http://bücher.example/sex/webcam", "http://xn--bcher-kva.example/", "http://пример.рф/порно",
    "mailto:someone@example.com", "ftp://files.example.com/sex/nude/", "http://example.com",
    "http://example", "example.com", "https://en.wikipedia.org/wiki/Pornography",
    "https://www.essex.ac.uk/", "https://middlesex.gov/", "http://analytics.example.com/",
    "https://example.com/%70orn", "http://example.com/p.o.r.n", "http://example.com/_porn_",
    "http://example.com/porn_", "http://example.com/teen-sex-cam-live",
)


def warc_urls(warc_dir: Path) -> list[str]:
    """Every distinct WARC-Target-URI (or ARC url) in the sample files, in file order."""
    from warcio.archiveiterator import ArchiveIterator

    seen: dict[str, None] = {}
    for path in sorted(p for p in warc_dir.rglob("*") if p.is_file() and "bad" not in p.parts):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream, arc2warc=True):
                url = record.rec_headers.get_header("WARC-Target-URI")
                if url:
                    seen.setdefault(url.strip("<>"), None)
    return list(seen)


def url_cases(cc_docs: Path, warc_dir: Path) -> list[dict]:
    """Url-only cases ``{"id", "url"}`` (ids ``url-<n>``), without duplicates."""
    with gzip.open(cc_docs, "rt", encoding="utf-8") as f:
        bare = [json.loads(line)["metadata"]["url"] for line in f]
    urls = dict.fromkeys([*warc_urls(warc_dir), *bare, *HAND_CASES])
    return [{"id": f"url-{i}", "url": url} for i, url in enumerate(urls)]
