"""The blog's GPU code, measured the way hotloop measures its CUDA rows.

Run by `cargo xtask bench` (crates/hotloop-bench/src/python.rs) when the
CUDA backend is selected and an interpreter with Numba's CUDA target is
found; the GPU kit (`cargo xtask gpu-kit`) runs it on the GPU machine.
Prints one JSON object per row on stdout; progress goes to stderr.

The blog timed `my_cuda_kernel[blocks, threads](...)` without a
synchronize: a launch returns as soon as the kernel is queued, so it
measured the launch, not the kernel (its own row here shows what that
gives). Every device interval below comes from CUDA events recorded around
the work and read after a synchronize; the host-to-device and
device-to-host copies have their own columns, and the first call, which
JIT-compiles the kernel, is reported on its own.
"""

import argparse
import json
import math
import sys
import time

import numpy as np

try:
    from numba import cuda
    import numba

    if cuda.is_available():
        WHY_NOT = None
    else:
        WHY_NOT = "numba.cuda finds no usable GPU"
except Exception as e:  # the rows then say why they did not run
    cuda = None
    numba = None
    WHY_NOT = f"numba.cuda is not importable: {e}"

try:
    import cupy as cp

    CUPY_WHY_NOT = None
except Exception as e:
    cp = None
    CUPY_WHY_NOT = f"cupy is not importable: {e}"

LONG_CALL_S = 2.0  # as hotloop-bench: a row whose first call is longer...
LONG_REPEATS = 3  # ...gets no warm-up and at most this many repeats
BLOG_THREADS = 16  # the blog's threads per block


def current_device():
    """The CUDA device in use (Numba's CUDA simulator, which this script is
    also checked under, has no `get_current_device`)."""
    get = getattr(cuda, "get_current_device", None)
    return get() if get is not None else cuda.current_context().device


def progress(msg):
    print(f"[python gpu] {msg}", file=sys.stderr, flush=True)


def emit(**row):
    print(json.dumps(row), flush=True)


def pattern(shape):
    """The same input the Rust rows use: (i % 4099) * 0.25 - 512, exact."""
    n = shape[0] * shape[1] * shape[2]
    return ((np.arange(n, dtype=np.int64) % 4099) * 0.25 - 512.0).reshape(shape)


def check_add(x, y):
    ok = all(np.array_equal(y[i], x[i] + 2.0) for i in range(x.shape[0]))
    return "passed" if ok else "failed"


def device_seconds(work):
    """Runs `work` between two CUDA events; their interval, after a synchronize."""
    start, end = cuda.event(), cuda.event()  # timing events by default
    start.record()
    result = work()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1e3, result


def measure(call, repeat):
    """First call alone, one warm-up (unless the first was long), repeats.
    `call` returns a dict of seconds: h2d, kernel, d2h (device events) and
    the whole call's wall-clock `total` after a synchronize."""
    first = call()
    warmup = 0 if first["total"] > LONG_CALL_S else 1
    if first["total"] > LONG_CALL_S:
        repeat = min(repeat, LONG_REPEATS)
    for _ in range(warmup):
        call()
    runs = [call() for _ in range(repeat)]
    return first, runs


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def emit_gpu_row(workload, form, first, runs, note, check, nbytes=None, samples=None, compiles=True):
    kernel = [r["kernel"] for r in runs]
    totals = [r["total"] for r in runs]
    compile_s = max(first["total"] - median(totals), 0.0) if compiles else None
    emit(
        workload=workload,
        form=form,
        repeats_s=kernel,
        first_call_s=first["total"],
        compile_s=compile_s,
        bytes=nbytes,
        samples=samples,
        check=check,
        gpu={
            "host_to_device_s": median([r["h2d"] for r in runs]),
            "kernel_s": median(kernel),
            "device_to_host_s": median([r["d2h"] for r in runs]),
            "total_s": median(totals),
        },
        note=note,
    )


# --- kernels ----------------------------------------------------------------

