#!/bin/sh
# Validating the 207 LAVA corpus jobs (non-strict, then strict), whole
# process, median of 5 runs: `kir lava validate --schema-only` against the
# validator of Debian's lava-common package (2023.01, `lava_common.schemas.
# validate` over the same files in one python3 process, PyYAML's C loader as
# LAVA uses it). Prints both figures and the ratio per mode.
#
# Needs: cargo; /usr/bin/python3 with Debian's lava-common
# (apt-get install lava-common); the corpus under $KIR_CORPUS
# (default ../shared/corpus).
set -eu

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CORPUS="${KIR_CORPUS:-$ROOT/../shared/corpus}/lava-jobs"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PY=/usr/bin/python3

[ -f "$CORPUS/expected.tsv" ] || { echo "corpus not found: $CORPUS" >&2; exit 1; }
"$PY" -c 'import lava_common.schemas' 2>/dev/null || {
  echo "Debian lava-common is not installed (apt-get install lava-common)" >&2; exit 1; }

cargo build -q --release -p kir-cli
KIR="$CARGO_TARGET_DIR/release/kir"

LIST="$(mktemp)"
trap 'rm -f "$LIST"' EXIT
tail -n +2 "$CORPUS/expected.tsv" | cut -f1 | sed "s|^|$CORPUS/files/|" > "$LIST"

now_ms() { date +%s%3N; }

# median of 5 wall-clock runs of "$@", in milliseconds
median_ms() {
  for _ in 1 2 3 4 5; do
    start=$(now_ms); "$@" >/dev/null 2>&1 || true; end=$(now_ms)
    echo $((end - start))
  done | sort -n | sed -n 3p
}

debian() {
  "$PY" - "$1" "$LIST" <<'PYEOF'
import sys, yaml
from lava_common.schemas import validate
strict = sys.argv[1] == "strict"
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
for path in open(sys.argv[2]).read().split():
    with open(path) as f:
        data = yaml.load(f, Loader=loader)
    try:
        validate(data, strict=strict)
    except Exception:
        pass
PYEOF
}

for mode in non-strict strict; do
  flag=""
  [ "$mode" = strict ] && flag="--strict"
  # shellcheck disable=SC2046
  kir_ms=$(median_ms "$KIR" lava validate --schema-only $flag $(cat "$LIST"))
  py_ms=$(median_ms debian "$mode")
  echo "$mode: 207 jobs: Debian lava-common ${py_ms} ms, kir ${kir_ms} ms, speed-up $(echo "scale=1; $py_ms / ($kir_ms + 0.0001)" | bc)x"
done
