"""The blog's Python variants, measured the way hotloop measures its own rows
(and Numba's CUDA simulator on the kernels of the `warp-sum` workload).

Run by `cargo xtask bench` (crates/hotloop-bench/src/python.rs), which puts
these rows in the same table as the Rust ones. Prints one JSON object per row
on stdout; progress goes to stderr.

Each row reports the first call on its own (for Numba that includes JIT
compilation, which the blog's timings silently contained), then the repeats
after one warm-up call. Every row checks its answer.
"""

import argparse
import json
import math
import sys
import time

import numpy as np

try:
    import numba
    from numba import njit, prange
except ImportError:  # NumPy rows still run; Numba rows report why not.
    numba = None


def progress(msg):
    print(f"[python] {msg}", file=sys.stderr, flush=True)


LONG_CALL_S = 2.0  # as hotloop-bench: a row whose first call is longer...
LONG_REPEATS = 3  # ...gets no warm-up and at most this many repeats


def timed(fn, repeat, warmup=1):
    """First call alone, `warmup` discarded calls, then `repeat` timed calls."""
    t = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t
    if first > LONG_CALL_S:
        warmup, repeat = 0, min(repeat, LONG_REPEATS)
    for _ in range(warmup):
        result = fn()
    repeats = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        repeats.append(time.perf_counter() - t)
    return first, repeats, result


def emit(**row):
    print(json.dumps(row), flush=True)


def pattern(shape):
    """The same input the Rust rows use: (i % 4099) * 0.25 - 512, exact."""
    n = shape[0] * shape[1] * shape[2]
    return ((np.arange(n, dtype=np.int64) % 4099) * 0.25 - 512.0).reshape(shape)


def check_add(x, y):
    # Plane by plane, so the check needs no third full-size array.
    ok = all(np.array_equal(y[i], x[i] + 2.0) for i in range(x.shape[0]))
    return "passed" if ok else "failed"


# --- the blog's add-2 loops -------------------------------------------------

def add2_pure_python(x, out):
    nx, ny, nz = x.shape
    for i in range(nx):
        for k in range(nz):
            for j in range(ny):
                out[i, j, k] = x[i, j, k] + 2.0


if numba is not None:
    @njit(cache=False)
    def add2_numba_blog_order(x, out):
        # The blog's loop order: x, then z, then y (cache-hostile).
        nx, ny, nz = x.shape
        for i in range(nx):
            for k in range(nz):
                for j in range(ny):
                    out[i, j, k] = x[i, j, k] + 2.0

    @njit(cache=False)
    def add2_numba_range(x, out):
        for i in range(x.shape[0]):
            out[i] = x[i] + 2.0

    @njit(parallel=True, cache=False)
    def add2_numba_prange_1d(x, out):
        for i in prange(x.shape[0]):
            out[i] = x[i] + 2.0

    @njit(cache=False)
    def pi_numba_serial(n):
        hits = 0
        for _ in range(n):
            x = np.random.random()
            y = np.random.random()
            if x * x + y * y < 1.0:
                hits += 1
        return 4.0 * hits / n

    @njit(parallel=True, cache=False)
    def pi_numba_prange(n):
        hits = 0
        for _ in prange(n):
            x = np.random.random()
            y = np.random.random()
            if x * x + y * y < 1.0:
                hits += 1
        return 4.0 * hits / n