if cuda is not None:

    @cuda.jit
    def add_scalar(x, out, s):
        i = cuda.grid(1)
        if i < x.shape[0]:
            out[i] = x[i] + s

    @cuda.jit
    def add2_blog(x, out):
        # The blog's kernel: one thread per x, looping over z then y.
        i = cuda.grid(1)
        if i < x.shape[0]:
            for k in range(x.shape[2]):
                for j in range(x.shape[1]):
                    out[i, j, k] = x[i, j, k] + 2.0

    @cuda.jit
    def add2_grid_stride(x, out):
        start = cuda.grid(1)
        stride = cuda.gridsize(1)
        for i in range(start, x.shape[0], stride):
            out[i] = x[i] + 2.0

    from numba.cuda.random import create_xoroshiro128p_states, xoroshiro128p_uniform_float64

    @cuda.jit
    def pi_hits(states, per_thread, counts):
        t = cuda.grid(1)
        if t < counts.shape[0]:
            hits = 0
            for _ in range(per_thread):
                x = xoroshiro128p_uniform_float64(states, t)
                y = xoroshiro128p_uniform_float64(states, t)
                if x * x + y * y <= 1.0:
                    hits += 1
            counts[t] = hits


def run_add(shape, repeat):
    workload = "add_scalar f64 {}x{}x{}".format(*shape)
    nbytes = 2 * 8 * shape[0] * shape[1] * shape[2]
    x = pattern(shape)
    out = np.ones_like(x)
    device = current_device()
    blog_blocks = (shape[0] + BLOG_THREADS - 1) // BLOG_THREADS
    stride_threads = 256
    stride_blocks = getattr(device, "MULTIPROCESSOR_COUNT", 1) * 8

    def round_trip(launch):
        t0 = time.perf_counter()
        h2d, d_x = device_seconds(lambda: cuda.to_device(x))
        d_out = cuda.device_array_like(d_x)
        kernel, _ = device_seconds(lambda: launch(d_x, d_out))
        d2h, _ = device_seconds(lambda: d_out.copy_to_host(out))
        return {"h2d": h2d, "kernel": kernel, "d2h": d2h, "total": time.perf_counter() - t0}

    progress("the blog's @cuda.jit kernel, its launch shape")
    first, runs = measure(lambda: round_trip(lambda a, b: add2_blog[blog_blocks, BLOG_THREADS](a, b)), repeat)
    emit_gpu_row(workload, f"numba @cuda.jit, blog kernel [{blog_blocks}, {BLOG_THREADS}]", first, runs,
                 "the blog's kernel and launch: one thread per x, z then y; events after a synchronize",
                 check_add(x, out), nbytes=nbytes)

    progress("the blog's timing: a launch without a synchronize")
    d_x = cuda.to_device(x)
    d_out = cuda.device_array_like(d_x)
    launches = []
    for _ in range(max(repeat, 1)):
        cuda.synchronize()
        t0 = time.perf_counter()
        add2_blog[blog_blocks, BLOG_THREADS](d_x, d_out)
        launches.append(time.perf_counter() - t0)
        cuda.synchronize()
    d_out.copy_to_host(out)
    emit(workload=workload, form="blog's timing: launch, no synchronize", repeats_s=launches,
         first_call_s=None, bytes=None, check=check_add(x, out),
         note="what an unsynchronized timer sees: the launch returns before the kernel has run")
    del d_x, d_out

    progress("grid-stride @cuda.jit kernel")
    flat = x.reshape(-1)
    flat_out = out.reshape(-1)

    def grid_round_trip():
        t0 = time.perf_counter()
        h2d, d_x = device_seconds(lambda: cuda.to_device(flat))
        d_out = cuda.device_array_like(d_x)
        kernel, _ = device_seconds(lambda: add2_grid_stride[stride_blocks, stride_threads](d_x, d_out))
        d2h, _ = device_seconds(lambda: d_out.copy_to_host(flat_out))
        return {"h2d": h2d, "kernel": kernel, "d2h": d2h, "total": time.perf_counter() - t0}

    out.fill(1.0)
    first, runs = measure(grid_round_trip, repeat)
    emit_gpu_row(workload, f"numba @cuda.jit, grid-stride [{stride_blocks}, {stride_threads}]", first, runs,
                 "flat grid-stride loop, coalesced; events after a synchronize", check_add(x, out), nbytes=nbytes)

    if cp is None:
        emit(workload=workload, form="cupy x + 2", skipped=CUPY_WHY_NOT)
        return
    progress("cupy x + 2, fresh and preallocated")
    x_d = cp.asarray(x)
    y_d = cp.ones_like(x_d)

    def cupy_call(fresh):
        t0 = time.perf_counter()
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        y = x_d + 2.0 if fresh else cp.add(x_d, 2.0, out=y_d)
        end.record()
        end.synchronize()
        kernel = cp.cuda.get_elapsed_time(start, end) / 1e3
        return {"h2d": 0.0, "kernel": kernel, "d2h": 0.0, "total": time.perf_counter() - t0, "y": y}

    for fresh, form, note in [
        (True, "cupy x + 2, fresh output", "allocates its output each call (from CuPy's pool); the array stays on the device"),
        (False, "cupy add(out=)", "preallocated output; the array stays on the device: no copies per call"),
    ]:
        first, runs = measure(lambda: cupy_call(fresh), repeat)
        y = runs[-1]["y"]
        ok = bool(cp.array_equal(y, x_d + 2.0))
        emit_gpu_row(workload, form, first, runs, note, "passed" if ok else "failed", nbytes=nbytes)
        del y, runs, first


