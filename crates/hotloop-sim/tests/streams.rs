//! Streams and events on the simulator: a pipeline of copies and launches
//! over two streams, ordered by events, gives the CPU's answer; the same
//! program with an order missing is a race report naming the array, the
//! streams and the operations, before the racing operation runs; disjoint
//! slices of one array on two streams do not race, overlapping ones do.

use hotloop_device::prelude::*;
use hotloop_runtime::Error;
use hotloop_sim::{DeviceBuffer, DeviceBufferMut, Simulator};

/// `out[i] = x[i] + 2`, grid-stride.
#[kernel]
pub fn add_two(x: &[f64], out: Out<f64>) {
    for i in grid_stride(x.len()) {
        out.set(i, x[i] + 2.0);
    }
}

/// Numba's pipelined add-2: chunk `c` goes to stream `c % 2`, copy in,
/// kernel, copy out; each stream reuses its own pair of device arrays,
/// which the stream's order protects.
#[test]
fn a_pipeline_over_two_streams_gives_the_cpus_answer() {
    let sim = Simulator::new();
    let n = 8 * 4096;
    let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
    let mut out = vec![0.0; n];
    let streams = [sim.stream(), sim.stream()];
    let chunk = n / 8;
    let mut d_in: Vec<_> = (0..2)
        .map(|s| {
            sim.device_array::<f64>(chunk)
                .unwrap()
                .named(format!("d_in {s}"))
        })
        .collect();
    let mut d_out: Vec<_> = (0..2)
        .map(|s| {
            sim.device_array::<f64>(chunk)
                .unwrap()
                .named(format!("d_out {s}"))
        })
        .collect();
    let start = streams[0].record();
    for (c, (x, out)) in x.chunks(chunk).zip(out.chunks_mut(chunk)).enumerate() {
        let s = c % 2;
        let st = &streams[s];
        st.copy_to_device(x, &mut d_in[s]).unwrap();
        add_two::launch(st, (16, 128), &d_in[s], &mut d_out[s]).unwrap();
        st.copy_to_host(&d_out[s], out).unwrap();
    }
    let end = streams[0].record();
    for s in &streams {
        s.synchronize();
        assert!(s.query());
    }
    let want: Vec<f64> = x.iter().map(|v| v + 2.0).collect();
    assert_eq!(out, want);
    let _ = end.elapsed_since(&start);
}

fn race(e: Error) -> (String, String, String) {
    match e {
        Error::Race {
            array,
            first,
            second,
        } => (array, first, second),
        other => panic!("not a race: {other}"),
    }
}

#[test]
fn a_read_on_another_stream_without_an_event_is_a_race() {
    let sim = Simulator::new();
    let (s1, s2) = (sim.stream(), sim.stream());
    let x = vec![1.0; 1000];
    let mut d_x = sim.device_array::<f64>(1000).unwrap().named("d_x");
    let mut d_y = sim.device_array::<f64>(1000).unwrap().named("d_y");
    s1.copy_to_device(&x, &mut d_x).unwrap();
    // Stream 2 reads d_x while stream 1's copy may still be writing it.
    let e = add_two::launch(&s2, (4, 64), &d_x, &mut d_y).unwrap_err();
    let msg = e.to_string();
    let (array, first, second) = race(e);
    assert_eq!(array, "d_x");
    assert_eq!(first, format!("copy_to_device on stream {}", s1.id()));
    assert_eq!(
        second,
        format!("launch add_two on stream {} (reads)", s2.id())
    );
    assert!(msg.contains("wait_event"), "{msg}");
    // The racing launch did not run.
    assert_eq!(d_y.copy_to_host().unwrap(), vec![0.0; 1000]);

    // With the event, the same program runs.
    let (s1, s2) = (sim.stream(), sim.stream());
    let mut d_x = sim.device_array::<f64>(1000).unwrap();
    s1.copy_to_device(&x, &mut d_x).unwrap();
    let copied = s1.record();
    s2.wait_event(&copied);
    add_two::launch(&s2, (4, 64), &d_x, &mut d_y).unwrap();
    s2.synchronize();
    assert_eq!(d_y.copy_to_host().unwrap(), vec![3.0; 1000]);
}

