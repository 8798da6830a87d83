"""Shared helpers for the kir binding tests (run against the installed wheel)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def kir_bin() -> Path:
    """The `kir` command-line binary (env KIR_BIN, else `kir` on PATH)."""
    found = os.environ.get("KIR_BIN") or shutil.which("kir")
    if found and Path(found).is_file():
        return Path(found)
    message = "kir binary not found: set KIR_BIN (scripts/tier-python builds it)"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)
