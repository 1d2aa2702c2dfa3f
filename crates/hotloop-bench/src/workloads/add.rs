//! add_scalar: the blog's "add 2 to every element", in every form.

use super::common::{check_add, extrapolated, extrapolation_note, shape_bytes, simulator_planes};
use super::{Data, PythonPeers, Workload};
use crate::config::Config;
use crate::measure::{Rounds, Timings, time, time_with_setup};
use crate::peers::Peers;
use crate::row::{Check, Row, row_id};
use crate::targets::{AT_LIMIT, Target, arrays_too_small, find, median, python, time_ratio};
use hotloop::StoreMode;
use hotloop::forms::{AddScalarForm, add_scalar_into as add_form};
use hotloop_cpu::parallel::{Pool, copy_streaming};
use ndarray::Array3;

/// Threads per block of the blog's `@cuda.jit` launch.
const BLOG_THREADS: usize = 16;

/// The form of the blog's launch shape, on the simulator and the GPU.
pub const BLOG_FORM: &str = "blog launch shape";

/// The form of the GPU's bandwidth reference: a device-to-device copy of the
/// same bytes through the driver.
pub const DEVICE_COPY_FORM: &str = "device-to-device copy";

/// The id of the parallel add_scalar row (the `prange` row).
pub const ADD_PARALLEL: &str = "add_scalar/parallel/rayon";
/// The id of the serial add_scalar row with streaming stores (the library's
/// default for an output this large), timed against a one-thread copy.
pub const ADD_SERIAL_STREAMING: &str = "add_scalar/serial/streaming";
/// The id of the one-thread STREAM copy row.
pub const STREAM_COPY_SERIAL: &str = "add_scalar/serial/stream_copy";
/// The id of the STREAM copy row, the CPU's bandwidth reference.
pub const STREAM_COPY: &str = "add_scalar/parallel/stream_copy";
/// The id of the GPU's grid-stride add_scalar row.
pub const ADD_CUDA: &str = "add_scalar/cuda/grid_stride";
/// The id of the device-to-device copy row, the GPU's bandwidth reference.
pub const DEVICE_COPY: &str = "add_scalar/cuda/device_copy";
/// The id of the copy-kernel row: the same copy by a `#[kernel]` storing
/// through `Out::set`, the device API's own stores beside the copy engine.
pub const KERNEL_COPY: &str = "add_scalar/cuda/kernel_copy";

/// NumPy's add into a preallocated output, in `python/peers.py`'s `add`
/// set: timed in rounds with the serial add it is compared with.
const NUMPY_ADD: &str = "numpy add(out=)";
/// Numba's prange loop there: timed in rounds with the parallel add.
const NUMBA_PRANGE: &str = "numba prange";

/// The add workload (`--workload add`).
pub struct Add;

impl Workload for Add {
    fn name(&self) -> &'static str {
        "add"
    }

    fn data(&self) -> Data {
        Data::SharedInput
    }

    /// An input, an output and a fresh output at once, and the Python
    /// peers' input and output beside them; the script's rows, run after
    /// the others are freed, about four arrays.
    fn memory(&self, cfg: &Config, python: bool) -> Result<u64, String> {
        shape_bytes(cfg, if python { 5 } else { 3 })
    }

    fn steps(&self, cfg: &Config) -> u64 {
        let on = |name: &str| u64::from(cfg.runs_backend(name));
        // Three loop forms and the streaming pair; the pair and the fresh
        // output; two simulator launches; two kernels and two copies.
        4 * on("serial") + 2 * on("parallel") + 2 * on("simulator") + 4 * on("cuda")
    }

    fn rows(
        &self,
        cfg: &Config,
        input: Option<&Array3<f64>>,
        peers: &Peers,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Vec<Row>, String> {
        rows(cfg, super::shared(input)?, peers, progress)
    }

    fn python(&self) -> PythonPeers {
        PythonPeers {
            cpu: Some("pure Python, NumPy and Numba add"),
            gpu: true,
            simulator: false,
            rounds: true,
            script_too: true,
        }
    }

    fn targets(&self, rows: &[Row]) -> Vec<Target> {
        targets(rows)
    }
}

