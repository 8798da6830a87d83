# Type stubs for the native module kir._kir (checked against it by
# `python -m mypy.stubtest kir`). Each area has its own section.
from os import PathLike
from typing import Any, Final, Optional, Sequence, Union, final

__version__: Final[str]
__all__ = [
    "__version__",
    # errors
    "KirError",
    "MalformedError",
    "UnsupportedError",
    "InvalidArgumentError",
    "CheckError",
    "RecipeError",
    "UnsafePathError",
    "FetchError",
    "IoError",
    # bootimg
    "BootImage",
    "VendorBootImage",
    "VendorRamdisk",
    "MkbootimgArgs",
    "UnpackedFile",
    "UnpackedBootImage",
    "mkbootimg",
    "unpack_bootimg",
    "VENDOR_RAMDISK_TYPE_NONE",
    "VENDOR_RAMDISK_TYPE_PLATFORM",
    "VENDOR_RAMDISK_TYPE_RECOVERY",
    "VENDOR_RAMDISK_TYPE_DLKM",
    # cpio
    "CpioEntry",
    "CpioNewEntry",
    "CpioSegment",
    "CpioExtractReport",
    "cpio_read",
    "cpio_read_initramfs",
    "cpio_write",
    "cpio_to_new_entries",
    "cpio_extract",
    "decompress",
    "sniff_compression",
    # repack
    "RepackResult",
    "repack_boot",
    "recipe_names",
    "repack_demo_inputs",
    # buildplan
    "BuildPlanError",
    "tuxmake_plan",
    "tuxsuite_expand",
    # sparse and disk images
    "SparseChunkInfo",
    "sparse_encode",
    "sparse_encode_file",
    "sparse_decode",
    "sparse_decode_file",
    "sparse_chunks",
    "disk_image",
    "create_uboot",
    # lava
    "LavaJobError",
    "LavaIssue",
    "LavaReport",
    "lava_validate",
    "lava_job_load",
    "lava_job_dump",
    "yaml_dump",
    # testplan
    "TestplanError",
    "TestplanJob",
    "TestplanOutcome",
    "testplan_render",
    "testplan_render_matrix",
    "testplan_bundled_files",
    # ext4 and root file systems
    "ext4_from_tar",
    "ext4_to_tar",
    "ext4_list",
    "resize_rootfs",
]

# --- errors ----------------------------------------------------------------

class KirError(Exception): ...

class MalformedError(KirError):
    format: str
    offset: int
    field: str
    reason: str

class UnsupportedError(KirError):
    format: str
    reason: str

class InvalidArgumentError(KirError):
    name: str
    reason: str

class CheckError(KirError):
    input: str
    reason: str

class RecipeError(KirError):
    recipe: str
    reason: str

class UnsafePathError(KirError):
    archive: str
    entry: str
    reason: str

class FetchError(KirError):
    url: str
    reason: str

class IoError(KirError):
    path: str
    errno: Optional[int]

# --- bootimg ---------------------------------------------------------------

VENDOR_RAMDISK_TYPE_NONE: Final[int]
VENDOR_RAMDISK_TYPE_PLATFORM: Final[int]
VENDOR_RAMDISK_TYPE_RECOVERY: Final[int]
VENDOR_RAMDISK_TYPE_DLKM: Final[int]

@final
class BootImage:
    header_version: int
    page_size: int
    kernel_addr: int
    ramdisk_addr: int
    second_addr: int
    tags_addr: int
    dtb_addr: int
    os_version: Optional[str]
    os_patch_level: Optional[str]
    name: str
    cmdline: str
    kernel: bytes
    ramdisk: bytes
    second: bytes
    recovery_dtbo: Optional[bytes]
    dtb: bytes
    boot_signature: bytes
    def __new__(
        cls,
        *,
        header_version: int = 0,
        page_size: int = 2048,
        kernel_addr: int = 0,
        ramdisk_addr: int = 0,
        second_addr: int = 0,
        tags_addr: int = 0,
        dtb_addr: int = 0,
        os_version: Optional[str] = None,
        os_patch_level: Optional[str] = None,
        name: str = ...,
        cmdline: str = ...,
        kernel: Optional[bytes] = None,
        ramdisk: Optional[bytes] = None,
        second: Optional[bytes] = None,
        recovery_dtbo: Optional[bytes] = None,
        dtb: Optional[bytes] = None,
        boot_signature: Optional[bytes] = None,
    ) -> BootImage: ...
    @staticmethod
    def parse(data: bytes) -> BootImage: ...
    def to_bytes(self) -> bytes: ...

