//! Small shared helpers: the fork-safe thread pool and a tiny RNG for BPE
//! dropout.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type PoolSlot = Mutex<Option<(u32, Arc<rayon::ThreadPool>)>>;

/// The rayon pool used for training. It is
/// created lazily and re-created in a forked child (whose copy of the
/// parent's pool has no threads behind it and would deadlock), detected by a
/// change of process id.
pub fn pool() -> Arc<rayon::ThreadPool> {
    static POOL: PoolSlot = Mutex::new(None);
    // Its threads share the cores with the helpers: end their linger.
    WORK.fetch_add(1, Ordering::AcqRel);
    pool_in(&POOL, num_threads(), "fasttok")
}

/// The threads that help a caller through a batch ([`par_map`]): one fewer
/// than [`num_threads`], as the caller works too. Fork-safe as [`pool`].
fn helpers() -> Arc<rayon::ThreadPool> {
    static HELPERS: PoolSlot = Mutex::new(None);
    pool_in(
        &HELPERS,
        num_threads().saturating_sub(1).max(1),
        "fasttok-helper",
    )
}

/// Parallel work asked for so far: bumped when [`pool`] is handed out and
/// right before a batch queues its jobs on the helpers, which ends any
/// helper's [`linger`].
static WORK: AtomicUsize = AtomicUsize::new(0);

/// How long a helper stays awake after a batch, waiting for the next.
const LINGER: Duration = Duration::from_millis(1);

/// Keeps the helpers awake for [`LINGER`] after a batch (until other
/// parallel work is asked for): a helper that has gone to sleep takes
/// tens of microseconds to wake on a virtual machine, hundreds when its
/// core has been idle long, and a caller that prepares its next batch
/// between calls (a millisecond for 2 MB of texts) would pay that every
/// call. Measured: an empty 2-thread batch 1 ms after the last took 71 us
/// on average, 16 us with the linger. (rayon's own wait before sleeping is
/// a few dozen yields.) With batches from several Python threads at
/// once, each batch bumps [`WORK`] just before queueing its jobs, so a
/// lingering helper leaves at once for them.
fn linger(helpers: &rayon::ThreadPool) {
    let seen = WORK.load(Ordering::Acquire);
    helpers.spawn_broadcast(move |_| {
        let until = Instant::now() + LINGER;
        let mut spins = 0u32;
        while WORK.load(Ordering::Relaxed) == seen {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(256) && Instant::now() >= until {
                break;
            }
        }
    });
}

fn pool_in(slot: &PoolSlot, threads: usize, name: &'static str) -> Arc<rayon::ThreadPool> {
    let pid = std::process::id();
    let mut guard = match slot.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if let Some((p, pool)) = guard.as_ref() {
        if *p == pid {
            return pool.clone();
        }
        // Forked: the parent's pool cannot be used nor safely dropped here.
        if let Some((_, old)) = guard.take() {
            std::mem::forget(old);
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("{name}-{i}"))
        .build()
        .map(Arc::new)
        .unwrap_or_else(|_| {
            // Could not spawn threads: fall back to running on the caller.
            Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .use_current_thread()
                    .build()
                    .unwrap_or_else(|e| panic!("cannot build a thread pool: {e}")),
            )
        });
    *guard = Some((pid, pool.clone()));
    pool
}

/// `FASTTOK_NUM_THREADS`, else `RAYON_NUM_THREADS`, else all cores.
/// `TOKENIZERS_PARALLELISM=false` (as in `tokenizers`) means one thread.
pub fn num_threads() -> usize {
    let from_env = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
    };
    if let Some(n) = from_env("FASTTOK_NUM_THREADS").or_else(|| from_env("RAYON_NUM_THREADS")) {
        return n;
    }
    if let Ok(v) = std::env::var("TOKENIZERS_PARALLELISM") {
        if matches!(
            v.to_ascii_lowercase().as_str(),
            "0" | "false" | "off" | "no"
        ) {
            return 1;
        }
    }
    cores()
}

/// The cores this process may run on, read once: `available_parallelism`
/// reads the cgroup's files each time it is asked (32 us here, three times
/// per batch call: 5% of a 2 ms batch on 2 threads, measured). A forked
/// child keeps its parent's cores, and so the number.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A uniform float in [0, 1), from a per-thread xorshift generator.
pub fn random_f32() -> f32 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64);
            (t ^ (std::process::id() as u64).rotate_left(32)) | 1
        });
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 40) as f32 / (1u64 << 24) as f32
    })
}

