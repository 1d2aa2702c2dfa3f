//! Which vector instructions the CPU loops run with, chosen at run time:
//! one binary uses AVX-512 or AVX2 where the CPU has them and stays
//! correct on baseline x86-64 (SSE2) and on other architectures, with no
//! `-C target-cpu=native`.
//!
//! [`with_widest`] runs a closure inside a function compiled with the
//! widest instruction set the CPU has: the closure's loops (the kernel
//! bodies from `hotloop-core`, inlined) are vectorized for it. The results
//! are the same bits on every instruction set: the bodies' operations and
//! their order are fixed in the source (Rust never contracts a multiply and
//! an add, or reassociates), only how many lanes run at once changes.
//! `std::arch` and `is_x86_feature_detected!` do it in a few lines, which a
//! dispatch crate would not shorten.

use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction set the loops are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// No vector extension assumed beyond the target's baseline (SSE2 on
    /// x86-64, NEON on aarch64).
    Baseline,
    /// AVX2 (256-bit vectors).
    Avx2,
    /// AVX-512 F, VL, DQ and BW (512-bit vectors).
    Avx512,
}

impl Isa {
    /// Its name in tables ("AVX-512").
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Baseline if cfg!(target_arch = "x86_64") => "SSE2",
            Isa::Baseline => "baseline",
            Isa::Avx2 => "AVX2",
            Isa::Avx512 => "AVX-512",
        }
    }

    /// The widest this CPU runs.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") && has!("avx512vl") && has!("avx512dq") && has!("avx512bw") {
                return Isa::Avx512;
            }
            if has!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }
}

/// 0: not yet detected; else `Isa as u8 + 1`.
static CHOSEN: AtomicU8 = AtomicU8::new(0);

/// Environment variable that caps the instruction set (`baseline`,
/// `avx2`, `avx512`): to compare them on one machine.
pub const ISA_ENV: &str = "HOTLOOP_ISA";

/// The instruction set [`with_widest`] uses: the widest the CPU has, or
/// less if `$HOTLOOP_ISA` asks; detected once.
pub fn widest() -> Isa {
    match CHOSEN.load(Ordering::Relaxed) {
        1 => Isa::Baseline,
        2 => Isa::Avx2,
        3 => Isa::Avx512,
        _ => {
            let cap = match std::env::var(ISA_ENV).as_deref() {
                Ok("baseline" | "sse2") => Isa::Baseline,
                Ok("avx2") => Isa::Avx2,
                _ => Isa::Avx512,
            };
            let isa = Isa::detect().min(cap);
            CHOSEN.store(isa as u8 + 1, Ordering::Relaxed);
            isa
        }
    }
}

/// The instruction set for loops the compiler vectorizes as it likes (a
/// user's `prange` body, the min/max lanes): [`widest`], but AVX2 on an
/// Intel CPU with AVX-512. For those LLVM's own tuning prefers 256-bit
/// vectors (their 512-bit arithmetic can lower the core's clock), so
/// Numba's loops there are 256-bit. On this project's Xeon VM a user's
/// i-k-j matmul row loop took 270 ms with 512-bit vectors and 212 ms with
/// 256-bit ones, and two threads' max of 4 GiB of f64 reached 0.93-0.95 of
/// the read limit against 0.80 (see `hotloop_core::reduce`); on AMD's Zen
/// 4 the 512-bit matmul met Numba's.
pub fn tuned() -> Isa {
    if widest() == Isa::Avx512 && intel() {
        Isa::Avx2
    } else {
        widest()
    }
}

/// Whether the CPU is Intel's ("GenuineIntel"), asked once.
fn intel() -> bool {
    static INTEL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *INTEL.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            // Leaf 0: the vendor string in EBX, EDX, ECX.
            #[allow(unused_unsafe)]
            // SAFETY: CPUID is on every x86-64 CPU.
            let id = unsafe { std::arch::x86_64::__cpuid(0) };
            [id.ebx, id.edx, id.ecx] == [0x756e_6547, 0x4965_6e69, 0x6c65_746e]
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    })
}

/// `f()` compiled for the widest instruction set the CPU has.
#[inline(always)]
pub fn with_widest<R>(f: impl FnOnce() -> R) -> R {
    with_isa(widest(), f)
}

/// `f()` compiled for `isa`, or for the baseline where the CPU lacks it
/// (tests compare the instruction sets with it).
#[inline(always)]
pub fn with_isa<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        let isa = isa.min(widest());
        match isa {
            // SAFETY: the CPU has AVX-512 F/VL/DQ/BW (detected).
            Isa::Avx512 => return unsafe { avx512(f) },
            // SAFETY: the CPU has AVX2 (detected).
            Isa::Avx2 => return unsafe { avx2(f) },
            Isa::Baseline => {}
        }
    }
    let _ = isa;
    f()
}

/// # Safety
/// The CPU supports AVX-512 F, VL, DQ and BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2")]
unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// # Safety
/// The CPU supports AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tuned_set_is_never_wider_than_the_widest() {
        assert!(tuned() <= widest());
        if !intel() {
            assert_eq!(tuned(), widest());
        }
    }

    #[test]
    fn detection_is_stable_and_named() {
        assert_eq!(widest(), widest());
        assert!(!widest().name().is_empty());
        assert_eq!(Isa::Avx512.name(), "AVX-512");
    }

    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        let x: Vec<f64> = (0..10_007).map(|i| (i as f64 * 0.37).sin() * 1e3).collect();
        let run = |isa| {
            with_isa(
                isa,
                #[inline(always)]
                || {
                    let mut out = vec![0.0; x.len()];
                    hotloop_core::map::map_slice(&hotloop_core::map::Exp, &x, &mut out);
                    (out, hotloop_core::reduce::sum_slice(&x))
                },
            )
        };
        let base = run(Isa::Baseline);
        for isa in [Isa::Avx2, Isa::Avx512] {
            let (o, s) = run(isa);
            assert_eq!(s.to_bits(), base.1.to_bits(), "{isa:?}");
            assert!(
                o.iter()
                    .zip(&base.0)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{isa:?}"
            );
        }
    }
}
