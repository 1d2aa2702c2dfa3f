//! The README's first example: what this machine runs, the blog's add 2 on
//! the current rayon pool, a deterministic sum, and Monte Carlo pi on the
//! CUDA simulator. `cargo run --release --example quickstart`.

use hotloop::ndarray::Array3;
use hotloop::{Backend, add_scalar_into, available, monte_carlo_pi, sum};

fn main() -> hotloop::Result<()> {
    for status in available() {
        println!("{status}");
    }
    let x = Array3::<f64>::zeros((1024, 1024, 64));
    let mut y = Array3::<f64>::zeros(x.dim());
    add_scalar_into(Backend::parallel(), &x, 2.0, &mut y)?; // the prange row
    let total = sum(Backend::Serial, &y)?; // same bits on any thread count
    println!("sum of x + 2: {total}");
    let pi = monte_carlo_pi(Backend::simulator(), 10_000_000, 42)?; // same count on every backend
    println!("{pi}");
    Ok(())
}
