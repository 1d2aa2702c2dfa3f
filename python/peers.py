"""hotloop's Python peers, served to the suite so that each is timed in
rounds with the hotloop rows it is compared with.

`cargo xtask bench` (crates/hotloop-bench/src/peers.rs) starts this worker
once and keeps it for the whole run. For a workload it asks for that
workload's set of peers (NumPy, and Numba's @njit, @vectorize,
@guvectorize and @stencil forms, compiled with explicit signatures, so
that Numba compiles when decorating and the compile time is measured on
its own), then calls them one at a time in between its own rows: the
machine is in the same state for both, even when its memory bandwidth
drifts during the run. Each call is timed here, around the Python call
alone, and the time sent back.

Protocol: one JSON object per line on stdin, one reply per line on stdout
(progress goes to stderr). The first line written is the interpreter's
versions. Requests:

    {"prepare": SET, "args": {...}}  -> {"peers": [{"key", "form", "note", "bytes", "compile_s"}]}
    {"call": I}                      -> {"s": seconds}
    {"check": I}                     -> {"check": "passed" | "failed"}  (on one more call)
    {"release": true}                -> {"released": true}

A request that fails is answered {"error": "..."}. End of input ends the
worker.
"""

import argparse
import gc
import json
import math
import sys
import time

import numpy as np
import numba
from numba import guvectorize, njit, prange, stencil, vectorize


def progress(msg):
    print(f"[python] {msg}", file=sys.stderr, flush=True)


class Peer:
    """One Python form of a workload's computation: `call` runs it once and
    returns what `check` judges; `key` says which hotloop rows it stands
    beside (the suite names the workload)."""

    def __init__(self, key, form, call, check, note, nbytes, compile_s=None):
        self.key, self.form, self.call, self.check = key, form, call, check
        self.note, self.nbytes, self.compile_s = note, nbytes, compile_s

    def describe(self):
        return dict(key=self.key, form=self.form, note=self.note, bytes=self.nbytes,
                    compile_s=self.compile_s)


def compiled(make):
    """Numba's function built by `make` (a decorator applied with an explicit
    signature, so it compiles now) and the seconds that took."""
    t = time.perf_counter()
    f = make()
    return f, time.perf_counter() - t


def pattern(n):
    """The suite's input, element i = (i % 4099) * 0.25 - 512 (exact), filled
    in chunks: a whole-array expression would hold three temporaries of the
    input's size beside the suite's own arrays."""
    x = np.empty(n)
    chunk = 1 << 22
    for lo in range(0, n, chunk):
        i = np.arange(lo, min(lo + chunk, n), dtype=np.int64)
        x[lo:lo + i.size] = (i % 4099) * 0.25 - 512.0
    return x


def exactly(want):
    return lambda got: got == want


# --- add: the blog's add 2, NumPy's and Numba's compared forms -------------

def add2_prange(x, out):
    nx, ny, nz = x.shape
    for i in prange(nx):
        for j in range(ny):
            for k in range(nz):
                out[i, j, k] = x[i, j, k] + 2.0


def add_set(shape):
    """NumPy's add into a preallocated output (one thread) and Numba's
    prange loop in the natural order: the rows the suite's serial and
    parallel adds are compared with. (The blog's other forms, a pure-Python
    loop and calls of seconds, stay in blog_bench.py.)"""
    x = pattern(int(np.prod(shape))).reshape(shape)
    out = np.ones_like(x)
    par, c_par = compiled(lambda: njit("void(float64[:, :, ::1], float64[:, :, ::1])",
                                       parallel=True, cache=False)(add2_prange))

    def plus_two(_):
        return all(np.array_equal(out[i], x[i] + 2.0) for i in range(x.shape[0]))

    nbytes = 16 * x.size
    return [
        Peer("", "numpy add(out=)", lambda: np.add(x, 2.0, out=out), plus_two,
             "preallocated output", nbytes),
        Peer("", "numba prange", lambda: par(x, out), plus_two, "parallel=True, natural order",
             nbytes, c_par),
    ]


# --- reduce: NumPy's one-thread reductions, Numba's parallel ones -----------

