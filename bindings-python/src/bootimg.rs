//! Android boot images: `kir.BootImage`, `kir.VendorBootImage`,
//! `kir.MkbootimgArgs` / `kir.mkbootimg` and `kir.unpack_bootimg`.

use kir_core::bootimg::{
    self, BootImage as CoreBootImage, MkbootimgArgs as CoreArgs, OsVersion, PatchLevel,
    VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE, VendorBootImage as CoreVendorBootImage,
    VendorRamdisk as CoreVendorRamdisk,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::core_error;

fn bytes(py: Python<'_>, data: &[u8]) -> Py<PyBytes> {
    PyBytes::new(py, data).unbind()
}

fn empty(py: Python<'_>) -> Py<PyBytes> {
    bytes(py, b"")
}

fn vec(data: Option<Bound<'_, PyBytes>>) -> Option<Vec<u8>> {
    data.map(|d| d.as_bytes().to_vec())
}

fn owned(py: Python<'_>, data: &Py<PyBytes>) -> Vec<u8> {
    data.as_bytes(py).to_vec()
}

/// `"A.B.C"` as mkbootimg's `--os_version` reads it; text that does not
/// start with a version is refused here rather than silently dropped.
fn os_version(text: Option<&str>) -> PyResult<Option<OsVersion>> {
    let Some(text) = text else { return Ok(None) };
    match OsVersion::parse_mkbootimg(text).map_err(core_error)? {
        Some(v) => Ok(Some(v)),
        None => Err(core_error(kir_core::Error::invalid_argument(
            "os_version",
            format!("{text:?} is not a version A[.B[.C]]"),
        ))),
    }
}

/// `"YYYY-MM[-DD]"` as mkbootimg's `--os_patch_level` reads it.
fn patch_level(text: Option<&str>) -> PyResult<Option<PatchLevel>> {
    let Some(text) = text else { return Ok(None) };
    match PatchLevel::parse_mkbootimg(text).map_err(core_error)? {
        Some(p) => Ok(Some(p)),
        None => Err(core_error(kir_core::Error::invalid_argument(
            "os_patch_level",
            format!("{text:?} is not a date YYYY-MM[-DD]"),
        ))),
    }
}

/// A boot.img (header v0–v4) with its parts as bytes. Attributes are named
/// after the header's fields; parts a version lacks are empty.
#[pyclass(module = "kir", frozen, get_all)]
pub struct BootImage {
    header_version: u32,
    page_size: u32,
    kernel_addr: u32,
    ramdisk_addr: u32,
    second_addr: u32,
    tags_addr: u32,
    dtb_addr: u64,
    os_version: Option<String>,
    os_patch_level: Option<String>,
    name: String,
    cmdline: String,
    kernel: Py<PyBytes>,
    ramdisk: Py<PyBytes>,
    second: Py<PyBytes>,
    recovery_dtbo: Option<Py<PyBytes>>,
    dtb: Py<PyBytes>,
    boot_signature: Py<PyBytes>,
}

#[pymethods]
impl BootImage {
    #[new]
    #[pyo3(signature = (
        *, header_version=0, page_size=2048, kernel_addr=0, ramdisk_addr=0, second_addr=0,
        tags_addr=0, dtb_addr=0, os_version=None, os_patch_level=None, name=String::new(),
        cmdline=String::new(), kernel=None, ramdisk=None, second=None, recovery_dtbo=None,
        dtb=None, boot_signature=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        header_version: u32,
        page_size: u32,
        kernel_addr: u32,
        ramdisk_addr: u32,
        second_addr: u32,
        tags_addr: u32,
        dtb_addr: u64,
        os_version: Option<&str>,
        os_patch_level: Option<&str>,
        name: String,
        cmdline: String,
        kernel: Option<Py<PyBytes>>,
        ramdisk: Option<Py<PyBytes>>,
        second: Option<Py<PyBytes>>,
        recovery_dtbo: Option<Py<PyBytes>>,
        dtb: Option<Py<PyBytes>>,
        boot_signature: Option<Py<PyBytes>>,
    ) -> PyResult<Self> {
        let os_version = self::os_version(os_version)?.map(|v| v.to_string());
        let os_patch_level = patch_level(os_patch_level)?.map(|p| p.to_string());
        Ok(BootImage {
            header_version,
            page_size,
            kernel_addr,
            ramdisk_addr,
            second_addr,
            tags_addr,
            dtb_addr,
            os_version,
            os_patch_level,
            name,
            cmdline,
            kernel: kernel.unwrap_or_else(|| empty(py)),
            ramdisk: ramdisk.unwrap_or_else(|| empty(py)),
            second: second.unwrap_or_else(|| empty(py)),
            recovery_dtbo,
            dtb: dtb.unwrap_or_else(|| empty(py)),
            boot_signature: boot_signature.unwrap_or_else(|| empty(py)),
        })
    }

    /// Parses a boot.img; every size and offset is checked against `data`.
    #[staticmethod]
    fn parse(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let image = py
            .detach(|| CoreBootImage::parse(data))
            .map_err(core_error)?;
        Ok(BootImage::from_core(py, image))
    }

    /// The image as AOSP mkbootimg lays it out.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let image = self.to_core(py)?;
        let out = py.detach(|| image.to_bytes()).map_err(core_error)?;
        Ok(PyBytes::new(py, &out))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "BootImage(header_version={}, page_size={}, kernel={} bytes, ramdisk={} bytes, cmdline={:?})",
            self.header_version,
            self.page_size,
            self.kernel.as_bytes(py).len(),
            self.ramdisk.as_bytes(py).len(),
            self.cmdline
        )
    }
}

