"""An independent statement of TFDS's C4 cleaning, for the fidelity tests (TFDS itself is not
installed: it needs TensorFlow and Beam, and its sentence tokenizer is an NLTK download).

Written from TFDS ``tensorflow_datasets/text/c4_utils.py`` as documented there, rule by rule, with
no webcurate code but the sentence counter, which is passed in (TFDS uses NLTK punkt; the
recipe uses ``webcurate.text.sentences``, a named deviation):

- ``clean_page``: every line of ``str.splitlines`` stripped; a line with a whitespace word over
  1000 characters goes; ``[digits]``, ``[edit]``, ``[citation needed]`` are deleted; a line must
  end in ``. ? ! "`` and not in ``...``; it needs 5 whitespace words (after the deletion);
  "lorem ipsum" (any case) drops the page; a line mentioning "javascript" goes; a ``{`` drops the
  page; a policy phrase drops the line; fewer than 3 sentences (summed per kept line) drops the
  page; the kept lines are joined by ``\\n`` and stripped.
- ``remove_duplicate_text``: each line of each page keyed ``md5(line.strip().lower())``; a key
  belongs to the page whose url has the smallest ``md5`` hex digest; a page keeps a line when it
  owns the key and has not kept that key already; kept lines joined by ``\\n``; an empty page or
  one with fewer than 3 sentences is dropped.
"""

from __future__ import annotations

import hashlib
import re

CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
END_MARKS = (".", "?", "!", '"')
POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies",
          "use cookies")


def clean_page(text: str, sentences) -> str | None:
    """The cleaned text, or None when TFDS drops the page."""
    kept, count = [], 0
    for raw in text.splitlines():
        if any(len(word) > 1000 for word in raw.strip().split()):
            continue
        line = CITATION.sub("", raw.strip())
        if not line.endswith(END_MARKS) or line.endswith("..."):
            continue
        if len(line.split()) < 5:
            continue
        lower = line.lower()
        if "lorem ipsum" in lower:
            return None
        if "javascript" in lower:
            continue
        if "{" in line:
            return None
        if any(phrase in lower for phrase in POLICY):
            continue
        count += sentences(line)
        kept.append(line)
    if count < 3:
        return None
    return "\n".join(kept).strip()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def remove_duplicate_text(pages: dict[str, str], sentences) -> dict[str, str]:
    """``{url: text}`` -> the pages TFDS keeps, with their lines deduplicated."""
    owner: dict[str, str] = {}
    for url, text in pages.items():
        for line in text.split("\n"):
            key = _md5(line.strip().lower())
            if key not in owner or _md5(url) < _md5(owner[key]):
                owner[key] = url
    result = {}
    for url, text in pages.items():
        new_lines, seen = [], set()
        for line in text.split("\n"):
            key = _md5(line.strip().lower())
            if owner[key] == url and key not in seen:
                new_lines.append(line)
                seen.add(key)
        new_text = "\n".join(new_lines)
        if new_text and sentences(new_text) >= 3:
            result[url] = new_text
    return result


def normalize_url(url: str) -> str:
    """TFDS ``normalize_url``."""
    url = re.sub(r"https?://(www\.)?", "", url)
    url = re.sub(r"\?(utm_|ref|feed).*", "", url)
    return url.rstrip("/")