def reduce_set(shape):
    x = pattern(int(np.prod(shape)))
    nbytes = 8 * x.size
    # The input's values are quarters below 2^10, so every partial sum is
    # exact in f64 and any order gives the same sum.
    want = {"sum": float(np.sum(x)), "max": float(x.max()), "min": float(x.min()),
            "count > 0": int(np.count_nonzero(x > 0.0))}

    def sum_prange(x):
        s = 0.0
        for i in prange(x.shape[0]):
            s += x[i]
        return s

    def count_prange(x):
        n = 0
        for i in prange(x.shape[0]):
            if x[i] > 0.0:
                n += 1
        return n

    def max_parallel(x):
        return np.max(x)

    def min_parallel(x):
        return np.min(x)

    par = dict(parallel=True, cache=False)
    numba_sum, c_sum = compiled(lambda: njit("float64(float64[::1])", **par)(sum_prange))
    numba_max, c_max = compiled(lambda: njit("float64(float64[::1])", **par)(max_parallel))
    numba_min, c_min = compiled(lambda: njit("float64(float64[::1])", **par)(min_parallel))
    numba_count, c_count = compiled(lambda: njit("int64(float64[::1])", **par)(count_prange))
    rows = [
        ("sum", "numpy sum", lambda: np.sum(x), "one thread, pairwise", None),
        ("max", "numpy max", lambda: np.max(x), "one thread", None),
        ("min", "numpy min", lambda: np.min(x), "one thread", None),
        ("count > 0", "numpy count_nonzero(x > 0)", lambda: np.count_nonzero(x > 0.0),
         "one thread; makes the boolean array x > 0 first", None),
        ("sum", "numba prange", lambda: numba_sum(x), "parallel=True, s += x[i]", c_sum),
        ("max", "numba parallel np.max", lambda: numba_max(x), "parallel=True", c_max),
        ("min", "numba parallel np.min", lambda: numba_min(x), "parallel=True", c_min),
        ("count > 0", "numba prange", lambda: numba_count(x), "parallel=True, n += 1", c_count),
    ]
    return [Peer(key, form, call, exactly(want[key]), note, nbytes, c)
            for key, form, call, note, c in rows]


# --- map: np.exp and @vectorize, into a preallocated output ----------------

def map_set(shape):
    x = pattern(int(np.prod(shape)))
    y = np.ones_like(x)
    nbytes = 16 * x.size

    def exp_body(v):
        return np.exp(v)

    def affine_body(v):
        return v * 1.0 + 2.0

    sig = ["float64(float64)"]
    vec_exp, c_exp = compiled(lambda: vectorize(sig)(exp_body))
    vec_exp_par, c_exp_par = compiled(lambda: vectorize(sig, target="parallel")(exp_body))
    vec_aff, c_aff = compiled(lambda: vectorize(sig)(affine_body))
    vec_aff_par, c_aff_par = compiled(lambda: vectorize(sig, target="parallel")(affine_body))

    def exp_close(_):
        # Checked by chunks: np.exp of the whole input would be another
        # array of its size. Within 2 ulp of NumPy's exp.
        for lo in range(0, x.size, 1 << 22):
            want = np.exp(x[lo:lo + (1 << 22)])
            got = y[lo:lo + (1 << 22)]
            if not np.all(np.abs(got - want) <= 2 * np.spacing(want)):
                return False
        return True

    def affine_exact(_):
        return all(np.array_equal(y[lo:lo + (1 << 22)], x[lo:lo + (1 << 22)] + 2.0)
                   for lo in range(0, x.size, 1 << 22))

    into = "into a preallocated output"
    rows = [
        ("exp", "numpy exp(out=)", lambda: np.exp(x, out=y), exp_close,
         f"one thread, {into}", None),
        ("exp", "numba @vectorize np.exp", lambda: vec_exp(x, out=y), exp_close,
         f"np.exp in a float64(float64) @vectorize, {into}", c_exp),
        ("exp", "numba @vectorize np.exp, target='parallel'", lambda: vec_exp_par(x, out=y), exp_close,
         f"the same, target='parallel', {into}", c_exp_par),
        ("affine", "numba @vectorize x * 1 + 2", lambda: vec_aff(x, out=y), affine_exact,
         f"x * 1.0 + 2.0 as a float64(float64) @vectorize, {into}", c_aff),
        ("affine", "numba @vectorize x * 1 + 2, target='parallel'", lambda: vec_aff_par(x, out=y),
         affine_exact, f"the same, target='parallel', {into}", c_aff_par),
    ]

    return [Peer(key, form, call, check, note, nbytes, c)
            for key, form, call, check, note, c in rows]


# --- stencil: @stencil under @njit and @njit(parallel=True) ----------------

@stencil
def laplacian7(a):
    return (a[-1, 0, 0] + a[1, 0, 0] + a[0, -1, 0] + a[0, 1, 0] + a[0, 0, -1] + a[0, 0, 1]
            - 6.0 * a[0, 0, 0])


