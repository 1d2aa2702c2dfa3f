//! What the suite runs, from the command line.

use crate::measure::Plan;
use hotloop::Backend;

/// Workloads by name.
pub const WORKLOADS: [&str; 6] = ["add", "pi", "reduce", "map", "stencil", "gufunc"];
/// Backends by name.
#[cfg(not(test))]
pub const BACKENDS: &[&str] = &["serial", "parallel", "simulator", "cuda"];
/// Test builds add `wrong`, a backend that computes a wrong answer on
/// purpose, to prove that a wrong row is marked ✗ and fails the run.
#[cfg(test)]
pub const BACKENDS: &[&str] = &["serial", "parallel", "simulator", "cuda", "wrong"];

/// The resolved run configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// add_scalar / reduction array shape.
    pub shape: [usize; 3],
    /// Monte Carlo sample counts.
    pub samples: Vec<u64>,
    /// Backends to run, by name.
    pub backends: Vec<String>,
    /// Whether `--backend` named them (an unavailable one is then an error,
    /// not a note).
    pub backends_explicit: bool,
    /// Workloads to run, by name.
    pub workloads: Vec<String>,
    /// Parallel backend's thread count.
    pub threads: Option<usize>,
    /// Warm-up and repeats.
    pub plan: Plan,
    /// Where to write results (None: don't).
    pub out_dir: Option<std::path::PathBuf>,
    /// Whether to run the Python rows.
    pub python: PythonMode,
    /// `--setup-python`: install numpy and numba into the suite's venv.
    pub setup_python: bool,
    /// `--quick`.
    pub quick: bool,
    /// `--sweep`: throughput against size instead of the suite.
    pub sweep: bool,
}

/// When the Python rows run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PythonMode {
    /// When an interpreter with numpy and numba is found (the default).
    Auto,
    /// Always; an error if no interpreter can run them (`--python`).
    On,
    /// Never (`--no-python`).
    Off,
}

impl Config {
    /// The parallel backend as configured.
    pub fn parallel(&self) -> Result<Backend, String> {
        match self.threads {
            None => Ok(Backend::parallel()),
            Some(t) => Backend::parallel_with_threads(t).map_err(|e| e.to_string()),
        }
    }

    /// Plan for the simulator's rows: it exists to check the kernels, not
    /// to be fast, so fewer repeats.
    pub fn simulator_plan(&self) -> Plan {
        Plan {
            warmup: 0,
            repeat: self.plan.repeat.min(3),
        }
    }

    /// Drops `cuda` if the machine cannot run it, saying why; an error if
    /// `--backend` asked for it by name.
    pub fn resolve_cuda(&mut self) -> Result<(), String> {
        if !self.runs_backend("cuda") {
            return Ok(());
        }
        if let Err(why) = hotloop_cuda::availability(0) {
            if self.backends_explicit {
                return Err(format!("--backend cuda: {why}"));
            }
            eprintln!("CUDA rows skipped: {why}");
            self.backends.retain(|b| b != "cuda");
        }
        Ok(())
    }

    /// Whether a backend is selected.
    pub fn runs_backend(&self, name: &str) -> bool {
        self.backends.iter().any(|b| b == name)
    }

    /// Whether a workload is selected.
    pub fn runs_workload(&self, name: &str) -> bool {
        self.workloads.iter().any(|w| w == name)
    }

