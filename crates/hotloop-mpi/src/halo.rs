//! Halo exchange along the split axis.
//!
//! A stencil's output plane `x` reads input planes `x + lo ..= x + hi`
//! (its declared reach along axis 0, `NEIGHBOURHOOD[0] = (lo, hi)`). So a
//! rank holding planes `own` computes them from a *window* of the global
//! array: `own` widened by `-lo` planes below and `hi` above, cut to the
//! array ([`window`]). The planes of the window it does not hold, its
//! halo, come from the ranks that hold them ([`HaloPlan`]): its neighbours
//! on the line of ranks in the usual case, further ranks where a
//! neighbour holds fewer planes than the reach (or none). At the global
//! edges the window simply ends where the array does, so the boundary
//! mode sees the array's own edge.
//!
//! Computed on the window, with the plane index shifted, every cell of
//! `own` has the bits it has in one process in every boundary mode: the
//! window holds every plane the cell reads, its edges that are not the
//! array's lie at least the reach away from `own` (so no cell of `own`
//! counts as a border cell, or clamps or pads there, that would not in the
//! whole array), and its edges that are the array's are the same edges.

use crate::partition::share_usize;
use crate::slab::MpiElement;
use mpi::Tag;
use mpi::topology::CartesianCommunicator;
use mpi::traits::*;
use std::ops::Range;

/// The most elements one halo message carries (MPI counts are `int`).
const MAX_MESSAGE: usize = 1 << 26;

/// The halo messages' tag, on the [`World::cartesian`](crate::World::cartesian)
/// communicator, which carries nothing else.
const HALO_TAG: Tag = 0x4a4c;

/// The global planes a rank holding `own` of `n` planes needs to compute
/// them with a stencil reaching `reach = (lo, hi)` along the split axis:
/// `own.start + min(lo, 0) .. own.end + max(hi, 0)`, cut to `0..n`. Empty
/// where `own` is (a rank with no planes computes nothing).
pub fn window(own: Range<usize>, (lo, hi): (isize, isize), n: usize) -> Range<usize> {
    if own.is_empty() {
        return own;
    }
    let below = lo.min(0).unsigned_abs();
    let above = hi.max(0).unsigned_abs();
    own.start.saturating_sub(below)..own.end.saturating_add(above).min(n)
}

fn intersect(a: &Range<usize>, b: &Range<usize>) -> Range<usize> {
    let r = a.start.max(b.start)..a.end.min(b.end);
    if r.is_empty() { a.start..a.start } else { r }
}

/// One rank's halo exchange for a stencil of reach `(lo, hi)` along the
/// split axis of `n` planes over `ranks` ranks (each holding
/// [`share_usize`] of the planes): pure arithmetic, the same on every rank,
/// so no count is exchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HaloPlan {
    /// The planes this rank holds.
    pub own: Range<usize>,
    /// The planes its window holds ([`window`]): `own` and its halo.
    pub window: Range<usize>,
    /// `(rank, planes)` to receive, in window order: together with `own`
    /// they tile `window`.
    pub receives: Vec<(usize, Range<usize>)>,
    /// `(rank, planes)` of `own` to send, in rank order.
    pub sends: Vec<(usize, Range<usize>)>,
}

impl HaloPlan {
    /// The plan of rank `rank`.
    pub fn new(n: usize, ranks: usize, rank: usize, reach: (isize, isize)) -> HaloPlan {
        let own = share_usize(n, ranks, rank);
        let win = window(own.clone(), reach, n);
        let mut receives = Vec::new();
        let mut sends = Vec::new();
        for r in (0..ranks).filter(|&r| r != rank) {
            let theirs = share_usize(n, ranks, r);
            let from = intersect(&theirs, &win);
            if !from.is_empty() {
                receives.push((r, from));
            }
            let to = intersect(&own, &window(theirs.clone(), reach, n));
            if !to.is_empty() {
                sends.push((r, to));
            }
        }
        HaloPlan {
            own,
            window: win,
            receives,
            sends,
        }
    }

    /// Elements of the window, for planes of `plane` elements.
    pub fn window_len(&self, plane: usize) -> usize {
        self.window.len() * plane
    }

    /// Where `own` starts in the window, in elements.
    pub fn own_offset(&self, plane: usize) -> usize {
        (self.own.start - self.window.start) * plane
    }

    /// The furthest rank this one exchanges with, as a distance on the
    /// line of ranks (0: no exchange).
    pub fn furthest(&self, rank: usize) -> usize {
        self.receives
            .iter()
            .chain(&self.sends)
            .map(|(r, _)| r.abs_diff(rank))
            .max()
            .unwrap_or(0)
    }
}