@stencil
def jacobi5(a):
    return 0.25 * (a[0, 1] + a[1, 0] + a[0, -1] + a[-1, 0])


def stencil_set(n3, n2, sweeps):
    """The suite's two grids (stencil.rs): each cell the suite's pattern of
    its row-major index, as in inputs.rs; zero border, Numba's default. And
    `sweeps` Jacobi steps, each over the one before, as a solver loops."""
    x3 = pattern(n3 ** 3).reshape(n3, n3, n3)
    x2 = pattern(n2 * n2).reshape(n2, n2)
    # Numba's stencil leaves the border of an `out=` array as it was: it
    # starts at zero, the border the suite's rows write.
    out3, out2 = np.zeros_like(x3), np.zeros_like(x2)
    want3 = np.zeros_like(x3)
    c = x3[1:-1, 1:-1, 1:-1]
    want3[1:-1, 1:-1, 1:-1] = (x3[:-2, 1:-1, 1:-1] + x3[2:, 1:-1, 1:-1] + x3[1:-1, :-2, 1:-1]
                               + x3[1:-1, 2:, 1:-1] + x3[1:-1, 1:-1, :-2] + x3[1:-1, 1:-1, 2:]
                               - 6.0 * c)
    want2 = np.zeros_like(x2)
    want2[1:-1, 1:-1] = 0.25 * (x2[1:-1, 2:] + x2[2:, 1:-1] + x2[1:-1, :-2] + x2[:-2, 1:-1])

    def close(got, want):
        scale = max(1.0, float(np.abs(want).max()))
        return lambda _: bool(np.all(np.abs(got - want) <= 16 * np.finfo(np.float64).eps * scale))

    def lap(a, out):
        laplacian7(a, out=out)

    def jac(a, out):
        jacobi5(a, out=out)

    # The sweeps: a loop of the stencil, alternating between two outputs
    # whose zero border it leaves as it is; the last lands in `last`.
    ping, pong = np.zeros_like(x2), np.zeros_like(x2)
    last = ping if sweeps % 2 == 1 else pong
    want_swept = x2.copy()
    for _ in range(sweeps):
        step = np.zeros_like(x2)
        w = want_swept
        step[1:-1, 1:-1] = 0.25 * (w[1:-1, 2:] + w[2:, 1:-1] + w[1:-1, :-2] + w[:-2, 1:-1])
        want_swept = step
    del step, w

    def swept(a, ping, pong, n):
        jacobi5(a, out=ping)
        last, nxt = ping, pong
        for _ in range(n - 1):
            jacobi5(last, out=nxt)
            last, nxt = nxt, last

    s3, s2 = "void(float64[:, :, ::1], float64[:, :, ::1])", "void(float64[:, ::1], float64[:, ::1])"
    peers = []
    for form, par in [("numba @stencil, @njit", False),
                      ("numba @stencil, @njit(parallel=True)", True)]:
        f3, c3 = compiled(lambda: njit(s3, parallel=par, cache=False)(lap))
        f2, c2 = compiled(lambda: njit(s2, parallel=par, cache=False)(jac))
        note = "the stencil called with out= in a compiled function; zero border"
        peers.append(Peer("laplacian7", form, lambda f3=f3: f3(x3, out3), close(out3, want3), note,
                          16 * x3.size, c3))
        peers.append(Peer("jacobi5", form, lambda f2=f2: f2(x2, out2), close(out2, want2), note,
                          16 * x2.size, c2))
        fs, cs = compiled(lambda: njit(s2[:-1] + ", float64[:, ::1], int64)", parallel=par,
                                       cache=False)(swept))
        peers.append(Peer("jacobi5_sweeps", form.replace("@stencil", "@stencil loop"),
                          lambda fs=fs: fs(x2, ping, pong, sweeps), close(last, want_swept),
                          f"{sweeps} steps, each over the one before, alternating between two "
                          "outputs, in a compiled function; zero border",
                          16 * sweeps * x2.size, cs))
    return peers


# --- gufunc: numba-examples' moving average and a row normalisation --------

def move_mean_body(a, window, out):
    """numba-examples' moving average, `(n),()->(n)`."""
    asum = 0.0
    count = 0
    for i in range(min(window, a.shape[0])):
        asum += a[i]
        count += 1
        out[i] = asum / count
    for i in range(window, a.shape[0]):
        asum += a[i] - a[i - window]
        out[i] = asum / count


