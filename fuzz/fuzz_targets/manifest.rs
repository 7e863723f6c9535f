//! The course manifest parser on arbitrary bytes: it may refuse, it must never panic. What it
//! accepts must pass its own validation and survive a round trip through its serialisation.
#![no_main]

use carrel_package::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Manifest::check_version(data);
    if let Ok(manifest) = Manifest::parse(data) {
        assert!(
            manifest.validate().is_ok(),
            "parse returned a manifest its own validation refuses"
        );
        let _ = manifest.total_size();
        for (_, _, item) in manifest.items() {
            let _ = item;
        }
        let bytes = manifest.to_bytes();
        let again = Manifest::parse(&bytes).expect("a parsed manifest's own bytes parse again");
        assert_eq!(again.to_bytes(), bytes, "serialisation is stable");
    }
});
