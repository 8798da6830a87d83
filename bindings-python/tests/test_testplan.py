"""kir.testplan_render and kir.testplan_render_matrix (lava-test-plans in-process)."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

import kir


@pytest.fixture(autouse=True)
def unrelated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs from an empty directory: the templates come from the module."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_one_job_renders_from_the_compiled_in_templates(unrelated_cwd: Path) -> None:
    assert not any(unrelated_cwd.iterdir())
    job = kir.testplan_render("dragonboard-845c", "boot.yaml", variables=["variables.ini"])
    assert (job.device_type, job.test, job.output_path) == (
        "dragonboard-845c",
        "boot.yaml",
        "dragonboard-845c/boot.yaml",
    )
    assert "to: fastboot" in job.yaml
    assert "\n\n" not in job.yaml
    assert kir.lava_validate(job.yaml).lava_accepts
    assert job.raw != job.yaml


def test_matrix_is_device_major_with_one_outcome_per_variable_set(unrelated_cwd: Path) -> None:
    extra = unrelated_cwd / "extra.yaml"
    extra.write_text("BUILD_NUMBER: '77'\n")
    outcomes = kir.testplan_render_matrix(
        ["qemu-arm64", "dragonboard-845c"],
        test_plans=["smoke"],
        variable_sets=[["variables.ini"], ["variables.ini", extra]],
        overwrite_variables=["PROJECT_NAME=pyproj"],
    )
    assert [(o.device_type, o.test) for o in outcomes] == [
        (device, test)
        for device in ("qemu-arm64", "dragonboard-845c")
        for test in ("boot.yaml", "ltp-syscalls.yaml")
        for _ in range(2)
    ]
    assert all(o.ok and o.error is None for o in outcomes)
    jobs = [o.job for o in outcomes if o.job is not None]
    assert all("pyproj" in j.yaml for j in jobs)
    assert ["77" in j.yaml for j in jobs] == [False, True] * 4


def test_failing_job_carries_variable_template_and_line(unrelated_cwd: Path) -> None:
    partial = unrelated_cwd / "partial.ini"
    partial.write_text("PROJECT_NAME=p\nBUILD_NUMBER=1\nKERNEL_URL=k\n")
    outcomes = kir.testplan_render_matrix(
        ["qemu-arm64"], tests=["boot.yaml"], variable_sets=[[partial], ["variables.ini"]]
    )
    failed, rendered = outcomes
    assert not failed.ok and failed.job is None
    err = failed.error
    assert isinstance(err, kir.TestplanError) and isinstance(err, kir.KirError)
    assert (err.kind, err.variable, err.template) == ("undefined", "ROOTFS_URL", "qemu.jinja2")
    assert isinstance(err.line, int) and err.line > 0
    assert "'ROOTFS_URL' is undefined (in qemu.jinja2, line" in str(err)
    assert rendered.ok and rendered.job is not None

    with pytest.raises(kir.TestplanError) as raised:
        kir.testplan_render("qemu-arm64", "boot.yaml", variables=[partial])
    assert (raised.value.kind, raised.value.variable) == ("undefined", "ROOTFS_URL")


def test_unknown_test_and_unusable_matrix_raise_with_kind() -> None:
    with pytest.raises(kir.TestplanError) as raised:
        kir.testplan_render("qemu-arm64", "nope.yaml", variables=["variables.ini"])
    assert (raised.value.kind, raised.value.template) == ("template_not_found", "nope.yaml")

    with pytest.raises(kir.TestplanError) as raised:
        kir.testplan_render("qemu-arm64", "boot.yaml", variables=["absent.ini"])
    assert raised.value.kind == "io" and raised.value.file is not None
    assert raised.value.file.endswith("absent.ini")

    with pytest.raises(kir.TestplanError) as raised:
        kir.testplan_render_matrix([], tests=["boot.yaml"])
    assert raised.value.kind == "invalid_argument"

    with pytest.raises(kir.TestplanError) as raised:
        kir.testplan_render(
            "qemu-arm64", "boot.yaml", variables=["variables.ini"], overwrite_variables=["NOEQ"]
        )
    assert (raised.value.kind, raised.value.variable) == ("override", "NOEQ")


def test_own_template_tree_with_overlays_and_relative_cwd(unrelated_cwd: Path) -> None:
    tree = unrelated_cwd / "tree"
    for name, text in kir.testplan_bundled_files().items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)
    assert (tree / "master.jinja2").is_file() and (tree / "testplans/smoke/boot.yaml").is_file()
    (tree / "testcases/overlays.yaml").write_text(
        "overlays:\n{% for name, url, path in overlays %}"
        "- {name: {{ name }}, url: '{{ url }}', path: {{ path }}}\n{% endfor %}"
    )
    job = kir.testplan_render(
        "qemu-arm64",
        "overlays.yaml",
        variables=["variables.ini"],
        template_path="tree",
        overlays=["https://h/a.tar.xz", ("https://h/b.tar.gz", "/opt")],
        cwd=unrelated_cwd,
    )
    assert yaml.safe_load(job.yaml) == {
        "overlays": [
            {"name": "overlay-00", "url": "https://h/a.tar.xz", "path": "/"},
            {"name": "overlay-01", "url": "https://h/b.tar.gz", "path": "/opt"},
        ]
    }
    with pytest.raises(kir.TestplanError):
        kir.testplan_render("qemu-arm64", "overlays.yaml", variables=["variables.ini"])


def test_threads_render_concurrently_with_the_same_results() -> None:
    def matrix(_: int) -> list[str]:
        outcomes = kir.testplan_render_matrix(
            ["qemu-arm64", "dragonboard-845c"], test_plans=["smoke"], variable_sets=[["variables.ini"]]
        )
        return [o.job.yaml for o in outcomes if o.job is not None]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(matrix, range(8)))
    assert all(r == results[0] for r in results) and len(results[0]) == 4


def test_cli_writes_the_jobs_the_module_renders(kir_bin: Path, unrelated_cwd: Path) -> None:
    subprocess.run(
        [
            str(kir_bin),
            "lava-test-plans",
            "--variables",
            "variables.ini",
            "--device-type",
            "qemu-arm64",
            "--test-plan",
            "smoke",
            "--dry-run",
            "--output",
            "out",
        ],
        check=True,
        capture_output=True,
        cwd=unrelated_cwd,
    )
    outcomes = kir.testplan_render_matrix(
        ["qemu-arm64"], test_plans=["smoke"], variable_sets=[["variables.ini"]]
    )
    for outcome in outcomes:
        assert outcome.job is not None
        written = (unrelated_cwd / "out" / outcome.job.output_path).read_text()
        assert written == outcome.job.yaml
