//! Timing: a first call on its own, warm-up, then repeats.
//!
//! The blog timed one call, which for Numba included JIT compilation, and
//! for its GPU row did not wait for the kernel. Here the first call is
//! timed separately (pool start, module load), warm-up calls are discarded,
//! and the median of the repeats is the figure, with min and max beside it.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Timings of one row, in seconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    /// The very first call, before any warm-up.
    pub first_call_s: Option<f64>,
    /// Every timed repeat, in order.
    pub repeats_s: Vec<f64>,
    /// The set of rounds that timed the repeats ([`Rounds::run`]), if any:
    /// rows of one set made their k-th repeat in the same round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u64>,
}

impl Timings {
    /// Median of the repeats.
    pub fn median(&self) -> f64 {
        let mut v = self.repeats_s.clone();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    /// This row's time over `other`'s: where both were timed in the same
    /// rounds, the median of the rounds' ratios, each of two calls made a
    /// round apart at most, so that a phase of the machine lasting a few
    /// rounds slows both sides of the ratios it falls in; else the ratio
    /// of the medians. On this project's 2-vCPU VM one core was gone for
    /// seconds at a time: a parallel matmul took 48 ms in three rounds and
    /// 25.6 in two, Numba's beside it 62, 59, 34, 32 and 31, so the
    /// medians' ratio was 1.41 and every round's but one 0.78 to 0.83.
    pub fn ratio_to(&self, other: &Timings) -> f64 {
        let (a, b) = (&self.repeats_s, &other.repeats_s);
        if self.rounds.is_none() || self.rounds != other.rounds || a.len() != b.len() {
            return self.median() / other.median();
        }
        Timings {
            repeats_s: a.iter().zip(b).map(|(x, y)| x / y).collect(),
            ..Timings::default()
        }
        .median()
    }

    /// Fastest repeat.
    pub fn min(&self) -> f64 {
        self.repeats_s.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// Slowest repeat.
    pub fn max(&self) -> f64 {
        self.repeats_s
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// How many calls to make.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Plan {
    /// Untimed calls after the first.
    pub warmup: usize,
    /// Timed calls.
    pub repeat: usize,
}

/// A first call longer than this makes a row "long": no warm-up and at most
/// [`LONG_REPEATS`] repeats. The spread of multi-second calls matters less
/// than keeping the default suite within its time budget.
pub const LONG_CALL_S: f64 = 2.0;
/// Repeats of a long row.
pub const LONG_REPEATS: usize = 3;

impl Plan {
    /// This plan adjusted for a row whose first call took `first_s`.
    pub fn after_first_call(self, first_s: f64) -> Plan {
        if first_s > LONG_CALL_S {
            Plan {
                warmup: 0,
                repeat: self.repeat.min(LONG_REPEATS),
            }
        } else {
            self
        }
    }
}

/// Times `f`: the first call alone, `plan.warmup` discarded calls, then
/// `plan.repeat` timed calls (fewer for long rows, see
/// [`Plan::after_first_call`]). `f` returns an error to abort the row.
pub fn time<E>(plan: Plan, mut f: impl FnMut() -> Result<(), E>) -> Result<Timings, E> {
    let t = Instant::now();
    f()?;
    let first = t.elapsed().as_secs_f64();
    let plan = plan.after_first_call(first);
    for _ in 0..plan.warmup {
        f()?;
    }
    let mut repeats = Vec::with_capacity(plan.repeat);
    for _ in 0..plan.repeat {
        let t = Instant::now();
        f()?;
        repeats.push(t.elapsed().as_secs_f64());
    }
    Ok(Timings {
        first_call_s: Some(first),
        repeats_s: repeats,
        rounds: None,
    })
}

/// Times `f` and `g` in alternation (`f, g, f, g, ...`): for two rows whose
/// ratio is the figure of interest, so that both see the machine in the
/// same state even when its memory bandwidth drifts during the run.
pub fn time_pair<'a, E: 'a>(
    plan: Plan,
    f: impl FnMut() -> Result<(), E> + 'a,
    g: impl FnMut() -> Result<(), E> + 'a,
) -> Result<(Timings, Timings), E> {
    let mut rounds = Rounds::new();
    rounds.clocked(f);
    rounds.clocked(g);
    let mut t = rounds.run(plan)?.into_iter();
    let (tf, tg) = (t.next(), t.next());
    Ok((tf.unwrap_or_default(), tg.unwrap_or_default()))
}

/// Calls timed in rounds (`f0, f1, .., f0, f1, ..`), as [`time_pair`]
/// does two: rows compared with each other (a reference, the rows measured
/// against it, their Python peers) see the machine in the same state.
/// Each call is clocked here, or reports the seconds it measured itself (a
/// Python peer, timed in its interpreter: see [`crate::peers`]).
pub struct Rounds<'a, E> {
    calls: Vec<Box<dyn FnMut() -> Result<f64, E> + 'a>>,
}

impl<'a, E: 'a> Default for Rounds<'a, E> {
    fn default() -> Self {
        Rounds { calls: Vec::new() }
    }
}

impl<'a, E: 'a> Rounds<'a, E> {
    /// No calls yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `f`, clocked here; returns its index in [`Rounds::run`]'s list.
    pub fn clocked(&mut self, mut f: impl FnMut() -> Result<(), E> + 'a) -> usize {
        self.self_timed(move || {
            let t = Instant::now();
            f()?;
            Ok(t.elapsed().as_secs_f64())
        })
    }

