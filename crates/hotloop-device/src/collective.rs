//! What the block- and warp-wide calls mean on the host: each thread's
//! part in a call ([`Collective`]) and the results CUDA defines for a whole
//! group of them ([`WarpCall::resolve`], [`BarrierOp::resolve`]), or why it
//! defines none ([`WarpFault`]). The simulator gathers the calls and
//! applies these; a block of one thread applies them to itself
//! ([`Collective::alone`]). On the GPU the same calls are PTX instructions.

use std::format;
use std::string::String;
use std::vec::Vec;

/// Lanes in a warp.
const LANES: usize = 32;

/// One thread's part in a call that the other threads of its block or
/// warp take part in too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collective {
    /// A block barrier: `sync_threads` and its reductions.
    Barrier {
        /// Which.
        op: BarrierOp,
        /// This thread's predicate (ignored by [`BarrierOp::Sync`]).
        pred: bool,
    },
    /// The grid barrier (`grid_sync`): every thread of every block.
    Grid,
    /// A warp-wide call of the lanes in its mask.
    Warp(WarpCall),
    /// `activemask`: the lanes of the warp that run together to this
    /// point. The simulator answers with the lanes that reach it in the
    /// same scheduling round, as converged lanes do on a GPU; it waits for
    /// nobody.
    ActiveMask,
}

impl Collective {
    /// The result for a block of one thread (lane 0 of warp 0), as the
    /// simulator would give it.
    ///
    /// # Panics
    /// If a warp call's mask names other lanes, or it is not defined for
    /// one lane alone (a shuffle from another lane).
    pub fn alone(self) -> u64 {
        match self {
            Collective::Barrier { op, pred } => op.resolve(&[pred]).into(),
            Collective::ActiveMask => 1,
            Collective::Grid => 0,
            Collective::Warp(call) => {
                let mut calls = [None; LANES];
                calls[0] = Some(call);
                match call.resolve(&calls, 1) {
                    Ok(r) => r[0],
                    Err(f) => panic!("{}", f.problem),
                }
            }
        }
    }
}

/// The barriers (`bar.sync` and `bar.red` on the GPU).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarrierOp {
    /// `sync_threads`: waits, returns 0.
    Sync,
    /// `sync_threads_count`: how many threads' predicates hold.
    Count,
    /// `sync_threads_and`: 1 if every thread's predicate holds.
    And,
    /// `sync_threads_or`: 1 if any thread's predicate holds.
    Or,
}

impl BarrierOp {
    /// The device function's name, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            BarrierOp::Sync => "sync_threads",
            BarrierOp::Count => "sync_threads_count",
            BarrierOp::And => "sync_threads_and",
            BarrierOp::Or => "sync_threads_or",
        }
    }

    /// The result every thread of the block gets, from every thread's
    /// predicate.
    pub fn resolve(self, preds: &[bool]) -> u32 {
        match self {
            BarrierOp::Sync => 0,
            BarrierOp::Count => preds.iter().filter(|&&p| p).count() as u32,
            BarrierOp::And => preds.iter().all(|&p| p) as u32,
            BarrierOp::Or => preds.iter().any(|&p| p) as u32,
        }
    }
}

/// A shuffle's source rule (PTX `shfl.sync`'s modes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShflMode {
    /// From lane `b` of the segment (`shfl_sync`).
    Idx,
    /// From `lane - b` (`shfl_up_sync`).
    Up,
    /// From `lane + b` (`shfl_down_sync`).
    Down,
    /// From `lane ^ b` (`shfl_xor_sync`).
    Bfly,
}

/// The warp-wide operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarpOp {
    /// A shuffle: PTX's `b` operand (a lane or an offset) and `c` (the
    /// segment mask in bits 8..13 and the clamp lane in bits 0..5).
    Shfl {
        /// The source rule.
        mode: ShflMode,
        /// The lane or offset.
        b: u32,
        /// The segment and clamp.
        c: u32,
    },
    /// `ballot_sync`: the lanes whose value is nonzero.
    Ballot,
    /// `all_sync`: whether every lane's value is nonzero.
    All,
    /// `any_sync`: whether any lane's value is nonzero.
    Any,
    /// `eq_sync`: whether every lane's predicate is the same.
    Eq,
    /// `match_any_sync`: the lanes whose value has the same bits as this
    /// lane's.
    MatchAny,
    /// `match_all_sync`: the mask if every lane's value has the same bits,
    /// else 0.
    MatchAll,
    /// `syncwarp`: waits, returns 0.
    Sync,
}

