//! The Python peers timed in rounds with hotloop's rows.
//!
//! A workload whose rows are compared with NumPy's or Numba's asks this
//! worker (`python/peers.py`, started once per run) for its set of peers,
//! adds them to the [`Rounds`] of its own rows, and turns each into a row
//! once timed. Each call is timed in the interpreter, around the Python
//! call alone, so the pipe's round trip is not in its time.
//!
//! A peer that fails (the worker died, a request was refused) does not
//! cost the hotloop rows their run: the worker is dropped, its calls time
//! nothing from then on, its rows are left out, and the error is reported
//! at the end of the run, which then fails.

use crate::config::Config;
use crate::measure::{Rounds, Timings};
use crate::row::{Check, Row};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// The worker, or none (no Python rows this run, or the worker failed).
pub struct Peers {
    worker: RefCell<Option<Worker>>,
    /// The interpreter and its versions, as the Python rows' backend.
    backend: String,
    /// The first error, reported at the end of the run.
    failure: RefCell<Option<String>>,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing stdin ends the worker's loop; a worker stuck in a call is
        // killed instead of waited for.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// One Python peer of a workload, as the worker described it.
#[derive(Clone, Debug)]
pub struct Peer {
    index: usize,
    /// Which of the workload's computations it does (the workload names it).
    pub key: String,
    /// Its form, the row's form ("numpy sum", "numba prange").
    pub form: String,
    note: Option<String>,
    bytes: Option<u64>,
    compile_s: Option<f64>,
}

impl Peers {
    /// No worker: every workload measures its own rows alone.
    pub fn none() -> Peers {
        Peers {
            worker: RefCell::new(None),
            backend: String::new(),
            failure: RefCell::new(None),
        }
    }

    /// Starts `python/peers.py` under `python`, its Numba on `--threads`
    /// threads (all by default) bound as the parallel backend's are, and
    /// reads its versions.
    pub fn start(python: &Path, cfg: &Config) -> Result<Peers, String> {
        let mut cmd = Command::new(python);
        cmd.arg(crate::interpreter::script("peers.py"));
        if let Some(t) = cfg.threads {
            cmd.args(["--threads", &t.to_string()]);
        }
        crate::interpreter::bind_openmp(&mut cmd, cfg.bind);
        // Numba's `parallel=True` runs on OpenMP here, whose idle workers
        // spin after each call: the hotloop row timed next then shared its
        // cores with them. On a 2-vCPU AMD EPYC the parallel Lennard-Jones
        // row (1.7 ms alone) took 3.3 to 5.7 ms in rounds, and one-thread
        // rows spiked to twice their time; with the workers passive, Numba's
        // own `prange` row kept its time (2.65 ms against 2.67). A policy
        // the user set is kept.
        if std::env::var_os("OMP_WAIT_POLICY").is_none() {
            cmd.env("OMP_WAIT_POLICY", "passive");
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("starting python/peers.py: {e}"))?;
        crate::interpreter::relay_stderr(&mut child);
        let (stdin, stdout) = (child.stdin.take(), child.stdout.take());
        let mut worker = Worker {
            stdin: stdin.expect("piped"),
            stdout: BufReader::new(stdout.expect("piped")),
            child,
        };
        let meta = worker.read().map_err(|e| format!("python/peers.py: {e}"))?;
        Ok(Peers {
            backend: crate::interpreter::backend_name(&meta),
            worker: RefCell::new(Some(worker)),
            failure: RefCell::new(None),
        })
    }

    /// The first error of the worker, if it failed.
    pub fn failure(&self) -> Option<String> {
        self.failure.borrow().clone()
    }

    /// Sends `req` and returns the reply; `None` (the worker dropped, the
    /// error kept) if there is no worker or the request failed.
    fn request(&self, req: Value) -> Option<Value> {
        let mut slot = self.worker.borrow_mut();
        let worker = slot.as_mut()?;
        let reply = worker.send(&req).and_then(|()| worker.read());
        let error = match reply {
            Ok(v) => match v["error"].as_str() {
                None => return Some(v),
                Some(e) => e.to_string(),
            },
            Err(e) => e,
        };
        *slot = None;
        self.failure
            .borrow_mut()
            .get_or_insert_with(|| format!("python/peers.py, asked {req}: {error}"));
        None
    }

    /// The peers of `set` (a workload's name in `python/peers.py`) built
    /// with `args`; none without a worker.
    pub fn prepare(&self, set: &str, args: Value) -> Vec<Peer> {
        let Some(reply) = self.request(json!({"prepare": set, "args": args})) else {
            return Vec::new();
        };
        let Some(list) = reply["peers"].as_array() else {
            self.fail(format!("python/peers.py: no peers in {reply}"));
            return Vec::new();
        };
        list.iter()
            .enumerate()
            .map(|(index, p)| Peer {
                index,
                key: p["key"].as_str().unwrap_or_default().to_string(),
                form: p["form"].as_str().unwrap_or_default().to_string(),
                note: p["note"].as_str().map(String::from),
                bytes: p["bytes"].as_u64(),
                compile_s: p["compile_s"].as_f64(),
            })
            .collect()
    }

    fn fail(&self, why: String) {
        *self.worker.borrow_mut() = None;
        self.failure.borrow_mut().get_or_insert(why);
    }

