//! The README's MPI example: Monte Carlo pi and a Jacobi solve over every
//! rank of the job, each answer the one-process answer.
//!
//! ```sh
//! cargo build --release -p hotloop-mpi --example cluster
//! mpirun -n 4 target/release/examples/cluster            # one machine
//! mpirun -n 64 --hostfile hosts target/release/examples/cluster
//! ```

use hotloop_core::stencil::Boundary;
use hotloop_mpi::{Grid, Local, World, jacobi, monte_carlo_pi, sum};

fn main() {
    let world = World::init().expect("MPI starts");
    // One rank per core; `Local::parallel(None)` for one rank per host.
    let local = Local::Serial;
    // Rank r counts its share of the sample index; the count is exact.
    let pi = world.or_abort(monte_carlo_pi(&world, &local, 1_000_000_000, 42));
    // A 4096 x 4096 grid in bands of rows, 100 Jacobi sweeps with the
    // halos exchanged before each, the value 1 held beyond the edge.
    let grid = world.or_abort(Grid::from_fn(&world, [4096, 4096], |[i, j]| {
        ((i * 31 + j * 17) % 1000) as f64 * 1e-3
    }));
    let solved = world.or_abort(jacobi(
        &world,
        &local,
        Boundary::PadConstant(1.0),
        &grid,
        100,
    ));
    let total = world.or_abort(sum(&world, &local, solved.result.as_slab()));
    if world.is_root() {
        println!(
            "{} ranks: pi ≈ {:.6} ({} hits), grid sum {total:.6}, halo exchange {:.3} s of rank 0's",
            world.size(),
            pi.estimate(),
            pi.hits,
            solved.halo_seconds
        );
    }
}
