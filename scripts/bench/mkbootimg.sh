#!/bin/sh
# `kir mkbootimg` against AOSP mkbootimg 34 (Debian trixie, fetched by
# scripts/setup.d/10-mkbootimg.sh) building a v2 boot.img from a 40 MB kernel,
# a 2 MB ramdisk and a DTB: whole process, both tools writing identical bytes
# (checked with cmp). Timing: hyperfine (median of 10 runs, printed with user and system CPU time) when installed,
# else the median of 7 runs of each measured here.
#
# Needs: cargo, python3, apt (first run only, to fetch the oracle), optionally hyperfine.
set -eu

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export KIR_CACHE="${KIR_CACHE:-$HOME/.cache/kir}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
if [ -z "${KIR_MKBOOTIMG:-}" ]; then
  # The setup file is written for bash (scripts/test sources it).
  KIR_MKBOOTIMG="$(bash -c '. "$1/scripts/setup.d/10-mkbootimg.sh" >&2 && echo "$KIR_MKBOOTIMG"' _ "$ROOT")"
fi
cargo build --release -q -p kir-cli --manifest-path "$ROOT/Cargo.toml"
KIR="$CARGO_TARGET_DIR/release/kir"

WORK="$(mktemp -d "${TMPDIR:-/var/tmp}/kir-bench-mkbootimg.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
head -c $((40 * 1000 * 1000)) /dev/urandom > "$WORK/Image"
head -c $((2 * 1000 * 1000)) /dev/urandom > "$WORK/ramdisk"
head -c 150000 /dev/urandom > "$WORK/board.dtb"

ARGS="--header_version 2 --kernel $WORK/Image --ramdisk $WORK/ramdisk --dtb $WORK/board.dtb \
--base 0x80000000 --pagesize 4096 --cmdline console=ttyMSM0,115200n8 --os_version 14 \
--os_patch_level 2024-06"
REF="python3 $KIR_MKBOOTIMG $ARGS --output $WORK/ref.img"
OURS="$KIR mkbootimg $ARGS --output $WORK/ours.img"

$REF
$OURS
cmp "$WORK/ref.img" "$WORK/ours.img"
echo "identical: $(wc -c < "$WORK/ours.img") bytes"

if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 2 --runs 10 --export-json "$WORK/times.json" \
    -n "AOSP mkbootimg" "$REF" -n "kir mkbootimg" "$OURS"
  python3 - "$WORK/times.json" <<'PYEOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']}: median {r['median'] * 1000:.0f} ms, "
          f"user {r['user'] * 1000:.0f} ms, system {r['system'] * 1000:.0f} ms")
PYEOF
else
  median() {
    i=0
    while [ $i -lt 7 ]; do
      s=$(date +%s%N); sh -c "$1"; e=$(date +%s%N)
      echo $(((e - s) / 1000000))
      i=$((i + 1))
    done | sort -n | sed -n 4p
  }
  ref_ms=$(median "$REF")
  ours_ms=$(median "$OURS")
  echo "AOSP mkbootimg: ${ref_ms} ms (median of 7)"
  echo "kir mkbootimg:  ${ours_ms} ms (median of 7)"
fi
