"""Build a boot image for the e850-96 board in-process, parse it back, and
repack a gs101 board's images from KIR's recipe, all with `import kir`.

    python examples/python/build_boot_image.py [OUTPUT.img]
"""

from __future__ import annotations

import sys

import kir


def main() -> int:
    kernel = bytes(range(256)) * 500
    dtb = b"\xd0\x0d\xfe\xed" + bytes(60)

    # mkbootimg --header_version 2 --kernel K --dtb D --cmdline ... --tags_offset 0 --dtb_offset 0
    image = kir.mkbootimg(
        header_version=2,
        kernel=kernel,
        dtb=dtb,
        cmdline="rw androidboot.hardware=exynos850 earlycon",
        os_version="10",
        os_patch_level="2019-12-01",
        tags_offset=0,
        dtb_offset=0,
    )
    if len(sys.argv) > 1:
        with open(sys.argv[1], "wb") as out:
            out.write(image)

    parsed = kir.BootImage.parse(image)
    assert parsed.kernel == kernel and parsed.dtb == dtb
    print(f"boot.img v{parsed.header_version}: {len(image)} bytes, kernel at {parsed.kernel_addr:#x}, "
          f"Android {parsed.os_version} ({parsed.os_patch_level})")

    try:
        kir.BootImage.parse(image[:3000])
    except kir.MalformedError as err:
        print(f"truncated image refused: field {err.field} at offset {err.offset}")

    inputs = kir.repack_demo_inputs("gs101-oriole")
    demo_kernel = inputs["kernel"]
    assert demo_kernel is not None
    result = kir.repack_boot(
        "gs101-oriole", demo_kernel, inputs["dtb"], inputs["initrd"], inputs["modules"]
    )
    vendor = kir.VendorBootImage.parse(result.files["vendor_boot.img"])
    print(f"gs101-oriole: {', '.join(result.files)}; vendor ramdisks "
          f"{[r.name for r in vendor.ramdisks]}, {result.module_count} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
