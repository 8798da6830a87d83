//! The plumbing every export shares: the status enum, the thread-local last
//! error, the panic boundary, argument checks, owned buffers and handles.
//!
//! An area module writes each export as
//!
//! ```ignore
//! #[unsafe(no_mangle)]
//! pub unsafe extern "C" fn kir_thing_parse(data: *const u8, len: usize, out: *mut *mut KirThing) -> KirStatus {
//!     ffi::call(|| {
//!         let out = unsafe { ffi::out_handle(out, "out") }?;
//!         let data = unsafe { ffi::bytes_arg(data, len, "data") }?;
//!         *out = ffi::into_handle(KirThing::from(kir_core::thing::parse(data)?));
//!         Ok(())
//!     })
//! }
//! ```

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use kir_core::ErrorKind;

/// Outcome of a fallible kir_* function.
///
/// Values are part of the ABI: a value keeps its meaning forever, new values
/// are only ever added, and a removed one is never reused. 10-19 mirror the
/// error families of the core library, 20-29 are reserved for the LAVA job,
/// test plan and build plan libraries.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KirStatus {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    ErrNull = 1,
    /// A string argument was not valid UTF-8.
    ErrUtf8 = 2,
    /// An argument was refused (out of range, unknown name, bad combination).
    ErrInvalidArgument = 3,
    /// Input does not follow its format; the message names the offset and field.
    ErrMalformed = 10,
    /// Input is well formed but uses something kir does not implement.
    ErrUnsupported = 11,
    /// An input check failed (wrong kind of file, inputs that disagree).
    ErrCheck = 12,
    /// A recipe (device profile) is missing or invalid.
    ErrRecipe = 13,
    /// An archive entry would be written outside its destination.
    ErrUnsafePath = 14,
    /// Fetching a URL failed.
    ErrFetch = 15,
    /// Reading or writing a file failed.
    ErrIo = 16,
    /// An error of a kind this version of the library has no status for.
    ErrOther = 98,
    /// A bug inside kir: a panic was caught at the API boundary.
    ErrPanic = 99,
}

impl KirStatus {
    /// Every status, for `kir_status_name` and the tests.
    pub fn all() -> [KirStatus; 13] {
        [
            KirStatus::Ok,
            KirStatus::ErrNull,
            KirStatus::ErrUtf8,
            KirStatus::ErrInvalidArgument,
            KirStatus::ErrMalformed,
            KirStatus::ErrUnsupported,
            KirStatus::ErrCheck,
            KirStatus::ErrRecipe,
            KirStatus::ErrUnsafePath,
            KirStatus::ErrFetch,
            KirStatus::ErrIo,
            KirStatus::ErrOther,
            KirStatus::ErrPanic,
        ]
    }

    /// The C constant's name, NUL-terminated.
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            KirStatus::Ok => c"KIR_STATUS_OK",
            KirStatus::ErrNull => c"KIR_STATUS_ERR_NULL",
            KirStatus::ErrUtf8 => c"KIR_STATUS_ERR_UTF8",
            KirStatus::ErrInvalidArgument => c"KIR_STATUS_ERR_INVALID_ARGUMENT",
            KirStatus::ErrMalformed => c"KIR_STATUS_ERR_MALFORMED",
            KirStatus::ErrUnsupported => c"KIR_STATUS_ERR_UNSUPPORTED",
            KirStatus::ErrCheck => c"KIR_STATUS_ERR_CHECK",
            KirStatus::ErrRecipe => c"KIR_STATUS_ERR_RECIPE",
            KirStatus::ErrUnsafePath => c"KIR_STATUS_ERR_UNSAFE_PATH",
            KirStatus::ErrFetch => c"KIR_STATUS_ERR_FETCH",
            KirStatus::ErrIo => c"KIR_STATUS_ERR_IO",
            KirStatus::ErrOther => c"KIR_STATUS_ERR_OTHER",
            KirStatus::ErrPanic => c"KIR_STATUS_ERR_PANIC",
        }
    }
}

/// Why an export failed: the status it returns and the message it leaves
/// for `kir_last_error_message`.
#[derive(Debug)]
pub struct Failure {
    pub status: KirStatus,
    pub message: String,
}

impl Failure {
    pub fn new(status: KirStatus, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }

