//! Carrel's benchmarks, run with `cargo bench -p carrel-bench`.
//!
//! These machines are noisy, so every benchmark runs a baseline beside the measured thing in the
//! same run and reports both and their ratio; nothing here asserts on time. The baseline for the
//! footprint benchmark is `baseline-app/`, a minimal Tauri hello-world built and measured exactly
//! like Carrel.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// One measured figure beside its baseline.
#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    /// The figure for Carrel.
    pub measured: f64,
    /// The same figure for the baseline, measured the same way in the same run.
    pub baseline: f64,
}

impl Comparison {
    /// `measured / baseline`.
    pub fn ratio(&self) -> f64 {
        self.measured / self.baseline
    }

    /// `measured - baseline`.
    pub fn delta(&self) -> f64 {
        self.measured - self.baseline
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Bytes as mebibytes.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn comparison_reports_ratio_and_delta() {
        let c = Comparison {
            measured: 150.0,
            baseline: 100.0,
        };
        assert_eq!(c.ratio(), 1.5);
        assert_eq!(c.delta(), 50.0);
    }
}
