//! numba-examples' waveform zero suppression, its `@vectorize(['int16(int16,
//! int16)'])` over an int16 waveform, on the CPU backends beside NumPy and
//! Numba's `@vectorize` (serial and `target='parallel'`) in the same run:
//! an op on `i16` itself, no conversion through a float.

use super::common::{against, cpu_backend_count, cpu_rounds, new_row};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::peers::Peers;
use crate::row::{Check, Row};
use crate::targets::Target;
use hotloop::{BinaryOp, map_slice_into};
use ndarray::Array3;
use std::cell::RefCell;

/// Samples: 1e8 (1e6 with `--quick`), or fewer when `--size` has fewer
/// elements.
pub fn samples(cfg: &Config) -> usize {
    let most = if cfg.quick { 1_000_000 } else { 100_000_000 };
    most.min(cfg.shape.iter().product())
}

const KIND: &str = "waveform";
const KEY: &str = "zero_suppression";

/// The example's threshold, in ADC counts.
pub const THRESHOLD: i16 = 15;

/// `value` if its magnitude reaches `threshold`, else 0: the example's
/// `zero_suppression`.
#[derive(Clone, Copy, Debug)]
pub struct ZeroSuppress;

impl BinaryOp<i16> for ZeroSuppress {
    #[inline(always)]
    fn apply(&self, value: i16, threshold: i16) -> i16 {
        if value.unsigned_abs() < threshold.unsigned_abs() {
            0
        } else {
            value
        }
    }
}

/// Sample `i`, in -100..=100 counts: a fixed sequence that
/// `python/peers.py` reproduces exactly.
pub fn sample(i: usize) -> i16 {
    ((i * 7919 + 13) % 201) as i16 - 100
}

fn check(wave: &[i16], out: &[i16]) -> Check {
    match wave.iter().zip(out).enumerate().find(|&(_, (&v, &o))| {
        o != if v.unsigned_abs() < THRESHOLD as u16 {
            0
        } else {
            v
        }
    }) {
        None => Check::Passed,
        Some((i, (v, o))) => Check::Failed(format!("sample {i} ({v}) became {o}")),
    }
}

/// The waveform workload (`--workload waveform`).
pub struct Waveform;

impl Workload for Waveform {
    fn name(&self) -> &'static str {
        "waveform"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    /// The waveform and its suppressed copy, two bytes a sample; NumPy's
    /// temporaries (`abs`, the mask), a few more.
    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String> {
        let arrays = if python { 5 } else { 2 };
        Ok(arrays * 2 * samples(cfg) as u64)
    }

    /// One step: the CPU backends and the Python peers in one set of
    /// rounds.
    fn steps(&self, cfg: &Config) -> u64 {
        u64::from(cpu_backend_count(cfg) > 0)
    }

    fn rows(
        &self,
        cfg: &Config,
        _input: Option<&Array3<f64>>,
        peers: &Peers,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        let n = samples(cfg);
        let workload = workload_name(n);
        let wave: Vec<i16> = (0..n).map(sample).collect();
        let out = RefCell::new(vec![0i16; n]);
        let op = ZeroSuppress.right(THRESHOLD);
        let run = |backend| map_slice_into(backend, op, &wave, &mut out.borrow_mut());
        let set = ("waveform", serde_json::json!({ "n": n }));
        let (timed, mut rows) = cpu_rounds(cfg, peers, set, &workload, &run, progress)?;
        for (backend, timings) in timed {
            // Checked once more, outside the timings.
            run(backend).map_err(|e| format!("waveform on {backend}: {e}"))?;
            let mut r = new_row(KIND, KEY, &workload, backend, "map ZeroSuppress", timings);
            r.check = check(&wave, &out.borrow());
            r.bytes = Some(2 * 2 * n as u64);
            r.note = Some(
                "numba-examples' zero suppression as a BinaryOp<i16> with the threshold bound \
                 (`.right(15)`), over the int16 samples themselves"
                    .into(),
            );
            rows.push(r);
        }
        Ok(rows)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("NumPy and Numba zero suppression"),
            gpu: false,
            simulator: false,
            rounds: true,
            script_too: false,
        }
    }

    /// hotloop's serial and parallel maps against Numba's `@vectorize` and
    /// `@vectorize(target='parallel')` of the same function.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        let peers = [
            ("serial", "numba @vectorize"),
            ("parallel", "numba @vectorize parallel"),
        ];
        against(rows, KIND, KEY, "zero suppression", peers)
    }
}

/// The workload's name in the table, shared with the Python rows.
pub fn workload_name(n: usize) -> String {
    format!("waveform {n} samples int16")
}
