//! Any bytes as a pipeline file: a pipeline or positioned diagnostics, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use switchyard_engine::pipeline::{self, plan::Plan};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match pipeline::load(Path::new("f.yaml"), text) {
        Ok(p) => {
            let plan = Plan::new(&p);
            let _ = plan.render();
            let _ = plan.select(&["a".to_string()]);
        }
        Err(e) => {
            assert!(!e.diagnostics.is_empty());
            for d in &e.diagnostics {
                assert!(d.pos.line >= 1 && d.pos.column >= 1);
            }
        }
    }
});
