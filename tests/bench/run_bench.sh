#!/usr/bin/env bash
# Benchmarks, one stage at a time: `bash tests/bench/run_bench.sh STAGE [ARGS...]`.
#   extract   build a WARC from ../shared/data/pages (if missing), make .venv-datatrove (if missing
#             or its requirements changed), run datatrove and webcurate on it, print the table.
#             ARGS go to `python -m tests.bench.bench_extract run`, e.g.
#             --sides records,spark   or   --set extract.extractor=trafilatura
# Settings (environment): BENCH_RECORDS (5000), BENCH_SEED (0), PYTHON (python3, for new venvs),
# VENV (.venv), DATATROVE_VENV (.venv-datatrove). Everything is written under .bench/ (git-ignored).
# Only PyPI (and, if libmagic is missing, Debian's libmagic1) is used; nothing else is downloaded.
# Results: every stage writes .bench/**/*results*.json; `summary` (and the end of `make bench`)
# prints them as one table. A stage's JSON joins it by holding a top-level "summary" list of rows
# {stage, side, docs, docs_per_s_per_core, reference, x_reference, cpu_seconds, peak_mib, load,
# note} (null where not measured); tests/bench/summary.py documents the shape.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
DT_VENV="${DATATROVE_VENV:-.venv-datatrove}"
DT_REQUIREMENTS="tests/bench/requirements-datatrove.txt"
BENCH_DIR=".bench"
RECORDS="${BENCH_RECORDS:-5000}"
SEED="${BENCH_SEED:-0}"

log() { echo "[bench] $*" >&2; }

ensure_project_venv() {
  if [ ! -x "$PY" ] || ! "$PY" -c "import webcurate, pyspark, warcio" 2>/dev/null; then
    log "installing the project into $VENV (make install)"
    make -s install
  fi
}

ensure_libmagic() {
  # datatrove's WarcReader imports python-magic, which loads the libmagic1 system library.
  if ! "$DT_VENV/bin/python" -c "import magic" 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing libmagic1 (needed by datatrove's WarcReader)"
      apt-get install -y -q libmagic1 >/dev/null || { apt-get update -q && apt-get install -y -q libmagic1; }
    else
      log "error: python-magic cannot load libmagic; install the libmagic1 package"; exit 1
    fi
  fi
}

ensure_datatrove_venv() {
  local stamp="$DT_VENV/.requirements.sha256" want
  want="$(sha256sum "$DT_REQUIREMENTS" | cut -d' ' -f1)"
  if [ ! -x "$DT_VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    local pip_log="$BENCH_DIR/datatrove-venv.log"
    log "creating $DT_VENV from $DT_REQUIREMENTS (a minute or two; log: $pip_log)"
    "$PYTHON" -m venv --clear "$DT_VENV"
    if ! { "$DT_VENV/bin/python" -m pip install --upgrade pip \
           && "$DT_VENV/bin/python" -m pip install -r "$DT_REQUIREMENTS"; } >"$pip_log" 2>&1; then
      tail -n 20 "$pip_log" >&2
      log "error: could not install $DT_REQUIREMENTS into $DT_VENV"; exit 1
    fi
    "$DT_VENV/bin/python" -c "import datatrove, trafilatura, fasttext, warcio"
    echo "$want" > "$stamp"
  fi
  ensure_libmagic
}

ensure_warc() {  # prints the path of the benchmark WARC, building it once per size and seed
  local warc="$BENCH_DIR/extract-${RECORDS}-s${SEED}.warc.gz"
  if [ ! -s "$warc" ]; then
    log "building $warc ($RECORDS records from ../shared/data/pages)"
    "$PY" -m tests.bench.build_warc --records "$RECORDS" --seed "$SEED" --out "$warc" >&2
  fi
  echo "$warc"
}

warn_if_busy() {
  local load
  load="$(cut -d' ' -f1 /proc/loadavg)"
  if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    log "note: load average is $load before the run; other work may slow every side down"
  fi
}

bench_extract() {
  ensure_project_venv
  ensure_datatrove_venv
  local warc
  warc="$(ensure_warc)"
  warn_if_busy
  "$PY" -m tests.bench.bench_extract run --warc "$warc" \
    --datatrove-python "$DT_VENV/bin/python" "$@"
}

parity() {
  # Filter fidelity, not speed: datatrove's filters and ours on the same real documents.
  ensure_project_venv
  ensure_datatrove_venv
  "$PY" -m tests.parity.parity "$@"
}

bench_dedup() {
  # MinHash-LSH dedup at 10k / 100k / 1M documents vs datasketch's MinHashLSH (same venv).
  ensure_project_venv
  warn_if_busy
  "$PY" -m tests.bench.bench_dedup "$@"
}

bench_quality() {
  # fastText scoring through Spark vs fastText's own predict loop on the same texts.
  ensure_project_venv
  warn_if_busy
  "$PY" -m tests.bench.bench_quality "$@"
}

bench_filter() {
  # The fineweb recipe through the filter job and its pure chain vs datatrove's same chain.
  ensure_project_venv
  ensure_datatrove_venv
  warn_if_busy
  "$PY" -m tests.bench.bench_filter --datatrove-python "$DT_VENV/bin/python" "$@"
}

bench_extract_quality() {
  # Word precision / recall / F1 per extractor on the labelled pages, beside pages/CPU-s.
  ensure_project_venv
  warn_if_busy
  "$PY" -m tests.bench.bench_extract_quality "$@"
}

bench_tokenize() {
  # Token counts through the Spark job vs the pure-Python encode loop vs tiktoken's own
  # multi-threaded batch encoder, on the same real documents.
  ensure_project_venv
  warn_if_busy
  "$PY" -m tests.bench.bench_tokenize "$@"
}

bench_decontaminate() {
  # 13-gram decontamination against >= 1M benchmark n-grams: the Spark job vs the pure core in
  # one process vs GPT-3's method as a plain Python set lookup, on the same real documents.
  ensure_project_venv
  warn_if_busy
  "$PY" -m tests.bench.bench_decontaminate "$@"
}

pii_parity() {
  # webcurate.pii.scrub with FineWeb's settings vs datatrove 0.10.1's PIIFormatter, same texts.
  ensure_project_venv
  ensure_datatrove_venv
  "$PY" -m tests.bench.pii_parity --datatrove-python "$DT_VENV/bin/python" "$@"
}

stage="${1:-}"
shift || true
mkdir -p "$BENCH_DIR"
case "$stage" in
  extract) bench_extract "$@" ;;
  parity) parity "$@" ;;
  filter) bench_filter "$@" ;;
  dedup) bench_dedup "$@" ;;
  quality) bench_quality "$@" ;;
  tokenize) bench_tokenize "$@" ;;
  decontaminate) bench_decontaminate "$@" ;;
  pii-parity) pii_parity "$@" ;;
  extract-quality) bench_extract_quality "$@" ;;
  summary) "$PY" -m tests.bench.summary ;;
  *)
    echo "usage: bash tests/bench/run_bench.sh extract|filter|dedup|quality|tokenize|decontaminate|pii-parity|extract-quality|summary|parity [ARGS...]" >&2
    exit 2
    ;;
esac
