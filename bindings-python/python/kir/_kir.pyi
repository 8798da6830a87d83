# Type stubs for the native module kir._kir (checked against it by
# `python -m mypy.stubtest kir`). Each area has its own section.
from os import PathLike
from typing import Final, Optional, Sequence, Union, final

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
    # buildplan
    "BuildPlanError",
    "tuxmake_plan",
    "tuxsuite_expand",
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