def normalize_body(a, out):
    """Each row over its 2-norm, `(n)->(n)`; a zero row stays zero."""
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    norm = np.sqrt(s)
    for i in range(a.shape[0]):
        out[i] = 0.0 if norm == 0.0 else a[i] / norm


def gufunc_set(rows, cols, window):
    """The suite's two gufuncs (gufunc.rs) on its input, row r, column i
    being pattern(r * 8191 + i), as @guvectorize, serial and
    target='parallel', each call allocating its output as the suite's do."""
    r = np.arange(rows, dtype=np.int64)[:, None]
    i = np.arange(cols, dtype=np.int64)[None, :]
    x = ((r * 8191 + i) % 4099) * 0.25 - 512.0
    # References: direct window means (the first window-1 columns over what
    # they have) and the norms.
    want_ma = np.empty_like(x)
    c = np.cumsum(x[:, :window - 1], axis=1)
    want_ma[:, :window - 1] = c / np.arange(1, window)
    want_ma[:, window - 1:] = np.lib.stride_tricks.sliding_window_view(x, window, axis=1).mean(axis=-1)
    norms = np.sqrt((x * x).sum(axis=1, keepdims=True))
    want_norm = np.where(norms == 0.0, 0.0, x / np.where(norms == 0.0, 1.0, norms))

    def close(want):
        return lambda got: bool(np.allclose(got, want, rtol=1e-9, atol=1e-9))

    peers = []
    for target in ["cpu", "parallel"]:
        ma, c_ma = compiled(lambda: guvectorize(["void(float64[:], int64, float64[:])"],
                                                "(n),()->(n)", target=target)(move_mean_body))
        nr, c_nr = compiled(lambda: guvectorize(["void(float64[:], float64[:])"], "(n)->(n)",
                                                target=target)(normalize_body))
        form = "numba @guvectorize" + (", target='parallel'" if target == "parallel" else "")
        note = "allocates its output each call"
        peers.append(Peer("moving average", form, lambda ma=ma: ma(x, window), close(want_ma),
                          note, 16 * x.size, c_ma))
        peers.append(Peer("normalize rows", form, lambda nr=nr: nr(x), close(want_norm), note,
                          16 * x.size, c_nr))
    return peers


# --- numba-examples' Black-Scholes (examples/finance/blackscholes) ---------

RISKFREE = 0.02
VOLATILITY = 0.30


def cnd_numpy(d):
    A1, A2, A3, A4, A5 = 0.31938153, -0.356563782, 1.781477937, -1.821255978, 1.330274429
    RSQRT2PI = 0.39894228040143267793994605993438
    K = 1.0 / (1.0 + 0.2316419 * np.abs(d))
    ret = RSQRT2PI * np.exp(-0.5 * d * d) * (K * (A1 + K * (A2 + K * (A3 + K * (A4 + K * A5)))))
    return np.where(d > 0, 1.0 - ret, ret)


def black_scholes_numpy(S, X, T, R, V):
    sqrtT = np.sqrt(T)
    d1 = (np.log(S / X) + (R + 0.5 * V * V) * T) / (V * sqrtT)
    d2 = d1 - V * sqrtT
    cndd1, cndd2 = cnd_numpy(d1), cnd_numpy(d2)
    expRT = np.exp(-R * T)
    return S * cndd1 - X * expRT * cndd2, X * expRT * (1.0 - cndd2) - S * (1.0 - cndd1)


@njit(cache=False)
def cnd_numba(d):
    A1, A2, A3, A4, A5 = 0.31938153, -0.356563782, 1.781477937, -1.821255978, 1.330274429
    RSQRT2PI = 0.39894228040143267793994605993438
    K = 1.0 / (1.0 + 0.2316419 * math.fabs(d))
    ret = RSQRT2PI * math.exp(-0.5 * d * d) * (K * (A1 + K * (A2 + K * (A3 + K * (A4 + K * A5)))))
    if d > 0:
        ret = 1.0 - ret
    return ret


def black_scholes_loop(S, X, T, R, V, call, put):
    # numba-examples' loop; `prange` is `range` where parallel=False.
    for i in prange(len(S)):
        sqrtT = math.sqrt(T[i])
        d1 = (math.log(S[i] / X[i]) + (R + 0.5 * V * V) * T[i]) / (V * sqrtT)
        d2 = d1 - V * sqrtT
        cndd1, cndd2 = cnd_numba(d1), cnd_numba(d2)
        expRT = math.exp((-1.0 * R) * T[i])
        call[i] = S[i] * cndd1 - X[i] * expRT * cndd2
        put[i] = X[i] * expRT * (1.0 - cndd2) - S[i] * (1.0 - cndd1)


