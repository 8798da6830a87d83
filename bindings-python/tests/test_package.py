"""The installed package: where it comes from, what it ships, its exceptions."""

from __future__ import annotations

from pathlib import Path

import kir
import pytest

SOURCE_TREE = Path(__file__).resolve().parents[1]


def test_kir_is_imported_from_the_installed_wheel_not_the_source_tree() -> None:
    location = Path(kir.__file__).resolve()
    assert SOURCE_TREE not in location.parents, location
    assert "site-packages" in location.parts, location


def test_wheel_ships_stubs_and_typed_marker() -> None:
    package = Path(kir.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_kir.pyi").is_file()


def test_version_is_the_crate_version() -> None:
    parts = kir.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts), kir.__version__


def test_everything_in_all_is_importable() -> None:
    assert "KirError" in kir.__all__
    for name in kir.__all__:
        assert hasattr(kir, name), name


ERROR_CLASSES = [
    "MalformedError",
    "UnsupportedError",
    "InvalidArgumentError",
    "CheckError",
    "RecipeError",
    "UnsafePathError",
    "FetchError",
    "IoError",
]


@pytest.mark.parametrize("name", ERROR_CLASSES)
def test_each_error_class_derives_from_kir_error(name: str) -> None:
    cls = getattr(kir, name)
    assert issubclass(cls, kir.KirError)
    assert issubclass(cls, Exception)
    assert not issubclass(cls, ValueError)
    with pytest.raises(kir.KirError):
        raise cls("raised by hand")
