"""The report's sections for the decontaminate and pii stages (their ``report_section`` hooks):
numbers and example matches from ``stats.json``, escaped HTML out. Pure: no Spark here."""

from __future__ import annotations

from webcurate.report import page
from webcurate.report.stages import StageOutput, documents_in, documents_out

NOT_RUN = "not run: no stats.json under this prefix"


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def decontaminate_section(stage: StageOutput) -> tuple[str, str, str]:
    if not stage.ran:
        return "decontaminate", "Decontaminate", page.paragraph(NOT_RUN, "muted")
    stats = stage.stats
    index = stats.get("index") if isinstance(stats.get("index"), dict) else {}
    facts = [["documents in", documents_in(stage)], ["documents kept", documents_out(stage)],
             ["documents removed", _int(stats.get("documents_removed"))]]
    if stats.get("action") == "redact":
        facts.append(["documents redacted (kept, matches cut out)",
                      _int(stats.get("documents_redacted"))])
    reasons = stats.get("removed_by_reason") if isinstance(stats.get("removed_by_reason"),
                                                           dict) else {}
    facts += [[f"removed: {reason}", _int(n)] for reason, n in reasons.items()]
    facts += [["n-gram (words)", _int(stats.get("ngram"))],
              ["benchmark n-grams", _int(stats.get("benchmark_ngrams"))],
              ["too-common n-grams ignored (matched in more than "
               f"{stats.get('max_documents_per_ngram')} documents)",
               _int(stats.get("too_common_ngrams"))]]
    inner = page.table(["", "value"], facts, numeric={1})
    if index:
        inner += page.paragraph(f"index: {index.get('kind')} \u2014 {index.get('why', '')}",
                                "muted")
    benchmarks = stats.get("benchmarks") if isinstance(stats.get("benchmarks"), dict) else {}
    rows = [[name, _int(b.get("items")), _int(b.get("ngrams")),
             _int(b.get("contaminated_documents")), _int(b.get("items_matched")),
             _int(b.get("items_shorter_than_n")),
             (_int(b.get("malformed_rows")) or 0) + (_int(b.get("rows_missing_fields")) or 0)]
            for name, b in benchmarks.items() if isinstance(b, dict)]
    inner += "<h3>per benchmark</h3>" + page.table(
        ["benchmark", "items", "n-grams", "contaminated documents", "items matched",
         "items shorter than n", "bad rows"], rows, numeric={1, 2, 3, 4, 5, 6})
    examples = [[name, e.get("item"), page_link(e), e.get("matched_ngrams"), e.get("ngram"),
                 e.get("excerpt")]
                for name, b in benchmarks.items() if isinstance(b, dict)
                for e in (b.get("examples") or []) if isinstance(e, dict)]
    if examples:
        inner += ("<h3>example matches</h3>" + page.paragraph(
            "a few contaminated documents per benchmark (deterministic); the matched n-gram "
            "is in [[...]] in the excerpt", "muted") + _examples_table(examples))
    return "decontaminate", "Decontaminate", inner


def page_link(example: dict) -> str:
    return example.get("url") or example.get("doc_id") or ""


def _examples_table(rows: list[list]) -> str:
    head = "".join(f"<th>{page.esc(h)}</th>" for h in
                   ("benchmark", "item", "document", "n-grams", "n-gram", "excerpt"))
    body = ""
    for name, item, where, ngrams, ngram, excerpt in rows:
        body += (f"<tr><td>{page.esc(name)}</td><td>{page.esc(item)}</td>"
                 f"<td>{page.link_or_text(where)}</td><td class=\"n\">{page.esc(ngrams)}</td>"
                 f"<td>{page.esc(ngram)}</td>"
                 f"<td><pre class=\"excerpt\">{page.esc(excerpt or '')}</pre></td></tr>")
    return f"<table><tr>{head}</tr>{body}</table>"


def pii_section(stage: StageOutput) -> tuple[str, str, str]:
    if not stage.ran:
        return "pii", "PII", page.paragraph(NOT_RUN, "muted")
    stats = stage.stats
    facts = [["documents (all kept)", documents_in(stage)],
             ["documents changed", _int(stats.get("documents_changed"))]]
    inner = page.table(["", "value"], facts, numeric={1})
    replacements = stats.get("replacements") if isinstance(stats.get("replacements"),
                                                           dict) else {}
    documents = stats.get("documents_by_kind") if isinstance(stats.get("documents_by_kind"),
                                                             dict) else {}
    kinds = stats.get("kinds") if isinstance(stats.get("kinds"), list) else list(replacements)
    rows = [[kind, _int(replacements.get(kind)), _int(documents.get(kind)),
             "yes" if kind in kinds else "no"] for kind in replacements]
    inner += page.table(["kind", "replacements", "documents", "replaced"], rows,
                        numeric={1, 2})
    return "pii", "PII", inner