def black_scholes_set(n):
    """The suite's options (black_scholes.rs): a fixed sequence in the
    example's ranges; NumPy's version and the loop under @njit and prange."""
    i = np.arange(n, dtype=np.int64)

    def u(k):
        return ((i * 7919 + k * 104729) % 10007).astype(np.float64) / 10007.0

    def lerp(r, lo, hi):
        return (1.0 - r) * lo + r * hi

    S, X, T = lerp(u(1), 5.0, 30.0), lerp(u(2), 1.0, 100.0), lerp(u(3), 0.25, 10.0)
    want_call, want_put = black_scholes_numpy(S, X, T, RISKFREE, VOLATILITY)
    call, put = np.empty(n), np.empty(n)

    def close(got):
        c, p = got
        return bool(np.allclose(c, want_call, rtol=1e-5, atol=1e-5)
                    and np.allclose(p, want_put, rtol=1e-5, atol=1e-5))

    sig = "void(float64[::1], float64[::1], float64[::1], float64, float64, float64[::1], float64[::1])"
    serial, c_serial = compiled(lambda: njit(sig, cache=False)(black_scholes_loop))
    par, c_par = compiled(lambda: njit(sig, parallel=True, cache=False)(black_scholes_loop))

    def loop(f):
        def run():
            f(S, X, T, RISKFREE, VOLATILITY, call, put)
            return call, put
        return run

    nbytes = 5 * 8 * n
    return [
        Peer("", "numpy", lambda: black_scholes_numpy(S, X, T, RISKFREE, VOLATILITY), close,
             "numba-examples' NumPy version (fresh outputs and temporaries)", nbytes),
        Peer("", "numba @njit", loop(serial), close,
             "numba-examples' loop, preallocated outputs", nbytes, c_serial),
        Peer("", "numba prange", loop(par), close,
             "the same loop with prange, parallel=True", nbytes, c_par),
    ]


# --- Lennard-Jones: prange over the user's own pair loop ---------------------

def lj_loop(pos):
    # `prange` is `range` where parallel=False.
    n = pos.shape[0]
    energy = 0.0
    for i in prange(n):
        for j in range(i + 1, n):
            r2 = 0.0
            for k in range(3):
                d = pos[i, k] - pos[j, k]
                r2 += d * d
            s6 = (1.0 / r2) ** 3
            energy += 4.0 * (s6 * s6 - s6)
    return energy