    /// A required pointer argument was NULL.
    pub fn null(arg: &str) -> Self {
        Failure::new(KirStatus::ErrNull, format!("{arg}: must not be NULL"))
    }

    /// An argument was refused.
    pub fn invalid(arg: &str, reason: impl std::fmt::Display) -> Self {
        Failure::new(KirStatus::ErrInvalidArgument, format!("{arg}: {reason}"))
    }
}

impl From<kir_core::Error> for Failure {
    fn from(err: kir_core::Error) -> Self {
        let status = match err.kind() {
            ErrorKind::Malformed => KirStatus::ErrMalformed,
            ErrorKind::Unsupported => KirStatus::ErrUnsupported,
            ErrorKind::InvalidArgument => KirStatus::ErrInvalidArgument,
            ErrorKind::Check => KirStatus::ErrCheck,
            ErrorKind::Recipe => KirStatus::ErrRecipe,
            ErrorKind::UnsafePath => KirStatus::ErrUnsafePath,
            ErrorKind::Fetch => KirStatus::ErrFetch,
            ErrorKind::Io => KirStatus::ErrIo,
            _ => KirStatus::ErrOther,
        };
        Failure::new(status, err.to_string())
    }
}

pub type Outcome<T = ()> = Result<T, Failure>;

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

fn set_last_error(message: String) {
    // A message with an interior NUL is cut there rather than lost.
    let bytes: Vec<u8> = message
        .into_bytes()
        .into_iter()
        .take_while(|&b| b != 0)
        .collect();
    let text = CString::new(bytes).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = Some(text));
}

fn clear_last_error() {
    LAST_ERROR.with(|slot| *slot.borrow_mut() = None);
}

/// The current thread's last error message, or NULL when the last call succeeded.
pub fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ref().map_or(ptr::null(), |s| s.as_ptr()))
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "unknown panic payload"
    }
}

/// The panic boundary for a status-returning export: clears the last error,
/// runs `body`, and turns its failure or panic into a status plus message.
pub fn call(body: impl FnOnce() -> Outcome) -> KirStatus {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => KirStatus::Ok,
        Ok(Err(failure)) => {
            set_last_error(failure.message);
            failure.status
        }
        Err(payload) => {
            set_last_error(format!("internal error in kir: {}", panic_text(&*payload)));
            KirStatus::ErrPanic
        }
    }
}

/// The panic boundary for an export that returns a plain value (an accessor):
/// on failure or panic it returns `fallback` and leaves the message.
pub fn call_or<T>(fallback: T, body: impl FnOnce() -> Outcome<T>) -> T {
    clear_last_error();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(failure)) => {
            set_last_error(failure.message);
            fallback
        }
        Err(payload) => {
            set_last_error(format!("internal error in kir: {}", panic_text(&*payload)));
            fallback
        }
    }
}

/// Borrows a caller's buffer. NULL is accepted only with length 0.
///
/// # Safety
/// `data` must be NULL or point to `len` readable bytes that stay valid and
/// unchanged for `'a`.
pub unsafe fn bytes_arg<'a>(data: *const u8, len: usize, arg: &str) -> Outcome<&'a [u8]> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::null(arg))
        };
    }
    if len > isize::MAX as usize {
        return Err(Failure::invalid(
            arg,
            format_args!("length {len} is larger than memory"),
        ));
    }
    // SAFETY: non-NULL, and the caller promises `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Borrows a required NUL-terminated UTF-8 string.
///
/// # Safety
/// `s` must be NULL or point to a NUL-terminated string valid for `'a`.
pub unsafe fn str_arg<'a>(s: *const c_char, arg: &str) -> Outcome<&'a str> {
    // SAFETY: forwarded from the caller.
    unsafe { opt_str_arg(s, arg) }?.ok_or_else(|| Failure::null(arg))
}

/// Borrows an optional NUL-terminated UTF-8 string (NULL means absent).
///
/// # Safety
/// `s` must be NULL or point to a NUL-terminated string valid for `'a`.
pub unsafe fn opt_str_arg<'a>(s: *const c_char, arg: &str) -> Outcome<Option<&'a str>> {
    if s.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated per the caller.
    let text = unsafe { CStr::from_ptr(s) };
    text.to_str()
        .map(Some)
        .map_err(|e| Failure::new(KirStatus::ErrUtf8, format!("{arg}: not UTF-8: {e}")))
}