@final
class VendorRamdisk:
    ramdisk_type: int
    name: str
    board_id: list[int]
    data: bytes
    def __new__(
        cls,
        data: bytes,
        *,
        ramdisk_type: int = 1,
        name: str = ...,
        board_id: Optional[Sequence[int]] = None,
    ) -> VendorRamdisk: ...

@final
class VendorBootImage:
    header_version: int
    page_size: int
    kernel_addr: int
    ramdisk_addr: int
    tags_addr: int
    dtb_addr: int
    name: str
    cmdline: str
    ramdisks: list[VendorRamdisk]
    dtb: bytes
    bootconfig: bytes
    def __new__(
        cls,
        *,
        header_version: int = 4,
        page_size: int = 2048,
        kernel_addr: int = 0,
        ramdisk_addr: int = 0,
        tags_addr: int = 0,
        dtb_addr: int = 0,
        name: str = ...,
        cmdline: str = ...,
        ramdisks: Sequence[VendorRamdisk] = ...,
        dtb: Optional[bytes] = None,
        bootconfig: Optional[bytes] = None,
    ) -> VendorBootImage: ...
    @staticmethod
    def parse(data: bytes) -> VendorBootImage: ...
    def to_bytes(self) -> bytes: ...

@final
class MkbootimgArgs:
    def __new__(
        cls,
        *,
        header_version: int = 0,
        kernel: Optional[bytes] = None,
        ramdisk: Optional[bytes] = None,
        second: Optional[bytes] = None,
        dtb: Optional[bytes] = None,
        recovery_dtbo: Optional[bytes] = None,
        cmdline: str = ...,
        vendor_cmdline: str = ...,
        base: int = 0x10000000,
        kernel_offset: int = 0x00008000,
        ramdisk_offset: int = 0x01000000,
        second_offset: int = 0x00F00000,
        dtb_offset: int = 0x01F00000,
        tags_offset: int = 0x00000100,
        os_version: Optional[str] = None,
        os_patch_level: Optional[str] = None,
        board: str = ...,
        page_size: int = 2048,
        vendor_ramdisk: Optional[bytes] = None,
        vendor_bootconfig: Optional[bytes] = None,
        vendor_ramdisk_fragments: Sequence[VendorRamdisk] = ...,
        boot_signature: Optional[bytes] = None,
    ) -> MkbootimgArgs: ...
    def boot_image(self) -> BootImage: ...
    def vendor_boot_image(self) -> VendorBootImage: ...

def mkbootimg(
    *,
    header_version: int = 0,
    kernel: Optional[bytes] = None,
    ramdisk: Optional[bytes] = None,
    second: Optional[bytes] = None,
    dtb: Optional[bytes] = None,
    recovery_dtbo: Optional[bytes] = None,
    cmdline: str = ...,
    vendor_cmdline: str = ...,
    base: int = 0x10000000,
    kernel_offset: int = 0x00008000,
    ramdisk_offset: int = 0x01000000,
    second_offset: int = 0x00F00000,
    dtb_offset: int = 0x01F00000,
    tags_offset: int = 0x00000100,
    os_version: Optional[str] = None,
    os_patch_level: Optional[str] = None,
    board: str = ...,
    page_size: int = 2048,
    vendor_ramdisk: Optional[bytes] = None,
    vendor_bootconfig: Optional[bytes] = None,
    vendor_ramdisk_fragments: Sequence[VendorRamdisk] = ...,
    boot_signature: Optional[bytes] = None,
) -> bytes: ...

@final
class UnpackedFile:
    name: str
    data: bytes
    symlink: Optional[str]

@final
class UnpackedBootImage:
    files: list[UnpackedFile]
    info: str
    mkbootimg_args: list[str]

def unpack_bootimg(data: bytes, out_dir: str = "out") -> UnpackedBootImage: ...

# --- cpio ------------------------------------------------------------------

@final
class CpioEntry:
    name: str
    ino: int
    mode: int
    uid: int
    gid: int
    nlink: int
    mtime: int
    dev_major: int
    dev_minor: int
    rdev_major: int
    rdev_minor: int
    data: bytes
    @property
    def file_type(self) -> Optional[str]: ...
    @property
    def permissions(self) -> int: ...