/// Fills the halo of `window` (the planes `plan.window`, of `plane`
/// elements each, `plan.own` already in place) from the ranks holding it,
/// and sends this rank's planes to the ranks whose halo they are
/// (collective over `cart`: every rank calls it with its own plan). Every
/// receive and send is posted at once (non-blocking) and all are waited
/// for, so no order of ranks can deadlock. Partners are named by their
/// shift along the line (`MPI_Cart_shift`).
pub(crate) fn exchange<T: MpiElement>(
    cart: &CartesianCommunicator,
    plan: &HaloPlan,
    plane: usize,
    window: &mut [T],
) {
    debug_assert_eq!(window.len(), plan.window_len(plane));
    let me = cart.rank();
    let partner = |r: usize| {
        let (_, to) = cart.shift(0, r as i32 - me);
        let to = to.expect("a rank of the plan is on the line");
        cart.process_at_rank(to)
    };
    let own_at = plan.own_offset(plane);
    let (below, rest) = window.split_at_mut(own_at);
    let (own, above) = rest.split_at_mut(plan.own.len() * plane);
    let own: &[T] = own;
    mpi::request::scope(|scope| {
        let mut requests = Vec::new();
        let (mut below, mut above) = (below, above);
        for (r, planes) in &plan.receives {
            let len = planes.len() * plane;
            let side = if planes.start < plan.own.start {
                &mut below
            } else {
                &mut above
            };
            let (buf, rest) = std::mem::take(side).split_at_mut(len);
            *side = rest;
            let from = partner(*r);
            for piece in buf.chunks_mut(MAX_MESSAGE) {
                requests.push(from.immediate_receive_into_with_tag(scope, piece, HALO_TAG));
            }
        }
        debug_assert!(
            below.is_empty() && above.is_empty(),
            "receives tile the halo"
        );
        for (r, planes) in &plan.sends {
            let at = (planes.start - plan.own.start) * plane;
            let to = partner(*r);
            for piece in own[at..at + planes.len() * plane].chunks(MAX_MESSAGE) {
                requests.push(to.immediate_send_with_tag(scope, piece, HALO_TAG));
            }
        }
        for r in requests {
            r.wait();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_widen_by_the_reach_and_stop_at_the_array() {
        assert_eq!(window(3..5, (-1, 1), 10), 2..6);
        assert_eq!(window(0..5, (-1, 1), 10), 0..6);
        assert_eq!(window(8..10, (-2, 1), 10), 6..10);
        assert_eq!(window(3..5, (0, 0), 10), 3..5);
        // One-sided reaches, and reaches that do not include 0.
        assert_eq!(window(3..5, (1, 2), 10), 3..7);
        assert_eq!(window(3..5, (-3, -1), 10), 0..5);
        // No planes: no window, whatever the reach.
        assert_eq!(window(4..4, (-1, 1), 10), 4..4);
        assert_eq!(window(10..10, (-1, 1), 10), 10..10);
    }

    /// Every rank's receives and own planes tile its window; every receive
    /// is the matching send of the rank it comes from, and nothing else is
    /// sent.
    #[test]
    fn plans_tile_every_window_and_sends_match_receives() {
        for n in [0, 1, 2, 3, 5, 7, 13, 40] {
            for ranks in 1..=9 {
                for reach in [(-1, 1), (0, 0), (-2, 3), (1, 2), (-3, -1), (-5, 5)] {
                    let plans: Vec<HaloPlan> = (0..ranks)
                        .map(|r| HaloPlan::new(n, ranks, r, reach))
                        .collect();
                    for (me, p) in plans.iter().enumerate() {
                        let what = format!("n {n}, {ranks} ranks, reach {reach:?}, rank {me}");
                        assert_eq!(p.window, window(p.own.clone(), reach, n), "{what}");
                        let mut at = p.window.start;
                        let mut own_seen = p.own.is_empty();
                        for (r, planes) in &p.receives {
                            if !own_seen && planes.start >= p.own.start {
                                assert_eq!(at, p.own.start, "{what}");
                                at = p.own.end;
                                own_seen = true;
                            }
                            assert_eq!(planes.start, at, "{what}");
                            assert_eq!(plans[*r].own.start.max(planes.start), planes.start);
                            assert!(planes.end <= plans[*r].own.end, "{what}");
                            // The sender plans the same planes for us.
                            assert!(
                                plans[*r].sends.contains(&(me, planes.clone())),
                                "{what}: {r} does not send {planes:?}"
                            );
                            at = planes.end;
                        }
                        if !own_seen {
                            assert_eq!(at, p.own.start, "{what}");
                            at = p.own.end;
                        }
                        if !p.window.is_empty() {
                            assert_eq!(at, p.window.end, "{what}");
                        }
                        for (r, planes) in &p.sends {
                            assert!(
                                plans[*r].receives.contains(&(me, planes.clone())),
                                "{what}: {r} does not receive {planes:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn neighbours_only_where_every_rank_holds_the_reach() {
        // 4 ranks of 3 planes, reach 1: only the next rank on each side.
        for r in 0..4 {
            let p = HaloPlan::new(12, 4, r, (-1, 1));
            assert_eq!(p.furthest(r), usize::from(true));
        }
        // 1 plane a rank, reach 2: two ranks away.
        let p = HaloPlan::new(5, 5, 2, (-2, 2));
        assert_eq!(p.receives, vec![(0, 0..1), (1, 1..2), (3, 3..4), (4, 4..5)]);
        assert_eq!(p.furthest(2), 2);
        // Fewer planes than ranks: the planes' holders skip the empty ranks.
        let p = HaloPlan::new(2, 4, 3, (-1, 1));
        assert!(p.own.is_empty() && p.receives.is_empty() && p.sends.is_empty());
        let p = HaloPlan::new(2, 4, 1, (-1, 1));
        assert_eq!(p.receives, vec![(0, 0..1)]);
        assert_eq!(p.sends, vec![(0, 1..2)]);
    }
}
