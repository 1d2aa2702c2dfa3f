#!/usr/bin/env bash
# hotloop's GPU kit: does the CUDA backend work on this machine, and how
# fast is it? Built by `cargo xtask gpu-kit` on a machine with Rust; runs
# here with no Rust toolchain and no network (it never calls cargo).
#
#   bash run.sh            results under $OUT (default: out/ beside this file)
#
# Steps, each bounded in time, each going on after a failure:
#   1. nvidia-smi facts (GPU, driver, clocks)
#   2. every test binary, on the real device, the device tests included
#      (`--include-ignored`; HOTLOOP_REQUIRE_GPU=1 makes the cross-backend
#      suites fail rather than leave CUDA out)
#   3. the bench's CUDA rows at the blog's sizes, with the blog's Python GPU
#      code beside them (numba.cuda, CuPy)
#   4. compute-sanitizer memcheck and racecheck over every kernel at small
#      launches (a report counts as a failure)
# It writes at most six files: summary.md, log.txt, and the bench's
# results.json, results.csv, table.md and chart.svg.
#
# Exit status: 0 all passed, 1 something failed (see summary.md), 3 no GPU
# here (said in one line, within seconds).
set -uo pipefail

KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:-$KIT/out}"
BUDGET_S="${HOTLOOP_KIT_BUDGET_S:-285}"
NO_GPU=3

# The test binaries travel as one xz archive (they share most of their
# code); unpacked first, and quietly, so that the no-GPU answer below stays
# one line and every machine that builds the kit unpacks it too.
if [ -f "$KIT/tests.tar.xz" ]; then
    rm -rf "$KIT/tests"
    if ! tar -xJf "$KIT/tests.tar.xz" -C "$KIT" 2>/dev/null; then
        # No xz program: Python's lzma reads it.
        python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
            "$KIT/tests.tar.xz" "$KIT" || { echo "gpu-kit: cannot unpack tests.tar.xz"; exit 1; }
    fi
fi

# 0. Is there a GPU to run on? One line and out, if not.
probe="$("$KIT/bin/hotloop-bench" --cuda-available 2>&1)"
status=$?
if [ "$status" -ne 0 ]; then
    echo "gpu-kit: cannot run here: ${probe#no CUDA device: }"
    exit "$NO_GPU"
fi

mkdir -p "$OUT"
LOG="$OUT/log.txt"
SUMMARY="$OUT/summary.md"
: > "$LOG"
export HOTLOOP_PTX_DIR="$KIT/ptx" HOTLOOP_REQUIRE_GPU=1
failures=0
started=$SECONDS

log() { echo "$*" | tee -a "$LOG" >&2; }
say() { echo "$*" >> "$SUMMARY"; }
left() { echo $((BUDGET_S - (SECONDS - started))); }
# `bounded LIMIT CMD...`: runs CMD for at most LIMIT seconds (and never past
# the kit's budget), its output appended to the log; returns its status.
bounded() {
    local limit=$1
    shift
    local rest
    rest=$(left)
    [ "$rest" -lt "$limit" ] && limit=$rest
    if [ "$limit" -le 5 ]; then
        log "skipped (out of time): $*"
        return 124
    fi
    timeout --kill-after=5 "$limit" "$@" >> "$LOG" 2>&1
}

{
    echo "# hotloop GPU kit results"
    echo
    echo "- kit: $(cat "$KIT/VERSION" 2>/dev/null || echo unknown)"
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "- device: $probe"
} > "$SUMMARY"

# 1. The machine.
log "== nvidia-smi"
say "- GPU: $(nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total,clocks.max.sm,clocks.max.memory,pcie.link.gen.max --format=csv,noheader 2>&1 | head -1)"
say "  (name, driver, compute capability, memory, max SM clock, max memory clock, PCIe generation)"
bounded 30 nvidia-smi -q
say "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"

# 2. Every test binary on the device.
log "== tests"
say ""
say "## Tests on the device"
say ""
# Tests named two_devices_* need a second GPU: skipped, and said so,
# where there is one.
skip=()
if [ "$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')" -lt 2 ]; then
    skip=(--skip two_devices_)
    say "One GPU: the tests named two_devices_* are skipped."
    say ""
