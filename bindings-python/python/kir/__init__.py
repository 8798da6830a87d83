"""kir: kernel-lab tooling in-process.

Build and parse Android boot and vendor_boot images, read and write cpio
archives and repack boot images with KIR's recipes, from bytes to bytes.
Everything kir raises derives from :class:`kir.KirError`; each subclass
carries the detail of the failure as attributes (``offset``, ``field``, ...).
"""

from ._kir import *  # noqa: F401,F403
from ._kir import __all__ as __all__