    /// Adds `f`, which returns the seconds it measured itself; returns its
    /// index in [`Rounds::run`]'s list.
    pub fn self_timed(&mut self, f: impl FnMut() -> Result<f64, E> + 'a) -> usize {
        self.calls.push(Box::new(f));
        self.calls.len() - 1
    }

    /// Adds `f`, which makes a fresh output each call, kept in `slot` until
    /// the next call frees it before its clock starts: freeing an output is
    /// not the cost of making one (and NumPy's peers are timed the same
    /// way). Returns its index in [`Rounds::run`]'s list.
    pub fn fresh<R: 'a>(
        &mut self,
        slot: &'a std::cell::RefCell<Option<R>>,
        mut f: impl FnMut() -> Result<R, E> + 'a,
    ) -> usize {
        self.self_timed(move || {
            drop(slot.borrow_mut().take());
            let t = Instant::now();
            let out = f()?;
            let s = t.elapsed().as_secs_f64();
            *slot.borrow_mut() = Some(out);
            Ok(s)
        })
    }

    /// Times every call: each one's first call on its own, then the plan
    /// (that of the slowest first call) in rounds. One [`Timings`] per call,
    /// in the order they were added.
    pub fn run(mut self, plan: Plan) -> Result<Vec<Timings>, E> {
        static SETS: AtomicU64 = AtomicU64::new(0);
        let set = SETS.fetch_add(1, Ordering::Relaxed);
        let mut out = Vec::with_capacity(self.calls.len());
        for f in &mut self.calls {
            out.push(Timings {
                first_call_s: Some(f()?),
                repeats_s: Vec::with_capacity(plan.repeat),
                rounds: Some(set),
            });
        }
        let slowest = out
            .iter()
            .filter_map(|t| t.first_call_s)
            .fold(0.0, f64::max);
        let plan = plan.after_first_call(slowest);
        for _ in 0..plan.warmup {
            for f in &mut self.calls {
                f()?;
            }
        }
        for _ in 0..plan.repeat {
            for (f, t) in self.calls.iter_mut().zip(&mut out) {
                t.repeats_s.push(f()?);
            }
        }
        Ok(out)
    }
}

