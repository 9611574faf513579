//! Arbitrary data, sign text and secrets through `sign::verify`: it never
//! panics, a signature made with a secret always verifies, and whatever
//! verifies is that secret's signature.

#![no_main]

use libfuzzer_sys::fuzz_target;
use yafgate::protocol::sign::{sign, verify};

fuzz_target!(|input: (&[u8], &str, Vec<&str>)| {
    let (data, provided, mut secrets) = input;
    // Appids hold one to three secrets; verification is quadratic below.
    secrets.truncate(4);
    let slots = &secrets;
    if let Some(slot) = verify(data, provided, slots, |s| s) {
        assert!(provided.eq_ignore_ascii_case(&sign(data, slot)));
    }
    for s in &secrets {
        let good = sign(data, s);
        assert_eq!(good.len(), 32);
        for text in [good.clone(), good.to_ascii_lowercase()] {
            let slot = verify(data, &text, slots, |s| s).expect("its own signature verifies");
            assert_eq!(slot, s, "another secret matched");
        }
    }
});
