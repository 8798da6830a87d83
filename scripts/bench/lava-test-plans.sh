#!/usr/bin/env bash
# The golden 4,630-job lava-test-plans matrix rendered by `kir lava-test-plans`
# and by the Python tool (PyPI lava-test-plans 3.2.0 code running on the same
# HEAD template tree), both as the tool is used: one process per
# device/variables/device-dir group with all its test cases, --dry-run, jobs
# written to a directory. Whole wall time of all processes; kir: median of 3.
#
# Needs the corpus (KIR_CORPUS, default ../shared/corpus) and Python with
# lava-test-plans==3.2.0 (scripts/deps/requirements.txt; PYTHON overrides).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CORPUS=${KIR_CORPUS:-$ROOT/../shared/corpus}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

cargo build -q --release -p kir-cli
KIR=$CARGO_TARGET_DIR/release/kir

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A working copy of the template tree with the Python tool's code beside the
# templates (its package dir is where its __main__.py lives). Links that the
# corpus stores as small text files naming their target become links again.
cp -r "$CORPUS/lava-test-plans" "$WORK/tree"
chmod -R u+w "$WORK/tree"
PKG=$("$PYTHON" -c 'import lava_test_plans, os; print(os.path.dirname(lava_test_plans.__file__))')
cp "$PKG"/__init__.py "$PKG"/__main__.py "$PKG"/utils.py "$WORK/tree/lava_test_plans/" 2>/dev/null ||
    cp "$PKG"/__init__.py "$PKG"/__main__.py "$WORK/tree/lava_test_plans/"
find "$WORK/tree/lava_test_plans" -type f -size -257c | while read -r f; do
    target=$(cat "$f")
    case $target in *[!A-Za-z0-9._+/-]* | "" | /*) continue ;; esac
    if [ -f "$(dirname "$f")/$target" ]; then ln -sf "$target" "$f"; fi
done

# One command line per group of the golden manifest.
tar -xzf "$CORPUS/lava-golden/golden-matrix-ltp-HEAD.tgz" -C "$WORK" --wildcards "*manifest.jsonl"
"$PYTHON" - "$WORK/manifest.jsonl" >"$WORK/groups.txt" <<'EOF'
import json, sys, collections
groups = collections.OrderedDict()
for line in open(sys.argv[1]):
    c = json.loads(line)
    key = (" ".join(c["variables"]), c["device_type"], c["testplan_device_path"])
    groups.setdefault(key, []).append(c["test"])
for (variables, device, path), tests in groups.items():
    print(f"--variables {variables} --device-type {device} --testplan-device-path {path} --test-case {' '.join(tests)}")
EOF
JOBS=$(wc -l <"$WORK/manifest.jsonl")
NGROUPS=$(wc -l <"$WORK/groups.txt")

run_all() { # tool-command output-dir
    local cmd=$1 out=$2
    rm -rf "$out"
    while read -r args; do
        # shellcheck disable=SC2086
        (cd "$WORK/tree" && $cmd $args --dry-run >/dev/null 2>&1) || true
    done <"$WORK/groups.txt"
}

now() { date +%s.%N; }

t0=$(now)
run_all "$PYTHON -m lava_test_plans" "$WORK/tree/tmp"
t1=$(now)
PY=$(awk "BEGIN{print $t1 - $t0}")
PY_FILES=$(find "$WORK/tree/tmp" -type f | wc -l)

KIR_TIMES=()
for _ in 1 2 3; do
    t0=$(now)
    run_all "$KIR lava-test-plans --template-path lava_test_plans --output $WORK/kir-out" "$WORK/kir-out"
    t1=$(now)
    KIR_TIMES+=("$(awk "BEGIN{print $t1 - $t0}")")
done
KIR_FILES=$(find "$WORK/kir-out" -type f | wc -l)
KIR_MEDIAN=$(printf '%s\n' "${KIR_TIMES[@]}" | sort -n | sed -n 2p)

printf 'lava-test-plans matrix: %s jobs in %s processes\n' "$JOBS" "$NGROUPS"
printf '  python lava-test-plans 3.2.0: %.2f s (%s job files)\n' "$PY" "$PY_FILES"
printf '  kir lava-test-plans:           %.2f s median of 3 (%s job files)\n' "$KIR_MEDIAN" "$KIR_FILES"
printf '  speed-up: %.1fx\n' "$(awk "BEGIN{print $PY / $KIR_MEDIAN}")"
