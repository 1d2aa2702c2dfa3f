//! The suite's workloads, one type each behind [`Workload`], and the one
//! list of them, [`all`].
//!
//! Everything the suite knows of a workload lives in its own file: its
//! `--workload` name, the memory it needs, its progress steps, its rows,
//! its Python counterparts and its speed targets. The command line, the
//! memory check, the progress bar, the run, the Python scripts' selection
//! and the targets all read them from [`all`] instead of matching names in
//! files of their own, so adding a workload is one new file, its `mod`
//! line and its line in [`all`]'s list, here.

// One module per workload (declared here, not by a macro beside `ALL`:
// rustfmt does not see modules a macro declares), and the shared helpers.
pub mod add;
pub mod black_scholes;
pub mod common;
pub mod gufunc;
pub mod launch;
pub mod lennard_jones;
pub mod map;
pub mod matmul;
pub mod pi;
pub mod pipeline;
pub mod reduce;
pub mod stencil;
pub mod warp_sum;
pub mod waveform;

use crate::config::{Catalogue, Config};
use crate::peers::Peers;
use crate::row::Row;
use crate::targets::Target;
use ndarray::Array3;

/// Every workload, in the order `--workload` lists them (the suite runs
/// them by [`Data`] first).
static ALL: &[&dyn Workload] = &[
    &add::Add,
    &pi::Pi,
    &reduce::Reduce,
    &map::Map,
    &stencil::Stencil,
    &gufunc::Gufunc,
    &black_scholes::BlackScholesWorkload,
    &lennard_jones::LennardJones,
    &matmul::Matmul,
    &waveform::Waveform,
    &warp_sum::WarpSum,
    &launch::Launch,
    &pipeline::Pipeline,
];

/// Every workload: the one list the rest of the suite reads.
pub fn all() -> &'static [&'static dyn Workload] {
    ALL
}

/// Every workload's `--workload` value, in [`all`]'s order.
pub fn names() -> Vec<&'static str> {
    all().iter().map(|w| w.name()).collect()
}

/// The workloads as the configuration sees them ([`Catalogue`]): what
/// `Config::from_args` checks the arguments against.
pub struct Suite;

impl Catalogue for Suite {
    fn names(&self) -> Vec<&'static str> {
        names()
    }

    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String> {
        selected(cfg).try_fold(0, |most, w| Ok(most.max(w.memory(cfg, python)?)))
    }
}

/// What a workload knows about itself. The suite asks nothing of a
/// workload but this.
pub trait Workload: Sync {
    /// Its `--workload` value, also its name in the Python scripts'
    /// `--workloads`.
    fn name(&self) -> &'static str;

    /// What it measures on, which places it in the run.
    fn data(&self) -> Data;

    /// The most bytes it holds at once for `cfg` (its Python rows' too
    /// when `python`: they run after the Rust rows have freed theirs),
    /// checked against this machine's memory before any work. `Err` when
    /// the size overflows.
    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String>;

    /// How many times [`Workload::rows`] calls its `progress` for `cfg`
    /// (the progress bar's share; a test checks it against `rows`).
    fn steps(&self, cfg: &Config) -> u64;

    /// Measures its rows on the backends `cfg` selects, calling `progress`
    /// as each measurement starts. `input` is the shared input array, given
    /// when [`Workload::data`] is [`Data::SharedInput`] ([`shared`] takes
    /// it). A workload whose [`PythonPeers::rounds`] is set takes its
    /// Python peers from `peers` (none when the run has no Python rows).
    fn rows(
        &self,
        cfg: &Config,
        input: Option<&Array3<f64>>,
        peers: &Peers,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String>;

    /// Its counterparts in the Python scripts (none by default).
    fn python(&self) -> PythonPeers {
        PythonPeers::default()
    }

    /// Its speed targets, each a ratio of rows of the same run, for those
    /// whose rows `rows` has (none by default).
    fn targets(&self, _rows: &[Row]) -> Vec<Target> {
        Vec::new()
    }
}

/// What a workload measures on. The suite runs the workloads in this
/// enum's order, in [`all`]'s order within each: those on the shared input
/// one after the other while it is allocated (filled once for them), then,
/// once it is freed, those that allocate their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Data {
    /// The input array of `--size` ([`crate::inputs::input`]), filled once by the runner
    /// and handed to each of these workloads' `rows`.
    SharedInput,
    /// Arrays of its own, built by its `rows`.
    OwnArrays,
    /// No arrays: samples drawn as it goes.
    Samples,
}

/// A workload's counterparts in the Python scripts of `python/`, which
/// take its [`Workload::name`] in their `--workloads`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PythonPeers {
    /// What the Python peers beside its serial and parallel rows are (of
    /// `python/peers.py` when `rounds`, else of `python/blog_bench.py`), in
    /// words for the line that says the rows are missing (`None`: none).
    pub cpu: Option<&'static str>,
    /// Whether `python/gpu_bench.py` measures it beside the CUDA rows.
    pub gpu: bool,
    /// Whether `blog_bench.py`'s rows of it stand beside the simulator's
    /// (Numba's CUDA simulator) rather than the serial and parallel ones.
    pub simulator: bool,
    /// Whether its CPU peers are `python/peers.py`'s set of its name, which
    /// its [`Workload::rows`] times in rounds with its own rows through the
    /// [`Peers`] it is given, rather than `blog_bench.py`'s, run after all
    /// the hotloop rows.
    pub rounds: bool,
    /// Whether `blog_bench.py` measures rows of it as well when `rounds`:
    /// those that cannot run in rounds (a pure-Python loop extrapolated
    /// from a slab, calls of seconds).
    pub script_too: bool,
}