/// Borrows an object the caller passed by handle.
///
/// # Safety
/// `handle` must be NULL or a live handle of type `T` returned by this library.
pub unsafe fn handle_ref<'a, T>(handle: *const T, arg: &str) -> Outcome<&'a T> {
    // SAFETY: forwarded from the caller.
    unsafe { handle.as_ref() }.ok_or_else(|| Failure::null(arg))
}

/// Borrows an object the caller passed by handle, for changing it.
///
/// # Safety
/// `handle` must be NULL or a live handle of type `T` returned by this
/// library, not used by anyone else during the call.
pub unsafe fn handle_mut<'a, T>(handle: *mut T, arg: &str) -> Outcome<&'a mut T> {
    // SAFETY: forwarded from the caller.
    unsafe { handle.as_mut() }.ok_or_else(|| Failure::null(arg))
}

/// Checks an out-parameter and resets it to its empty value before any work.
///
/// # Safety
/// `out` must be NULL or point to writable memory for a `T`.
pub unsafe fn out_arg<'a, T: Empty>(out: *mut T, arg: &str) -> Outcome<&'a mut T> {
    if out.is_null() {
        return Err(Failure::null(arg));
    }
    // SAFETY: non-NULL and writable per the caller; `write` does not read or
    // drop whatever garbage the caller left there.
    unsafe {
        out.write(T::empty());
        Ok(&mut *out)
    }
}

/// The value an out-parameter holds until a call succeeds.
pub trait Empty {
    fn empty() -> Self;
}

impl<T> Empty for *mut T {
    fn empty() -> Self {
        ptr::null_mut()
    }
}

impl<T> Empty for *const T {
    fn empty() -> Self {
        ptr::null()
    }
}

impl Empty for KirBytes {
    fn empty() -> Self {
        KirBytes {
            data: ptr::null_mut(),
            len: 0,
        }
    }
}

macro_rules! empty_zero {
    ($($t:ty),*) => { $(impl Empty for $t { fn empty() -> Self { 0 } })* };
}
empty_zero!(u8, u16, u32, u64, usize, i32, i64);

impl Empty for bool {
    fn empty() -> Self {
        false
    }
}

/// Hands an object to C; the caller frees it with the matching `_free`.
pub fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back and drops an object handed out by [`into_handle`]; NULL is a no-op.
///
/// # Safety
/// `handle` must be NULL or a handle of type `T` from [`into_handle`] that
/// has not been freed yet.
pub unsafe fn free_handle<T>(handle: *mut T) {
    if !handle.is_null() {
        // SAFETY: per the caller, it came from Box::into_raw and is freed once.
        drop(unsafe { Box::from_raw(handle) });
    }
}

/// A byte buffer owned by the caller: `data` points to `len` bytes (NULL when
/// `len` is 0). Free it with `kir_bytes_free`, never with `free()`.
#[repr(C)]
#[derive(Debug)]
pub struct KirBytes {
    /// First byte, or NULL for an empty buffer.
    pub data: *mut u8,
    /// Number of bytes.
    pub len: usize,
}

impl KirBytes {
    /// Hands a buffer to C.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        if bytes.is_empty() {
            return KirBytes::empty();
        }
        let boxed = bytes.into_boxed_slice();
        let len = boxed.len();
        let data = Box::into_raw(boxed).cast::<u8>();
        KirBytes { data, len }
    }

    /// Frees the buffer and leaves `self` empty.
    ///
    /// # Safety
    /// `self` must be empty or filled by [`KirBytes::from_vec`] and unchanged since.
    pub unsafe fn release(&mut self) {
        if !self.data.is_null() {
            let slice = ptr::slice_from_raw_parts_mut(self.data, self.len);
            // SAFETY: data/len are exactly what from_vec produced from a Box<[u8]>.
            drop(unsafe { Box::from_raw(slice) });
        }
        *self = KirBytes::empty();
    }
}

/// A string handed to C inside an object: it stays valid as long as the
/// object. Interior NULs end the C view of the string early.
pub fn c_string(text: &str) -> CString {
    let bytes: Vec<u8> = text.bytes().take_while(|&b| b != 0).collect();
    CString::new(bytes).unwrap_or_default()
}
