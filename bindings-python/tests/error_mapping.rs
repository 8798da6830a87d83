//! Every kir-core error family becomes its own `kir` exception class that
//! carries the Rust error's fields. (The pytest suite checks the classes
//! again through real calls of the installed wheel.)

use _kir::errors::*;
use pyo3::prelude::*;

fn attr(py: Python<'_>, err: &PyErr, name: &str) -> String {
    err.value(py)
        .getattr(name)
        .unwrap()
        .str()
        .unwrap()
        .to_string()
}

#[test]
fn each_error_family_maps_to_its_own_class_with_its_fields() {
    use kir_core::Error as E;

    Python::initialize();
    Python::attach(|py| {
        let err = core_error(E::malformed(
            "boot image v2",
            0x660,
            "dtb_size",
            "runs past the end",
        ));
        assert!(err.is_instance_of::<MalformedError>(py));
        assert!(err.is_instance_of::<KirError>(py));
        assert_eq!(attr(py, &err, "offset"), "1632");
        assert_eq!(attr(py, &err, "field"), "dtb_size");
        assert_eq!(attr(py, &err, "format"), "boot image v2");
        assert_eq!(attr(py, &err, "reason"), "runs past the end");
        assert_eq!(
            err.value(py).str().unwrap().to_string(),
            "boot image v2: offset 0x660: dtb_size: runs past the end"
        );

        let cases = [
            (
                E::Unsupported {
                    format: "vendor_boot",
                    reason: "header version 9".into(),
                },
                "UnsupportedError",
                "format",
                "vendor_boot",
            ),
            (
                E::invalid_argument("page_size", "must be 2048..16384"),
                "InvalidArgumentError",
                "name",
                "page_size",
            ),
            (
                E::Check {
                    input: "kernel".into(),
                    reason: "not an arm64 Image".into(),
                },
                "CheckError",
                "input",
                "kernel",
            ),
            (
                E::Recipe {
                    recipe: "nosuchboard".into(),
                    reason: "unknown".into(),
                },
                "RecipeError",
                "recipe",
                "nosuchboard",
            ),
            (
                E::UnsafePath {
                    archive: "a.cpio".into(),
                    entry: "../x".into(),
                    reason: "..".into(),
                },
                "UnsafePathError",
                "entry",
                "../x",
            ),
            (
                E::Fetch {
                    url: "http://127.0.0.1:1/x".into(),
                    reason: "refused".into(),
                },
                "FetchError",
                "url",
                "http://127.0.0.1:1/x",
            ),
            (
                E::io("/nope/boot.img", std::io::Error::from_raw_os_error(2)),
                "IoError",
                "errno",
                "2",
            ),
        ];
        for (rust_err, class_name, field, value) in cases {
            let text = rust_err.to_string();
            let err = core_error(rust_err);
            let class = err.get_type(py).name().unwrap().to_string();
            assert_eq!(class, class_name, "{text}");
            assert!(err.is_instance_of::<KirError>(py), "{text}");
            assert_eq!(attr(py, &err, field), value, "{text}");
        }
    });
}
