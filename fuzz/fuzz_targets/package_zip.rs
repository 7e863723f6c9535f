//! The safe package reader on arbitrary bytes taken as a zip file, with small limits: it must
//! refuse with an error, never panic, and never allocate without bound (libFuzzer's
//! `-malloc_limit_mb`/`-rss_limit_mb`, set by scripts/fuzz, turn a large allocation into a crash).
#![no_main]

use std::io::Cursor;

use carrel_package::{Limits, PackageArchive};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_entries: 64,
        max_total_bytes: 1024 * 1024,
        max_ratio: 50,
        ratio_floor_bytes: 4096,
    };
    let Ok(mut archive) = PackageArchive::open(Cursor::new(data), &limits) else {
        return;
    };
    let total = archive.manifest().total_size();
    assert!(
        total <= limits.max_total_bytes,
        "the total-size cap was not applied"
    );
    let mut read = 0u64;
    let _ = archive.read_files(
        |_| true,
        |_, reader| {
            let mut buffer = [0u8; 4096];
            loop {
                let n = reader.read(&mut buffer)?;
                if n == 0 {
                    return Ok(());
                }
                read += n as u64;
            }
        },
    );
    assert!(
        read <= total + archive.manifest().files.len() as u64,
        "read more than the manifest lists"
    );
});
