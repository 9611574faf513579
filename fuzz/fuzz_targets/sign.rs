//! Arbitrary data, sign text and secrets through `sign::verify`: it never
//! panics, a signature made with a secret always verifies, and whatever
//! verifies is that secret's signature.

#![no_main]

use libfuzzer_sys::fuzz_target;
use yafgate::apps::SecretSlot;
use yafgate::protocol::sign::{sign, verify};
use yafgate::settings::Secret;

fuzz_target!(|input: (&[u8], &str, Vec<&str>)| {
    let (data, provided, mut secrets) = input;
    // Appids hold one to three secrets; verification is quadratic below.
    secrets.truncate(4);
    let slots: Vec<SecretSlot> = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| SecretSlot {
            label: i.to_string(),
            value: Secret::new(*s),
        })
        .collect();
    if let Some(slot) = verify(data, provided, &slots) {
        assert!(provided.eq_ignore_ascii_case(&sign(data, slot.value.expose())));
    }
    for s in &secrets {
        let good = sign(data, s);
        assert_eq!(good.len(), 32);
        for text in [good.clone(), good.to_ascii_lowercase()] {
            let slot = verify(data, &text, &slots).expect("its own signature verifies");
            assert_eq!(slot.value.expose(), *s, "another secret matched");
        }
    }
});