impl BootImage {
    fn from_core(py: Python<'_>, i: CoreBootImage) -> Self {
        BootImage {
            header_version: i.header_version,
            page_size: i.page_size,
            kernel_addr: i.kernel_addr,
            ramdisk_addr: i.ramdisk_addr,
            second_addr: i.second_addr,
            tags_addr: i.tags_addr,
            dtb_addr: i.dtb_addr,
            os_version: i.os_version.map(|v| v.to_string()),
            os_patch_level: i.os_patch_level.map(|p| p.to_string()),
            name: i.name,
            cmdline: i.cmdline,
            kernel: bytes(py, &i.kernel),
            ramdisk: bytes(py, &i.ramdisk),
            second: bytes(py, &i.second),
            recovery_dtbo: i.recovery_dtbo.map(|d| bytes(py, &d)),
            dtb: bytes(py, &i.dtb),
            boot_signature: bytes(py, &i.boot_signature),
        }
    }

    fn to_core(&self, py: Python<'_>) -> PyResult<CoreBootImage> {
        Ok(CoreBootImage {
            header_version: self.header_version,
            page_size: self.page_size,
            kernel_addr: self.kernel_addr,
            ramdisk_addr: self.ramdisk_addr,
            second_addr: self.second_addr,
            tags_addr: self.tags_addr,
            dtb_addr: self.dtb_addr,
            os_version: os_version(self.os_version.as_deref())?,
            os_patch_level: patch_level(self.os_patch_level.as_deref())?,
            name: self.name.clone(),
            cmdline: self.cmdline.clone(),
            kernel: owned(py, &self.kernel),
            ramdisk: owned(py, &self.ramdisk),
            second: owned(py, &self.second),
            recovery_dtbo: self.recovery_dtbo.as_ref().map(|d| owned(py, d)),
            dtb: owned(py, &self.dtb),
            boot_signature: owned(py, &self.boot_signature),
        })
    }
}

/// One vendor ramdisk fragment and its v4 table entry. `ramdisk_type` is
/// one of the VENDOR_RAMDISK_TYPE_* values; `board_id` has 16 words.
#[pyclass(module = "kir", frozen, get_all)]
pub struct VendorRamdisk {
    ramdisk_type: u32,
    name: String,
    board_id: Vec<u32>,
    data: Py<PyBytes>,
}

#[pymethods]
impl VendorRamdisk {
    #[new]
    #[pyo3(signature = (data, *, ramdisk_type=1, name=String::new(), board_id=None))]
    fn new(
        data: Py<PyBytes>,
        ramdisk_type: u32,
        name: String,
        board_id: Option<Vec<u32>>,
    ) -> PyResult<Self> {
        let ramdisk = VendorRamdisk {
            ramdisk_type,
            name,
            board_id: board_id.unwrap_or_else(|| vec![0; VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE]),
            data,
        };
        ramdisk.board_id()?;
        Ok(ramdisk)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "VendorRamdisk(ramdisk_type={}, name={:?}, data={} bytes)",
            self.ramdisk_type,
            self.name,
            self.data.as_bytes(py).len()
        )
    }
}