impl WarpOp {
    /// The device function's name, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            WarpOp::Shfl { mode, .. } => match mode {
                ShflMode::Idx => "shfl_sync",
                ShflMode::Up => "shfl_up_sync",
                ShflMode::Down => "shfl_down_sync",
                ShflMode::Bfly => "shfl_xor_sync",
            },
            WarpOp::Ballot => "ballot_sync",
            WarpOp::All => "all_sync",
            WarpOp::Any => "any_sync",
            WarpOp::Eq => "eq_sync",
            WarpOp::MatchAny => "match_any_sync",
            WarpOp::MatchAll => "match_all_sync",
            WarpOp::Sync => "syncwarp",
        }
    }

    /// Whether two lanes' calls are the same operation: a shuffle's lane
    /// or offset may differ from lane to lane, its mode and segment not.
    fn same_as(self, other: WarpOp) -> bool {
        match (self, other) {
            (WarpOp::Shfl { mode, c, .. }, WarpOp::Shfl { mode: m, c: k, .. }) => {
                mode == m && c == k
            }
            (a, b) => a == b,
        }
    }
}

/// One lane's call of a warp-wide operation: its mask (the lanes taking
/// part, its own among them), the operation, and its value's bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WarpCall {
    /// The lanes taking part (bit `l`: lane `l`).
    pub mask: u32,
    /// What they do.
    pub op: WarpOp,
    /// This lane's value (a predicate as 0 or 1), zero-extended.
    pub value: u64,
}

/// Why a warp's calls have no result CUDA defines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WarpFault {
    /// The lanes at fault.
    pub lanes: Vec<u32>,
    /// What is wrong, naming the call.
    pub problem: String,
}

/// The lanes of `mask`, in order.
pub fn lanes_of(mask: u32) -> Vec<u32> {
    (0..LANES as u32).filter(|l| mask >> l & 1 == 1).collect()
}

impl WarpCall {
    /// The result of every lane of `mask`, from their calls (`calls[l]`
    /// for lane `l`; every lane of `mask` has one, with `mask` as its
    /// mask), for a warp of `lanes` lanes. `Err` where CUDA leaves the
    /// result undefined: lanes that call different operations, a mask
    /// naming lanes the warp does not have, a shuffle from a lane outside
    /// the mask.
    pub fn resolve(
        self,
        calls: &[Option<WarpCall>; LANES],
        lanes: usize,
    ) -> Result<[u64; LANES], WarpFault> {
        let mask = self.mask;
        let name = self.op.name();
        let present = if lanes >= LANES {
            u32::MAX
        } else {
            (1u32 << lanes) - 1
        };
        if mask & !present != 0 {
            return Err(WarpFault {
                lanes: lanes_of(mask & !present),
                problem: format!(
                    "{name}'s mask {mask:#010x} names lanes this warp of {lanes} does not have \
                     (the block ends inside it)"
                ),
            });
        }
        let call = |l: usize| calls[l].expect("every lane of the mask has called");
        let differ: u32 = (0..LANES)
            .filter(|&l| mask >> l & 1 == 1 && !call(l).op.same_as(self.op))
            .fold(0, |m, l| m | 1 << l);
        if differ != 0 {
            let other = call(differ.trailing_zeros() as usize).op.name();
            return Err(WarpFault {
                lanes: lanes_of(differ),
                problem: format!(
                    "lanes of mask {mask:#010x} call different operations: these call {other}, \
                     the others {name}"
                ),
            });
        }
        let members = || (0..LANES).filter(move |&l| mask >> l & 1 == 1);
        let nonzero = |l: usize| call(l).value != 0;
        let mut out = [0u64; LANES];
        match self.op {
            WarpOp::Shfl { mode, c, .. } => {
                let mut strays = Vec::new();
                for l in members() {
                    let WarpOp::Shfl { b, .. } = call(l).op else {
                        unreachable!("checked: every lane shuffles")
                    };
                    let src = shfl_source(mode, l as u32, b, c);
                    if mask >> src & 1 == 0 {
                        strays.push((l as u32, src));
                    } else {
                        out[l] = call(src as usize).value;
                    }
                }
                if !strays.is_empty() {
                    let list: Vec<String> = strays
                        .iter()
                        .map(|(l, s)| format!("{l} from {s}"))
                        .collect();
                    return Err(WarpFault {
                        lanes: strays.iter().map(|&(l, _)| l).collect(),
                        problem: format!(
                            "{name} reads lanes outside its mask {mask:#010x} ({}): the GPU \
                             gives such a lane an undefined value",
                            list.join(", ")
                        ),
                    });
                }
            }
            WarpOp::Ballot => {
                let ballot = members()
                    .filter(|&l| nonzero(l))
                    .fold(0u32, |m, l| m | 1 << l);
                members().for_each(|l| out[l] = ballot.into());
            }
            WarpOp::All => {
                let all = members().all(nonzero);
                members().for_each(|l| out[l] = all.into());
            }
            WarpOp::Any => {
                let any = members().any(nonzero);
                members().for_each(|l| out[l] = any.into());
            }
            WarpOp::Eq => {
                let first = nonzero(mask.trailing_zeros() as usize);
                let eq = members().all(|l| nonzero(l) == first);
                members().for_each(|l| out[l] = eq.into());
            }
            WarpOp::MatchAny => {
                for l in members() {
                    let v = call(l).value;
                    out[l] = members()
                        .filter(|&k| call(k).value == v)
                        .fold(0u32, |m, k| m | 1 << k)
                        .into();
                }
            }
            WarpOp::MatchAll => {
                let v = call(mask.trailing_zeros() as usize).value;
                let same = members().all(|k| call(k).value == v);
                members().for_each(|l| out[l] = if same { mask.into() } else { 0 });
            }
            WarpOp::Sync => {}
        }
        Ok(out)
    }
}

