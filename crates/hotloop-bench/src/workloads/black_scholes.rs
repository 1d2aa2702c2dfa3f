//! numba-examples' Black-Scholes (its finance/blackscholes example) on the
//! CPU backends, beside the same program under NumPy, Numba's `@njit` and
//! Numba's `prange` in the same run: three inputs, two outputs, `ln`,
//! `exp`, `sqrt` per option, through `map_n` and hotloop's math library.

use super::common::{against_numba, cpu_backend_count, cpu_rounds, new_row};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::peers::Peers;
use crate::row::{Check, Row};
use crate::targets::Target;
use hotloop::{NaryOp, Real, map_n_slice_into};
use ndarray::Array3;
use std::cell::RefCell;

/// Options priced: 1e7 (1e5 with `--quick`), or fewer when `--size` has
/// fewer elements (a small `--size` makes every workload small).
pub fn options(cfg: &Config) -> usize {
    let most = if cfg.quick { 100_000 } else { 10_000_000 };
    most.min(cfg.shape.iter().product())
}

/// The row kind, `black_scholes/<backend>/map_n`.
const KIND: &str = "black_scholes";
const KEY: &str = "map_n";

/// The model's rate and volatility, the example's `RISKFREE` and
/// `VOLATILITY`.
const RISKFREE: f64 = 0.02;
const VOLATILITY: f64 = 0.30;

/// The example's loop body: `(S, X, T) -> (call, put)`.
#[derive(Clone, Copy, Debug)]
pub struct BlackScholes {
    /// The risk-free rate.
    pub riskfree: f64,
    /// The volatility.
    pub volatility: f64,
}

/// The cumulative normal by the example's polynomial (`cnd_numba`).
#[inline(always)]
fn cnd(d: f64) -> f64 {
    const A: [f64; 5] = [
        0.31938153,
        -0.356563782,
        1.781477937,
        -1.821255978,
        1.330274429,
    ];
    const RSQRT2PI: f64 = 0.398_942_280_401_432_7;
    let k = 1.0 / (1.0 + 0.2316419 * d.abs());
    let ret = RSQRT2PI
        * Real::exp(-0.5 * d * d)
        * (k * (A[0] + k * (A[1] + k * (A[2] + k * (A[3] + k * A[4])))));
    if d > 0.0 { 1.0 - ret } else { ret }
}

impl NaryOp<f64, 3, 2> for BlackScholes {
    #[inline(always)]
    fn apply(&self, [s, x, t]: [f64; 3]) -> [f64; 2] {
        let (r, v) = (self.riskfree, self.volatility);
        let sqrt_t = Real::sqrt(t);
        let d1 = (Real::ln(s / x) + (r + 0.5 * v * v) * t) / (v * sqrt_t);
        let d2 = d1 - v * sqrt_t;
        let (c1, c2) = (cnd(d1), cnd(d2));
        let exp_rt = Real::exp(-r * t);
        [
            s * c1 - x * exp_rt * c2,
            x * exp_rt * (1.0 - c2) - s * (1.0 - c1),
        ]
    }
}

/// The inputs, as the example draws them (uniform stock price in [5, 30],
/// strike in [1, 100], years in [0.25, 10]), from a fixed sequence that
/// `python/peers.py` reproduces exactly.
pub fn inputs(n: usize) -> [Vec<f64>; 3] {
    let u = |i: usize, k: usize| ((i * 7919 + k * 104_729) % 10_007) as f64 / 10_007.0;
    let lerp = |r: f64, lo: f64, hi: f64| (1.0 - r) * lo + r * hi;
    [
        (0..n).map(|i| lerp(u(i, 1), 5.0, 30.0)).collect(),
        (0..n).map(|i| lerp(u(i, 2), 1.0, 100.0)).collect(),
        (0..n).map(|i| lerp(u(i, 3), 0.25, 10.0)).collect(),
    ]
}