    /// Parses the suite's arguments.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let full = args.iter().any(|a| a == "--full");
        let mut cfg = Config {
            shape: if quick {
                [256, 256, 128]
            } else {
                [1024, 1024, 512]
            },
            samples: if quick {
                vec![10_000, 33_000_000]
            } else if full {
                vec![10_000, 33_000_000, 1_000_000_000, 10_000_000_000]
            } else {
                vec![10_000, 33_000_000, 1_000_000_000]
            },
            backends: BACKENDS
                .iter()
                .filter(|b| **b != "wrong")
                .map(|s| s.to_string())
                .collect(),
            workloads: WORKLOADS.iter().map(|s| s.to_string()).collect(),
            backends_explicit: false,
            threads: None,
            plan: Plan {
                warmup: 1,
                repeat: 5,
            },
            out_dir: None,
            python: PythonMode::Auto,
            setup_python: false,
            quick,
            sweep: false,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match a.as_str() {
                "--quick" | "--full" => {}
                "--sweep" => cfg.sweep = true,
                "--python" => cfg.python = PythonMode::On,
                "--no-python" => cfg.python = PythonMode::Off,
                "--setup-python" => cfg.setup_python = true,
                "--size" => cfg.shape = parse_shape(&value("--size")?)?,
                "--samples" => {
                    cfg.samples = value("--samples")?
                        .split(',')
                        .map(parse_count)
                        .collect::<Result<_, _>>()?
                }
                "--backend" => {
                    cfg.backends = parse_names(&value("--backend")?, BACKENDS, "backend")?;
                    cfg.backends_explicit = true;
                }
                "--workload" => {
                    cfg.workloads = parse_names(&value("--workload")?, &WORKLOADS, "workload")?
                }
                "--threads" => {
                    let t: usize = value("--threads")?
                        .parse()
                        .map_err(|e| format!("--threads: {e}"))?;
                    if t == 0 {
                        return Err("--threads must be at least 1".into());
                    }
                    cfg.threads = Some(t);
                }
                "--repeat" => {
                    let r: usize = value("--repeat")?
                        .parse()
                        .map_err(|e| format!("--repeat: {e}"))?;
                    if r == 0 {
                        return Err("--repeat must be at least 1".into());
                    }
                    cfg.plan.repeat = r;
                }
                "--out" => cfg.out_dir = Some(value("--out")?.into()),
                other => {
                    return Err(format!(
                        "unknown option `{other}`; valid: --quick, --full, --sweep, --size AxBxC, --samples N[,N..], \
                         --backend {}, --workload {}, --threads N, --repeat N, --python, --no-python, --setup-python, --out DIR",
                        BACKENDS.join("|"),
                        WORKLOADS.join("|")
                    ));
                }
            }
        }
        if cfg.python == PythonMode::Off && cfg.setup_python {
            return Err("--setup-python contradicts --no-python".into());
        }
        if cfg
            .shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .is_none()
        {
            return Err(format!(
                "--size {:?}: the element count overflows",
                cfg.shape
            ));
        }
        if cfg.samples.contains(&0) {
            return Err("--samples: zero samples cannot estimate anything".into());
        }
        Ok(cfg)
    }
}

fn parse_shape(s: &str) -> Result<[usize; 3], String> {
    let dims: Vec<usize> = s
        .split(['x', ','])
        .map(|d| d.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--size `{s}`: {e} (expected three extents like 1024x1024x512)"))?;
    match dims[..] {
        [a, b, c] => Ok([a, b, c]),
        _ => Err(format!(
            "--size `{s}`: expected three extents like 1024x1024x512"
        )),
    }
}

/// Parses `1e9`, `33000000` or `3.3e7` as a whole count.
fn parse_count(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Ok(n);
    }
    let f: f64 = s
        .parse()
        .map_err(|_| format!("--samples: `{s}` is not a number"))?;
    if f.fract() != 0.0 || !(0.0..=u64::MAX as f64).contains(&f) {
        return Err(format!("--samples: `{s}` is not a whole number of samples"));
    }
    Ok(f as u64)
}

fn parse_names(s: &str, valid: &[&str], what: &str) -> Result<Vec<String>, String> {
    s.split(',')
        .map(|n| {
            let n = n.trim();
            if valid.contains(&n) {
                Ok(n.to_string())
            } else {
                Err(format!(
                    "unknown {what} `{n}`; valid {what}s: {}",
                    valid.join(", ")
                ))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_the_options() {
        let c = Config::from_args(&args(
            "--quick --size 4x5x6 --samples 1e4,3.3e7 --threads 3 --repeat 2",
        ))
        .unwrap();
        assert_eq!(c.shape, [4, 5, 6]);
        assert_eq!(c.samples, vec![10_000, 33_000_000]);
        assert_eq!(c.threads, Some(3));
        assert_eq!(c.plan.repeat, 2);
        assert!(c.quick);
        assert_eq!(c.python, PythonMode::Auto);
        let c = Config::from_args(&args("--python --setup-python")).unwrap();
        assert_eq!((c.python, c.setup_python), (PythonMode::On, true));
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let e = Config::from_args(&args("--backend serial,gpu")).unwrap_err();
        assert!(
            e.contains("unknown backend `gpu`") && e.contains("serial, parallel"),
            "{e}"
        );
        let e = Config::from_args(&args("--workload nope")).unwrap_err();
        assert!(e.contains("add, pi, reduce, map, stencil, gufunc"), "{e}");
        let e = Config::from_args(&args("--frobnicate")).unwrap_err();
        assert!(e.contains("unknown option `--frobnicate`"), "{e}");
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            "--size 4x5",
            "--samples 0",
            "--samples 1.5",
            "--threads 0",
            "--repeat 0",
            "--size",
        ] {
            assert!(Config::from_args(&args(bad)).is_err(), "{bad}");
        }
    }
}