impl VendorRamdisk {
    fn board_id(&self) -> PyResult<[u32; VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE]> {
        self.board_id.as_slice().try_into().map_err(|_| {
            core_error(kir_core::Error::invalid_argument(
                "board_id",
                format!(
                    "{} words given, a vendor ramdisk table entry has {}",
                    self.board_id.len(),
                    VENDOR_RAMDISK_TABLE_ENTRY_BOARD_ID_SIZE
                ),
            ))
        })
    }

    fn from_core(py: Python<'_>, r: CoreVendorRamdisk) -> Self {
        VendorRamdisk {
            ramdisk_type: r.ramdisk_type,
            name: r.name,
            board_id: r.board_id.to_vec(),
            data: bytes(py, &r.data),
        }
    }

    fn to_core(&self, py: Python<'_>) -> PyResult<CoreVendorRamdisk> {
        Ok(CoreVendorRamdisk {
            ramdisk_type: self.ramdisk_type,
            name: self.name.clone(),
            board_id: self.board_id()?,
            data: owned(py, &self.data),
        })
    }
}

fn ramdisks_to_core(
    py: Python<'_>,
    list: &[Py<VendorRamdisk>],
) -> PyResult<Vec<CoreVendorRamdisk>> {
    list.iter().map(|r| r.get().to_core(py)).collect()
}

/// A vendor_boot.img (header v3 or v4) with its parts as bytes.
#[pyclass(module = "kir", frozen, get_all)]
pub struct VendorBootImage {
    header_version: u32,
    page_size: u32,
    kernel_addr: u32,
    ramdisk_addr: u32,
    tags_addr: u32,
    dtb_addr: u64,
    name: String,
    cmdline: String,
    ramdisks: Vec<Py<VendorRamdisk>>,
    dtb: Py<PyBytes>,
    bootconfig: Py<PyBytes>,
}

#[pymethods]
impl VendorBootImage {
    #[new]
    #[pyo3(signature = (
        *, header_version=4, page_size=2048, kernel_addr=0, ramdisk_addr=0, tags_addr=0,
        dtb_addr=0, name=String::new(), cmdline=String::new(), ramdisks=Vec::new(), dtb=None,
        bootconfig=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        header_version: u32,
        page_size: u32,
        kernel_addr: u32,
        ramdisk_addr: u32,
        tags_addr: u32,
        dtb_addr: u64,
        name: String,
        cmdline: String,
        ramdisks: Vec<Py<VendorRamdisk>>,
        dtb: Option<Py<PyBytes>>,
        bootconfig: Option<Py<PyBytes>>,
    ) -> Self {
        VendorBootImage {
            header_version,
            page_size,
            kernel_addr,
            ramdisk_addr,
            tags_addr,
            dtb_addr,
            name,
            cmdline,
            ramdisks,
            dtb: dtb.unwrap_or_else(|| empty(py)),
            bootconfig: bootconfig.unwrap_or_else(|| empty(py)),
        }
    }

    /// Parses a vendor_boot.img; every size and offset is checked against `data`.
    #[staticmethod]
    fn parse(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let image = py
            .detach(|| CoreVendorBootImage::parse(data))
            .map_err(core_error)?;
        VendorBootImage::from_core(py, image)
    }

    /// The image as AOSP mkbootimg lays it out.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let image = self.to_core(py)?;
        let out = py.detach(|| image.to_bytes()).map_err(core_error)?;
        Ok(PyBytes::new(py, &out))
    }

    fn __repr__(&self) -> String {
        format!(
            "VendorBootImage(header_version={}, page_size={}, ramdisks={}, cmdline={:?})",
            self.header_version,
            self.page_size,
            self.ramdisks.len(),
            self.cmdline
        )
    }
}

