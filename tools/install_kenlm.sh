#!/usr/bin/env bash
# KenLM's lmplz (ARPA estimation) and build_binary into the virtualenv's bin/, built from the
# PyPI source package `kenlm` (the only form KenLM takes on PyPI; the Python module itself is an
# install_requires of setup.py). Used by `make install`; `webcurate train-lm` needs both tools.
#   tools/install_kenlm.sh VENV
# Needs cmake, a C++ compiler, Boost (program_options, system, thread, test), zlib, bz2, lzma:
# installed from Debian's packages when missing and run as root.
set -euo pipefail
VENV=${1:-.venv}
VERSION=${KENLM_VERSION:-0.3.0}
BIN="$VENV/bin"
if [ -x "$BIN/lmplz" ] && [ -x "$BIN/build_binary" ]; then
  exit 0
fi
DEBS="cmake g++ make libboost-program-options-dev libboost-system-dev libboost-thread-dev
libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev"
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $DEBS 2>/dev/null \
  | awk '$NF != "installed" {print $1}'; for d in $DEBS; do
  dpkg-query -W "$d" >/dev/null 2>&1 || echo "$d"; done)
missing=$(echo "$missing" | sort -u | tr '\n' ' ')
if [ -n "${missing// /}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing KenLM's build dependencies: $missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -q $missing >/dev/null; }
  else
    echo "error: KenLM needs these Debian packages: $missing (apt-get install them)" >&2
    exit 1
  fi
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$VENV/bin/python" -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation \
  -d "$WORK" "kenlm==$VERSION"
tar -xzf "$WORK"/kenlm-*.tar.gz -C "$WORK"
SRC=$(echo "$WORK"/kenlm-*/)
mkdir -p "$SRC/build"
# KENLM_MAX_ORDER 6, as the Python module is built (CCNet's models are 5-grams).
cmake -S "$SRC" -B "$SRC/build" -DCMAKE_BUILD_TYPE=Release -DKENLM_MAX_ORDER=6 >/dev/null
cmake --build "$SRC/build" --target lmplz build_binary -- -j"${KENLM_JOBS:-2}" >/dev/null
install -m 0755 "$SRC/build/bin/lmplz" "$SRC/build/bin/build_binary" "$BIN/"
echo "KenLM $VERSION: lmplz and build_binary installed in $BIN"