    /// Adds each of `peers` to `rounds`, returning their indices there.
    /// A call after a failure times nothing (its row is left out).
    pub fn add_to<'a, E: 'a>(
        &'a self,
        peers: &'a [Peer],
        rounds: &mut Rounds<'a, E>,
    ) -> Vec<usize> {
        peers
            .iter()
            .map(|p| rounds.self_timed(move || Ok(self.call(p))))
            .collect()
    }

    /// Calls `peer` once: the seconds it took in the interpreter (NaN once
    /// the worker failed).
    fn call(&self, peer: &Peer) -> f64 {
        self.request(json!({ "call": peer.index }))
            .and_then(|r| r["s"].as_f64())
            .unwrap_or(f64::NAN)
    }

    /// `peer`'s row on `workload` with `timings`, its answer checked by the
    /// worker; `None` once the worker failed.
    pub fn row(&self, peer: &Peer, workload: &str, timings: Timings) -> Option<Row> {
        let reply = self.request(json!({ "check": peer.index }))?;
        let check = match reply["check"].as_str() {
            Some("passed") => Check::Passed,
            other => Check::Failed(format!("the Python row's own check said {other:?}")),
        };
        let note = match (&peer.note, peer.compile_s) {
            (Some(n), Some(_)) => {
                Some(format!("{n}; compiled when decorated (explicit signature)"))
            }
            (n, _) => n.clone(),
        };
        Some(crate::interpreter::row(crate::interpreter::PythonRow {
            backend: &self.backend,
            workload,
            form: &peer.form,
            timings,
            bytes: peer.bytes,
            samples: None,
            check,
            compile_s: peer.compile_s,
            note,
        }))
    }

    /// Frees the current set's arrays in the worker.
    pub fn release(&self) {
        self.request(json!({"release": true}));
    }
}

impl Worker {
    fn send(&mut self, req: &Value) -> Result<(), String> {
        writeln!(self.stdin, "{req}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("writing to the worker: {e}"))
    }

    fn read(&mut self) -> Result<Value, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err(format!(
                "the worker ended ({})",
                self.child
                    .wait()
                    .map_or_else(|e| e.to_string(), |s| s.to_string())
            )),
            Ok(_) => serde_json::from_str(&line)
                .map_err(|e| format!("a reply that is not JSON ({e}): {}", line.trim())),
            Err(e) => Err(format!("reading from the worker: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_worker_there_are_no_peers_and_no_failure() {
        let peers = Peers::none();
        assert!(peers.prepare("reduce", json!({})).is_empty());
        peers.release();
        assert_eq!(peers.failure(), None);
    }

    /// A stand-in worker: a shell script speaking the protocol badly,
    /// given to `sh -c` (no file left behind).
    fn fake(script: &str) -> Peers {
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let mut worker = Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        };
        let meta = worker.read().unwrap();
        Peers {
            backend: crate::interpreter::backend_name(&meta),
            worker: RefCell::new(Some(worker)),
            failure: RefCell::new(None),
        }
    }

    #[test]
    fn a_worker_that_answers_is_timed_at_its_word_and_checked() {
        let peers = fake(
            r#"echo '{"meta": true, "python": "3.12.0", "numba": "0.68.1", "threads": 2}'
read l; echo '{"peers": [{"key": "sum", "form": "numpy sum", "note": "n", "bytes": 64, "compile_s": null}]}'
while read l; do case "$l" in *call*) echo '{"s": 0.25}';; *check*) echo '{"check": "passed"}';; esac; done
"#,
        );
        let list = peers.prepare("reduce", json!({}));
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].key.as_str(), list[0].form.as_str()),
            ("sum", "numpy sum")
        );
        let mut rounds = Rounds::<()>::new();
        let ix = peers.add_to(&list, &mut rounds);
        let t = rounds
            .run(crate::measure::Plan {
                warmup: 1,
                repeat: 2,
            })
            .unwrap();
        assert_eq!(t[ix[0]].repeats_s, [0.25, 0.25]);
        let row = peers
            .row(&list[0], "sum f64 1x1x8", t[ix[0]].clone())
            .unwrap();
        assert_eq!(row.check, Check::Passed);
        assert_eq!(row.backend, "python 3.12.0, numba 0.68.1 (2 threads)");
        assert!(
            crate::targets::python(&[row], "sum f64 1x1x8", "numpy sum").is_some(),
            "the targets find it"
        );
        assert_eq!(peers.failure(), None);
    }

    #[test]
    fn a_worker_that_dies_leaves_its_rows_out_and_says_why() {
        let peers = fake(
            r#"echo '{"meta": true, "python": "3.12.0"}'
read l; echo '{"peers": [{"key": "sum", "form": "numpy sum"}]}'
read l; echo '{"error": "MemoryError: out of memory"}'
"#,
        );
        let list = peers.prepare("reduce", json!({}));
        let mut rounds = Rounds::<()>::new();
        let ix = peers.add_to(&list, &mut rounds);
        let t = rounds
            .run(crate::measure::Plan {
                warmup: 0,
                repeat: 2,
            })
            .unwrap();
        assert!(t[ix[0]].repeats_s.iter().all(|s| s.is_nan()));
        assert!(peers.row(&list[0], "w", t[ix[0]].clone()).is_none());
        let why = peers.failure().unwrap();
        assert!(why.contains("MemoryError") && why.contains("call"), "{why}");
        // Later sets get no peers, and the first error stays.
        assert!(peers.prepare("map", json!({})).is_empty());
        assert_eq!(peers.failure().unwrap(), why);
    }
}
