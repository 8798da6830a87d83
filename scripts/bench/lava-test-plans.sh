#!/usr/bin/env bash
# The golden 4,630-job lava-test-plans matrix rendered by the Python tool and by
# `kir lava-test-plans`, on the same template tree and the same 86 groups (one
# group = one device/variables/device-dir command line with all its test cases,
# --dry-run, jobs written to a directory). Whole wall time of all processes.
#
# Reference: lava-test-plans' own Python code at the commit the corpus tree was
# taken from (the corpus' UPSTREAM_COMMIT; PyPI's 3.2.0 is 98 commits older and
# fails most groups of this tree), run with the Python stack the golden renders
# were made with (Jinja2 3.1.6, ruamel.yaml 0.19.1, configobj 5.0.9).
#
# kir is timed two ways: as the tool is used (one process per group, median of
# 3) and as one process for the whole matrix (`--batch` with the 86 command
# lines, all jobs rendered in one parallel pass; median of 5).
#
# Needs:
#   KIR_CORPUS            the corpus (default ../shared/corpus)
#   LAVA_TEST_PLANS_GIT   a clone of https://github.com/Linaro/lava-test-plans
#                         (default ~/.cache/kir/lava-test-plans); only the
#                         Python files of the pinned commit are used, copied
#                         into a temporary directory
#   PYTHON                a python with jinja2, ruamel.yaml, configobj and
#                         requests (default .venv/bin/python; the
#                         lava-test-plans==3.2.0 line of
#                         scripts/deps/requirements.txt pulls them in)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CORPUS=${KIR_CORPUS:-$ROOT/../shared/corpus}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
GIT_DIR_REF=${LAVA_TEST_PLANS_GIT:-${KIR_CACHE:-$HOME/.cache/kir}/lava-test-plans}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

COMMIT=$(awk '{print $1; exit}' "$CORPUS/lava-test-plans/UPSTREAM_COMMIT")
if ! git -C "$GIT_DIR_REF" cat-file -e "$COMMIT:lava_test_plans/__main__.py" 2>/dev/null; then
    echo "lava-test-plans commit $COMMIT not found in $GIT_DIR_REF;" >&2
    echo "  git clone https://github.com/Linaro/lava-test-plans $GIT_DIR_REF" >&2
    exit 1
fi

cargo build -q --release -p kir-cli
KIR=$CARGO_TARGET_DIR/release/kir

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A working copy of the corpus tree with the reference Python code beside the
# templates (its package dir is where its __main__.py lives). Links that the
# corpus stores as small text files naming their target become links again.
cp -r "$CORPUS/lava-test-plans" "$WORK/tree"
chmod -R u+w "$WORK/tree"
for f in __init__.py __main__.py utils.py; do
    git -C "$GIT_DIR_REF" show "$COMMIT:lava_test_plans/$f" >"$WORK/tree/lava_test_plans/$f"
done
find "$WORK/tree/lava_test_plans" -type f -size -257c | while read -r f; do
    target=$(cat "$f")
    case $target in *[!A-Za-z0-9._+/-]* | "" | /*) continue ;; esac
    if [ -f "$(dirname "$f")/$target" ]; then ln -sf "$target" "$f"; fi
done
(cd "$WORK/tree" && "$PYTHON" -c 'import lava_test_plans.__main__, os, sys
import jinja2, ruamel.yaml, configobj
assert os.path.dirname(lava_test_plans.__main__.__file__) == os.path.abspath("lava_test_plans")
print("reference: lava-test-plans @ '"$COMMIT"', Jinja2", jinja2.__version__,
      "ruamel.yaml", ruamel.yaml.__version__, "configobj", configobj.__version__,
      "python", sys.version.split()[0])')

# One command line per group of the golden manifest.
tar -xzf "$CORPUS/lava-golden/golden-matrix-ltp-HEAD.tgz" -C "$WORK" --wildcards "*manifest.jsonl"
"$PYTHON" - "$WORK/manifest.jsonl" >"$WORK/groups.txt" <<'PY'
import json, sys, collections
groups = collections.OrderedDict()
for line in open(sys.argv[1]):
    c = json.loads(line)
    key = (" ".join(c["variables"]), c["device_type"], c["testplan_device_path"])
    groups.setdefault(key, []).append(c["test"])
for (variables, device, path), tests in groups.items():
    print(f"--variables {variables} --device-type {device} --testplan-device-path {path} --test-case {' '.join(tests)}")
PY
JOBS=$(wc -l <"$WORK/manifest.jsonl")
NGROUPS=$(wc -l <"$WORK/groups.txt")

run_all() { # tool-command
    local cmd=$1
    while read -r args; do
        # shellcheck disable=SC2086
        (cd "$WORK/tree" && $cmd $args --dry-run >/dev/null 2>&1) || true
    done <"$WORK/groups.txt"
}

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
files() { find "$1" -type f | sed "s|^$1/||" | sort; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

t0=$(now)
run_all "$PYTHON -m lava_test_plans"
t1=$(now)
PY=$(awk "BEGIN{print $t1 - $t0}")
files "$WORK/tree/tmp" >"$WORK/py-files.txt"

PER_GROUP=()
for _ in 1 2 3; do
    rm -rf "$WORK/kir-out"
    t0=$(now)
    run_all "$KIR lava-test-plans --template-path lava_test_plans --output $WORK/kir-out"
    t1=$(now)
    PER_GROUP+=("$(awk "BEGIN{print $t1 - $t0}")")
done
files "$WORK/kir-out" >"$WORK/kir-files.txt"
KIR_GROUPS=$(printf '%s\n' "${PER_GROUP[@]}" | median)

BATCH=()
for _ in 1 2 3 4 5; do
    rm -rf "$WORK/kir-batch"
    t0=$(now)
    (cd "$WORK/tree" && "$KIR" lava-test-plans --template-path lava_test_plans --dry-run \
        --output "$WORK/kir-batch" --verbose 40 --batch "$WORK/groups.txt" >/dev/null 2>&1) || true
    t1=$(now)
    BATCH+=("$(awk "BEGIN{print $t1 - $t0}")")
done
files "$WORK/kir-batch" >"$WORK/batch-files.txt"
KIR_BATCH=$(printf '%s\n' "${BATCH[@]}" | median)

echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'lava-test-plans matrix: %s jobs in %s groups\n' "$JOBS" "$NGROUPS"
printf '  python lava-test-plans (%s processes): %8.2f s, %s job files\n' "$NGROUPS" "$PY" "$(wc -l <"$WORK/py-files.txt")"
printf '  kir, one process per group:              %8.2f s, %s job files (median of 3: %s)\n' \
    "$KIR_GROUPS" "$(wc -l <"$WORK/kir-files.txt")" "${PER_GROUP[*]}"
printf '  kir --batch, one process:                 %8.3f s, %s job files (median of 5: %s)\n' \
    "$KIR_BATCH" "$(wc -l <"$WORK/batch-files.txt")" "${BATCH[*]}"
printf '  speed-up: %.1fx per group, %.1fx batch\n' \
    "$(awk "BEGIN{print $PY / $KIR_GROUPS}")" "$(awk "BEGIN{print $PY / $KIR_BATCH}")"
if cmp -s "$WORK/py-files.txt" "$WORK/kir-files.txt" && cmp -s "$WORK/py-files.txt" "$WORK/batch-files.txt"; then
    echo "  same job files written by all three"
else
    echo "  job file lists differ:"
    diff "$WORK/py-files.txt" "$WORK/batch-files.txt" | head -20
fi
