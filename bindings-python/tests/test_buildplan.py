"""build-plan bindings: tuxmake planning and TuxSuite plan expansion."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import kir
from conftest import in_ci

HOST = dict(machine="x86_64", env={"HOME": "/tmp/bp/home"}, cwd="/")
ARGS = ["-C", "/tmp/bp/linux", "-b", "/tmp/bp/build", "-o", "/tmp/bp/out", "-j", "8",
        "--timestamp", "1700000000", "--dynamic", "CROSS_COMPILE_COMPAT=arm-linux-gnueabihf-",
        "-r", "docker"]


def corpus() -> Path | None:
    base = Path(os.environ.get("KIR_CORPUS", Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"))
    d = base / "tuxmake"
    if d.is_dir():
        return d
    if in_ci():
        pytest.fail(f"tuxmake corpus missing at {d}")
    pytest.skip(f"tuxmake corpus missing at {d} (set KIR_CORPUS)")
    return None


def test_tuxmake_plan_matches_corpus_case_01() -> None:
    d = corpus()
    assert d is not None
    plan = kir.tuxmake_plan(ARGS + ["-a", "arm64", "-t", "gcc-13", "-k", "defconfig"], **HOST)
    assert plan == (d / "01-arm64-gcc13-defconfig.plan.json").read_text()


def test_tuxmake_plan_refusal_carries_kind_what_reason() -> None:
    with pytest.raises(kir.BuildPlanError) as info:
        kir.tuxmake_plan(ARGS + ["-a", "x86_64", "-t", "gcc", "LLVM=0"], **HOST)
    assert info.value.kind == "rejected"
    assert info.value.what == "LLVM=0"
    assert "LLVM" in info.value.reason
    assert isinstance(info.value, kir.KirError)


def test_tuxmake_plan_unsupported_pair() -> None:
    with pytest.raises(kir.BuildPlanError) as info:
        kir.tuxmake_plan(ARGS + ["-a", "alpha", "-t", "gcc-13"], **HOST)
    assert info.value.kind == "unsupported"
    assert info.value.what == "alpha/gcc-13"


def test_tuxsuite_expand_matches_corpus_expansion() -> None:
    d = corpus()
    assert d is not None
    text = (d / "tuxsuite-plans" / "example-plan.yaml").read_text()
    out, warnings = kir.tuxsuite_expand(text, format="expansion", tree="/tmp/bp/linux",
                                        output_dir="/tmp/bp/plan-out")
    assert json.loads(out) == json.loads((d / "tuxsuite-plans" / "example-plan.expanded.json").read_text())
    assert warnings == []


def test_tuxsuite_expand_matrix_and_errors() -> None:
    plan = """version: 1
name: m
description: d
jobs:
- name: mx
  matrix: {target_arch: [arm64, x86_64], toolchain: [gcc-13]}
  build: {kconfig: defconfig}
"""
    out, _ = kir.tuxsuite_expand(plan, format="json")
    builds = json.loads(out)
    assert [b["tuxmake"][10] for b in builds] == ["arm64", "x86_64"]
    with pytest.raises(kir.BuildPlanError) as info:
        kir.tuxsuite_expand(plan.replace("gcc-13]", "gcc-13, clang-android]").replace("x86_64]", "sparc]"))
    assert info.value.kind == "plan"
    assert "sparc/clang-android" in info.value.reason
    with pytest.raises(kir.BuildPlanError):
        kir.tuxsuite_expand(plan, format="nope")


def test_cli_round_trip(kir_bin: Path, tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text("version: 1\njobs:\n- build: {target_arch: arm64, toolchain: gcc-13, kconfig: defconfig}\n")
    cli = subprocess.run([str(kir_bin), "build-plan", "expand", str(plan), "--format", "expansion"],
                         check=True, capture_output=True, text=True).stdout
    ours, _ = kir.tuxsuite_expand(plan.read_text(), format="expansion", source_name=str(plan))
    assert json.loads(cli) == json.loads(ours)
