#!/bin/sh
# `kir img2simg` against AOSP img2simg (Debian android-sdk-libsparse-utils) on
# a 1 GiB ext4 image holding ~300 MiB of files, made by mke2fs -d:
#   1. the image as mke2fs leaves it (a sparse file: free space is holes);
#   2. the same image fully allocated (cp --sparse=never): every byte is read.
# Both tools must write identical bytes (checked with cmp). Timing: hyperfine
# (median of runs) when installed, else the best of 3 runs of each.
#
# Needs: cargo, mke2fs, img2simg, optionally hyperfine.
set -eu

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build --release -q -p kir-cli --manifest-path "$ROOT/Cargo.toml"
KIR="$CARGO_TARGET_DIR/release/kir"

WORK="$(mktemp -d "${TMPDIR:-/var/tmp}/kir-bench-img2simg.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# ~300 MiB tree: incompressible files of mixed sizes plus some zero-filled ones.
mkdir -p "$WORK/tree"
i=0
while [ $i -lt 60 ]; do
  head -c $(( (i % 7 + 1) * 1024 * 1024 )) /dev/urandom > "$WORK/tree/data$i.bin"
  i=$((i + 1))
done
head -c $((40 * 1024 * 1024)) /dev/zero > "$WORK/tree/zeros.bin"
mke2fs -q -F -t ext4 -d "$WORK/tree" "$WORK/sparse.ext4" 1G
cp --sparse=never "$WORK/sparse.ext4" "$WORK/full.ext4"
rm -rf "$WORK/tree"

for input in sparse full; do
  img2simg "$WORK/$input.ext4" "$WORK/ref.simg"
  "$KIR" img2simg "$WORK/$input.ext4" "$WORK/kir.simg"
  cmp "$WORK/ref.simg" "$WORK/kir.simg"
  echo "== $input.ext4 ($(du -h "$WORK/$input.ext4" | cut -f1) allocated): outputs identical, $(stat -c %s "$WORK/kir.simg") bytes"
  if command -v hyperfine >/dev/null; then
    hyperfine -N -w 1 -r 5 \
      -n img2simg "img2simg $WORK/$input.ext4 $WORK/ref.simg" \
      -n "kir img2simg" "$KIR img2simg $WORK/$input.ext4 $WORK/kir.simg"
  else
    for tool in img2simg "$KIR img2simg"; do
      best=""
      for _ in 1 2 3; do
        t0=$(date +%s%N); $tool "$WORK/$input.ext4" "$WORK/out.simg"; t1=$(date +%s%N)
        ms=$(( (t1 - t0) / 1000000 ))
        if [ -z "$best" ] || [ $ms -lt $best ]; then best=$ms; fi
      done
      echo "$tool: best of 3: $best ms"
    done
  fi
done
