"""kir.lava_validate, kir.lava_job_load/lava_job_dump and kir.yaml_dump."""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

import pytest
import yaml

import kir

JOB = """\
job_name: python
device_type: qemu
visibility: public
timeouts: {job: {minutes: 5}}
lab: note
actions:
- deploy: {to: tmpfs, timeout: {minutes: 1}, images: {rootfs: {url: "https://example.com/r.img", image_arg: "-hda {rootfs}"}}}
- boot: {method: qemu, media: tmpfs, timeout: {minutes: 0}}
"""


def test_validate_reports_path_line_and_kind() -> None:
    report = kir.lava_validate(JOB)
    assert not report.lava_accepts and not report.valid
    issue = report.issues[0]
    assert (issue.path, issue.line, issue.kind, issue.severity) == (
        "actions[1].boot.timeout.minutes",
        8,
        "schema",
        "error",
    )
    assert str(issue).startswith("actions[1].boot.timeout.minutes, line 8: ")


def test_strict_mode_reports_unknown_keys() -> None:
    fixed = JOB.replace("minutes: 0", "minutes: 1")
    assert kir.lava_validate(fixed).valid
    strict = kir.lava_validate(fixed, strict=True)
    assert [i.path for i in strict.issues] == ["lab"]
    assert strict.issues[0].kind == "unknown_key"


def test_extra_context_variables_are_allowed() -> None:
    job = JOB.replace("minutes: 0", "minutes: 1").replace("lab: note", "context: {site: a}")
    assert not kir.lava_validate(job).lava_accepts
    assert kir.lava_validate(job, extra_context_variables=["site"]).lava_accepts


def test_load_and_dump_keep_data_and_unknown_keys() -> None:
    job = kir.lava_job_load(JOB)
    assert job["lab"] == "note"
    assert job["actions"][1]["boot"]["method"] == "qemu"
    job["metadata"] = {"flag": "on", "when": datetime.date(2024, 5, 24), "ratio": "1:20"}
    text = kir.lava_job_dump(job)
    assert yaml.safe_load(text) == job


def test_load_and_dump_keep_explicit_nulls() -> None:
    text = JOB.replace("lab: note", "lab: note\ndevice: ~\nworker:")
    job = kir.lava_job_load(text)
    assert "device" in job and job["device"] is None
    assert "worker" in job and job["worker"] is None
    assert yaml.safe_load(kir.lava_job_dump(job)) == yaml.safe_load(text)


def test_yaml_dump_is_read_back_by_pyyaml_as_the_same_data() -> None:
    data = {"yes": ["no", "on", "~", "0755", "1:20", "2024-05-24", 1e20, None, True, 7]}
    assert yaml.safe_load(kir.yaml_dump(data)) == data


def test_load_errors_carry_kind_and_position() -> None:
    with pytest.raises(kir.LavaJobError) as info:
        kir.lava_job_load("job_name: [unclosed\n")
    assert info.value.kind == "yaml"
    assert info.value.line >= 1
    with pytest.raises(kir.LavaJobError) as info:
        kir.lava_job_load("job_name: [a, list]\n")
    assert info.value.kind == "model"
    assert isinstance(info.value, kir.KirError)


def test_cli_json_matches_the_binding(kir_bin: Path, tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(JOB)
    run = subprocess.run(
        [str(kir_bin), "lava", "validate", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    cli = json.loads(run.stdout)[0]
    report = kir.lava_validate(JOB)
    assert cli["lava_accepts"] == report.lava_accepts
    assert [(i["path"], i["line"]) for i in cli["issues"]] == [
        (i.path, i.line) for i in report.issues
    ]
