//! Any bytes as a JUnit report: test cases or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = switchyard_engine::junit::parse(data);
});
