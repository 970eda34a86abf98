//! Masking never lets a secret through, wherever the output is split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use switchyard_engine::mask::{LineMasker, Secrets};

fuzz_target!(|input: (Vec<u8>, Vec<u16>)| {
    let (mut data, cuts) = input;
    const SECRET: &str = "tok3n!";
    // Sprinkle the secret in at the cut points.
    for &c in cuts.iter().take(4) {
        let at = c as usize % (data.len() + 1);
        data.splice(at..at, SECRET.bytes());
    }
    let values = [SecretString::from(SECRET.to_string())];
    let mut masker = LineMasker::new(Secrets::new(values.iter()));
    let mut out: Vec<u8> = Vec::new();
    let mut last = 0;
    let mut points: Vec<usize> = cuts.iter().map(|&c| c as usize % (data.len() + 1)).collect();
    points.sort_unstable();
    for p in points.into_iter().chain([data.len()]) {
        masker.feed(&data[last..p], |l| {
            out.extend_from_slice(l);
            out.push(b'\n');
        });
        last = p;
    }
    masker.finish(|l| {
        out.extend_from_slice(l);
        out.push(b'\n');
    });
    assert!(!out.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()), "secret leaked");
});