/// The lane a shuffle of `mode` reads for `lane` (PTX ISA, `shfl.sync`):
/// within the lane's segment, clamped; out of range, the lane itself.
pub fn shfl_source(mode: ShflMode, lane: u32, b: u32, c: u32) -> u32 {
    let (b, clamp, segmask) = (b & 31, c & 31, (c >> 8) & 31);
    let max_lane = (lane & segmask) | (clamp & !segmask);
    let min_lane = lane & segmask;
    let (j, ok) = match mode {
        ShflMode::Up => {
            let j = lane as i32 - b as i32;
            (j, j >= max_lane as i32)
        }
        ShflMode::Down => {
            let j = (lane + b) as i32;
            (j, j <= max_lane as i32)
        }
        ShflMode::Bfly => {
            let j = (lane ^ b) as i32;
            (j, j <= max_lane as i32)
        }
        ShflMode::Idx => {
            let j = (min_lane | (b & !segmask)) as i32;
            (j, j <= max_lane as i32)
        }
    };
    if ok { j as u32 } else { lane }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shfl(mode: ShflMode, b: u32, c: u32) -> WarpOp {
        WarpOp::Shfl { mode, b, c }
    }

    /// Every lane of `mask` calls `op(lane)` with value `value(lane)`.
    fn run(
        mask: u32,
        lanes: usize,
        op: impl Fn(u32) -> WarpOp,
        value: impl Fn(u32) -> u64,
    ) -> Result<[u64; 32], WarpFault> {
        let mut calls = [None; 32];
        for l in lanes_of(mask) {
            calls[l as usize] = Some(WarpCall {
                mask,
                op: op(l),
                value: value(l),
            });
        }
        calls[mask.trailing_zeros() as usize]
            .unwrap()
            .resolve(&calls, lanes)
    }

    #[test]
    fn shuffles_follow_ptx_with_segments_and_clamps() {
        let full = u32::MAX;
        let v = |l: u32| 100 + l as u64;
        let down = run(full, 32, |_| shfl(ShflMode::Down, 3, 0x1f), v).unwrap();
        for l in 0..32 {
            let want = if l + 3 < 32 { v(l + 3) } else { v(l) };
            assert_eq!(down[l as usize], want, "down lane {l}");
        }
        let up = run(full, 32, |_| shfl(ShflMode::Up, 5, 0), v).unwrap();
        for l in 0..32u32 {
            assert_eq!(up[l as usize], v(if l >= 5 { l - 5 } else { l }));
        }
        let xor = run(full, 32, |_| shfl(ShflMode::Bfly, 9, 0x1f), v).unwrap();
        assert!((0..32u32).all(|l| xor[l as usize] == v(l ^ 9)));
        // Width 8: `c = (32 - 8) << 8 | 0x1f`; lane 13 reads its segment's
        // lane 2, which is lane 10.
        let idx = run(full, 32, |_| shfl(ShflMode::Idx, 2, (24 << 8) | 0x1f), v).unwrap();
        assert_eq!(idx[13], v(10));
        let down8 = run(full, 32, |_| shfl(ShflMode::Down, 4, (24 << 8) | 0x1f), v).unwrap();
        assert_eq!((down8[3], down8[4]), (v(7), v(4)));
        let up8 = run(full, 32, |_| shfl(ShflMode::Up, 1, 24 << 8), v).unwrap();
        assert_eq!((up8[8], up8[9]), (v(8), v(8)));
        // Each lane its own source.
        let any = run(full, 32, |l| shfl(ShflMode::Idx, 31 - l, 0x1f), v).unwrap();
        assert!((0..32u32).all(|l| any[l as usize] == v(31 - l)));
    }

    #[test]
    fn votes_and_matches() {
        let m = 0x0000_f0f0;
        let pred = |l: u32| l.is_multiple_of(3) as u64;
        let ballot = run(m, 32, |_| WarpOp::Ballot, pred).unwrap();
        assert_eq!(ballot[4], 1 << 6 | 1 << 12 | 1 << 15);
        assert_eq!(run(m, 32, |_| WarpOp::All, pred).unwrap()[4], 0);
        assert_eq!(run(m, 32, |_| WarpOp::Any, pred).unwrap()[4], 1);
        assert_eq!(run(m, 32, |_| WarpOp::Eq, |_| 1).unwrap()[15], 1);
        assert_eq!(run(m, 32, |_| WarpOp::Eq, pred).unwrap()[15], 0);
        let parity = |l: u32| (l % 2) as u64;
        let any = run(m, 32, |_| WarpOp::MatchAny, parity).unwrap();
        assert_eq!((any[4], any[5]), (0x0000_5050, 0x0000_a0a0));
        assert_eq!(run(m, 32, |_| WarpOp::MatchAll, parity).unwrap()[4], 0);
        assert_eq!(
            run(m, 32, |_| WarpOp::MatchAll, |_| 7).unwrap()[4],
            m as u64
        );
    }

    #[test]
    fn undefined_calls_are_faults_naming_the_lanes() {
        // The down shuffle at lanes 13..15 reads lanes 16..18, outside.
        let f = run(0xffff, 32, |_| shfl(ShflMode::Down, 3, 0x1f), |l| l as u64).unwrap_err();
        assert_eq!(f.lanes, [13, 14, 15]);
        assert!(f.problem.contains("13 from 16"), "{}", f.problem);
        // A warp of 20 lanes: a full mask names 12 it lacks.
        let f = run(u32::MAX, 20, |_| WarpOp::Ballot, |_| 1).unwrap_err();
        assert_eq!(f.lanes, (20..32).collect::<Vec<_>>());
        let f = run(
            3,
            32,
            |l| if l == 0 { WarpOp::Ballot } else { WarpOp::Any },
            |_| 1,
        )
        .unwrap_err();
        assert_eq!(f.lanes, [1]);
        assert!(f.problem.contains("any_sync"), "{}", f.problem);
        // A shuffle's offsets may differ by lane; its mode may not.
        assert!(run(3, 32, |l| shfl(ShflMode::Idx, l, 0x1f), |l| l as u64).is_ok());
    }

    #[test]
    fn a_block_of_one() {
        let one = |op, value| Collective::Warp(WarpCall { mask: 1, op, value });
        assert_eq!(one(shfl(ShflMode::Idx, 0, 0x1f), 42).alone(), 42);
        // Lane 1 is outside the mask of one lane: no value to give.
        let stray = std::panic::catch_unwind(|| one(shfl(ShflMode::Down, 1, 0x1f), 42).alone());
        assert!(stray.is_err());
        assert_eq!(one(WarpOp::Ballot, 1).alone(), 1);
        let count = Collective::Barrier {
            op: BarrierOp::Count,
            pred: true,
        };
        assert_eq!(count.alone(), 1);
        assert_eq!(Collective::ActiveMask.alone(), 1);
    }
}
