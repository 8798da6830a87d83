"""KIR's boot targets through kir.repack_boot, and a round trip with `kir repack-boot`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import kir
import pytest


def test_recipe_names_lists_kirs_boards() -> None:
    names = kir.recipe_names()
    for board in ["dragonboard-410c", "dragonboard-845c", "qrb5165-rb5", "e850-96", "gs101-oriole"]:
        assert board in names


def test_gs101_gives_boot_and_vendor_boot_images() -> None:
    inputs = kir.repack_demo_inputs("gs101-oriole")
    result = kir.repack_boot("gs101-oriole", **inputs)
    assert list(result.files) == ["boot.img", "vendor_boot.img"]
    vendor = kir.VendorBootImage.parse(result.files["vendor_boot.img"])
    assert [r.name for r in vendor.ramdisks] == ["PLAT", "DLKM"]
    assert result.kernel_release == result.modules_release
    assert result.kernel_format == "arm64 Image"
    assert "google,gs101-oriole" in result.dtb_compatible
    assert result.notes == []


def test_release_mismatch_raises_check_error_unless_allowed() -> None:
    inputs = kir.repack_demo_inputs("dragonboard-845c")
    other = kir.repack_demo_inputs("dragonboard-845c")["kernel"]
    assert other is not None
    kernel = other.replace(b"6.1.0-kir-demo", b"6.1.0-kir-dem0")
    with pytest.raises(kir.CheckError) as caught:
        kir.repack_boot("dragonboard-845c", kernel, inputs["dtb"], inputs["initrd"], inputs["modules"])
    assert caught.value.input == "modules tarball"
    assert "6.1.0-kir-dem0" in caught.value.reason
    result = kir.repack_boot(
        "dragonboard-845c",
        kernel,
        inputs["dtb"],
        inputs["initrd"],
        inputs["modules"],
        allow_release_mismatch=True,
    )
    assert any("allow-release-mismatch" in n for n in result.notes)


def test_unknown_target_raises_recipe_error() -> None:
    with pytest.raises(kir.RecipeError) as caught:
        kir.repack_boot("no-such-board", b"")
    assert caught.value.recipe == "no-such-board"


def test_half_an_nfs_root_is_refused() -> None:
    inputs = kir.repack_demo_inputs("dragonboard-845c")
    with pytest.raises(kir.InvalidArgumentError):
        kir.repack_boot("dragonboard-845c", **inputs, nfs_server_ip="192.0.2.1")


def test_binding_and_cli_write_identical_images(kir_bin: Path, tmp_path: Path) -> None:
    inputs = kir.repack_demo_inputs("dragonboard-845c")
    args = []
    for key, flag in [("kernel", "-k"), ("dtb", "-d"), ("initrd", "-i"), ("modules", "-m")]:
        data = inputs[key]
        assert data is not None
        path = tmp_path / key
        path.write_bytes(data)
        args += [flag, str(path)]
    out = tmp_path / "out"
    subprocess.run(
        [str(kir_bin), "repack-boot", "-t", "dragonboard-845c", *args, "-o", str(out)],
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    result = kir.repack_boot("dragonboard-845c", **inputs)
    assert (out / "boot.img").read_bytes() == result.files["boot.img"]


GS101_RECIPE = {
    "name": "my-gs101",
    "compatible": "google,gs101-oriole",
    "kernel": {"preparation": "keep"},
    "ramdisk": {"assembly": "none"},
    "boot": {"header_version": 4, "page_size": 4096},
    "vendor_boot": {
        "header_version": 4,
        "cmdline": "console=ttySAC0",
        "bootconfig": "androidboot.boot_devices=14700000.ufs\n",
        "ramdisks": [
            {"type": "platform", "name": "PLAT", "assembly": "initrd-and-modules"},
            {"type": "dlkm", "name": "DLKM", "assembly": "modules"},
        ],
    },
}


def test_recipe_given_as_a_dict_builds_like_a_named_one() -> None:
    inputs = kir.repack_demo_inputs("gs101-oriole")
    result = kir.repack_boot(GS101_RECIPE, **inputs)
    vendor = kir.VendorBootImage.parse(result.files["vendor_boot.img"])
    assert vendor.cmdline == "console=ttySAC0"
    assert [r.name for r in vendor.ramdisks] == ["PLAT", "DLKM"]
    named = kir.repack_boot("gs101-oriole", **inputs)
    assert result.files["boot.img"] == named.files["boot.img"]


def test_recipe_dict_with_an_unknown_key_raises_recipe_error() -> None:
    bad = dict(GS101_RECIPE, kernal={"preparation": "keep"})
    with pytest.raises(kir.RecipeError) as caught:
        kir.repack_boot(bad, **kir.repack_demo_inputs("gs101-oriole"))
    assert caught.value.recipe == "my-gs101 (dict)"
    assert "kernal" in caught.value.reason