/// The Fx hash (as in rustc): a multiply-rotate per word. Several times
/// faster than SipHash on the short keys of vocabularies, merge pairs and the
/// word cache; none of those maps is keyed by data an attacker can choose
/// freely enough to matter (vocabularies come from the tokenizer file, and
/// the word cache is bounded and cleared when full).
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FxBuildHasher = std::hash::BuildHasherDefault<FxHasher>;
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuildHasher>;

/// A fresh id for a model whose words may be cached by [`WordCache`].
pub fn next_model_uid() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Words seen recently on one thread and what a model made of them. Most
/// words repeat (" the", " of"), so a hit skips the model's work. It holds
/// one model's words at a time, keyed by that model's uid, and is cleared
/// when another model uses the thread or when it holds `capacity` words,
/// which bounds its memory.
pub struct WordCache<V> {
    owner: u64,
    map: FxHashMap<Box<str>, V>,
}

impl<V> Default for WordCache<V> {
    fn default() -> Self {
        WordCache {
            owner: u64::MAX,
            map: FxHashMap::default(),
        }
    }
}

impl<V> WordCache<V> {
    pub fn get(&self, owner: u64, word: &str) -> Option<&V> {
        if self.owner == owner {
            self.map.get(word)
        } else {
            None
        }
    }

    pub fn insert(&mut self, owner: u64, word: &str, value: V, capacity: usize) {
        if self.owner != owner || self.map.len() >= capacity {
            self.map.clear();
            self.owner = owner;
        }
        self.map.insert(word.into(), value);
    }
}

thread_local! {
    static BATCH_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// While alive, marks this thread as one of a batch's workers that has other
/// threads busy beside it (see [`in_busy_batch`]).
struct BatchWorker(bool);

impl BatchWorker {
    fn enter() -> Self {
        BatchWorker(BATCH_WORKER.with(|b| b.replace(true)))
    }
}

impl Drop for BatchWorker {
    fn drop(&mut self) {
        BATCH_WORKER.with(|b| b.set(self.0));
    }
}

/// Whether this thread runs a batch item while every other thread has items
/// of the same batch: then one long text gains nothing from being cut into
/// parts for all cores (measured: two 1 MB texts on 2 cores, each cut, ran at
/// 0.65x their speed uncut).
pub fn in_busy_batch() -> bool {
    BATCH_WORKER.with(Cell::get)
}

/// `f` on every item (with its position) on the [`pool`]'s threads by
/// rayon's work stealing, results in input order, else the first failing
/// item's error by position: for a batch whose long texts are cut into
/// parts (see [`in_busy_batch`]), the parts of each text are queued where
/// any thread that runs out of work takes them, so that two 1 MB texts on
/// two threads take about half their sum, not the slower one's time (as
/// [`par_map`], one text per thread, does). The caller waits, so a batch
/// of short texts does better with [`par_map`]. Called from a thread of a
/// pool (a part of such a text), `f` runs on that pool.
pub fn par_map_nested<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(usize, &T) -> crate::error::Result<R> + Sync,
) -> crate::error::Result<Vec<R>> {
    use rayon::prelude::*;
    let run = || {
        items
            .par_iter()
            .enumerate()
            .with_max_len(1)
            .map(|(i, t)| f(i, t))
            .collect::<Vec<_>>()
    };
    let all = if rayon::current_thread_index().is_some() {
        run()
    } else {
        pool().install(run)
    };
    all.into_iter().collect()
}

/// `f` on every item, in parallel on the calling thread and the helper
/// threads ([`num_threads`] in all), results in input order; else the error
/// of the first failing item (by position, as a sequential run would give).
///
/// The caller works instead of waiting, so a batch starts at once on a
/// thread that is already running. Each thread owns one contiguous segment
/// of the items and works through it from the front; a thread done with its
/// own takes what is left of the others from their back. So a helper that
/// is slow to wake (on a virtual machine an idle vCPU can take milliseconds)
/// costs little, and when the same batch (or a similar one) comes again,
/// each thread sees mostly the texts it saw before: its per-thread caches
/// are warm. With one thread, `f` runs on the caller alone.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> crate::error::Result<R> + Sync,
) -> crate::error::Result<Vec<R>> {
    par_map_indexed(items, |_, t| f(t))
}

