//! The shared plumbing seen from C: statuses, the last error, buffers.

use std::ffi::CStr;

use kir::ffi::{self, Failure};
use kir::{KirBytes, KirStatus, kir_bytes_free, kir_last_error_message, kir_status_name};

fn last_error() -> Option<String> {
    let p = kir_last_error_message();
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

#[test]
fn status_values_are_stable() {
    let expected = [
        (KirStatus::Ok, 0),
        (KirStatus::ErrNull, 1),
        (KirStatus::ErrUtf8, 2),
        (KirStatus::ErrInvalidArgument, 3),
        (KirStatus::ErrMalformed, 10),
        (KirStatus::ErrUnsupported, 11),
        (KirStatus::ErrCheck, 12),
        (KirStatus::ErrRecipe, 13),
        (KirStatus::ErrUnsafePath, 14),
        (KirStatus::ErrFetch, 15),
        (KirStatus::ErrIo, 16),
        (KirStatus::ErrOther, 98),
        (KirStatus::ErrPanic, 99),
    ];
    assert_eq!(
        expected.len(),
        KirStatus::all().len(),
        "a status was added: pin its value here"
    );
    for (status, value) in expected {
        assert_eq!(status as u32, value, "{status:?}");
    }
}

#[test]
fn status_names_match_the_c_constants() {
    let name = |v| {
        unsafe { CStr::from_ptr(kir_status_name(v)) }
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(name(10), "KIR_STATUS_ERR_MALFORMED");
    assert_eq!(name(0), "KIR_STATUS_OK");
    assert_eq!(name(12345), "KIR_STATUS_UNKNOWN");
}

#[test]
fn core_errors_map_to_their_family_status_and_keep_the_detail() {
    let cases = [
        (
            kir_core::Error::malformed("boot image v2", 0x8, "kernel_size", "too big"),
            10,
        ),
        (
            kir_core::Error::invalid_argument("page_size", "must be a power of two"),
            3,
        ),
        (
            kir_core::Error::io("/nope", std::io::Error::from(std::io::ErrorKind::NotFound)),
            16,
        ),
    ];
    for (err, status) in cases {
        let text = err.to_string();
        let failure = Failure::from(err);
        assert_eq!(failure.status as u32, status, "{text}");
        assert_eq!(failure.message, text);
    }
}

#[test]
fn failure_leaves_a_message_and_success_clears_it() {
    let status = ffi::call(|| Err(Failure::null("data")));
    assert_eq!(status, KirStatus::ErrNull);
    assert_eq!(last_error().as_deref(), Some("data: must not be NULL"));

    assert_eq!(ffi::call(|| Ok(())), KirStatus::Ok);
    assert_eq!(last_error(), None);
}

#[test]
fn last_error_is_per_thread() {
    ffi::call(|| Err(Failure::invalid("x", "bad")));
    let other = std::thread::spawn(last_error).join().unwrap();
    assert_eq!(other, None);
    assert_eq!(last_error().as_deref(), Some("x: bad"));
}

#[test]
fn panic_inside_an_export_becomes_a_status() {
    let status = ffi::call(|| panic!("boom"));
    assert_eq!(status, KirStatus::ErrPanic);
    assert!(last_error().unwrap().contains("boom"));

    assert_eq!(ffi::call_or(7u32, || panic!("again")), 7);
    assert!(last_error().unwrap().contains("again"));
}

#[test]
fn null_buffer_is_accepted_only_when_empty() {
    let empty = unsafe { ffi::bytes_arg(std::ptr::null(), 0, "data") }.unwrap();
    assert!(empty.is_empty());
    let err = unsafe { ffi::bytes_arg(std::ptr::null(), 4, "data") }.unwrap_err();
    assert_eq!(err.status, KirStatus::ErrNull);
}

#[test]
fn non_utf8_string_argument_is_refused() {
    let text = c"caf\xe9";
    let err = unsafe { ffi::str_arg(text.as_ptr(), "cmdline") }.unwrap_err();
    assert_eq!(err.status, KirStatus::ErrUtf8);
    assert!(err.message.starts_with("cmdline: "), "{}", err.message);
}

#[test]
fn out_parameter_is_cleared_before_work() {
    let mut out = KirBytes {
        data: 0x1234 as *mut u8,
        len: 99,
    };
    let cleared = unsafe { ffi::out_arg(&mut out, "out") }.unwrap();
    assert!(cleared.data.is_null());
    assert_eq!(cleared.len, 0);
}

#[test]
fn bytes_round_trip_and_free_resets_the_buffer() {
    let mut bytes = KirBytes::from_vec(b"ANDROID!".to_vec());
    assert_eq!(
        unsafe { std::slice::from_raw_parts(bytes.data, bytes.len) },
        b"ANDROID!"
    );
    unsafe { kir_bytes_free(&mut bytes) };
    assert!(bytes.data.is_null());
    assert_eq!(bytes.len, 0);
    // A second free and a NULL free are harmless.
    unsafe { kir_bytes_free(&mut bytes) };
    unsafe { kir_bytes_free(std::ptr::null_mut()) };
}

#[test]
fn handles_round_trip_and_null_free_is_harmless() {
    let handle = ffi::into_handle(String::from("x"));
    assert_eq!(unsafe { ffi::handle_ref(handle, "h") }.unwrap(), "x");
    unsafe { ffi::free_handle(handle) };
    unsafe { ffi::free_handle(std::ptr::null_mut::<String>()) };
    let err = unsafe { ffi::handle_ref(std::ptr::null::<String>(), "image") }.unwrap_err();
    assert_eq!(err.message, "image: must not be NULL");
}
