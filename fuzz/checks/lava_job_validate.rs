//! LAVA job reading and validation on arbitrary bytes: the YAML reader and
//! the validator (both modes) return, never panic; YAML that reads is
//! written and read back to the same data; a job that fits the typed model
//! converts back to a value, which the model reads and writes unchanged.

use lava_job::Value;
use lava_job::model::Job;
use lava_job::validate::{Options, validate_str};
use lava_job::yaml::{from_str, to_yaml_string};

/// Equality of YAML data where a NaN equals a NaN.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Sequence(x), Value::Sequence(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        (Value::Mapping(x), Value::Mapping(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
        }
        _ => a == b,
    }
}

pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for strict in [false, true] {
        let report = validate_str(
            text,
            &Options {
                strict,
                ..Options::default()
            },
        );
        for issue in &report.issues {
            assert!(issue.line >= 1, "issue without a line: {issue}");
        }
    }
    let Ok(value) = from_str(text) else {
        return;
    };
    let written = to_yaml_string(&value);
    let back = from_str(&written).expect("written YAML reads back");
    assert!(
        same(&value, &back),
        "round trip changed the data:\n{written}"
    );
    if let Ok(job) = Job::from_value(value) {
        let once = job.to_value().expect("a modelled job converts back");
        let again = Job::from_value(once.clone())
            .and_then(|job| job.to_value())
            .expect("the model reads its own output");
        assert!(same(&once, &again), "the model changed its own output");
    }
}
