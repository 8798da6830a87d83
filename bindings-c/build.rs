//! Gives the shared library its SONAME, so programs linked against
//! `libkir.so` ask for the ABI they were built with at run time.
//!
//! Before 1.0 every minor release may break the ABI, so the SONAME carries
//! `0.<minor>`; from 1.0 on it carries the major version only.

fn main() {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let minor = env!("CARGO_PKG_VERSION_MINOR");
    let abi = if major == "0" {
        format!("0.{minor}")
    } else {
        major.to_string()
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libkir.so.{abi}");
    println!("cargo:rerun-if-changed=build.rs");
}