/// `f` on each item, the first on the calling thread and the others on the
/// helper threads (for a few large pieces of work, one per thread).
pub fn par_each<T: Send>(mut items: Vec<T>, f: impl Fn(T) + Sync) {
    if items.len() <= 1 {
        items.into_iter().for_each(f);
        return;
    }
    let first = items.remove(0);
    helpers().in_place_scope(|s| {
        WORK.fetch_add(1, Ordering::AcqRel);
        for item in items {
            let f = &f;
            s.spawn(move |_| f(item));
        }
        f(first);
    });
}

/// [`par_map`], with each item's position given to `f` too.
pub fn par_map_indexed<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(usize, &T) -> crate::error::Result<R> + Sync,
) -> crate::error::Result<Vec<R>> {
    // The parts of a long text of a batch run by `par_map_nested`: queued on
    // that pool, where the thread that cut the text and any idle one take
    // them.
    if rayon::current_thread_index().is_some() && !in_busy_batch() {
        return par_map_nested(items, f);
    }
    let runs = par_runs(items.len(), Vec::new, |out: &mut Vec<R>, i| {
        let item = items
            .get(i)
            .ok_or_else(|| crate::error::Error::input("batch: an item out of range"))?;
        out.push(f(i, item)?);
        Ok(())
    })?;
    Ok(runs.into_iter().flat_map(|(_, r)| r).collect())
}

