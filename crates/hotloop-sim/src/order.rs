//! The order of the simulator's streams, kept to check it: a vector clock
//! per stream and one per device for the host, and each device array's
//! last write and reads since, by the address of its first element (see
//! [`crate::stream`]). The arrays ([`crate::SimArray`]) and the streams
//! report here; nothing here knows either type.

use hotloop_device::host::ParamKind;
use hotloop_runtime::{Error, Result};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard};

/// A stream's or the host's position: for each stream, how many of its
/// operations are known to have finished.
pub(crate) type Clock = HashMap<u64, u64>;

/// One operation on an array: the stream that ran it, its number in that
/// stream, and what it was.
#[derive(Clone, Debug)]
struct Access {
    stream: u64,
    seq: u64,
    what: String,
}

/// An array's accesses the next one must be ordered after.
#[derive(Default)]
struct History {
    name: String,
    write: Option<Access>,
    reads: Vec<Access>,
}

/// Every stream's device and clock, each device's host clock, and every
/// tracked array's history, by the address of its first element.
#[derive(Default)]
struct Tracker {
    streams: HashMap<u64, (u64, Clock)>,
    host: HashMap<u64, Clock>,
    arrays: HashMap<u64, History>,
}

static TRACKER: LazyLock<Mutex<Tracker>> = LazyLock::new(Mutex::default);

fn tracker() -> MutexGuard<'static, Tracker> {
    TRACKER.lock().unwrap_or_else(|e| e.into_inner())
}

/// `into`, each entry raised to `from`'s.
fn merge(into: &mut Clock, from: &Clock) {
    for (&s, &n) in from {
        let e = into.entry(s).or_insert(0);
        *e = (*e).max(n);
    }
}

/// Whether `clock` has seen `a` finish.
fn after(clock: &Clock, a: &Access) -> bool {
    clock.get(&a.stream).is_some_and(|&n| n >= a.seq)
}

/// Forgets the array at `addr` (it was freed; the address may be reused).
pub(crate) fn forget(addr: u64) {
    if let Ok(mut t) = TRACKER.lock() {
        t.arrays.remove(&addr);
    }
}

/// Names the array at `addr` in the race reports.
pub(crate) fn name(addr: u64, name: &str) {
    tracker().arrays.entry(addr).or_default().name = name.to_string();
}

/// An operation of `device`'s default stream (Numba's stream 0, CUDA's
/// legacy default stream): it waits for every stream's work so far, so the
/// host is ordered after all of it.
pub(crate) fn default_stream(device: u64) {
    let mut t = tracker();
    let mut all = t.host.remove(&device).unwrap_or_default();
    for (d, clock) in t.streams.values() {
        if *d == device {
            merge(&mut all, clock);
        }
    }
    t.host.insert(device, all);
}

/// A new stream of `device`, numbered `id`.
pub(crate) fn new_stream(id: u64, device: u64) {
    tracker().streams.insert(id, (device, Clock::new()));
}

/// Stream `id` is destroyed, its work done: the host is ordered after it.
pub(crate) fn end_stream(id: u64) {
    let mut t = tracker();
    if let Some((device, clock)) = t.streams.remove(&id) {
        merge(t.host.entry(device).or_default(), &clock);
    }
}

/// Stream `id`'s clock now (what an event recorded there carries).
pub(crate) fn clock(id: u64) -> Clock {
    tracker()
        .streams
        .get(&id)
        .map(|(_, c)| c.clone())
        .unwrap_or_default()
}

/// Orders stream `id`'s later work after `event`'s clock.
pub(crate) fn wait(id: u64, event: &Clock) {
    if let Some((_, clock)) = tracker().streams.get_mut(&id) {
        merge(clock, event);
    }
}

/// The host has waited for stream `id`: it is ordered after its work.
pub(crate) fn synchronize(id: u64) {
    let mut t = tracker();
    if let Some((device, clock)) = t.streams.get(&id).cloned() {
        merge(t.host.entry(device).or_default(), &clock);
    }
}

/// Checks the operation `what` of `stream` (on `device`) on the arrays
/// `accesses` (address, name, whether it writes) against their histories,
/// then records it and advances the stream; `Err` names the first race.
pub(crate) fn record_op(
    stream: u64,
    device: u64,
    what: &str,
    accesses: &[(u64, String, bool)],
) -> Result<()> {
    let mut t = tracker();
    let host = t.host.get(&device).cloned().unwrap_or_default();
    let (_, clock) = t.streams.entry(stream).or_insert((device, Clock::new()));
    // Everything the host finished before queuing this, this stream
    // has finished too.
    merge(clock, &host);
    let seq = clock.get(&stream).copied().unwrap_or(0) + 1;
    let clock = clock.clone();
    for (addr, name, writes) in accesses {
        let h = t.arrays.entry(*addr).or_default();
        if h.name.is_empty() {
            h.name.clone_from(name);
        }
        let mut earlier: Vec<&Access> = h.write.iter().collect();
        if *writes {
            earlier.extend(&h.reads);
        }
        if let Some(e) = earlier
            .into_iter()
            .find(|a| a.stream != stream && !after(&clock, a))
        {
            return Err(Error::Race {
                array: h.name.clone(),
                first: format!("{} on stream {}", e.what, e.stream),
                second: format!(
                    "{what} on stream {} ({})",
                    stream,
                    if *writes { "writes" } else { "reads" }
                ),
            });
        }
    }
    let me = Access {
        stream,
        seq,
        what: what.to_string(),
    };
    for (addr, _, writes) in accesses {
        let h = t.arrays.get_mut(addr).expect("entered above");
        if *writes {
            h.write = Some(me.clone());
            h.reads.clear();
        } else {
            h.reads.retain(|a| a.stream != stream);
            h.reads.push(me.clone());
        }
    }
    let (_, clock) = t.streams.get_mut(&stream).expect("entered above");
    clock.insert(stream, seq);
    Ok(())
}

/// The name the tracker holds for the array at `addr`, else its element
/// type, length and address.
pub(crate) fn name_of(addr: u64, kind: ParamKind, len: u64) -> String {
    let known = tracker().arrays.get(&addr).map(|h| h.name.clone());
    known.filter(|n| !n.is_empty()).unwrap_or_else(|| {
        let elem = match kind {
            ParamKind::Slice(e) | ParamKind::Out(e) | ParamKind::Array { elem: e, .. } => {
                format!("{e:?}")
            }
            _ => "an".into(),
        };
        format!("a {elem} array of {len} elements at {addr:#x}")
    })
}