impl VendorBootImage {
    fn from_core(py: Python<'_>, i: CoreVendorBootImage) -> PyResult<Self> {
        let ramdisks = i
            .ramdisks
            .into_iter()
            .map(|r| Py::new(py, VendorRamdisk::from_core(py, r)))
            .collect::<PyResult<_>>()?;
        Ok(VendorBootImage {
            header_version: i.header_version,
            page_size: i.page_size,
            kernel_addr: i.kernel_addr,
            ramdisk_addr: i.ramdisk_addr,
            tags_addr: i.tags_addr,
            dtb_addr: i.dtb_addr,
            name: i.name,
            cmdline: i.cmdline,
            ramdisks,
            dtb: bytes(py, &i.dtb),
            bootconfig: bytes(py, &i.bootconfig),
        })
    }

    fn to_core(&self, py: Python<'_>) -> PyResult<CoreVendorBootImage> {
        Ok(CoreVendorBootImage {
            header_version: self.header_version,
            page_size: self.page_size,
            kernel_addr: self.kernel_addr,
            ramdisk_addr: self.ramdisk_addr,
            tags_addr: self.tags_addr,
            dtb_addr: self.dtb_addr,
            name: self.name.clone(),
            cmdline: self.cmdline.clone(),
            ramdisks: ramdisks_to_core(py, &self.ramdisks)?,
            dtb: owned(py, &self.dtb),
            bootconfig: owned(py, &self.bootconfig),
        })
    }
}

/// mkbootimg's options (AOSP mkbootimg 34), files given as bytes. Absent
/// options take mkbootimg's defaults; `boot_image()` and
/// `vendor_boot_image()` apply mkbootimg's rules (addresses = base + offset,
/// required parts, size limits).
#[pyclass(module = "kir", frozen)]
pub struct MkbootimgArgs {
    args: CoreArgs,
}

#[pymethods]
impl MkbootimgArgs {
    #[new]
    #[pyo3(signature = (
        *, header_version=0, kernel=None, ramdisk=None, second=None, dtb=None,
        recovery_dtbo=None, cmdline=String::new(), vendor_cmdline=String::new(),
        base=0x1000_0000, kernel_offset=0x0000_8000, ramdisk_offset=0x0100_0000,
        second_offset=0x00f0_0000, dtb_offset=0x01f0_0000, tags_offset=0x0000_0100,
        os_version=None, os_patch_level=None, board=String::new(), page_size=2048,
        vendor_ramdisk=None, vendor_bootconfig=None, vendor_ramdisk_fragments=Vec::new(),
        boot_signature=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        header_version: u32,
        kernel: Option<Bound<'_, PyBytes>>,
        ramdisk: Option<Bound<'_, PyBytes>>,
        second: Option<Bound<'_, PyBytes>>,
        dtb: Option<Bound<'_, PyBytes>>,
        recovery_dtbo: Option<Bound<'_, PyBytes>>,
        cmdline: String,
        vendor_cmdline: String,
        base: u64,
        kernel_offset: u64,
        ramdisk_offset: u64,
        second_offset: u64,
        dtb_offset: u64,
        tags_offset: u64,
        os_version: Option<&str>,
        os_patch_level: Option<&str>,
        board: String,
        page_size: u32,
        vendor_ramdisk: Option<Bound<'_, PyBytes>>,
        vendor_bootconfig: Option<Bound<'_, PyBytes>>,
        vendor_ramdisk_fragments: Vec<Py<VendorRamdisk>>,
        boot_signature: Option<Bound<'_, PyBytes>>,
    ) -> PyResult<Self> {
        let args = CoreArgs {
            header_version,
            kernel: vec(kernel),
            ramdisk: vec(ramdisk),
            second: vec(second),
            dtb: vec(dtb),
            recovery_dtbo: vec(recovery_dtbo),
            cmdline,
            vendor_cmdline,
            base,
            kernel_offset,
            ramdisk_offset,
            second_offset,
            dtb_offset,
            tags_offset,
            os_version: OsVersion::parse_mkbootimg(os_version.unwrap_or_default())
                .map_err(core_error)?,
            os_patch_level: PatchLevel::parse_mkbootimg(os_patch_level.unwrap_or_default())
                .map_err(core_error)?,
            board,
            page_size,
            vendor_ramdisk: vec(vendor_ramdisk),
            vendor_bootconfig: vec(vendor_bootconfig),
            vendor_ramdisk_fragments: ramdisks_to_core(py, &vendor_ramdisk_fragments)?,
            boot_signature: vec(boot_signature),
        };
        Ok(MkbootimgArgs { args })
    }

    /// The boot.img these options describe.
    fn boot_image(&self, py: Python<'_>) -> PyResult<BootImage> {
        let image = py.detach(|| self.args.boot_image()).map_err(core_error)?;
        Ok(BootImage::from_core(py, image))
    }

    /// The vendor_boot.img these options describe (header v3 or v4).
    fn vendor_boot_image(&self, py: Python<'_>) -> PyResult<VendorBootImage> {
        let image = py
            .detach(|| self.args.vendor_boot_image())
            .map_err(core_error)?;
        VendorBootImage::from_core(py, image)
    }

    fn __repr__(&self) -> String {
        format!("MkbootimgArgs(header_version={})", self.args.header_version)
    }
}