@final
class CpioNewEntry:
    path: str
    kind: str
    data: bytes
    target: str
    major: int
    minor: int
    permissions: int
    uid: int
    gid: int
    def __new__(
        cls,
        path: str,
        kind: str,
        *,
        data: Optional[bytes] = None,
        target: Optional[str] = None,
        major: int = 0,
        minor: int = 0,
        permissions: int = 0o644,
        uid: int = 0,
        gid: int = 0,
    ) -> CpioNewEntry: ...

@final
class CpioSegment:
    offset: int
    compression: str
    entries: list[CpioEntry]

@final
class CpioExtractReport:
    written: int
    skipped: list[str]

def cpio_read(data: bytes) -> list[CpioEntry]: ...
def cpio_read_initramfs(data: bytes) -> list[CpioSegment]: ...
def cpio_write(
    entries: Sequence[CpioNewEntry],
    *,
    mtime: int = 0,
    owner: Optional[tuple[int, int]] = (0, 0),
    pad_to: int = 512,
    first_ino: int = 1,
    gzip_level: Optional[int] = None,
) -> bytes: ...
def cpio_to_new_entries(entries: Sequence[CpioEntry]) -> list[CpioNewEntry]: ...
def cpio_extract(
    entries: Sequence[CpioEntry], dest: Union[str, PathLike[str]]
) -> CpioExtractReport: ...
def decompress(data: bytes) -> bytes: ...
def sniff_compression(data: bytes) -> str: ...

# --- buildplan -------------------------------------------------------------

class BuildPlanError(KirError):
    kind: str
    what: str
    reason: str

def tuxmake_plan(
    args: Sequence[str],
    *,
    machine: Optional[str] = None,
    env: Optional[dict[str, str]] = None,
    existing_paths: Optional[Sequence[str]] = None,
    programs: Optional[Sequence[str]] = None,
    cwd: Optional[str] = None,
    cpus: Optional[int] = None,
) -> str: ...
def tuxsuite_expand(
    text: str,
    *,
    format: str = "expansion",
    source_name: str = "plan.yaml",
    set_name: Optional[str] = None,
    job_names: Optional[Sequence[str]] = None,
    tree: str = ".",
    output_dir: str = "output",
    runtime: str = "podman",
    wrapper: str = "none",
    host: str = "x86_64",
) -> tuple[str, list[str]]: ...

# --- repack ----------------------------------------------------------------

@final
class RepackResult:
    files: dict[str, bytes]
    kernel_format: str
    kernel_release: Optional[str]
    dtb_compatible: list[str]
    modules_release: Optional[str]
    module_count: int
    notes: list[str]

def repack_boot(
    target: Union[str, dict[str, Any]],
    kernel: bytes,
    dtb: Optional[bytes] = None,
    initrd: Optional[bytes] = None,
    modules: Optional[bytes] = None,
    *,
    nfs_server_ip: Optional[str] = None,
    nfs_rootfs: Optional[str] = None,
    modules_prefix: Optional[str] = None,
    clear_modules: bool = False,
    merge_ramdisk: bool = False,
    allow_release_mismatch: bool = False,
    allow_dtb_mismatch: bool = False,
    mtime: int = 0,
    recipes_dir: Optional[Union[str, PathLike[str]]] = None,
) -> RepackResult: ...
def recipe_names(recipes_dir: Optional[Union[str, PathLike[str]]] = None) -> list[str]: ...
def repack_demo_inputs(target: str) -> dict[str, Optional[bytes]]: ...

# --- sparse and disk images ------------------------------------------------

@final
class SparseChunkInfo:
    kind: str
    value: Optional[int]
    index: int
    header_offset: int
    data_offset: int
    first_block: int
    blocks: int