/// Measures every add_scalar row the configuration selects, plus the
/// STREAM-style copy that gives the machine's bandwidth (and, on a GPU, the
/// device-to-device copy that gives the device's).
fn rows(
    cfg: &Config,
    x: &Array3<f64>,
    peers: &Peers,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Row>, String> {
    let [a, b, c] = cfg.shape;
    let len = x.len();
    let bytes = 2 * (len * size_of::<f64>()) as u64;
    let workload = format!("add_scalar f64 {a}x{b}x{c}");
    // Preallocated, already written: no first-touch page faults in the timed
    // calls (the blog's outputs were fresh every call; that is its own row).
    let mut out = crate::inputs::output(cfg.shape, 1.0)?;
    let mut rows = Vec::new();
    // NumPy's add into a preallocated output and Numba's prange loop, each
    // in the rounds of the row it is compared with.
    let cpu_peers = if cfg.runs_backend("serial") || cfg.runs_backend("parallel") {
        peers.prepare("add", serde_json::json!({ "shape": cfg.shape }))
    } else {
        Vec::new()
    };
    let pick = |form: &str| {
        cpu_peers
            .iter()
            .filter(|p| p.form == form)
            .cloned()
            .collect::<Vec<_>>()
    };
    let row =
        |id: &str, form: &str, backend: &str, timings, check, baseline, note: Option<&str>| Row {
            id: id.to_string(),
            workload: workload.clone(),
            backend: backend.to_string(),
            form: form.to_string(),
            timings,
            bytes: Some(bytes),
            samples: None,
            baseline,
            check,
            compile_s: None,
            gpu: None,
            note: note.map(String::from),
        };

    if cfg.runs_backend("serial") {
        for form in AddScalarForm::ALL {
            progress(&format!("add: serial {}", form.name()));
            out.fill(1.0);
            // The NumPy row writes through the cache, as NumPy does.
            let store = StoreMode::Cached;
            let t = time(cfg.plan, || add_form(form, x, 2.0, &mut out, store))
                .map_err(|e| e.to_string())?;
            let note = match form {
                AddScalarForm::BlogOrder => Some("the blog's loop order (x, z, y): cache-hostile"),
                AddScalarForm::RowMajor => Some("same loop, natural order (x, y, z)"),
                AddScalarForm::Vectorized => Some("NumPy's row: one SIMD pass, cached stores"),
            };
            rows.push(row(
                &row_id(&["add_scalar", "serial", form.name()]),
                form.name(),
                "serial",
                t,
                check_add(out.as_slice().unwrap()),
                form == AddScalarForm::BlogOrder,
                note,
            ));
        }
    }

    if cfg.runs_backend("serial") {
        // The library's own serial add (streaming stores beyond the cache),
        // in alternation with the same copy on one thread.
        progress("add: serial, alternating with a one-thread stream copy");
        let one = Pool::get(std::num::NonZeroUsize::new(1)).map_err(|e| e.to_string())?;
        let with = pick(NUMPY_ADD);
        let (t_copy, t_add, t_peers) = copy_and(
            cfg,
            &one,
            x,
            &mut out,
            hotloop::Backend::Serial,
            (peers, &with),
        )?;
        for (p, t) in with.iter().zip(t_peers) {
            rows.extend(peers.row(p, &workload, t));
        }
        rows.push(row(
            ADD_SERIAL_STREAMING,
            "vectorized, streaming stores",
            "serial",
            t_add.timings,
            t_add.check,
            false,
            Some(
                "hotloop's default stores: non-temporal beyond the cache; against NumPy add(out=)",
            ),
        ));
        rows.push(row(
            STREAM_COPY_SERIAL,
            &format!("stream copy, {}", hotloop_cpu::store::streaming_stores()),
            "serial",
            t_copy.timings,
            t_copy.check,
            false,
            Some("one-thread STREAM-style copy, timed in alternation with the row above"),
        ));
    }

    if cfg.runs_backend("parallel") {
        // The bandwidth reference and the prange row are timed in
        // alternation, so their ratio holds even when the machine's memory
        // bandwidth drifts during the run.
        progress("add: parallel, alternating with a stream copy");
        let backend = hotloop::Backend::parallel();
        let pool = Pool::current();
        let with = pick(NUMBA_PRANGE);
        let (t_copy, t_add, t_peers) = copy_and(cfg, &pool, x, &mut out, backend, (peers, &with))?;
        for (p, t) in with.iter().zip(t_peers) {
            rows.extend(peers.row(p, &workload, t));
        }
        rows.push(row(
            ADD_PARALLEL,
            "rayon",
            &backend.to_string(),
            t_add.timings,
            t_add.check,
            false,
            Some("prange row: preallocated output, streaming stores"),
        ));
        // The label names the stores' instruction set; the id stays.
        let copy_form = format!("stream copy, {}", hotloop_cpu::store::streaming_stores());
        rows.push(row(
            STREAM_COPY,
            &copy_form,
            &format!("parallel ({} threads)", pool.threads()),
            t_copy.timings,
            t_copy.check,
            false,
            Some("STREAM-style copy, non-temporal stores, timed in alternation with the row above: the bandwidth reference"),
        ));

        progress("add: parallel, fresh output");
        let mut last_check = Check::NotRun;
        let t = time_with_setup(
            cfg.plan.repeat,
            || Ok::<_, String>(()),
            |()| {
                let y = hotloop::add_scalar(backend, x, 2.0).map_err(|e| e.to_string())?;
                last_check = check_add(y.as_slice().unwrap());
                Ok(y)
            },
        )?;
        rows.push(row(
            "add_scalar/parallel/rayon_fresh_output",
            "rayon, fresh output",
            &backend.to_string(),
            t,
            last_check,
            false,
            Some("allocates its output: first-touch page faults included, as in the blog"),
        ));
    }
    #[cfg(test)]
    if cfg.runs_backend("wrong") {
        // Adds 2.5 instead of 2: the check must catch it.
        out.fill(1.0);
        let t = time(cfg.plan, || {
            hotloop::add_scalar_into(hotloop::Backend::Serial, x, 2.5, &mut out)
        })
        .map_err(|e| e.to_string())?;
        rows.push(row(
            "add_scalar/wrong/wrong",
            "deliberately wrong",
            "wrong",
            t,
            check_add(out.as_slice().unwrap()),
            false,
            None,
        ));
    }

    if cfg.runs_backend("simulator") {
        // The leading planes only, extrapolated (see SIMULATOR_ELEMS).
        let (planes, factor) = simulator_planes(cfg.shape);
        let part = [planes, b, c];
        let xs = x.slice(ndarray::s![..planes, .., ..]);
        let measured = format!("{planes}x{b}x{c}");
        let note = |what: &str| {
            extrapolation_note(&measured, factor)
                .map_or_else(|| what.to_string(), |n| format!("{what}; {n}"))
        };
        let sim = hotloop::Backend::simulator();
        let launch = sim
            .launch_for((planes * b * c) as u64)
            .map_err(|e| e.to_string())?;
        progress("add: simulator, grid-stride kernel");
        out.fill(1.0);
        let t = time(cfg.simulator_plan(), || {
            let mut o = out.slice_mut(ndarray::s![..planes, .., ..]);
            hotloop::add_scalar_into(sim, &xs, 2.0, &mut o)
        })
        .map_err(|e| e.to_string())?;
        let backend = format!("simulator ({})", launch.expect("grid backend"));
        let check = check_add(&out.as_slice().unwrap()[..planes * b * c]);
        rows.push(row(
            "add_scalar/simulator/grid_stride",
            "grid-stride kernel",
            &backend,
            extrapolated(t, factor),
            check,
            false,
            Some(&note(
                "the GPU kernel's body over a simulated grid on the CPU: a correctness tool, not a speed one",
            )),
        ));
        progress("add: simulator, the blog's launch shape");
        out.fill(1.0);
        let blog_launch = hotloop::LaunchConfig::for_items(planes as u64, u32::MAX);
        let t = time(cfg.simulator_plan(), || {
            hotloop_sim::elementwise::add_scalar_blog(
                Some(blog_launch),
                xs.as_slice().unwrap(),
                part,
                2.0,
                &mut out.as_slice_mut().unwrap()[..planes * b * c],
            )
        })
        .map_err(|e| e.to_string())?;
        let check = check_add(&out.as_slice().unwrap()[..planes * b * c]);
        rows.push(row(
            "add_scalar/simulator/blog",
            BLOG_FORM,
            &format!("simulator ({blog_launch})"),
            extrapolated(t, factor),
            check,
            false,
            Some(&note(
                "one thread per x, looping z then y, as the blog's kernel",
            )),
        ));
    }

    if cfg.runs_backend("cuda") {
        let dev = hotloop_cuda::device(0).map_err(|e| e.to_string())?;
        let name = format!("cuda:0 {}", dev.info().name);
        let src = x.as_slice().unwrap();
        // The blog's launch: one thread per x, 16 threads per block.
        let blog_launch =
            hotloop::LaunchConfig::new(a.div_ceil(BLOG_THREADS) as u32, BLOG_THREADS as u32)
                .map_err(|e| e.to_string())?;
        for (key, form, blog) in [
            (ADD_CUDA, "grid-stride kernel", false),
            ("add_scalar/cuda/blog", BLOG_FORM, true),
        ] {
            progress(&format!("add: cuda, {form}"));
            out.fill(1.0);
            let (t, gpu) = crate::gpu::time(cfg.plan, || {
                let dst = out.as_slice_mut().unwrap();
                if blog {
                    hotloop_cuda::ops::add_scalar_blog_timed(
                        &dev,
                        Some(blog_launch),
                        src,
                        cfg.shape,
                        2.0,
                        dst,
                    )
                } else {
                    hotloop_cuda::ops::add_scalar_timed(&dev, None, src, 2.0, dst)
                }
            })
            .map_err(|e| e.to_string())?;
            let mut r = row(
                key,
                form,
                &name,
                t,
                check_add(out.as_slice().unwrap()),
                false,
                Some(
                    "kernel time from CUDA events after a synchronize; copies in their own columns",
                ),
            );
            r.gpu = Some(gpu);
            rows.push(r);
        }
        progress("add: cuda, device-to-device copy");
        let (t, gpu) = crate::gpu::time(cfg.plan, || {
            hotloop_cuda::ops::copy_device_to_device_timed::<f64>(&dev, len)
        })
        .map_err(|e| e.to_string())?;
        // A bandwidth reference: no answer to check.
        let mut r = row(
            DEVICE_COPY,
            DEVICE_COPY_FORM,
            &name,
            t,
            Check::NotRun,
            false,
            Some(
                "cuMemcpyDtoD of the same bytes, event-timed: the GPU rows' bandwidth reference, \
                 measured in this run",
            ),
        );
        r.gpu = Some(gpu);
        rows.push(r);
        progress("add: cuda, copy kernel");
        let (t, gpu) = crate::gpu::time(cfg.plan, || {
            hotloop_cuda::ops::copy_kernel_timed::<f64>(&dev, len)
        })
        .map_err(|e| e.to_string())?;
        let mut r = row(
            KERNEL_COPY,
            "copy kernel (Out::set)",
            &name,
            t,
            Check::NotRun,
            false,
            Some(
                "the same copy by a #[kernel] storing each element through Out::set, \
                 event-timed: the device API's stores beside the copy engine",
            ),
        );
        r.gpu = Some(gpu);
        rows.push(r);
    }

    Ok(rows)
}

/// The most the parallel add's median may exceed its fastest call by.
const MAX_SPREAD: f64 = 1.10;

/// The bound that explains the parallel add's median missing
/// [`MAX_SPREAD`]: the copy of the same bytes, timed in the same rounds,
/// spread past it too, and the add's median ran at [`AT_LIMIT`] or more
/// of the copy's median speed. The calls' spread is then the machine's,
/// not the add's.
fn machine_spread(add: &Row, copy: &Row) -> Option<String> {
    let copy_spread = median(copy) / copy.timings.min();
    let at = median(copy) / median(add);
    (copy_spread > MAX_SPREAD && at >= AT_LIMIT).then(|| {
        format!(
            "the stream copy timed in the same rounds spread as far (its median \
             {copy_spread:.2}x its fastest call), and the add's median ran at {at:.2}x \
             the copy's median speed"
        )
    })
}

/// A timed and checked measurement.
struct Checked {
    timings: crate::measure::Timings,
    check: Check,
}

/// A STREAM-style copy over `pool`, `add_scalar_into(backend, x, 2)` and
/// the Python peers `with` timed in rounds, so their ratios hold even when
/// the machine's memory bandwidth drifts during the run; the copy and the
/// add each checked once more after. Returns the peers' timings too.
fn copy_and(
    cfg: &Config,
    pool: &Pool,
    x: &Array3<f64>,
    out: &mut Array3<f64>,
    backend: hotloop::Backend,
    (peers, with): (&Peers, &[crate::peers::Peer]),
) -> Result<(Checked, Checked, Vec<Timings>), String> {
    let src = x.as_slice().expect("standard layout");
    let out_cell = std::cell::RefCell::new(&mut *out);
    let mut rounds = Rounds::new();
    rounds.clocked(|| {
        let mut o = out_cell.borrow_mut();
        copy_streaming(pool, src, o.as_slice_mut().expect("standard layout"));
        Ok(())
    });
    rounds.clocked(|| {
        let mut o = out_cell.borrow_mut();
        hotloop::add_scalar_into(backend, x, 2.0, *o).map_err(|e| e.to_string())
    });
    peers.add_to(with, &mut rounds);
    let mut timings = rounds.run(cfg.plan)?.into_iter();
    let (t_copy, t_add) = (
        timings.next().unwrap_or_default(),
        timings.next().unwrap_or_default(),
    );
    let t_peers: Vec<Timings> = timings.collect();
    copy_streaming(pool, src, out.as_slice_mut().expect("standard layout"));
    let copy_check = if out.as_slice().unwrap() == src {
        Check::Passed
    } else {
        Check::Failed("copy differs from its source".into())
    };
    out.fill(1.0);
    hotloop::add_scalar_into(backend, x, 2.0, &mut *out).map_err(|e| e.to_string())?;
    let add_check = check_add(out.as_slice().unwrap());
    Ok((
        Checked {
            timings: t_copy,
            check: copy_check,
        },
        Checked {
            timings: t_add,
            check: add_check,
        },
        t_peers,
    ))
}

/// The CPU's bandwidth targets, against the STREAM copy timed in
/// alternation; against the Python rows of the same run, where Python was
/// set up; the GPU's, against its own device-to-device copy of the same
/// bytes.
fn targets(rows: &[Row]) -> Vec<Target> {
    let mut out = Vec::new();
    if let (Some(add), Some(copy)) = (find(rows, ADD_PARALLEL), find(rows, STREAM_COPY)) {
        out.push(
            Target::new(
                format!(
                    "parallel add_scalar / stream copy bandwidth ({})",
                    add.workload
                ),
                time_ratio(copy, add),
                0.90,
                false,
            )
            .unless_too_small(arrays_too_small(add)),
        );
    }
    if let Some(add) = find(rows, ADD_PARALLEL) {
        // The median, not only the best call, at the copy's speed: a
        // spread above this says calls lose time to something the best
        // one did not meet (page faults, threads waking late).
        out.push(
            Target::new(
                format!(
                    "parallel add_scalar median / its fastest call ({})",
                    add.workload
                ),
                median(add) / add.timings.min(),
                MAX_SPREAD,
                true,
            )
            .unless_too_small(arrays_too_small(add))
            .explained_by(find(rows, STREAM_COPY).and_then(|copy| machine_spread(add, copy))),
        );
    }
    if let (Some(add), Some(copy)) = (
        find(rows, ADD_SERIAL_STREAMING),
        find(rows, STREAM_COPY_SERIAL),
    ) {
        out.push(
            Target::new(
                format!(
                    "serial add_scalar / one-thread stream copy bandwidth ({})",
                    add.workload
                ),
                time_ratio(copy, add),
                0.85,
                false,
            )
            .unless_too_small(arrays_too_small(add)),
        );
    }
    if let Some(add) = find(rows, ADD_PARALLEL)
        && let Some(numba) = python(rows, &add.workload, NUMBA_PRANGE)
    {
        out.push(
            Target::new(
                format!(
                    "parallel add_scalar speedup over Numba prange ({})",
                    add.workload
                ),
                time_ratio(numba, add),
                1.3,
                false,
            )
            .unless_too_small(arrays_too_small(add)),
        );
    }
    if let Some(add) = find(rows, ADD_SERIAL_STREAMING)
        && let Some(numpy) = python(rows, &add.workload, NUMPY_ADD)
    {
        out.push(
            Target::new(
                format!(
                    "serial add_scalar (streaming stores) speedup over NumPy add(out=) ({})",
                    add.workload
                ),
                time_ratio(numpy, add),
                1.3,
                false,
            )
            .unless_too_small(arrays_too_small(add)),
        );
    }
    if let (Some(add), Some(copy)) = (find(rows, ADD_CUDA), find(rows, DEVICE_COPY)) {
        out.push(
            Target::new(
                format!(
                    "GPU add_scalar / device-to-device copy bandwidth ({})",
                    add.workload
                ),
                time_ratio(copy, add),
                0.90,
                false,
            )
            .unless_too_small(arrays_too_small(add)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, repeats_s: Vec<f64>) -> Row {
        let timings = Timings {
            first_call_s: None,
            repeats_s,
            rounds: None,
        };
        let mut r = Row::new(id.into(), "add", "parallel", "form", timings);
        r.bytes = Some(8 << 30);
        r.check = Check::Passed;
        r
    }

    fn spread_target(add: Vec<f64>, copy: Vec<f64>) -> Target {
        let rows = [row(ADD_PARALLEL, add), row(STREAM_COPY, copy)];
        targets(&rows)
            .into_iter()
            .find(|t| t.name.contains("median / its fastest call"))
            .expect("the spread target")
    }

    #[test]
    fn a_spread_the_copy_shares_is_the_machines() {
        // The run's: the add 132 to 191 ms (median 182), the copy 139 to
        // 209 (median 181).
        let t = spread_target(vec![0.132, 0.182, 0.191], vec![0.139, 0.181, 0.209]);
        assert!(t.missed());
        assert!(t.line().contains("at a measured bound"), "{}", t.line());
        // The copy steady, the add not: the add's own miss.
        let t = spread_target(vec![0.132, 0.182, 0.191], vec![0.139, 0.140, 0.141]);
        assert!(t.missed() && t.bound.is_none(), "{}", t.line());
        // Both spread, but the add's median slower than the copy's.
        let t = spread_target(vec![0.132, 0.230, 0.240], vec![0.139, 0.181, 0.209]);
        assert!(t.missed() && t.bound.is_none(), "{}", t.line());
    }
}
