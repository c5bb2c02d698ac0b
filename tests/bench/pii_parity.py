"""PII parity: ``webcurate.pii.scrub`` with FineWeb's settings vs datatrove 0.10.1's own
``PIIFormatter`` on the same real texts (datatrove runs in ``.venv-datatrove``, made by
``run_bench.sh``; it is not a dependency of the project).

Texts: the 697 CC-MAIN-2019-30 documents, the pages of the shared Wikipedia dump excerpt
(anonymous editors' IPs), the four Project Gutenberg books (PGLAF's contact e-mails), and 300
Lee news articles with e-mail addresses and IPs planted (upper- and lower-case addresses,
public, private and reserved IPs, version strings). Both sides replace with one string per
kind (datatrove's cycling over its list depends on document order, ours restarts per
document), so the outputs must be equal text for text; each difference is printed with its
context. Expected differences, by design (webcurate.pii.rules): none for e-mails; IPv4
quads inside longer dotted numbers (``1.2.3.4.5``, version ``8.0.1.27165``, DOI
``10.1037/0012-1649.13.5.541``), which datatrove replaces and webcurate leaves.

Usage: ``bash tests/bench/run_bench.sh pii-parity`` (``python -m tests.bench.pii_parity
--datatrove-python .venv-datatrove/bin/python``).
"""

from __future__ import annotations

import argparse
import bz2
import json
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
EMAIL, IPV4 = "email@example.com", "22.214.171.124"
PLANTS = ["Write to Jane.Doe@Gmail.com or jane.doe@gmail.com today.",
          "Logs show 203.94.12.7, 8.8.8.8, 10.0.0.1 and 127.0.0.1 on the same day.",
          "Version 1.2.3.4.5 shipped; the old box was 1234.5.6.7 in the inventory.",
          "Contact: ops+alerts@news-desk.example.net.au (or [8.8.4.4] for the mirror)."]
DATATROVE_SIDE = f"""
import json, sys
from datatrove.pipeline.formatters.pii import PIIFormatter
formatter = PIIFormatter(email_replacement={EMAIL!r}, ip_replacement={IPV4!r})
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as out:
    for line in src:
        out.write(json.dumps(formatter.format(json.loads(line))) + "\\n")
"""


def texts() -> list[str]:
    from tests.decontam.planting import cc_documents

    found = [d["text"] for d in cc_documents(SHARED)]
    wiki = bz2.decompress((SHARED / "text/reference" / (
        "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")).read_bytes()
    ).decode("utf-8")
    found += [page for page in wiki.split("<page>") if page.strip()]
    for name in ("pg16215-jack-sheppard.txt", "pg3261-news-from-nowhere.txt",
                 "pg9198-complete-angler.txt", "pg972-devils-dictionary.txt"):
        found.append((SHARED / "text/reference" / name).read_text(encoding="utf-8",
                                                                  errors="replace"))
    lee = (SHARED / "text/reference/lee_background.cor").read_text(encoding="utf-8")
    for i, article in enumerate(line for line in lee.splitlines() if line.strip()):
        sentences = article.split(". ")
        sentences.insert(len(sentences) // 2, PLANTS[i % len(PLANTS)])
        found.append(". ".join(sentences))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datatrove-python", required=True)
    args = parser.parse_args()
    from webcurate.pii import scrub

    corpus = texts()
    settings = {"kinds": ["email", "ipv4"], "email_replacements": [EMAIL],
                "ipv4_replacements": [IPV4]}
    ours = [scrub(text, settings)[0] for text in corpus]
    with tempfile.TemporaryDirectory() as tmp:
        source, result = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        source.write_text("".join(json.dumps(t) + "\n" for t in corpus))
        subprocess.run([args.datatrove_python, "-c", DATATROVE_SIDE, str(source), str(result)],
                       check=True)
        theirs = [json.loads(line) for line in result.read_text().splitlines()]
    changed = sum(o != t for o, t in zip(ours, corpus, strict=True))
    differing = [i for i, (o, t) in enumerate(zip(ours, theirs, strict=True)) if o != t]
    print(f"{len(corpus)} texts, {changed} changed by webcurate; "
          f"{len(corpus) - len(differing)} identical to datatrove's output, "
          f"{len(differing)} differ")
    for i in differing[:20]:
        mine, other = ours[i], theirs[i]
        at = next(k for k in range(min(len(mine), len(other))) if mine[k] != other[k])
        print(f"  text {i}: webcurate {mine[max(0, at - 30):at + 30]!r}\n"
              f"  {'':>{len(str(i)) + 6}} datatrove {other[max(0, at - 30):at + 30]!r}")
    out = ROOT / ".bench" / "pii-parity.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"texts": len(corpus), "changed": changed,
                               "differ_from_datatrove": len(differing)}, indent=2))


if __name__ == "__main__":
    main()
