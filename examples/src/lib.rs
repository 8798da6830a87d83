//! Runnable examples of kir's Rust API live in `examples/*.rs` beside this
//! crate (`cargo run -p kir-examples --example NAME`); Python examples are in
//! `examples/python/`, C examples in `examples/c/`.
