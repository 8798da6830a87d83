"""Boot and vendor_boot images through kir, compared byte for byte with the
`kir mkbootimg` command and, where installed, AOSP and Debian mkbootimg."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Optional

import kir
import pytest
from conftest import in_ci

RNG = random.Random(20261204)
KERNEL = RNG.randbytes(123_457)
RAMDISK = RNG.randbytes(3_001)
DTB = RNG.randbytes(321)
PLAT = RNG.randbytes(700)
DLKM = RNG.randbytes(300)
BOOTCONFIG = b"androidboot.boot_devices=14700000.ufs\n"
QCOM_CMDLINE = "root=/dev/mmcblk0p14 rw rootwait console=tty0 console=ttyMSM0,115200n8 earlycon"

# (name, kir.mkbootimg keywords, the same as mkbootimg flags; files by part name)
CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "v0-dragonboard-410c",
        dict(kernel=KERNEL, ramdisk=RAMDISK, page_size=2048, base=0x80000000, cmdline=QCOM_CMDLINE),
        ["--kernel", "@kernel", "--ramdisk", "@ramdisk", "--pagesize", "2048", "--base", "0x80000000",
         "--cmdline", QCOM_CMDLINE],
    ),
    (
        "v2-e850-96",
        dict(header_version=2, kernel=KERNEL, dtb=DTB, cmdline="rw earlycon", os_version="10",
             os_patch_level="2019-12-01", tags_offset=0, dtb_offset=0),
        ["--header_version", "2", "--kernel", "@kernel", "--dtb", "@dtb", "--cmdline", "rw earlycon",
         "--os_version", "10", "--os_patch_level", "2019-12-01", "--tags_offset", "0", "--dtb_offset", "0"],
    ),
    (
        "v1-recovery-dtbo-long-cmdline",
        dict(header_version=1, kernel=KERNEL, ramdisk=RAMDISK, recovery_dtbo=DTB, page_size=4096,
             board="seed", cmdline="x" * 1000),
        ["--header_version", "1", "--kernel", "@kernel", "--ramdisk", "@ramdisk", "--recovery_dtbo", "@dtb",
         "--pagesize", "4096", "--board", "seed", "--cmdline", "x" * 1000],
    ),
    (
        "v4-gs101-oriole",
        dict(header_version=4, kernel=KERNEL, os_version="13.0.0", os_patch_level="2024-02"),
        ["--header_version", "4", "--kernel", "@kernel", "--os_version", "13.0.0",
         "--os_patch_level", "2024-02"],
    ),
]

PARTS = {"kernel": KERNEL, "ramdisk": RAMDISK, "dtb": DTB, "plat": PLAT, "dlkm": DLKM,
         "bootconfig": BOOTCONFIG}


def flags(args: list[str], tmp_path: Path) -> list[str]:
    """mkbootimg flags with `@part` replaced by a file holding that part."""
    out = []
    for arg in args:
        if arg.startswith("@"):
            path = tmp_path / arg[1:]
            path.write_bytes(PARTS[arg[1:]])
            arg = str(path)
        out.append(arg)
    return out


def reference_mkbootimg() -> Optional[str]:
    """AOSP mkbootimg (trixie), exported by scripts/setup.d/10-mkbootimg.sh."""
    found = os.environ.get("KIR_MKBOOTIMG")
    if found and Path(found).is_file():
        return found
    if in_ci():
        pytest.fail("KIR_MKBOOTIMG is not set: scripts/setup.d/10-mkbootimg.sh fetches it")
    return None


@pytest.mark.parametrize("name,options,cli", CASES, ids=[c[0] for c in CASES])
def test_python_build_is_identical_to_kir_mkbootimg(
    name: str, options: dict[str, Any], cli: list[str], kir_bin: Path, tmp_path: Path
) -> None:
    out = tmp_path / "boot.img"
    subprocess.run([str(kir_bin), "mkbootimg", *flags(cli, tmp_path), "--output", str(out)], check=True)
    assert kir.mkbootimg(**options) == out.read_bytes()


@pytest.mark.parametrize("name,options,cli", CASES, ids=[c[0] for c in CASES])
def test_python_build_is_identical_to_aosp_mkbootimg(
    name: str, options: dict[str, Any], cli: list[str], tmp_path: Path
) -> None:
    tool = reference_mkbootimg()
    if tool is None:
        pytest.skip("AOSP mkbootimg not available (set KIR_MKBOOTIMG)")
    out = tmp_path / "boot.img"
    subprocess.run(["python3", tool, *flags(cli, tmp_path), "--output", str(out)], check=True)
    assert kir.mkbootimg(**options) == out.read_bytes()


VENDOR_OPTIONS: dict[str, Any] = dict(
    header_version=4,
    dtb=DTB,
    vendor_bootconfig=BOOTCONFIG,
    vendor_cmdline="root=PARTLABEL=userdata rw rootwait console=ttyMSM0,115200n8",
    vendor_ramdisk_fragments=[
        kir.VendorRamdisk(PLAT, ramdisk_type=kir.VENDOR_RAMDISK_TYPE_PLATFORM, name="PLAT"),
        kir.VendorRamdisk(DLKM, ramdisk_type=kir.VENDOR_RAMDISK_TYPE_DLKM, name="DLKM",
                          board_id=[0x2A] + [0] * 15),
    ],
)
VENDOR_CLI = [
    "--header_version", "4", "--dtb", "@dtb", "--vendor_bootconfig", "@bootconfig",
    "--vendor_cmdline", "root=PARTLABEL=userdata rw rootwait console=ttyMSM0,115200n8",
    "--ramdisk_type", "platform", "--ramdisk_name", "PLAT", "--vendor_ramdisk_fragment", "@plat",
    "--ramdisk_type", "dlkm", "--ramdisk_name", "DLKM", "--board_id0", "0x2a",
    "--vendor_ramdisk_fragment", "@dlkm",
]


def test_vendor_boot_v4_is_identical_to_kir_mkbootimg(kir_bin: Path, tmp_path: Path) -> None:
    out = tmp_path / "vendor_boot.img"
    subprocess.run([str(kir_bin), "mkbootimg", *flags(VENDOR_CLI, tmp_path), "--vendor_boot", str(out)],
                   check=True)
    built = kir.MkbootimgArgs(**VENDOR_OPTIONS).vendor_boot_image().to_bytes()
    assert built == out.read_bytes()


def test_vendor_boot_v4_is_identical_to_aosp_mkbootimg(tmp_path: Path) -> None:
    tool = reference_mkbootimg()
    if tool is None:
        pytest.skip("AOSP mkbootimg not available (set KIR_MKBOOTIMG)")
    out = tmp_path / "vendor_boot.img"
    subprocess.run(["python3", tool, *flags(VENDOR_CLI, tmp_path), "--vendor_boot", str(out)], check=True)
    assert kir.MkbootimgArgs(**VENDOR_OPTIONS).vendor_boot_image().to_bytes() == out.read_bytes()


def test_parsed_vendor_boot_has_named_fragments_and_bootconfig() -> None:
    data = kir.MkbootimgArgs(**VENDOR_OPTIONS).vendor_boot_image().to_bytes()
    image = kir.VendorBootImage.parse(data)
    assert image.header_version == 4
    assert [(r.name, r.ramdisk_type, r.data) for r in image.ramdisks] == [
        ("PLAT", 1, PLAT),
        ("DLKM", 3, DLKM),
    ]
    assert image.ramdisks[1].board_id[0] == 0x2A
    assert image.bootconfig == BOOTCONFIG
    assert image.dtb == DTB
    assert image.ramdisk_addr == 0x11000000
    assert image.to_bytes() == data


def test_parsed_v2_image_exposes_header_fields_by_name() -> None:
    image = kir.BootImage.parse(kir.mkbootimg(**CASES[1][1]))
    assert image.header_version == 2
    assert image.page_size == 2048
    assert image.kernel == KERNEL
    assert image.ramdisk == b""
    assert image.dtb == DTB
    assert image.kernel_addr == 0x10008000
    assert image.tags_addr == 0x10000000
    assert image.dtb_addr == 0x10000000
    assert image.os_version == "10.0.0"
    assert image.os_patch_level == "2019-12"
    assert image.cmdline == "rw earlycon"


def test_image_made_by_debian_mkbootimg_parses(tmp_path: Path) -> None:
    tool = shutil.which("mkbootimg")
    if tool is None:
        if in_ci():
            pytest.fail("Debian mkbootimg missing (scripts/deps/apt.txt installs it)")
        pytest.skip("Debian mkbootimg not installed")
    out = tmp_path / "boot.img"
    subprocess.run([tool, *flags(CASES[0][2], tmp_path), "--output", str(out)], check=True)
    image = kir.BootImage.parse(out.read_bytes())
    assert (image.kernel, image.ramdisk, image.cmdline) == (KERNEL, RAMDISK, QCOM_CMDLINE)
    assert image.kernel_addr == 0x80008000


def test_constructed_image_round_trips_through_bytes() -> None:
    image = kir.BootImage(header_version=1, kernel=KERNEL, ramdisk=RAMDISK, recovery_dtbo=b"",
                          name="board", cmdline="console=ttyS0", os_version="12.1",
                          os_patch_level="2023-07-05")
    again = kir.BootImage.parse(image.to_bytes())
    assert (again.kernel, again.ramdisk, again.name) == (KERNEL, RAMDISK, "board")
    assert again.recovery_dtbo == b""
    assert (again.os_version, again.os_patch_level) == ("12.1.0", "2023-07")
    assert again.to_bytes() == image.to_bytes()


def test_unpack_lists_parts_and_mkbootimg_arguments() -> None:
    unpacked = kir.unpack_bootimg(kir.mkbootimg(**CASES[1][1]), out_dir="x")
    files = {f.name: f.data for f in unpacked.files}
    assert files["kernel"] == KERNEL
    assert files["dtb"] == DTB
    assert "--header_version" in unpacked.mkbootimg_args
    assert "x/kernel" in unpacked.mkbootimg_args
    assert "header version: 2" in unpacked.info


def test_parsing_from_threads_gives_the_same_result() -> None:
    data = kir.mkbootimg(**CASES[0][1])
    results: list[bytes] = []

    def work() -> None:
        results.append(kir.BootImage.parse(data).kernel)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [KERNEL] * 4


def test_bad_magic_raises_malformed_error_at_offset_zero() -> None:
    with pytest.raises(kir.MalformedError) as caught:
        kir.BootImage.parse(b"NOTANDROID" + bytes(4000))
    assert (caught.value.offset, caught.value.field) == (0, "magic")


def test_truncated_kernel_raises_malformed_error_naming_the_size_field() -> None:
    data = kir.mkbootimg(**CASES[0][1])
    with pytest.raises(kir.MalformedError) as caught:
        kir.BootImage.parse(data[:4096])
    assert caught.value.field == "kernel_size"
    assert caught.value.offset == 8
    assert "boot image" in caught.value.format


def test_unknown_header_version_raises_malformed_error_naming_the_field() -> None:
    data = bytearray(kir.mkbootimg(**CASES[0][1]))
    data[40:44] = (7).to_bytes(4, "little")
    with pytest.raises(kir.MalformedError) as caught:
        kir.BootImage.parse(bytes(data))
    assert (caught.value.offset, caught.value.field) == (40, "header_version")


def test_vendor_boot_parser_refuses_a_boot_image() -> None:
    with pytest.raises(kir.MalformedError) as caught:
        kir.VendorBootImage.parse(kir.mkbootimg(**CASES[0][1]))
    assert caught.value.field == "magic"


def test_bad_page_size_raises_invalid_argument_error() -> None:
    with pytest.raises(kir.InvalidArgumentError) as caught:
        kir.mkbootimg(kernel=KERNEL, page_size=1000)
    assert "1000" in str(caught.value)


def test_too_long_cmdline_raises_invalid_argument_error() -> None:
    with pytest.raises(kir.InvalidArgumentError):
        kir.mkbootimg(kernel=KERNEL, cmdline="x" * 1535)


def test_bad_os_version_raises_invalid_argument_error() -> None:
    with pytest.raises(kir.InvalidArgumentError) as caught:
        kir.BootImage(os_version="android")
    assert caught.value.name == "os_version"
    with pytest.raises(kir.InvalidArgumentError):
        kir.mkbootimg(kernel=KERNEL, os_version="200.0.0")


def test_board_id_of_wrong_length_raises_invalid_argument_error() -> None:
    with pytest.raises(kir.InvalidArgumentError) as caught:
        kir.VendorRamdisk(b"", board_id=[1, 2, 3])
    assert caught.value.name == "board_id"


def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        kir.mkbootimg(kernel=KERNEL, pagesize=4096)