/// Times `f` when each call needs fresh state made by `setup` outside the
/// timed region. What `f` returns is dropped after the clock stops (freeing
/// a fresh output is not the kernel's cost either). No warm-up: every call
/// is a first call by construction.
pub fn time_with_setup<S, R, E>(
    repeat: usize,
    mut setup: impl FnMut() -> Result<S, E>,
    mut f: impl FnMut(S) -> Result<R, E>,
) -> Result<Timings, E> {
    let mut repeats = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        let state = setup()?;
        let t = Instant::now();
        let result = f(state)?;
        repeats.push(t.elapsed().as_secs_f64());
        drop(result);
    }
    Ok(Timings {
        first_call_s: None,
        repeats_s: repeats,
        rounds: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_repeats() {
        let t = Timings {
            first_call_s: None,
            repeats_s: vec![3.0, 1.0, 2.0, 10.0],
            rounds: None,
        };
        assert_eq!(t.median(), 2.5);
        assert_eq!(t.min(), 1.0);
        assert_eq!(t.max(), 10.0);
    }

    #[test]
    fn ratios_of_rows_timed_in_the_same_rounds_pair_their_rounds() {
        // The matmul rows of a run on the 2-vCPU VM, in milliseconds: a
        // phase with one core gone covered three rounds of hotloop's row
        // and two of Numba's.
        let ours = [48.39, 48.13, 48.43, 25.6, 25.7];
        let numba = [62.13, 59.06, 34.03, 31.82, 30.86];
        let t = |r: &[f64], rounds| Timings {
            first_call_s: None,
            repeats_s: r.to_vec(),
            rounds,
        };
        let paired = t(&ours, Some(7)).ratio_to(&t(&numba, Some(7)));
        let want = 48.13 / 59.06; // the median of the five rounds' ratios
        assert!((paired - want).abs() < 1e-12, "{paired}");
        // Not the same rounds (or none): the medians' ratio, 48.13 / 34.03.
        for (a, b) in [(Some(7), Some(8)), (None, None), (Some(7), None)] {
            let r = t(&ours, a).ratio_to(&t(&numba, b));
            assert!((r - 48.13 / 34.03).abs() < 1e-12, "{r}");
        }
        // Different lengths cannot pair.
        let r = t(&ours[..4], Some(7)).ratio_to(&t(&numba, Some(7)));
        assert!((r - (48.26 / 34.03)).abs() < 1e-12, "{r}");
    }

    #[test]
    fn each_set_of_rounds_is_its_own() {
        let set = || {
            let mut rounds = Rounds::<()>::new();
            rounds.clocked(|| Ok(()));
            rounds.self_timed(|| Ok(1.0));
            rounds
                .run(Plan {
                    warmup: 0,
                    repeat: 2,
                })
                .unwrap()
        };
        let (a, b) = (set(), set());
        assert!(a[0].rounds.is_some() && a[0].rounds == a[1].rounds);
        assert_ne!(a[0].rounds, b[0].rounds);
    }

    #[test]
    fn long_rows_repeat_less() {
        let plan = Plan {
            warmup: 1,
            repeat: 5,
        };
        let long = plan.after_first_call(LONG_CALL_S + 1.0);
        assert_eq!((long.warmup, long.repeat), (0, LONG_REPEATS));
        let short = plan.after_first_call(0.1);
        assert_eq!((short.warmup, short.repeat), (1, 5));
    }

    #[test]
    fn pairs_alternate() {
        let order = std::cell::RefCell::new(Vec::new());
        let (a, b) = time_pair::<()>(
            Plan {
                warmup: 1,
                repeat: 2,
            },
            || {
                order.borrow_mut().push('f');
                Ok(())
            },
            || {
                order.borrow_mut().push('g');
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(order.into_inner().iter().collect::<String>(), "fgfgfgfg");
        assert_eq!((a.repeats_s.len(), b.repeats_s.len()), (2, 2));
    }

    #[test]
    fn rounds_take_self_timed_calls_at_their_word() {
        let order = std::cell::RefCell::new(String::new());
        let mut rounds = Rounds::<()>::new();
        let a = rounds.clocked(|| {
            order.borrow_mut().push('a');
            Ok(())
        });
        let b = rounds.self_timed(|| {
            order.borrow_mut().push('b');
            Ok(42.0)
        });
        let t = rounds
            .run(Plan {
                warmup: 0,
                repeat: 3,
            })
            .unwrap();
        assert_eq!((a, b), (0, 1));
        assert_eq!(order.into_inner(), "abababab");
        assert_eq!(t[1].first_call_s, Some(42.0));
        assert_eq!(t[1].repeats_s, [42.0; 3]);
        assert!(t[0].repeats_s.iter().all(|&s| s < 42.0));
    }

    #[test]
    fn time_counts_calls() {
        let mut calls = 0;
        let t = time::<()>(
            Plan {
                warmup: 2,
                repeat: 3,
            },
            || {
                calls += 1;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(calls, 6);
        assert_eq!(t.repeats_s.len(), 3);
        assert!(t.first_call_s.is_some());
    }
}
