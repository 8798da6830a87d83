//! YAML in and out: a reader that keeps each node's line and column and types
//! scalars the way LAVA's YAML 1.1 reader does, and a writer whose output any
//! YAML 1.1 or 1.2 reader loads back as the same data.
//!
//! ```
//! use lava_job::yaml::{from_str, to_yaml_string};
//!
//! let value = from_str("answer: yes\nversion: '1:20'\n").unwrap();
//! let text = to_yaml_string(&value);
//! assert_eq!(text, "answer: true\nversion: '1:20'\n");
//! assert_eq!(from_str(&text).unwrap(), value);
//! ```

mod read;
mod repair;
mod resolve;
mod write;

pub use read::{Mark, Node, NodeValue, from_str, parse};
pub use write::to_yaml_string;
