//! The world communicator, and how errors end the job.

use hotloop_runtime::{Error, Result};
use mpi::Threading;
use mpi::environment::Universe;
use mpi::topology::{CartesianCommunicator, SimpleCommunicator};
use mpi::traits::*;
use std::fmt::Display;

/// MPI's world: every process `mpirun` started. Made once per process
/// ([`World::init`]); MPI is finalized when it is dropped.
pub struct World {
    // Dropped before the universe, which finalizes MPI.
    comm: SimpleCommunicator,
    cart: CartesianCommunicator,
    rank: usize,
    size: usize,
    _universe: Universe,
}

/// The longest error message [`World::agree`] sends to the other ranks.
const MAX_MESSAGE_BYTES: usize = 4096;

impl World {
    /// Initializes MPI (`MPI_Init_thread` with `MPI_THREAD_FUNNELED`: a
    /// rank's rayon threads compute, only this thread calls MPI). Run
    /// outside `mpirun`, this is a world of one rank. A second call in the
    /// same process is [`Error::BackendUnavailable`]: MPI starts once.
    pub fn init() -> Result<World> {
        let (universe, _) =
            mpi::initialize_with_threading(Threading::Funneled).ok_or_else(|| {
                Error::BackendUnavailable {
                    backend: "mpi",
                    reason: "MPI is already initialized in this process; make one World and \
                             pass it by reference"
                        .into(),
                }
            })?;
        let comm = universe.world();
        // MPI guarantees 0 <= rank < size.
        let (rank, size) = (comm.rank() as usize, comm.size() as usize);
        // Not reordered: rank r of the line is world rank r, the holder of
        // the r-th slab.
        let cart = comm
            .create_cartesian_communicator(&[size as i32], &[false], false)
            .ok_or_else(|| Error::BackendUnavailable {
                backend: "mpi",
                reason: "MPI_Cart_create left this rank out of the 1-D Cartesian communicator"
                    .into(),
            })?;
        Ok(World {
            comm,
            cart,
            rank,
            size,
            _universe: universe,
        })
    }

    /// This process's rank, `0..size`.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of ranks.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether this is rank 0, the root of [`scatter`](crate::scatter) and
    /// [`gather`](crate::gather).
    pub fn is_root(&self) -> bool {
        self.rank == 0
    }

    /// rsmpi's world communicator, for what this crate does not wrap.
    pub fn communicator(&self) -> &SimpleCommunicator {
        &self.comm
    }

    /// The ranks as a 1-D, non-periodic Cartesian communicator, rank `r`
    /// at coordinate `r` (made once, by [`World::init`]): the stencils'
    /// halo exchange runs on it, its messages apart from any of the
    /// world communicator's.
    pub fn cartesian(&self) -> &CartesianCommunicator {
        &self.cart
    }

    /// Waits until every rank has called it.
    pub fn barrier(&self) {
        self.comm.barrier();
    }

    /// Ends every rank of the job with exit code `code` (`MPI_Abort`).
    pub fn abort(&self, code: i32) -> ! {
        self.comm.abort(code)
    }

    /// `r`'s value, or, on an error, that error printed to stderr with this
    /// rank's number and the whole job ended ([`World::abort`] with code
    /// 1): a rank that fails alone cannot leave the others waiting in a
    /// collective call for it.
    pub fn or_abort<T, E: Display>(&self, r: std::result::Result<T, E>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => {
                eprintln!("hotloop-mpi: rank {} of {}: {e}", self.rank, self.size);
                self.abort(1)
            }
        }
    }

    /// Makes a check that each rank made on its own the check of all of
    /// them (collective): `Ok` on every rank if it passed on every rank;
    /// otherwise the failing ranks return their own error and the others
    /// [`Error::RemoteRank`] with the lowest failing rank and its message.
    /// So every rank leaves together, before any of them starts what the
    /// check guarded (an allocation, a message exchange).
    pub fn agree<T>(&self, local: Result<T>) -> Result<T> {
        let failed = u8::from(local.is_err());
        let mut flags = vec![0u8; self.size];
        self.comm.all_gather_into(&failed, &mut flags[..]);
        let Some(first) = flags.iter().position(|&f| f != 0) else {
            return local;
        };
        let mut bytes = match &local {
            Err(e) if first == self.rank => {
                let mut s = e.to_string();
                truncate_utf8(&mut s, MAX_MESSAGE_BYTES);
                s.into_bytes()
            }
            _ => Vec::new(),
        };
        let root = self.comm.process_at_rank(first as i32);
        let mut len = bytes.len() as u64;
        root.broadcast_into(&mut len);
        bytes.resize(len as usize, 0);
        root.broadcast_into(&mut bytes[..]);
        match local {
            Err(e) => Err(e),
            Ok(_) => Err(Error::RemoteRank {
                rank: first,
                message: String::from_utf8_lossy(&bytes).into_owned(),
            }),
        }
    }

    /// Fails with [`Error::InvalidArgument`] on every rank unless every
    /// rank passed the same `values` (the global arguments of a collective
    /// call: a sample count, a shape), naming `what` and the first rank that
    /// differs from rank 0.
    pub(crate) fn check_same(&self, what: &'static str, values: &[u64]) -> Result<()> {
        let n = values.len();
        if n == 0 {
            return Ok(());
        }
        let mut all = vec![0u64; n * self.size];
        self.comm.all_gather_into(values, &mut all[..]);
        match all.chunks(n).position(|v| v != &all[..n]) {
            None => Ok(()),
            Some(r) => Err(Error::InvalidArgument {
                what,
                reason: format!(
                    "every rank must pass the same value, but rank 0 passed {:?} and rank {r} \
                     {:?}",
                    &all[..n],
                    &all[r * n..(r + 1) * n]
                ),
            }),
        }
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn truncate_utf8(s: &mut String, max: usize) {
    if s.len() > max {
        let mut at = max;
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        s.truncate(at);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_are_cut_on_a_character_boundary() {
        let mut s = "ééé".to_string();
        super::truncate_utf8(&mut s, 3);
        assert_eq!(s, "é");
        let mut s = "abc".to_string();
        super::truncate_utf8(&mut s, 10);
        assert_eq!(s, "abc");
    }
}