fi
say "| binary | result | counts |"
say "|---|---|---|"
for t in "$KIT"/tests/*; do
    name=$(basename "$t")
    log "-- $name"
    before=$(wc -l < "$LOG")
    bounded 60 "$t" --test-threads=4 --include-ignored "${skip[@]}"
    rc=$?
    counts=$(tail -n +"$before" "$LOG" | grep -E '^test result:' | tail -1 | sed 's/^test result: //; s/; finished.*//')
    if [ "$rc" -eq 0 ]; then
        say "| $name | passed | $counts |"
    else
        failures=$((failures + 1))
        say "| $name | **FAILED** (exit $rc) | $counts |"
        {
            tail -n +"$before" "$LOG" | grep -E '^test .* FAILED$' | head -8
            tail -n +"$before" "$LOG" | grep -m1 -A2 'panicked at'
        } | sed 's/^/    /' >> "$SUMMARY"
    fi
done

# 2b. A user's own kernels (examples/custom-kernels) on the device.
log "-- custom-kernels-host"
before=$(wc -l < "$LOG")
bounded 60 "$KIT/bin/custom-kernels-host"
rc=$?
if [ "$rc" -eq 0 ] && ! tail -n +"$before" "$LOG" | grep -q '^cuda: skipped'; then
    say "| custom-kernels-host | passed | every #[kernel] of the example on the simulator and the GPU |"
else
    failures=$((failures + 1))
    say "| custom-kernels-host | **FAILED** (exit $rc) | see log.txt |"
    tail -n +"$before" "$LOG" | grep -E '✗|skipped' | head -8 | sed 's/^/    /' >> "$SUMMARY"
fi

# 3. The bench's CUDA rows at the blog's sizes, the blog's Python GPU code beside them.
log "== bench"
say ""
say "## Bench (the blog's sizes)"
say ""
python_flag=--no-python
if python3 -c "import numpy, numba, numba.cuda" > /dev/null 2>&1; then
    export HOTLOOP_PYTHON
    HOTLOOP_PYTHON=$(command -v python3)
    python_flag=--python
else
    say "- Python GPU rows skipped: python3 cannot import numpy, numba and numba.cuda"
fi
bench_out="$OUT/.bench-stdout"
before=$(wc -l < "$LOG")
bounded 200 "$KIT/bin/hotloop-bench" --backend cuda --workload add,pi,reduce,map,stencil,gufunc,launch,pipeline \
    --samples 1e9,1e10 "$python_flag" --out "$OUT"
rc=$?
tail -n +"$before" "$LOG" > "$bench_out"
if [ "$rc" -eq 0 ]; then
    say "- bench: every row checked ✓ (table.md, results.json, chart.svg)"
else
    failures=$((failures + 1))
    say "- bench: **FAILED** (exit $rc; rows marked ✗ or an error, see log.txt)"
fi
say ""
grep -E '^(met|MISSED)' "$bench_out" | sed 's/^/- target /' >> "$SUMMARY"
grep -E '^✗' "$bench_out" | sed 's/^/- /' >> "$SUMMARY"
rm -f "$bench_out"

# 4. compute-sanitizer over every kernel at small launches.
log "== compute-sanitizer"
say ""
say "## compute-sanitizer"
say ""
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
if [ -z "$sanitizer" ]; then
    failures=$((failures + 1))
    say "- **not found**: no compute-sanitizer on PATH or under /usr/local/cuda*/bin"
else
    for tool in memcheck racecheck; do
        log "-- $tool"
        bounded 60 "$sanitizer" --tool "$tool" --error-exitcode 9 --print-limit 50 \
            "$KIT/tests/cuda_ops" every_entry_point_at_small_launches --exact --ignored --test-threads=1
        rc=$?
        if [ "$rc" -eq 0 ]; then
            say "- $tool: clean (every entry point at launches 3x7 and 2x64)"
        else
            failures=$((failures + 1))
            say "- $tool: **FAILED** (exit $rc; 9 means the sanitizer reported errors; see log.txt)"
        fi
    done
fi

say ""
say "Finished in $((SECONDS - started)) s with $failures failing step(s)."
log "gpu-kit: done in $((SECONDS - started)) s, $failures failing step(s); results in $OUT"
[ "$failures" -eq 0 ]
