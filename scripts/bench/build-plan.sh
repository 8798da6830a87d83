#!/bin/sh
# Planning the 701 docker-supported arch/toolchain pairs of an x86_64 host
# (defconfig, default targets): kir's planner (divan, in process) against
# tuxmake 1.45.0's Python API (Build + each target's prepare() + command
# expansion, in one process). Prints both figures and the ratio.
#
# Needs: cargo, python3 with venv; installs tuxmake==1.45.0 from PyPI into a
# virtualenv under $KIR_CACHE (or uses $ROOT/.venv when it already has it).
set -eu

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${KIR_CACHE:-$HOME/.cache/kir}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

PY="$ROOT/.venv/bin/python"
if ! "$PY" -c 'import tuxmake; assert tuxmake.__version__ == "1.45.0"' 2>/dev/null; then
  VENV="$CACHE/bench-tuxmake-venv"
  if ! "$VENV/bin/python" -c 'import tuxmake' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q tuxmake==1.45.0
  fi
  PY="$VENV/bin/python"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/linux"

py_ms="$("$PY" - "$WORK" <<'PYEOF'
import sys, time, shutil
from pathlib import Path
import tuxmake.runtime as R
from tuxmake.arch import Architecture
from tuxmake.build import Build
from tuxmake.build_utils import supported
from tuxmake.toolchain import Toolchain

work = Path(sys.argv[1])
rt = R.Runtime.get("docker")
pairs = [(a, t) for t in rt.toolchains for a in sorted(supported.architectures)
         if rt.is_supported(Architecture(a), Toolchain(t))]
assert len(pairs) == 701, len(pairs)

def plan_all():
    n = 0
    for arch, tc in pairs:
        bdir = work / "build"
        shutil.rmtree(bdir, ignore_errors=True)
        b = Build(tree=str(work / "linux"), build_dir=str(bdir), output_dir=str(work / "out"),
                  target_arch=arch, toolchain=tc, kconfig="defconfig", jobs=8, runtime="docker")
        b.runtime.quiet = True
        b.cmdline.reproduce(b)
        for target in b.targets:
            target.prepare()
            excl = getattr(target, "exclude_build_makevars", set())
            for c in target.commands:
                argv = []
                for part in c:
                    argv += b.expand_cmd_part(part, target.makevars, excl)
                n += len(argv)
    return n

best = None
for _ in range(3):
    t0 = time.perf_counter()
    plan_all()
    dt = time.perf_counter() - t0
    best = dt if best is None else min(best, dt)
print(f"{best * 1000:.1f}")
PYEOF
)"

out="$(cd "$ROOT" && cargo bench -q -p build-plan --bench planner -- plan_701_pairs 2>/dev/null)"
# divan prints: "├─ plan_701_pairs  <fastest> │ <slowest> │ <median> │ <mean> │ ..."
rust_median="$(printf '%s\n' "$out" | grep plan_701_pairs | awk -F'│' '{print $3}' | sed 's/^ *//; s/ *$//')"
rust_ms="$(printf '%s\n' "$rust_median" | awk '{v=$1; u=$2; if (u=="s") v*=1000; else if (u=="µs"||u=="us") v/=1000; else if (u=="ns") v/=1000000; printf "%.2f", v}')"

echo "tuxmake 1.45.0 Python API, 701 plans: ${py_ms} ms (best of 3)"
echo "kir build-plan, 701 plans:           ${rust_ms} ms (divan median)"
awk -v p="$py_ms" -v r="$rust_ms" 'BEGIN { if (r > 0) printf "speed-up: %.0fx\n", p / r }'
