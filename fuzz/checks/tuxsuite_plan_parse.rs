//! TuxSuite plan parsing (with the matrix syntax) on arbitrary bytes: it
//! returns a plan or an error, never panics; an accepted plan expands, and
//! the plain TuxSuite plan kir writes for it reads back to the same
//! expansion.

use std::sync::OnceLock;

use build_plan::tuxsuite::{LocalOptions, parse_plan};
use build_plan::{Catalog, emit, matrix};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::tuxmake().expect("embedded catalogue loads"))
}

pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = build_plan::tuxsuite::parse_build_set(text, "fuzz.yaml", "a");
    let Ok(plan) = matrix::parse_plan_with_matrix(catalog(), text, "fuzz.yaml") else {
        return;
    };
    let _ = matrix::lint(catalog(), &plan, "x86_64");
    let opts = LocalOptions::default();
    let Ok(expansion) = plan.expand(&opts) else {
        return;
    };
    let _ = emit::gitlab_pipeline(&plan, &expansion);
    let _ = emit::command_lines_json(&plan, &expansion);
    let written = emit::tuxsuite_plan(&plan);
    let again = match parse_plan(&written, "written.yaml") {
        Ok(again) => again,
        Err(e) => panic!("a plan kir wrote does not read back: {e}\n{written}"),
    };
    let reexpanded = match again.expand(&opts) {
        Ok(x) => x,
        Err(e) => panic!("a plan kir wrote does not expand: {e}\n{written}"),
    };
    assert_eq!(
        reexpanded.to_tuxsuite_json(),
        expansion.to_tuxsuite_json(),
        "write then read changed the plan:\n{written}"
    );
}