def run_pi(samples, repeat, threads, seed=2024):
    """Numba's Monte Carlo on the GPU: `threads` threads, each with its own
    xoroshiro128+ stream, counting hits into one slot each."""
    threads_per_block = min(256, threads)
    blocks = (threads + threads_per_block - 1) // threads_per_block
    progress(f"xoroshiro128+ states for {threads} threads")
    states = create_xoroshiro128p_states(threads, seed=seed)
    counts = cuda.device_array(threads, dtype=np.int64)
    compiled = False
    for n in samples:
        per_thread = max((n + threads - 1) // threads, 1)
        drawn = per_thread * threads
        workload = "monte carlo pi {} samples".format(fmt_e(n))

        def call():
            t0 = time.perf_counter()
            kernel, _ = device_seconds(lambda: pi_hits[blocks, threads_per_block](states, per_thread, counts))
            d2h, host = device_seconds(lambda: counts.copy_to_host())
            hits = int(host.sum())
            return {"h2d": 0.0, "kernel": kernel, "d2h": d2h, "total": time.perf_counter() - t0, "hits": hits}

        progress(f"numba cuda pi {n}")
        first, runs = measure(call, 1 if n >= 5e9 else repeat)
        est = 4.0 * runs[-1]["hits"] / drawn
        se = 4.0 * math.sqrt(math.pi / 4 * (1 - math.pi / 4) / drawn)
        ok = abs(est - math.pi) < 5 * se
        emit_gpu_row(workload, "numba @cuda.jit, xoroshiro128p", first, runs,
                     f"{threads} threads x {per_thread} samples ({drawn} drawn); states made once, untimed",
                     "passed" if ok else "failed", samples=drawn, compiles=not compiled)
        compiled = True


def run_launch(launches, repeat):
    """The host's cost of one launch, as launch.rs measures hotloop's: an
    add-scalar kernel over empty arrays, one block of one thread, queued
    `launches` times on a stream, then one synchronize."""
    workload = f"kernel launch, host time ({launches} launches a repeat)"
    x = cuda.device_array(0, dtype=np.float64)
    y = cuda.device_array(0, dtype=np.float64)
    s = cuda.stream()

    def call():
        for _ in range(launches):
            add_scalar[1, 1, s](x, y, 0.0)
        s.synchronize()

    progress("numba cuda launch")
    t = time.perf_counter()
    call()  # compiles the kernel
    first = time.perf_counter() - t
    reps = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        reps.append((time.perf_counter() - t) / launches)
    emit(workload=workload, form="numba @cuda.jit on a stream", repeats_s=reps,
         first_call_s=first / launches, check="passed", samples=1,
         note="one launch's host time: the figure is the repeat over the launches")


def run_pipeline(n, repeat, chunks=8, nstreams=2):
    """Numba's pipelined add, as pipeline.rs measures hotloop's: `n` f64 in
    `chunks` pinned chunks, chunk c on stream c % nstreams (copy in, the
    grid-stride kernel, copy out, each queued), then every stream
    synchronized; the wall time of the whole."""
    workload = f"add 2, {n} f64 in {chunks} chunks over {nstreams} streams"
    chunk = n // chunks
    x = (np.arange(n, dtype=np.int64) % 4099) * 0.25
    pin_in, pin_out = [], []
    for c in range(chunks):
        p = cuda.pinned_array(chunk, dtype=np.float64)
        p[:] = x[c * chunk:(c + 1) * chunk]
        pin_in.append(p)
        pin_out.append(cuda.pinned_array(chunk, dtype=np.float64))
    streams = [cuda.stream() for _ in range(nstreams)]
    d_in = [cuda.device_array(chunk, dtype=np.float64) for _ in range(nstreams)]
    d_out = [cuda.device_array(chunk, dtype=np.float64) for _ in range(nstreams)]
    blocks = 4 * current_device().MULTIPROCESSOR_COUNT

    def call():
        for c in range(chunks):
            s = c % nstreams
            d_in[s].copy_to_device(pin_in[c], stream=streams[s])
            add2_grid_stride[blocks, 256, streams[s]](d_in[s], d_out[s])
            d_out[s].copy_to_host(pin_out[c], stream=streams[s])
        for st in streams:
            st.synchronize()

    progress("numba cuda pipeline")
    t = time.perf_counter()
    call()  # compiles the kernel
    first = time.perf_counter() - t
    reps = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        reps.append(time.perf_counter() - t)
    ok = all(np.array_equal(pin_out[c], x[c * chunk:(c + 1) * chunk] + 2.0) for c in range(chunks))
    emit(workload=workload, form="numba-cuda pipeline (pinned, 2 streams)", repeats_s=reps,
         first_call_s=first, bytes=16 * n, check="passed" if ok else "failed",
         note=f"cuda.pinned_array chunks, cuda.stream() x {nstreams}, the grid-stride kernel [{blocks}, 256]")


def fmt_e(n):
    """Formats a count as Rust's `{:e}` does for f64 (1e4, 3.3e7)."""
    m, e = f"{float(n):e}".split("e")
    m = m.rstrip("0").rstrip(".")
    return f"{m}e{int(e)}"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shape", type=int, nargs=3, default=[1024, 1024, 512])
    p.add_argument("--samples", type=int, nargs="*", default=[1_000_000_000, 10_000_000_000])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--workloads", default="add,pi")
    p.add_argument("--pi-threads", type=int, default=1 << 20)
    p.add_argument("--launches", type=int, default=10_000)
    p.add_argument("--pipeline-elements", type=int, default=1 << 27)
    a = p.parse_args()
    if WHY_NOT is not None:
        emit(workload="gpu", form="numba @cuda.jit", skipped=WHY_NOT)
        return
    name = getattr(current_device(), "name", "simulator")
    emit(meta=True, python=sys.version.split()[0], numpy=np.__version__, numba=numba.__version__,
         device=name.decode() if isinstance(name, bytes) else str(name),
         cupy=None if cp is None else cp.__version__)
    wl = a.workloads.split(",")
    if "add" in wl:
        run_add(tuple(a.shape), a.repeat)
    if "pi" in wl:
        run_pi(a.samples, a.repeat, a.pi_threads)
    if "launch" in wl:
        run_launch(a.launches, a.repeat)
    if "pipeline" in wl:
        run_pipeline(a.pipeline_elements, a.repeat)


if __name__ == "__main__":
    main()