def lennard_jones_set(n):
    """The suite's positions (lennard_jones.rs): a jittered cubic lattice of
    spacing 1.1; the pair loop under @njit and prange."""
    side = 1
    while side ** 3 < n:
        side += 1
    i = np.arange(n, dtype=np.int64)
    cell = np.stack([i % side, (i // side) % side, i // (side * side)], axis=1).astype(np.float64)
    jitter = np.stack([((i * 7919 + k * 104729) % 1000) * 1e-4 for k in range(3)], axis=1)
    pos = np.ascontiguousarray(cell * 1.1 + jitter)
    serial, c_serial = compiled(lambda: njit("float64(float64[:, ::1])", cache=False)(lj_loop))
    par, c_par = compiled(lambda: njit("float64(float64[:, ::1])", parallel=True,
                                       cache=False)(lj_loop))
    want = serial(pos)

    def near(got):
        return abs(got - want) <= 1e-9 * abs(want)

    return [
        Peer("", "numba @njit", lambda: serial(pos), near, "the pair loop under @njit", None,
             c_serial),
        Peer("", "numba prange", lambda: par(pos), near,
             "the same loop, prange over i, parallel=True", None, c_par),
    ]


# --- matmul: C = A @ B, i-k-j, each row of C one prange iteration ----------

def matmul_loop(a, b, c):
    # `prange` is `range` where parallel=False.
    n, m = a.shape[1], b.shape[1]
    for i in prange(a.shape[0]):
        for j in range(m):
            c[i, j] = 0.0
        for k in range(n):
            aik = a[i, k]
            for j in range(m):
                c[i, j] += aik * b[k, j]


def line_aligned(x):
    """A copy of `x` starting on a 64-byte line, as the suite's own copy
    (`LineAligned` in inputs.rs): NumPy's large arrays start wherever
    malloc puts them, and a row loop's split lines cost about 1.4x."""
    buf = np.empty(x.nbytes + 64, dtype=np.uint8)
    start = -buf.ctypes.data % 64
    y = buf[start:start + x.nbytes].view(x.dtype).reshape(x.shape)
    y[...] = x
    return y


def matmul_set(n):
    """The suite's matrices (matmul.rs): small integers, so every product
    and sum is exact in f32 and every form's C is the same; each on a
    64-byte line."""
    i = np.arange(n * n, dtype=np.int64)
    a = line_aligned(((i % 7) - 3).astype(np.float32).reshape(n, n))
    b = line_aligned((i % 5).astype(np.float32).reshape(n, n))
    want = a @ b
    c = line_aligned(np.zeros((n, n), dtype=np.float32))
    sig = "void(float32[:, ::1], float32[:, ::1], float32[:, ::1])"
    serial, c_serial = compiled(lambda: njit(sig, cache=False)(matmul_loop))
    par, c_par = compiled(lambda: njit(sig, parallel=True, cache=False)(matmul_loop))

    def equal(_):
        return bool(np.array_equal(c, want))

    nbytes = 3 * 4 * n * n
    return [
        Peer("", "numba @njit", lambda: serial(a, b, c), equal, "the i-k-j loop under @njit",
             nbytes, c_serial),
        Peer("", "numba prange", lambda: par(a, b, c), equal,
             "the same loop, prange over rows, parallel=True", nbytes, c_par),
    ]


# --- waveform zero suppression: @vectorize over int16 ------------------------

def zero_suppression_body(value, threshold):
    if abs(value) < threshold:
        return 0
    return value


def waveform_set(n, threshold=15):
    """The suite's samples (waveform.rs): -100..=100 counts."""
    i = np.arange(n, dtype=np.int64)
    w = ((i * 7919 + 13) % 201 - 100).astype(np.int16)
    want = np.where(np.abs(w) < threshold, np.int16(0), w)
    out = np.empty_like(w)
    t = np.int16(threshold)
    sig = ["int16(int16, int16)"]
    serial, c_serial = compiled(lambda: vectorize(sig)(zero_suppression_body))
    par, c_par = compiled(lambda: vectorize(sig, target="parallel")(zero_suppression_body))

    def same(got):
        return bool(np.array_equal(got, want))

    into = "into a preallocated output"
    return [
        Peer("", "numpy", lambda: np.where(np.abs(w) < threshold, np.int16(0), w), same,
             "np.where(np.abs(w) < 15, 0, w): fresh temporaries and output", 4 * n),
        Peer("", "numba @vectorize", lambda: serial(w, t, out=out), same,
             f"numba-examples' @vectorize int16(int16, int16), {into}", 4 * n, c_serial),
        Peer("", "numba @vectorize parallel", lambda: par(w, t, out=out), same,
             f"the same, target='parallel', {into}", 4 * n, c_par),
    ]


SETS = {"add": add_set, "reduce": reduce_set, "map": map_set, "stencil": stencil_set, "gufunc": gufunc_set,
        "black_scholes": black_scholes_set, "lennard_jones": lennard_jones_set,
        "matmul": matmul_set, "waveform": waveform_set}


def reply(**obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve():
    peers, last = [], {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if "prepare" in req:
                peers, last = [], {}
                gc.collect()
                progress(f"preparing the {req['prepare']} peers")
                peers = SETS[req["prepare"]](**req.get("args", {}))
                reply(peers=[p.describe() for p in peers])
            elif "call" in req:
                i = req["call"]
                # The previous result (a fresh output) is freed before the
                # clock starts, as the suite frees its own.
                last.pop(i, None)
                t = time.perf_counter()
                got = peers[i].call()
                s = time.perf_counter() - t
                last[i] = got
                reply(s=s)
            elif "check" in req:
                # One more call, outside the timings, as the suite checks
                # its own rows: the peers of a set may share an output.
                i = req["check"]
                last.pop(i, None)
                ok = bool(peers[i].check(peers[i].call()))
                reply(check="passed" if ok else "failed")
            elif "release" in req:
                peers, last = [], {}
                gc.collect()
                reply(released=True)
            else:
                reply(error=f"unknown request: {line.strip()[:200]}")
        except Exception as e:  # the suite reports it and goes on without peers
            reply(error=f"{type(e).__name__}: {e}")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        numba.set_num_threads(min(a.threads, numba.config.NUMBA_NUM_THREADS))
    reply(meta=True, python=sys.version.split()[0], numpy=np.__version__,
          numba=numba.__version__, threads=numba.get_num_threads())
    serve()


if __name__ == "__main__":
    main()