/// The example's NumPy result, in f64 with the platform's `ln` and `exp`
/// (what NumPy calls), within the example's own tolerance (rtol = atol =
/// 1e-5).
fn check(s: &[f64], x: &[f64], t: &[f64], call: &[f64], put: &[f64]) -> Check {
    let (r, v) = (RISKFREE, VOLATILITY);
    let cnd = |d: f64| {
        let k = 1.0 / (1.0 + 0.2316419 * d.abs());
        let poly = k
            * (0.31938153
                + k * (-0.356563782 + k * (1.781477937 + k * (-1.821255978 + k * 1.330274429))));
        let ret = 0.398_942_280_401_432_7 * (-0.5 * d * d).exp() * poly;
        if d > 0.0 { 1.0 - ret } else { ret }
    };
    for i in 0..s.len() {
        let sqrt_t = t[i].sqrt();
        let d1 = ((s[i] / x[i]).ln() + (r + 0.5 * v * v) * t[i]) / (v * sqrt_t);
        let d2 = d1 - v * sqrt_t;
        let exp_rt = (-r * t[i]).exp();
        let want = [
            s[i] * cnd(d1) - x[i] * exp_rt * cnd(d2),
            x[i] * exp_rt * (1.0 - cnd(d2)) - s[i] * (1.0 - cnd(d1)),
        ];
        for (got, want) in [call[i], put[i]].into_iter().zip(want) {
            if (got - want).abs() > 1e-5 + 1e-5 * want.abs() {
                return Check::Failed(format!("option {i}: {got}, NumPy's formula {want}"));
            }
        }
    }
    Check::Passed
}

/// The Black-Scholes workload (`--workload black_scholes`).
pub struct BlackScholesWorkload;

impl Workload for BlackScholesWorkload {
    fn name(&self) -> &'static str {
        "black_scholes"
    }

    fn data(&self) -> Data {
        Data::OwnArrays
    }

    /// Three inputs and two outputs; NumPy's temporaries, a few more.
    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String> {
        let arrays = if python { 12 } else { 5 };
        Ok(arrays * 8 * options(cfg) as u64)
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
        let n = options(cfg);
        let workload = workload_name(n);
        let [s, x, t] = inputs(n);
        let out = RefCell::new((vec![0.0; n], vec![0.0; n]));
        let op = BlackScholes {
            riskfree: RISKFREE,
            volatility: VOLATILITY,
        };
        let run = |backend| {
            let (call, put) = &mut *out.borrow_mut();
            map_n_slice_into(backend, op, [&s, &x, &t], [call, put])
        };
        let set = ("black_scholes", serde_json::json!({ "n": n }));
        let (timed, mut rows) = cpu_rounds(cfg, peers, set, &workload, &run, progress)?;
        for (backend, timings) in timed {
            // Checked once more, outside the timings.
            run(backend).map_err(|e| format!("black_scholes on {backend}: {e}"))?;
            let (call, put) = &*out.borrow();
            let mut r = new_row(KIND, KEY, &workload, backend, "map_n BlackScholes", timings);
            r.check = check(&s, &x, &t, call, put);
            r.bytes = Some(5 * 8 * n as u64);
            r.note = Some(
                "numba-examples' loop body as an NaryOp<f64, 3, 2>, hotloop's ln, exp and sqrt; \
                 checked against NumPy's formula (rtol = atol = 1e-5)"
                    .into(),
            );
            rows.push(r);
        }
        Ok(rows)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("NumPy and Numba Black-Scholes"),
            gpu: false,
            simulator: false,
            rounds: true,
            script_too: false,
        }
    }

    /// hotloop's serial and parallel forms against Numba's `@njit` and
    /// `prange` loops of the same program.
    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        against_numba(rows, KIND, KEY, "Black-Scholes")
    }
}

/// The workload's name in the table, shared with the Python rows.
pub fn workload_name(n: usize) -> String {
    format!("black_scholes {n} options f64")
}