/// The workloads `cfg` selects, in [`all`]'s order.
pub fn selected(cfg: &Config) -> impl Iterator<Item = &'static dyn Workload> + '_ {
    all()
        .iter()
        .copied()
        .filter(|w| cfg.workloads.iter().any(|n| n == w.name()))
}

/// The selected workloads in the order they run (see [`Data`]).
fn run_order(cfg: &Config) -> Vec<&'static dyn Workload> {
    let mut order: Vec<_> = selected(cfg).collect();
    order.sort_by_key(|w| w.data());
    order
}

/// What [`measure`] says as it fills the shared input.
const FILLING: &str = "filling the input array";

/// How many progress steps [`measure`] takes for `cfg`.
pub fn steps(cfg: &Config) -> u64 {
    let shared = selected(cfg).any(|w| w.data() == Data::SharedInput);
    u64::from(shared) + selected(cfg).map(|w| w.steps(cfg)).sum::<u64>()
}

/// Measures the rows of every workload `cfg` selects, in the run's order
/// (see [`Data`]), calling `progress` at each step.
pub fn measure(
    cfg: &Config,
    peers: &Peers,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let mut x = None;
    for w in run_order(cfg) {
        if w.data() == Data::SharedInput {
            if x.is_none() {
                progress(FILLING);
                x = Some(crate::inputs::input(cfg.shape)?);
            }
        } else {
            // Freed before the others allocate theirs.
            x = None;
        }
        rows.extend(w.rows(cfg, x.as_ref(), peers, progress)?);
    }
    Ok(rows)
}

/// The shared input a [`Data::SharedInput`] workload's `rows` is given.
pub fn shared(input: Option<&Array3<f64>>) -> Result<&Array3<f64>, String> {
    input.ok_or_else(|| "no shared input: the workload's data() is not SharedInput".into())
}

/// The speed targets of every workload whose rows `rows` has, in [`all`]'s
/// order.
pub fn targets(rows: &[Row]) -> Vec<Target> {
    all().iter().flat_map(|w| w.targets(rows)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Request;

    fn cfg(args: &str) -> Config {
        let args: Vec<String> = args.split_whitespace().map(String::from).collect();
        match Config::from_args(&args, &Suite) {
            Ok(Request::Run(c)) => c,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn the_workloads_memory_is_checked_before_any_work() {
        // 2^40 elements: 8 TiB per array, one line saying so.
        let args = |a: &str| a.split_whitespace().map(String::from).collect::<Vec<_>>();
        let e =
            Config::from_args(&args("--size 1048576x1048576x1 --no-python"), &Suite).unwrap_err();
        let line = crate::config::usage_line(&e);
        assert!(
            line.contains("--size 1048576x1048576x1")
                && line.contains("is available")
                && line.contains("choose a smaller --size")
                && !line.contains('\n'),
            "{line}"
        );
        // Each workload that holds arrays of the shape says so; pi holds none.
        for w in all() {
            let c = cfg(&format!("--size 2x2x2 --workload {} --no-python", w.name()));
            let bytes = Suite.memory(&c, false).unwrap();
            assert_eq!(
                bytes == 0,
                w.data() == Data::Samples,
                "{}: {bytes}",
                w.name()
            );
        }
        assert!(
            Config::from_args(
                &args("--size 1048576x1048576x1 --workload pi --no-python"),
                &Suite
            )
            .is_ok()
        );
    }

    #[test]
    fn the_list_the_parser_and_the_step_counts_agree() {
        let names = names();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[..i].contains(n), "{n} twice in all()");
        }
        // The default selection is every workload, in the list's order.
        assert_eq!(cfg("--size 3x4x5").workloads, names);
        let all_args = "--size 3x4x5 --samples 1001,2002 --backend serial,parallel,simulator \
                        --repeat 1 --no-python";
        let mut total = 0;
        for w in all() {
            // Each name is a --workload value selecting that one alone.
            let c = cfg(&format!("{all_args} --workload {}", w.name()));
            assert_eq!(c.workloads, [w.name()]);
            let names: Vec<_> = selected(&c).map(|w| w.name()).collect();
            assert_eq!(names, [w.name()]);
            // Its own count is its rows' progress calls.
            let mut calls = 0u64;
            w.rows(
                &c,
                Some(&crate::inputs::input(c.shape).unwrap()),
                &Peers::none(),
                &mut |_| calls += 1,
            )
            .unwrap();
            assert_eq!(calls, w.steps(&c), "{}", w.name());
            let filling = u64::from(w.data() == Data::SharedInput);
            assert_eq!(steps(&c), filling + calls, "{}", w.name());
            total += w.steps(&c);
        }
        // All of them: the sum, and the shared input filled once.
        let c = cfg(all_args);
        assert_eq!(steps(&c), 1 + total);
        let mut calls = Vec::new();
        measure(&c, &Peers::none(), &mut |what| calls.push(what.to_string())).unwrap();
        assert_eq!(calls.len() as u64, steps(&c));
        assert_eq!(calls.iter().filter(|c| *c == FILLING).count(), 1);
    }

    #[test]
    fn the_run_order_is_the_shared_input_then_own_arrays_then_samples() {
        let c = cfg("--size 3x4x5");
        let order: Vec<_> = run_order(&c).iter().map(|w| w.name()).collect();
        assert_eq!(
            order,
            [
                "add",
                "reduce",
                "map",
                "stencil",
                "gufunc",
                "black_scholes",
                "lennard_jones",
                "matmul",
                "waveform",
                "warp-sum",
                "launch",
                "pipeline",
                "pi"
            ]
        );
        let c = cfg("--size 3x4x5 --workload gufunc,pi,add");
        let order: Vec<_> = run_order(&c).iter().map(|w| w.name()).collect();
        assert_eq!(order, ["add", "gufunc", "pi"]);
    }
}