#[test]
fn a_write_after_another_streams_read_is_a_race_and_host_syncs_order() {
    let sim = Simulator::new();
    let (s1, s2) = (sim.stream(), sim.stream());
    let x = vec![1.0; 512];
    let d_x = sim.to_device(&x).unwrap().named("input");
    let mut d_y = sim.device_array::<f64>(512).unwrap().named("output");
    add_two::launch(&s1, (2, 64), &d_x, &mut d_y).unwrap();
    // Stream 2 overwrites the input stream 1's kernel may still be reading.
    let mut d_x = d_x;
    let (array, first, second) = race(s2.copy_to_device(&x, &mut d_x).unwrap_err());
    assert_eq!(array, "input");
    assert_eq!(first, format!("launch add_two on stream {}", s1.id()));
    assert_eq!(
        second,
        format!("copy_to_device on stream {} (writes)", s2.id())
    );
    // A write-write race: both streams write the output.
    let (array, ..) = race(add_two::launch(&s2, (2, 64), &d_x, &mut d_y).unwrap_err());
    assert_eq!(array, "output");
    // Synchronizing stream 1 orders the host, and so what it queues next.
    s1.synchronize();
    s2.copy_to_device(&x, &mut d_x).unwrap();
    add_two::launch(&s2, (2, 64), &d_x, &mut d_y).unwrap();
    // A default-stream operation waits for every stream (Numba's stream 0).
    add_two::launch(&s1, (2, 64), &d_x, &mut d_y).unwrap_err();
    sim.synchronize();
    add_two::launch(&s1, (2, 64), &d_x, &mut d_y).unwrap();
    // One stream never races with itself.
    s1.copy_to_device(&x, &mut d_x).unwrap();
    add_two::launch(&s1, (2, 64), &d_x, &mut d_y).unwrap();
    let mut back = vec![0.0; 512];
    s1.copy_to_host(&d_y, &mut back).unwrap();
    assert_eq!(back, vec![3.0; 512]);
}

#[test]
fn two_simulators_are_two_devices() {
    // A default-stream operation of one does not order the other's streams.
    let (a, b) = (Simulator::new(), Simulator::new());
    let (s1, s2) = (a.stream(), a.stream());
    let x = vec![0.5; 64];
    let mut d = a.device_array::<f64>(64).unwrap();
    let mut y = a.device_array::<f64>(64).unwrap();
    s1.copy_to_device(&x, &mut d).unwrap();
    b.synchronize();
    assert!(matches!(
        add_two::launch(&s2, (1, 32), &d, &mut y),
        Err(Error::Race { .. })
    ));
}

#[test]
fn pinned_copies_borrow_their_host_array_until_waited_for() {
    let sim = Simulator::new();
    let s = sim.stream();
    let mut pinned = sim.pinned_array::<f64>(300).unwrap();
    pinned
        .as_mut_slice()
        .unwrap()
        .iter_mut()
        .enumerate()
        .for_each(|(i, v)| *v = i as f64);
    let mut d = sim.device_array::<f64>(300).unwrap();
    let mut d_out = sim.device_array::<f64>(300).unwrap();
    let copy_in = s.copy_to_device_async(&pinned, &mut d).unwrap();
    add_two::launch(&s, (3, 100), &d, &mut d_out).unwrap();
    copy_in.wait().unwrap();
    let mut back = sim.pinned_array::<f64>(300).unwrap();
    s.copy_to_host_async(&d_out, &mut back)
        .unwrap()
        .wait()
        .unwrap();
    let want: Vec<f64> = (0..300).map(|i| i as f64 + 2.0).collect();
    assert_eq!(back.as_slice().unwrap(), want);
    // Lengths must match.
    let mut short = sim.pinned_array::<f64>(299).unwrap();
    assert!(s.copy_to_host_async(&d_out, &mut short).is_err());
}