def run_add(shape, repeat, pure_shape):
    workload = "add_scalar f64 {}x{}x{}".format(*shape)
    nbytes = 2 * 8 * shape[0] * shape[1] * shape[2]
    x = pattern(shape)

    # Pure Python on a reduced shape, extrapolated by element count.
    progress(f"pure python loop on {pure_shape}")
    xs = pattern(pure_shape)
    ys = np.empty_like(xs)
    first, reps, _ = timed(lambda: add2_pure_python(xs, ys), repeat=1, warmup=0)
    scale = x.size / xs.size
    emit(workload=workload, form="pure python loop (blog order)", repeats_s=[r * scale for r in reps],
         first_call_s=first * scale, bytes=nbytes, check=check_add(xs, ys),
         note="measured on {}x{}x{} and extrapolated x{:.0f} by element count".format(*pure_shape, scale))

    progress("numpy x + 2 (fresh output, as the blog)")
    first, reps, y = timed(lambda: x + 2.0, repeat)
    emit(workload=workload, form="numpy x + 2, fresh output", repeats_s=reps, first_call_s=first,
         bytes=nbytes, check=check_add(x, y),
         note="allocates its output each call: page faults included, as in the blog")
    del y

    # NumPy's add(out=) and Numba's prange loop run in python/peers.py, in
    # rounds with the suite's rows they are compared with.
    out = np.ones_like(x)

    if numba is None:
        emit(workload=workload, form="numba", skipped="numba is not importable")
        return
    for name, fn, note in [
        ("numba @jit, blog order", add2_numba_blog_order, "x, z, y loop order as the blog wrote it"),
    ]:
        progress(name)
        out.fill(1.0)
        first, reps, _ = timed(lambda: fn(x, out), repeat)
        med = sorted(reps)[len(reps) // 2]
        emit(workload=workload, form=name, repeats_s=reps, first_call_s=first, compile_s=max(first - med, 0.0),
             bytes=nbytes, check=check_add(x, out), note=note + "; first call includes JIT compile")


def run_pi(samples, repeat):
    if numba is None:
        emit(workload="monte carlo pi", form="numba", skipped="numba is not importable")
        return
    compiled = set()
    for n in samples:
        workload = "monte carlo pi {} samples".format(fmt_e(n))
        reps_n = 1 if n >= 5e9 else (min(repeat, 3) if n >= 5e8 else repeat)
        for name, fn in [("numba @jit", pi_numba_serial), ("numba prange", pi_numba_prange)]:
            progress(f"{name} pi {n}")
            first, reps, est = timed(lambda: fn(n), reps_n, warmup=0 if n >= 5e8 else 1)
            se = 4.0 * math.sqrt(math.pi / 4 * (1 - math.pi / 4) / n)
            ok = abs(est - math.pi) < 5 * se
            med = sorted(reps)[len(reps) // 2]
            # Numba compiles on a function's first call only.
            compile_s = max(first - med, 0.0) if name not in compiled else None
            compiled.add(name)
            emit(workload=workload, form=name + ", np.random", repeats_s=reps, first_call_s=first,
                 compile_s=compile_s, samples=n, check="passed" if ok else "failed",
                 note="the blog's code" + ("; first call includes JIT compile" if compile_s is not None else ""))


def per_call(fn):
    """Median seconds per call: calls batched until a sample takes 2 ms,
    five samples (three for long calls), as the Rust sweep measures."""
    fn()
    t = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t, 1e-9)
    batch = min(max(1, math.ceil(2e-3 / one)), 1 << 20)
    samples = 3 if one > 0.05 else 5
    v = []
    for _ in range(samples):
        t = time.perf_counter()
        for _ in range(batch):
            fn()
        v.append((time.perf_counter() - t) / batch)
    v.sort()
    return v[len(v) // 2]


def run_sweep(max_bytes):
    """add 2 from 4 KiB to max_bytes per array: NumPy add(out=), Numba's
    compiled range loop and its prange loop (numba #7246, #3213: prange is
    slower than range on small loops)."""
    b = 4096
    while b <= max_bytes:
        n = b // 8
        x = (np.arange(n, dtype=np.int64) % 4099) * 0.25 - 512.0
        out = np.ones_like(x)
        progress(f"sweep {b} bytes")
        variants = [("NumPy add(out=)", lambda: np.add(x, 2.0, out=out))]
        if numba is not None:
            variants.append(("Numba range", lambda: add2_numba_range(x, out)))
            variants.append(("Numba prange", lambda: add2_numba_prange_1d(x, out)))
        for name, fn in variants:
            t = per_call(fn)
            emit(sweep=True, kernel="add 2", backend=name, bytes=b,
                 gb_per_s=2.0 * b / t / 1e9, checked=bool(np.array_equal(out, x + 2.0)))
        b *= 4


CUDASIM_LAUNCH = (8, 256)  # as warp_sum.rs's LAUNCH


def warp_sum_elements(n):
    """The input the Rust rows use (warp_sum.rs): integers -500..=512."""
    return (np.arange(n, dtype=np.int64) * 7919 % 1013 - 500).astype(np.float64)


def run_warp_sum(n, repeat):
    """Numba's CUDA simulator on warp_sum.rs's kernels, in a child process:
    NUMBA_ENABLE_CUDASIM must be set before numba is first imported."""
    import os
    import subprocess
    if numba is None:
        emit(workload="block sum", form="numba CUDASIM", skipped="numba is not importable")
        return
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    out = subprocess.run([sys.executable, __file__, "--workloads", "cudasim-sum",
                          "--warp-sum-elements", str(n), "--repeat", str(repeat)],
                         env=env, stdout=subprocess.PIPE, check=True)
    for line in out.stdout.decode().splitlines():
        if line.strip() and not json.loads(line).get("meta"):
            print(line, flush=True)


def run_cudasim_sum(n, repeat):
    """The two kernels of warp_sum.rs under NUMBA_ENABLE_CUDASIM=1."""
    # A module global: the simulator swaps the kernels' global `cuda` for
    # its own, and would not see a local one.
    global cuda
    from numba import cuda
    workload = f"block sum {n} f64 (simulators)"
    x = warp_sum_elements(n)
    want = float(x.sum())

    @cuda.jit
    def shuffle_sum(x, total):
        warp_sums = cuda.shared.array(32, dtype=numba.float64)
        v = 0.0
        i = cuda.grid(1)
        while i < x.shape[0]:
            v += x[i]
            i += cuda.gridsize(1)
        offset = 16
        while offset > 0:
            v += cuda.shfl_down_sync(0xFFFFFFFF, v, offset)
            offset //= 2
        lane, warp = cuda.threadIdx.x % 32, cuda.threadIdx.x // 32
        if lane == 0:
            warp_sums[warp] = v
        cuda.syncthreads()
        if warp == 0:
            s = warp_sums[lane] if lane < cuda.blockDim.x // 32 else 0.0
            offset = 16
            while offset > 0:
                s += cuda.shfl_down_sync(0xFFFFFFFF, s, offset)
                offset //= 2
            if lane == 0:
                cuda.atomic.add(total, 0, s)

    @cuda.jit
    def tree_sum(x, total):
        tile = cuda.shared.array(1024, dtype=numba.float64)
        v = 0.0
        i = cuda.grid(1)
        while i < x.shape[0]:
            v += x[i]
            i += cuda.gridsize(1)
        t = cuda.threadIdx.x
        tile[t] = v
        cuda.syncthreads()
        s = cuda.blockDim.x // 2
        while s > 0:
            if t < s:
                tile[t] += tile[t + s]
            cuda.syncthreads()
            s //= 2
        if t == 0:
            cuda.atomic.add(total, 0, tile[0])

    d_x = cuda.to_device(x)
    for name, kernel in [("numba CUDASIM warp-shuffle kernel", shuffle_sum),
                         ("numba CUDASIM tree kernel", tree_sum)]:
        progress(f"cudasim sum: {name}")
        try:
            total = cuda.to_device(np.zeros(1))
            kernel[1, 32](cuda.to_device(x[:32]), total)  # does this simulator run it at all?
        except Exception as e:  # the simulator's own words, in the table's notes
            msg = str(e).splitlines()[-1][:160]
            emit(workload=workload, form=name,
                 skipped=f"numba {numba.__version__}'s CUDA simulator cannot run it: {msg}")
            continue
        got = [None]

        def call():
            total = cuda.to_device(np.zeros(1))
            kernel[CUDASIM_LAUNCH](d_x, total)
            got[0] = float(total.copy_to_host()[0])
        # A call of minutes (1e7 elements) is timed once; short ones repeat.
        t = time.perf_counter()
        call()
        first = time.perf_counter() - t
        reps = [first] if first > LONG_CALL_S else timed(call, repeat, warmup=0)[1]
        emit(workload=workload, form=name, repeats_s=reps, first_call_s=first,
             bytes=8 * n, check="passed" if got[0] == want else "failed",
             note="NUMBA_ENABLE_CUDASIM=1: a Python thread per CUDA thread, "
                  f"[{CUDASIM_LAUNCH[0]}, {CUDASIM_LAUNCH[1]}]")


def fmt_e(n):
    """Formats a count as Rust's `{:e}` does for f64 (1e4, 3.3e7)."""
    m, e = f"{float(n):e}".split("e")
    m = m.rstrip("0").rstrip(".")
    return f"{m}e{int(e)}"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shape", type=int, nargs=3, default=[1024, 1024, 512])
    p.add_argument("--pure-shape", type=int, nargs=3, default=[4, 64, 512])
    p.add_argument("--samples", type=int, nargs="*", default=[10_000, 33_000_000, 1_000_000_000])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--workloads", default="add,pi")
    p.add_argument("--sweep-max", type=int, default=4 << 30)
    p.add_argument("--warp-sum-elements", type=int, default=10_000_000)
    a = p.parse_args()
    if numba is not None and a.threads > 0:
        numba.set_num_threads(min(a.threads, numba.config.NUMBA_NUM_THREADS))
    emit(meta=True, python=sys.version.split()[0], numpy=np.__version__,
         numba=getattr(numba, "__version__", None),
         threads=numba.get_num_threads() if numba is not None else None)
    wl = a.workloads.split(",")
    if "add" in wl:
        run_add(tuple(a.shape), a.repeat, tuple(a.pure_shape))
    if "pi" in wl:
        run_pi(a.samples, a.repeat)
    if "warp-sum" in wl:
        run_warp_sum(a.warp_sum_elements, a.repeat)
    if "cudasim-sum" in wl:
        run_cudasim_sum(a.warp_sum_elements, a.repeat)
    if "sweep" in wl:
        run_sweep(a.sweep_max)


if __name__ == "__main__":
    main()
