"""Sparse and disk images through kir, checked against AOSP img2simg/simg2img and sfdisk."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import kir
import pytest
from conftest import in_ci


def tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    if in_ci():
        pytest.fail(f"{name} is missing (scripts/deps/apt.txt installs it)")
    pytest.skip(f"{name} not installed")


def image_bytes() -> bytes:
    return os.urandom(5000) + bytes(3 * 4096) + b"\xff" * 4096 + b"tail"


def test_encoded_bytes_match_img2simg(tmp_path: Path) -> None:
    raw = tmp_path / "raw.img"
    raw.write_bytes(image_bytes())
    subprocess.run([tool("img2simg"), str(raw), str(tmp_path / "ref.simg")], check=True)
    assert kir.sparse_encode(raw.read_bytes()) == (tmp_path / "ref.simg").read_bytes()
    kir.sparse_encode_file(raw, tmp_path / "kir.simg")
    assert (tmp_path / "kir.simg").read_bytes() == (tmp_path / "ref.simg").read_bytes()


def test_decoded_file_matches_simg2img(tmp_path: Path) -> None:
    data = image_bytes()
    simg = tmp_path / "a.simg"
    simg.write_bytes(kir.sparse_encode(data, free_blocks=[(1, 2)], checksum=True))
    subprocess.run([tool("simg2img"), str(simg), str(tmp_path / "ref.raw")], check=True)
    size = kir.sparse_decode_file(simg, tmp_path / "kir.raw")
    assert size == (tmp_path / "ref.raw").stat().st_size
    assert (tmp_path / "kir.raw").read_bytes() == (tmp_path / "ref.raw").read_bytes()


def test_chunks_list_fill_dont_care_and_crc() -> None:
    image = kir.sparse_encode(bytes(8192) + os.urandom(4096), free_blocks=[(2, 3)], checksum=True)
    kinds = [(c.kind, c.blocks) for c in kir.sparse_chunks(image)]
    assert kinds == [("fill", 2), ("dont_care", 1), ("crc32", 0)]
    assert kir.sparse_decode(image)[:8192] == bytes(8192)


def test_malformed_image_raises_with_offset_and_field() -> None:
    image = bytearray(kir.sparse_encode(os.urandom(4096)))
    image[28] = 0x99  # chunk_type of the first chunk
    with pytest.raises(kir.MalformedError) as err:
        kir.sparse_decode(bytes(image))
    assert err.value.field == "chunk_type"
    assert err.value.offset == 28


def test_bad_block_size_raises_invalid_argument() -> None:
    with pytest.raises(kir.InvalidArgumentError) as err:
        kir.sparse_encode(b"x", block_size=1001)
    assert err.value.name == "block_size"


def test_create_uboot_layout_reads_back_with_sfdisk(tmp_path: Path) -> None:
    (tmp_path / "MLO").write_bytes(os.urandom(1000))
    (tmp_path / "u-boot.img").write_bytes(os.urandom(5000))
    out = tmp_path / "x15.img"
    kir.create_uboot(tmp_path / "MLO", tmp_path / "u-boot.img", out, disk_id=0x1234ABCD)
    dump = subprocess.run([tool("sfdisk"), "-d", str(out)], check=True, capture_output=True, text=True).stdout
    assert "label-id: 0x1234abcd" in dump
    assert "start=          32, size=       96545, type=6, bootable" in dump


def test_disk_image_places_partitions_and_refuses_bad_layouts(tmp_path: Path) -> None:
    parts = kir.disk_image('table = "gpt"\n[[partition]]\ncontent = "empty"\nsize = "1MiB"\n', tmp_path / "d.img")
    assert parts == [(2048, 2048)]
    with pytest.raises(kir.InvalidArgumentError):
        kir.disk_image("table = 5\n", tmp_path / "e.img")