#[test]
fn device_arrays_are_reused_from_the_host_and_from_each_other() {
    let sim = Simulator::new();
    let mut d = sim.device_array::<i32>((2, 3)).unwrap();
    d.copy_to_device(&[1, 2, 3, 4, 5, 6]).unwrap();
    assert_eq!(d.copy_to_host().unwrap(), [1, 2, 3, 4, 5, 6]);
    // A transposed array takes the host's elements in its own C order.
    let t = ndarray::Array2::<i32>::zeros((3, 2));
    let mut dt = sim.to_device(&t.t()).unwrap();
    dt.copy_to_device(&[7, 8, 9, 10, 11, 12]).unwrap();
    assert_eq!(dt.copy_to_host().unwrap(), [7, 8, 9, 10, 11, 12]);
    d.copy_from_device(&dt).unwrap();
    assert_eq!(d.copy_to_host().unwrap(), [7, 8, 9, 10, 11, 12]);
    assert!(matches!(
        d.copy_to_device(&[1, 2]),
        Err(Error::LengthMismatch { .. })
    ));
    // Reshaped without a copy, C order kept; a strided array or another
    // length is refused.
    let r = d.reshape((3, 2)).unwrap();
    assert_eq!(r.shape(), [3, 2]);
    assert_eq!(r.copy_to_host().unwrap(), [7, 8, 9, 10, 11, 12]);
    let flat = r.reshape(6).unwrap();
    assert_eq!(flat.shape(), [6]);
    assert!(matches!(
        flat.reshape((4, 2)),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(dt.reshape(6), Err(Error::InvalidArgument { .. })));
}

/// The pipeline over one pair of large device arrays: chunk `c` is rows
/// `c * chunk..` of each, on stream `c % 2`. The chunks are disjoint, so
/// the two streams never race.
#[test]
fn disjoint_slices_on_two_streams_do_not_race() {
    let sim = Simulator::new();
    let n = 8 * 1024;
    let chunk = n / 8;
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut out = vec![0.0; n];
    let mut d_in = sim.device_array::<f64>(n).unwrap().named("d_in");
    let mut d_out = sim.device_array::<f64>(n).unwrap().named("d_out");
    let streams = [sim.stream(), sim.stream()];
    for c in 0..8 {
        let st = &streams[c % 2];
        let rows = c * chunk..(c + 1) * chunk;
        let mut din = d_in.slice_mut(rows.clone()).unwrap();
        st.copy_to_device(&x[rows.clone()], &mut din).unwrap();
        let mut dout = d_out.slice_mut(rows.clone()).unwrap();
        add_two::launch(st, (4, 64), &d_in.slice(rows.clone()).unwrap(), &mut dout).unwrap();
        st.copy_to_host(&d_out.slice(rows.clone()).unwrap(), &mut out[rows])
            .unwrap();
    }
    for s in &streams {
        s.synchronize();
    }
    assert!(out.iter().zip(&x).all(|(o, v)| *o == v + 2.0));

    // Overlapping rows on two streams, unordered, race: stream 2 writes
    // rows 1000..1100 while stream 1 may still be reading rows 0..1024.
    let (s1, s2) = (sim.stream(), sim.stream());
    let mut host = vec![0.0; 1024];
    s1.copy_to_host(&d_out.slice(0..1024).unwrap(), &mut host)
        .unwrap();
    let mut part = d_out.slice_mut(1000..1100).unwrap();
    let e = s2.copy_to_device(&x[..100], &mut part).unwrap_err();
    let (array, first, second) = race(e);
    assert_eq!(array, "d_out");
    assert!(first.starts_with("copy_to_host on stream"), "{first}");
    assert!(
        second.contains("copy_to_device") && second.contains("writes"),
        "{second}"
    );
    // The rows after the read are free.
    let mut after = d_out.slice_mut(1024..1100).unwrap();
    s2.copy_to_device(&x[..76], &mut after).unwrap();
}
