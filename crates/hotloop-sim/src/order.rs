//! The order of the simulator's streams, kept to check it: a vector clock
//! per stream and one per device for the host, and the writes and reads
//! of device memory a later operation must be ordered after, by the bytes
//! they touched (see [`crate::stream`]). The arrays ([`crate::SimArray`]) and the streams
//! report here; nothing here knows either type.

use hotloop_device::host::ParamKind;
use hotloop_runtime::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex, MutexGuard};

/// A stream's or the host's position: for each stream, how many of its
/// operations are known to have finished.
pub(crate) type Clock = HashMap<u64, u64>;

/// One operation on a range of memory: the stream that ran it, its
/// number in that stream, what it was, on which bytes `[lo, hi)` of which
/// array, and whether it wrote them.
#[derive(Clone, Debug)]
struct Access {
    stream: u64,
    seq: u64,
    what: String,
    array: String,
    lo: u64,
    hi: u64,
    writes: bool,
}

impl Access {
    fn overlaps(&self, lo: u64, hi: u64) -> bool {
        self.lo < hi && lo < self.hi
    }
}

/// Every stream's device and clock, each device's host clock, the
/// accesses a later one may race with, and the arrays' names by the bytes
/// `[start, end)` they hold.
#[derive(Default)]
struct Tracker {
    streams: HashMap<u64, (u64, Clock)>,
    host: HashMap<u64, Clock>,
    accesses: Vec<Access>,
    names: BTreeMap<u64, (u64, String)>,
}

impl Tracker {
    /// The name of the array holding byte `at`, if it has one.
    fn name_at(&self, at: u64) -> Option<&str> {
        let (_, (end, name)) = self.names.range(..=at).next_back()?;
        (at < *end).then_some(name.as_str())
    }
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

/// Forgets the array holding bytes `[lo, hi)` (it was freed; the memory
/// may be reused).
pub(crate) fn forget(lo: u64, hi: u64) {
    if let Ok(mut t) = TRACKER.lock() {
        t.accesses.retain(|a| !(lo <= a.lo && a.hi <= hi));
        t.names.remove(&lo);
    }
}

/// Names the array holding bytes `[lo, hi)` in the race reports.
pub(crate) fn name(lo: u64, hi: u64, name: &str) {
    tracker().names.insert(lo, (hi, name.to_string()));
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

/// One array an operation uses: its bytes `[lo, hi)`, what to call it if
/// it has no name, and whether the operation writes it.
pub(crate) struct Use {
    pub lo: u64,
    pub hi: u64,
    pub label: String,
    pub writes: bool,
}

/// Checks the operation `what` of `stream` (on `device`) on `uses`
/// against the earlier accesses to the same bytes, then records it and
/// advances the stream; `Err` names the first race. Accesses to disjoint
/// bytes (two slices of one array) never race.
pub(crate) fn record_op(stream: u64, device: u64, what: &str, uses: &[Use]) -> Result<()> {
    let mut t = tracker();
    let host = t.host.get(&device).cloned().unwrap_or_default();
    let (_, clock) = t.streams.entry(stream).or_insert((device, Clock::new()));
    // Everything the host finished before queuing this, this stream
    // has finished too.
    merge(clock, &host);
    let seq = clock.get(&stream).copied().unwrap_or(0) + 1;
    let clock = clock.clone();
    for u in uses {
        if let Some(e) = t.accesses.iter().find(|a| {
            a.overlaps(u.lo, u.hi)
                && (a.writes || u.writes)
                && a.stream != stream
                && !after(&clock, a)
        }) {
            return Err(Error::Race {
                array: e.array.clone(),
                first: format!("{} on stream {}", e.what, e.stream),
                second: format!(
                    "{what} on stream {} ({})",
                    stream,
                    if u.writes { "writes" } else { "reads" }
                ),
            });
        }
    }
    for u in uses {
        // What this access covers and is ordered after, a later one that
        // races with it would race with this one too: only this one need
        // be kept. A write is ordered after every access to its bytes (or
        // it raced); a read after its own stream's.
        t.accesses.retain(|a| {
            !(u.lo <= a.lo && a.hi <= u.hi && (u.writes || (!a.writes && a.stream == stream)))
        });
        let array = t
            .name_at(u.lo)
            .map_or_else(|| u.label.clone(), str::to_string);
        t.accesses.push(Access {
            stream,
            seq,
            what: what.to_string(),
            array,
            lo: u.lo,
            hi: u.hi,
            writes: u.writes,
        });
    }
    let (_, clock) = t.streams.get_mut(&stream).expect("entered above");
    clock.insert(stream, seq);
    Ok(())
}

/// What the race reports call a kernel's buffer argument of `kind` with
/// `len` elements at `addr`, if its array has no name.
pub(crate) fn label_of(addr: u64, kind: ParamKind, len: u64) -> String {
    let elem = match kind {
        ParamKind::Slice(e) | ParamKind::Out(e) | ParamKind::Array { elem: e, .. } => {
            format!("{e:?}")
        }
        _ => "an".into(),
    };
    format!("a {elem} array of {len} elements at {addr:#x}")
}