/// Items `0..n` run in parallel as [`par_map`] runs them, each thread
/// gathering results its own way: `step(run, i)` does item `i` into `run`,
/// a state made by `start` for each run of consecutive items one thread
/// did in order (with one thread, a single run of all items; otherwise a
/// run per thread, plus one per stretch taken from another thread's
/// segment). The runs come back by first item, with it; together they are
/// every item, in order. Else the error of the first failing item by
/// position: items after a failure are skipped, items before it still run.
pub fn par_runs<S: Send>(
    n: usize,
    start: impl Fn() -> S + Sync,
    step: impl Fn(&mut S, usize) -> crate::error::Result<()> + Sync,
) -> crate::error::Result<Vec<(usize, S)>> {
    let threads = if n > 1 { num_threads() } else { 1 };
    if threads <= 1 {
        let mut run = start();
        for i in 0..n {
            step(&mut run, i)?;
        }
        return Ok(vec![(0, run)]);
    }
    let helpers = helpers();
    let threads = helpers.current_num_threads() + 1;
    let chunk = (n / (threads * 32)).clamp(1, 64);
    let bounds = |k: usize| (k * n / threads, (k + 1) * n / threads);
    // Segment k is items[bounds(k)]; its state is the range not yet claimed.
    let segments: Vec<Mutex<(usize, usize)>> =
        (0..threads).map(|k| Mutex::new(bounds(k))).collect();
    let claim = |k: usize, from_back: bool| -> Option<(usize, usize)> {
        let mut g = match segments[k].lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let (a, b) = *g;
        if a >= b {
            return None;
        }
        let take = chunk.min(b - a);
        Some(if from_back {
            g.1 = b - take;
            (b - take, b)
        } else {
            g.0 = a + take;
            (a, a + take)
        })
    };
    // The position of the first failing item seen so far (and its error):
    // items after it are skipped, items before it still run (one of them
    // may fail too).
    let first_bad = AtomicUsize::new(usize::MAX);
    let bad: Mutex<Option<(usize, crate::error::Error)>> = Mutex::new(None);
    // Runs: (first item, items done, state).
    type Run<S> = (usize, usize, S);
    let done: Mutex<Vec<Run<S>>> = Mutex::new(Vec::new());
    let work = |me: usize| {
        // With an item for every thread, the items are the parallelism: a
        // long text among them is not also cut into parts on the other pool.
        let _busy = (n >= threads).then(BatchWorker::enter);
        let mut mine: Vec<Run<S>> = Vec::new();
        let mut victim = me;
        loop {
            let Some((a, b)) = claim(victim, victim != me) else {
                victim = (victim + 1) % threads;
                if victim == me {
                    break;
                }
                continue;
            };
            // A claim that follows this thread's last run goes on with it
            // (a run cut short by a failure ends before the next claim).
            let run = match mine.last_mut() {
                Some(last) if last.0 + last.1 == a => last,
                _ => {
                    mine.push((a, 0, start()));
                    let Some(last) = mine.last_mut() else { break };
                    last
                }
            };
            for i in a..b {
                if i > first_bad.load(Ordering::Relaxed) {
                    break;
                }
                if let Err(e) = step(&mut run.2, i) {
                    first_bad.fetch_min(i, Ordering::Relaxed);
                    let mut g = match bad.lock() {
                        Ok(g) => g,
                        Err(p) => p.into_inner(),
                    };
                    if g.as_ref().is_none_or(|(j, _)| i < *j) {
                        *g = Some((i, e));
                    }
                    break;
                }
                run.1 += 1;
            }
        }
        match done.lock() {
            Ok(mut d) => d.append(&mut mine),
            Err(p) => p.into_inner().append(&mut mine),
        }
    };
    helpers.in_place_scope(|s| {
        // Right before the jobs are queued: a linger started by another
        // caller's batch would otherwise hold this batch's job.
        WORK.fetch_add(1, Ordering::AcqRel);
        s.spawn_broadcast(|_, ctx| work(ctx.index() % (threads - 1) + 1));
        work(0);
    });
    linger(&helpers);
    let bad = match bad.into_inner() {
        Ok(b) => b,
        Err(p) => p.into_inner(),
    };
    if let Some((_, e)) = bad {
        return Err(e);
    }
    let mut done = match done.into_inner() {
        Ok(d) => d,
        Err(p) => p.into_inner(),
    };
    // (Without a failure every run holds at least the item it began with.)
    done.sort_unstable_by_key(|r| r.0);
    let mut next = 0;
    for r in &done {
        if r.0 != next {
            return Err(crate::error::Error::input("batch: an item was not run"));
        }
        next += r.1;
    }
    if next != n {
        return Err(crate::error::Error::input("batch: an item was not run"));
    }
    Ok(done.into_iter().map(|(a, _, s)| (a, s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_map_keeps_order_and_reports_the_first_error() {
        let items: Vec<u64> = (0..20_000).collect();
        // Uneven work, so that threads take from each other's segments.
        let slow = |&x: &u64| -> crate::error::Result<u64> {
            let spin = if x % 7 == 0 { 2000 } else { 10 };
            Ok((0..spin).fold(x, |a, k| a.wrapping_mul(31).wrapping_add(k)))
        };
        let want: Vec<u64> = items.iter().map(|x| slow(x).unwrap_or(0)).collect();
        for _ in 0..5 {
            assert_eq!(par_map(&items, slow).ok(), Some(want.clone()));
        }
        for bad in [[3, 19_990], [12_000, 19_999], [0, 1]] {
            let r = par_map(&items, |&x| {
                if bad.contains(&x) {
                    Err(crate::error::Error::input(format!("item {x}")))
                } else {
                    slow(&x)
                }
            });
            let msg = r.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains(&format!("item {}", bad[0])), "{msg}");
        }
        assert_eq!(par_map(&[] as &[u64], slow).ok(), Some(vec![]));
        assert_eq!(par_map(&[5u64], |&x| Ok(x)).ok(), Some(vec![5]));
    }

    /// Runs are consecutive items, in order, together every item once; a
    /// run's state sees only its own items (with one thread: one run).
    #[test]
    fn par_runs_cover_every_item_in_order() {
        let n = 30_000;
        let spin = |i: usize| (0..if i.is_multiple_of(5) { 500 } else { 5 }).fold(i, |a, k| a ^ k);
        for _ in 0..5 {
            let runs = par_runs(n, Vec::new, |v: &mut Vec<usize>, i| {
                std::hint::black_box(spin(i));
                v.push(i);
                Ok(())
            })
            .unwrap_or_default();
            let mut next = 0;
            for (first, items) in &runs {
                assert_eq!(*first, next);
                assert_eq!(*items, (next..next + items.len()).collect::<Vec<_>>());
                next += items.len();
            }
            assert_eq!(next, n);
            assert!(num_threads() > 1 || runs.len() == 1);
        }
        let r = par_runs(
            n,
            || (),
            |_, i| {
                if i == 20_000 || i == 29_000 {
                    return Err(crate::error::Error::input(format!("item {i}")));
                }
                Ok(())
            },
        );
        let msg = r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("item 20000"), "{msg}");
        assert!(par_runs(0, || 0, |_, _| Ok(())).is_ok_and(|r| r.len() == 1));
    }

    #[test]
    fn par_map_indexed_gives_each_item_its_position() {
        let items: Vec<u64> = (0..5000).map(|i| i * 3).collect();
        let r = par_map_indexed(&items, |i, &x| Ok((i as u64, x)));
        let want: Vec<(u64, u64)> = (0..5000).map(|i| (i, i * 3)).collect();
        assert_eq!(r.ok(), Some(want));
    }
}