def sparse_encode(
    data: bytes,
    *,
    block_size: int = 4096,
    checksum: bool = False,
    free_blocks: Sequence[tuple[int, int]] = ...,
) -> bytes: ...
def sparse_encode_file(
    raw: Union[str, PathLike[str]],
    output: Union[str, PathLike[str]],
    *,
    block_size: int = 4096,
    checksum: bool = False,
    holes: str = "fill",
    free_blocks: Sequence[tuple[int, int]] = ...,
) -> None: ...
def sparse_decode(data: bytes, *, verify: bool = True) -> bytes: ...
def sparse_decode_file(
    image: Union[str, PathLike[str]], output: Union[str, PathLike[str]], *, verify: bool = True
) -> int: ...
def sparse_chunks(data: bytes) -> list[SparseChunkInfo]: ...
def disk_image(
    layout: str,
    output: Union[str, PathLike[str]],
    *,
    base_dir: Union[str, PathLike[str]] = ...,
    sparse: bool = False,
) -> list[tuple[int, int]]: ...
def create_uboot(
    mlo: Union[str, PathLike[str]],
    uboot: Union[str, PathLike[str]],
    output: Union[str, PathLike[str]],
    *,
    disk_id: Optional[int] = None,
    volume_id: Optional[int] = None,
    timestamp: Optional[int] = None,
) -> None: ...

# --- lava ------------------------------------------------------------------

class LavaJobError(KirError):
    kind: str
    line: int
    column: int
    reason: str

@final
class LavaIssue:
    kind: str
    severity: str
    path: str
    line: int
    column: int
    message: str

@final
class LavaReport:
    valid: bool
    lava_accepts: bool
    issues: list[LavaIssue]

def lava_validate(
    job: str, strict: bool = False, extra_context_variables: Optional[Sequence[str]] = None
) -> LavaReport: ...
def lava_job_load(job: str) -> dict[str, Any]: ...
def lava_job_dump(job: dict[str, Any]) -> str: ...
def yaml_dump(data: Any) -> str: ...

# --- testplan --------------------------------------------------------------

class TestplanError(KirError):
    kind: str
    variable: Optional[str]
    template: Optional[str]
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    reason: str

@final
class TestplanJob:
    device_type: str
    test: str
    raw: str
    yaml: str
    output_path: str

@final
class TestplanOutcome:
    device_type: str
    test: str
    job: Optional[TestplanJob]
    error: Optional[TestplanError]
    @property
    def ok(self) -> bool: ...

def testplan_render(
    device_type: str,
    test: str,
    variables: Optional[Sequence[Union[str, PathLike[str]]]] = None,
    overwrite_variables: Optional[Sequence[str]] = None,
    template_path: Optional[Union[str, PathLike[str]]] = None,
    testplan_path: Optional[Union[str, PathLike[str]]] = None,
    testcase_path: Optional[Union[str, PathLike[str]]] = None,
    testplan_device_path: Optional[Union[str, PathLike[str]]] = None,
    overlays: Optional[Sequence[Union[str, tuple[str, str]]]] = None,
    cwd: Optional[Union[str, PathLike[str]]] = None,
) -> TestplanJob: ...
def testplan_render_matrix(
    device_types: Sequence[str],
    tests: Optional[Sequence[str]] = None,
    test_plans: Optional[Sequence[str]] = None,
    variable_sets: Optional[Sequence[Sequence[Union[str, PathLike[str]]]]] = None,
    overwrite_variables: Optional[Sequence[str]] = None,
    template_path: Optional[Union[str, PathLike[str]]] = None,
    testplan_path: Optional[Union[str, PathLike[str]]] = None,
    testcase_path: Optional[Union[str, PathLike[str]]] = None,
    testplan_device_path: Optional[Union[str, PathLike[str]]] = None,
    overlays: Optional[Sequence[Union[str, tuple[str, str]]]] = None,
    cwd: Optional[Union[str, PathLike[str]]] = None,
) -> list[TestplanOutcome]: ...
def testplan_bundled_files() -> dict[str, str]: ...

# --- ext4 and root file systems ---------------------------------------------

def ext4_from_tar(
    tar: bytes,
    *,
    profile: str = "compat",
    block_size: Optional[int] = None,
    size_bytes: Optional[int] = None,
    slack_bytes: int = 0,
    label: bytes = ...,
) -> bytes: ...
def ext4_to_tar(image: bytes) -> bytes: ...
def ext4_list(image: bytes) -> list[tuple[str, int, int, int, int]]: ...
def resize_rootfs(
    rootfs: Union[str, PathLike[str]],
    *,
    overlay: Optional[Union[str, PathLike[str]]] = None,
    modules_path: str = ...,  # "/"
    clear_modules: bool = False,
    sparse: bool = False,
    xz: bool = False,
    extra_size_kib: int = 64000,
    profile: str = "compat",
    output_dir: Union[str, PathLike[str]] = ...,
) -> str: ...
