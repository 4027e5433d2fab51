//! Small shared helpers: the fork-safe thread pool and a tiny RNG for BPE
//! dropout.

use std::cell::Cell;
use std::sync::{Arc, Mutex};

/// The rayon pool used for batches. It is created lazily and re-created in a
/// forked child (whose copy of the parent's pool has no threads behind it and
/// would deadlock), detected by a change of process id.
pub fn pool() -> Arc<rayon::ThreadPool> {
    static POOL: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut guard = match POOL.lock() {
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
    let threads = num_threads();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("fasttok-{i}"))
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
    std::thread::available_parallelism().map_or(1, |n| n.get())
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