/// Builds a boot.img from mkbootimg's options: the bytes `kir mkbootimg`
/// (and AOSP mkbootimg) write for the same options. Takes the keyword
/// arguments of `MkbootimgArgs`.
#[pyfunction]
#[pyo3(signature = (**options))]
fn mkbootimg<'py>(
    py: Python<'py>,
    options: Option<&Bound<'py, pyo3::types::PyDict>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let cls = py.get_type::<MkbootimgArgs>();
    let args = cls.call((), options)?;
    let args = args.cast::<MkbootimgArgs>()?.get();
    let out = py
        .detach(|| args.args.boot_image().and_then(|image| image.to_bytes()))
        .map_err(core_error)?;
    Ok(PyBytes::new(py, &out))
}

/// One file `unpack_bootimg` extracts (or a symbolic link, with its target).
#[pyclass(module = "kir", frozen, get_all)]
pub struct UnpackedFile {
    name: String,
    data: Py<PyBytes>,
    symlink: Option<String>,
}

/// What `unpack_bootimg` found: the files, the `--format info` text and the
/// mkbootimg arguments that rebuild the image from the files under `out_dir`.
#[pyclass(module = "kir", frozen, get_all)]
pub struct UnpackedBootImage {
    files: Vec<Py<UnpackedFile>>,
    info: String,
    mkbootimg_args: Vec<String>,
}

/// Unpacks a boot.img or vendor_boot.img as AOSP unpack_bootimg does.
/// Nothing is written: `out_dir` only spells the paths in `mkbootimg_args`.
#[pyfunction]
#[pyo3(signature = (data, out_dir="out"))]
fn unpack_bootimg(py: Python<'_>, data: &[u8], out_dir: &str) -> PyResult<UnpackedBootImage> {
    let unpacked = py
        .detach(|| bootimg::unpack(data, out_dir))
        .map_err(core_error)?;
    let files = unpacked
        .files
        .into_iter()
        .map(|f| {
            Py::new(
                py,
                UnpackedFile {
                    name: f.name,
                    data: bytes(py, &f.data),
                    symlink: f.symlink,
                },
            )
        })
        .collect::<PyResult<_>>()?;
    Ok(UnpackedBootImage {
        files,
        info: unpacked.info,
        mkbootimg_args: unpacked.mkbootimg_args,
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BootImage>()?;
    m.add_class::<VendorBootImage>()?;
    m.add_class::<VendorRamdisk>()?;
    m.add_class::<MkbootimgArgs>()?;
    m.add_class::<UnpackedFile>()?;
    m.add_class::<UnpackedBootImage>()?;
    m.add_function(wrap_pyfunction!(mkbootimg, m)?)?;
    m.add_function(wrap_pyfunction!(unpack_bootimg, m)?)?;
    m.add(
        "VENDOR_RAMDISK_TYPE_NONE",
        bootimg::VENDOR_RAMDISK_TYPE_NONE,
    )?;
    m.add(
        "VENDOR_RAMDISK_TYPE_PLATFORM",
        bootimg::VENDOR_RAMDISK_TYPE_PLATFORM,
    )?;
    m.add(
        "VENDOR_RAMDISK_TYPE_RECOVERY",
        bootimg::VENDOR_RAMDISK_TYPE_RECOVERY,
    )?;
    m.add(
        "VENDOR_RAMDISK_TYPE_DLKM",
        bootimg::VENDOR_RAMDISK_TYPE_DLKM,
    )?;
    Ok(())
}
