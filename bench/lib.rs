//! Carrel's benchmarks, run with `cargo bench -p carrel-bench`.
//!
//! These machines are noisy, so every benchmark runs a baseline beside the measured thing in the
//! same run and reports both and their ratio; nothing here asserts on time. The baseline for the
//! footprint benchmark is `baseline-app/`, a minimal Tauri hello-world built and measured exactly
//! like Carrel; the packages benchmark compares with `unzip`, `sha256sum` and plain file reads.

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

/// The value of the environment variable `name` parsed as `T`, or `default` when it is unset or
/// does not parse.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(default)
}

/// A results table, rendered as a Markdown pipe table with aligned columns so the same text reads
/// well in a terminal and pastes into `docs/benchmarks.md`.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|s| (*s).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (missing cells are left empty, extra cells are dropped).
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut cells: Vec<String> = cells.into_iter().map(Into::into).collect();
        cells.resize(self.header.len(), String::new());
        self.rows.push(cells);
    }

    /// The table as text, one line per row, ending in a newline.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|column| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|row| row[column].chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(3)
            })
            .collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let mut out = line(&self.header);
        let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
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
    fn table_aligns_columns() {
        let mut table = Table::new(&["what", "value"]);
        table.row(["import", "1.5"]);
        table.row(["a longer name"]);
        assert_eq!(
            table.render(),
            "| what          | value |\n\
             | ------------- | ----- |\n\
             | import        | 1.5   |\n\
             | a longer name |       |\n"
        );
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
