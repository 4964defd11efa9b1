//! Where a scan spends its time, for `--verbose` and the benchmark.

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    /// Phase or method name → accumulated microseconds.
    pub micros: BTreeMap<String, u64>,
}

impl Timings {
    pub fn add(&mut self, name: &str, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        *self.micros.entry(name.to_owned()).or_default() += micros;
    }
}
