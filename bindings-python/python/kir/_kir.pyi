# Type stubs for the native module kir._kir (checked against it by
# `python -m mypy.stubtest kir`). Each area has its own section.
from typing import Final, Optional

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
