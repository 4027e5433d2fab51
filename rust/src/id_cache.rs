//! A per-thread cache from short words to their ids, for the bulk-ids path.
//!
//! Most words of a text repeat (" the", " of", "\n"), and most are short: on
//! English prose nine in ten pretokens are at most 15 bytes and become one
//! or two ids. So a word of up to 15 bytes is packed with its length into a
//! `u128` key (compared in one step, hashed without a loop), and its ids are
//! stored inline in a `u128` value when there are at most three (else in an
//! arena). The table is open addressing with linear probing on one flat
//! array of 32-byte entries: a hit touches one cache line and allocates
//! nothing. Keys are the words as the pre-tokenizer cuts them, before
//! ByteLevel's byte-to-char rewrite, which a hit therefore skips too.
//!
//! Words of 16 to 31 bytes (long words, and most words of scripts with
//! multi-byte chars or with SentencePiece's 3-byte `▁`) go to a second
//! table of the same design with a 256-bit key, and words of up to 255
//! bytes (runs of CJK text) to a plain hash map.
//!
//! Memory is bounded: the tables double up to 16 and 12 MiB, the map holds
//! up to 32k words, the arena 16 MiB (about 50 MiB per thread at most,
//! a few MiB on typical text), and all are emptied when one fills. The cache serves
//! one owner at a time (a model and whether ByteLevel's rewrite comes first)
//! and is emptied when another owner uses the thread.

use std::cell::RefCell;

/// The longest word the cache holds, in bytes.
pub const MAX_WORD: usize = 255;
/// The longest word of the short table.
const MAX_SHORT: usize = 15;
/// The longest word of the long table.
const MAX_LONG: usize = 31;
/// Words of more than [`MAX_LONG`] bytes held (in a plain hash map) before
/// the cache is emptied.
const MAX_LONGER: usize = 1 << 15;
const MIN_SLOTS: usize = 1 << 12;
/// 2^19 entries of 32 bytes in the short table, half as many of 48 bytes
/// in the long one.
pub const MAX_SLOTS: usize = 1 << 19;
/// Ids held inline in an entry's value.
const INLINE: usize = 3;
/// Ids in the arena (for words of more than three) before the cache is
/// emptied: 16 MiB.
const MAX_ARENA: usize = 1 << 22;

/// A packed word: its bytes, little-endian, with its length in the top
/// byte; all zeros marks an empty slot (no word is empty).
trait Key: Copy + Default + Eq {
    fn hash(&self) -> u64;
    fn is_empty(&self) -> bool;
}

impl Key for u128 {
    /// One multiply (the slot is the product's top bits, which every bit
    /// of the folded key reaches): the hot loop's hash, where `mix`'s two
    /// multiplies in a row were on every lookup's way to its slot.
    #[inline]
    fn hash(&self) -> u64 {
        ((*self as u64) ^ ((*self >> 64) as u64).rotate_left(29))
            .wrapping_mul(0xD6E8_FEB8_6659_FD93)
    }
    #[inline]
    fn is_empty(&self) -> bool {
        *self == 0
    }
}

/// Bytes 0..16, then bytes 16..31 with the length in the top byte.
type LongKey = (u128, u128);

impl Key for LongKey {
    /// The four 64-bit parts folded into two, then mixed once: two
    /// multiplies on the way to the slot, where mixing each half and then
    /// the two hashes took six (and three in a row).
    #[inline]
    fn hash(&self) -> u64 {
        let (a, b) = (self.0, self.1);
        mix(
            a as u64 ^ (b >> 64) as u64,
            (a >> 64) as u64 ^ (b as u64).rotate_left(32),
        )
    }
    #[inline]
    fn is_empty(&self) -> bool {
        self.1 == 0
    }
}

#[inline]
fn mix(lo: u64, hi: u64) -> u64 {
    (lo ^ hi.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29))
        .wrapping_mul(0xD6E8_FEB8_6659_FD93)
}

/// What the cache holds for a word: up to [`INLINE`] ids in the first
/// lanes, in order (unused lanes zero), and their number in the last, so
/// that a hit can store the four lanes as they are and move on by the
/// count; more ids live in the arena, at the offset in the first lane.
pub type Value = [u32; 4];

#[derive(Clone, Copy, Default)]
struct Entry<K> {
    key: K,
    val: Value,
}

/// One open-addressing table (linear probing, power-of-two size).
struct Table<K> {
    slots: Vec<Entry<K>>,
    /// `64 - log2(slots.len())`: the index is the hash's top bits.
    shift: u32,
    len: usize,
}

impl<K: Key> Default for Table<K> {
    fn default() -> Self {
        Table {
            slots: Vec::new(),
            shift: 64,
            len: 0,
        }
    }
}

impl<K: Key> Table<K> {
    #[inline]
    fn get(&self, key: K) -> Option<Value> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        // `shift` < 64 whenever there are slots.
        let mut i = (key.hash() >> self.shift) as usize;
        loop {
            let e = self.slots[i & mask];
            if e.key == key {
                return Some(e.val);
            }
            if e.key.is_empty() {
                return None;
            }
            i += 1;
        }
    }

    /// True when one more entry would pass the bound (the caller empties
    /// the whole cache then).
    fn full(&self, max_slots: usize) -> bool {
        (self.len + 1) * 2 > self.slots.len() && self.slots.len() >= max_slots
    }

    fn insert(&mut self, key: K, val: Value) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.put(Entry { key, val });
        self.len += 1;
    }

    fn put(&mut self, e: Entry<K>) {
        let mask = self.slots.len() - 1;
        let mut i = (e.key.hash() >> self.shift) as usize & mask;
        while !self.slots[i].key.is_empty() {
            i = (i + 1) & mask;
        }
        self.slots[i] = e;
    }

    #[cold]
    fn grow(&mut self) {
        let n = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![Entry::default(); n]);
        self.shift = 64 - n.trailing_zeros();
        for e in old {
            if !e.key.is_empty() {
                self.put(e);
            }
        }
    }

    fn clear(&mut self) {
        self.slots.fill(Entry::default());
        self.len = 0;
    }
}

/// A word's key in one of the three tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordKey<'a> {
    Short(u128),
    Long(LongKey),
    Bytes(&'a [u8]),
}

#[derive(Default)]
pub struct IdCache {
    owner: u64,
    short: Table<u128>,
    long: Table<LongKey>,
    longer: crate::util::FxHashMap<Box<[u8]>, Value>,
    arena: Vec<u32>,
}

thread_local! {
    static CACHE: RefCell<IdCache> = RefCell::default();
}

/// Runs `f` with this thread's cache, set to serve `owner` (emptied first if
/// it served another), or with `None` if there is no owner (a model whose
/// output may vary) or the cache is already in use on this thread.
pub fn with_cache<R>(owner: Option<u64>, f: impl FnOnce(Option<&mut IdCache>) -> R) -> R {
    let Some(owner) = owner else {
        return f(None);
    };
    CACHE.with(|c| match c.try_borrow_mut() {
        Ok(mut cache) => {
            if cache.owner != owner {
                cache.reset();
                cache.owner = owner;
            }
            f(Some(&mut cache))
        }
        Err(_) => f(None),
    })
}

/// Up to 16 bytes, little-endian, in a `u128`: by two overlapping loads for
/// 4 bytes and more (no loop, no variable-length copy), byte by byte below.
#[inline]
fn pack(b: &[u8]) -> u128 {
    let n = b.len();
    let le64 = |at: usize| {
        b.get(at..at + 8)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let le32 = |at: usize| {
        b.get(at..at + 4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .map_or(0, u32::from_le_bytes)
    };
    if n >= 8 {
        // Bytes 8..n are the top n-8 bytes of the load ending at n.
        let hi = if n > 8 {
            le64(n - 8) >> (8 * (16 - n.min(16)))
        } else {
            0
        };
        u128::from(le64(0)) | (u128::from(hi) << 64)
    } else if n >= 4 {
        let hi = u64::from(le32(n - 4)) >> (8 * (8 - n));
        u128::from(u64::from(le32(0)) | (hi << 32))
    } else {
        b.iter()
            .enumerate()
            .fold(0u128, |k, (i, &x)| k | (u128::from(x) << (8 * i)))
    }
}

/// The key of `word`, or `None` when it is empty or longer than [`MAX_WORD`].
#[inline]
pub fn key(word: &[u8]) -> Option<WordKey<'_>> {
    let n = word.len();
    if n == 0 || n > MAX_WORD {
        return None;
    }
    let pack = |bytes: &[u8]| pack(bytes);
    let len = (n as u128) << 120;
    if n <= MAX_SHORT {
        return Some(WordKey::Short(pack(word) | len));
    }
    if n <= MAX_LONG {
        return Some(WordKey::Long((pack(&word[..16]), pack(&word[16..]) | len)));
    }
    Some(WordKey::Bytes(word))
}

/// [`key`] of `word` when it is a slice of `text`: a short word with 16
/// bytes of `text` from its start is read in one load and masked. (The
/// same load as [`short_key_at`], written out: calling that from here cost
/// BERT's per-word lookups 3-4% more instructions, measured.)
#[inline]
pub fn key_in<'a>(text: &str, word: &'a str) -> Option<WordKey<'a>> {
    let n = word.len();
    let at = (word.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    if n == 0 || n > MAX_SHORT || at >= text.len() {
        return key(word.as_bytes());
    }
    let Some(Ok(chunk)) = text.as_bytes().get(at..at + 16).map(<[u8; 16]>::try_from) else {
        return key(word.as_bytes());
    };
    let mask = (1u128 << (8 * n)) - 1;
    Some(WordKey::Short(
        (u128::from_le_bytes(chunk) & mask) | ((n as u128) << 120),
    ))
}

/// `LOW_BYTES[n]` keeps the low `n` bytes of a `u128`.
const LOW_BYTES: [u128; 16] = {
    let mut m = [0u128; 16];
    let mut n = 1;
    while n < 16 {
        m[n] = (1u128 << (8 * n)) - 1;
        n += 1;
    }
    m
};

/// The ids a value holds inline: their count, and the value's four
/// lanes (the ids, then zeros, the count last), which a caller with room
/// may store whole; `None` for a value in the arena.
#[inline(always)]
pub fn inline_ids(val: &Value) -> Option<(usize, &Value)> {
    let n = val[3] as usize;
    (n <= INLINE).then_some((n, val))
}

/// The 16 bytes of `text` from `at`, little-endian, when there are 16.
#[inline(always)]
fn load16(text: &[u8], at: usize) -> Option<u128> {
    text.get(at..)?
        .first_chunk::<16>()
        .map(|c| u128::from_le_bytes(*c))
}

/// The short-table key of the word `text[at..at + n]`, read in one load
/// (the same key as [`key`] gives): `None` unless 1 <= n <= 15 and 16
/// bytes of `text` start at `at`.
#[inline(always)]
fn short_key_at(text: &[u8], at: usize, n: usize) -> Option<u128> {
    // 1 <= n <= 15 in one compare.
    if n.wrapping_sub(1) >= MAX_SHORT {
        return None;
    }
    let mask = *LOW_BYTES.get(n)?;
    Some((load16(text, at)? & mask) | ((n as u128) << 120))
}

/// The long-table key of the word `text[at..at + n]`, read in two loads
/// (the same key as [`key`] gives): `None` unless 16 <= n <= 31 and 32
/// bytes of `text` start at `at`.
#[inline]
fn long_key_at(text: &[u8], at: usize, n: usize) -> Option<LongKey> {
    let mask = *LOW_BYTES.get(n.checked_sub(16)?)?;
    let high = load16(text, at.wrapping_add(16))? & mask;
    Some((load16(text, at)?, high | ((n as u128) << 120)))
}

/// The value of the word `text[at..at + n]` in the short table, its key
/// read in place ([`short_key_at`]): `None` when absent, or when the word
/// is not short or too near the end of `text`. (Longer words go to
/// [`IdCache::extend_long_at`], out of line: that table in this loop
/// slowed it down on every corpus.)
#[inline(always)]
pub fn value_at<'v>(view: &View<'v>, text: &[u8], at: usize, n: usize) -> Option<&'v Value> {
    get_in(view.short, view.shift, short_key_at(text, at, n)?)
}

/// A look at the short table for a loop of lookups: its slots and shift
/// held where the loop can keep them (a view is taken again after an
/// insert).
pub struct View<'c> {
    short: &'c [Entry<u128>],
    shift: u32,
}

/// The value of `key` in a table's slots (linear probing from the top
/// bits of its hash): [`Table::get`] for a [`View`]. (`Table::get` keeps
/// its own loop: calling this from it cost the general lookup path 3-4%
/// more instructions, measured.)
#[inline(always)]
fn get_in<K: Key>(slots: &[Entry<K>], shift: u32, key: K) -> Option<&Value> {
    let mask = slots.len().checked_sub(1)?;
    // `shift` < 64 whenever there are slots.
    let mut i = (key.hash() >> shift) as usize;
    loop {
        let e = slots.get(i & mask)?;
        if e.key == key {
            return Some(&e.val);
        }
        if e.key.is_empty() {
            return None;
        }
        i += 1;
    }
}

impl IdCache {
    /// The short table, for [`value_at`] in a loop.
    #[inline(always)]
    pub fn view(&self) -> View<'_> {
        View {
            short: &self.short.slots,
            shift: self.short.shift,
        }
    }

    fn reset(&mut self) {
        self.short = Table::default();
        self.long = Table::default();
        self.longer = Default::default();
        self.arena = Vec::new();
    }

    /// Appends the cached ids of `key` to `out`; false when absent. Always
    /// inlined: it is the hot path's lookup, and left to itself the
    /// compiler stops inlining it once a second caller appears (-15%).
    #[inline(always)]
    pub fn extend(&self, key: WordKey<'_>, out: &mut Vec<u32>) -> bool {
        let found = match key {
            WordKey::Short(k) => self.short.get(k),
            WordKey::Long(k) => self.long.get(k),
            WordKey::Bytes(k) => self.longer.get(k).copied(),
        };
        let Some(val) = found else {
            return false;
        };
        self.push_value(val, out);
        true
    }

    /// Appends the ids of the word `text[at..at + n]` when it is in the
    /// long table (16 to 31 bytes), its key read in place; false otherwise
    /// (absent, another length, or too near the end of `text`: then
    /// [`IdCache::extend`] decides). Out of line: the lookup loop stays
    /// small for the short words, nearly all of them.
    #[inline(never)]
    pub fn extend_long_at(&self, text: &[u8], at: usize, n: usize, out: &mut Vec<u32>) -> bool {
        let Some(val) = long_key_at(text, at, n).and_then(|k| self.long.get(k)) else {
            return false;
        };
        self.push_value(val, out);
        true
    }

    /// Appends the ids a value holds (one from [`value_at`] too).
    #[inline]
    pub fn push_value(&self, val: Value, out: &mut Vec<u32>) {
        // Fixed-size copies, the extra lanes cut off again: a copy of a
        // length known only here is a call to `memcpy` (2% of code).
        let n = val[3] as usize;
        let len = out.len();
        if n <= INLINE {
            out.extend_from_slice(&val);
            out.truncate(len + n);
            return;
        }
        let at = val[0] as usize;
        match self.arena.get(at..at + 8) {
            Some(eight) if n <= 8 => {
                out.extend_from_slice(eight);
                out.truncate(len + n);
            }
            _ => out.extend_from_slice(&self.arena[at..at + n]),
        }
    }

    /// Records the ids of the word with `key` (not already present).
    pub fn insert(&mut self, key: WordKey<'_>, ids: &[u32]) {
        let full = match key {
            WordKey::Short(_) => self.short.full(MAX_SLOTS),
            WordKey::Long(_) => self.long.full(MAX_SLOTS / 2),
            WordKey::Bytes(_) => self.longer.len() >= MAX_LONGER,
        };
        if full || self.arena.len() > MAX_ARENA {
            self.short.clear();
            self.long.clear();
            self.longer.clear();
            self.arena.clear();
        }
        let Ok(n) = u32::try_from(ids.len()) else {
            return;
        };
        let val = if ids.len() <= INLINE {
            let mut v = [0, 0, 0, n];
            v[..ids.len()].copy_from_slice(ids);
            v
        } else {
            let Ok(at) = u32::try_from(self.arena.len()) else {
                return;
            };
            self.arena.extend_from_slice(ids);
            [at, 0, 0, n]
        };
        match key {
            WordKey::Short(k) => self.short.insert(k, val),
            WordKey::Long(k) => self.long.insert(k, val),
            WordKey::Bytes(k) => {
                self.longer.insert(k.into(), val);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_in_place_are_the_same() {
        let text = "a few words, some longer than sixteen bytes: ünïcödé-ish too";
        for a in 0..text.len() {
            for b in a..=text.len() {
                if let Some(w) = text.get(a..b) {
                    assert_eq!(key_in(text, w), key(w.as_bytes()), "{w:?}");
                }
            }
        }
        let other = String::from("elsewhere");
        assert_eq!(key_in(text, &other), key(other.as_bytes()));
    }

    #[test]
    fn packing_by_loads_is_packing_byte_by_byte() {
        let bytes: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8 | 0x80).collect();
        for a in 0..bytes.len() {
            for n in 0..=16.min(bytes.len() - a) {
                let b = &bytes[a..a + n];
                let want = b
                    .iter()
                    .enumerate()
                    .fold(0u128, |k, (i, &x)| k | (u128::from(x) << (8 * i)));
                assert_eq!(pack(b), want, "{a} {n}");
            }
        }
    }

    #[test]
    fn keys_differ_by_length_and_bytes() {
        assert_eq!(key(b""), None);
        assert_eq!(key(&[b'a'; 256]), None);
        assert!(matches!(key(&[b'a'; 32]), Some(WordKey::Bytes(_))));
        assert!(matches!(key(&[b'a'; 15]), Some(WordKey::Short(_))));
        assert!(matches!(key(&[b'a'; 16]), Some(WordKey::Long(_))));
        assert!(matches!(key(&[b'a'; 31]), Some(WordKey::Long(_))));
        for (a, b) in [
            (&b"a"[..], &b"a\0"[..]),
            (b"ab", b"ba"),
            (&[b'a'; 16], &[b'a'; 17]),
            (&[0; 16], &[0; 17]),
            (b"0123456789abcdefX", b"0123456789abcdefY"),
        ] {
            assert_ne!(key(a), key(b));
        }
    }

    fn word(i: u32) -> Vec<u8> {
        // Short and long words, some with NUL bytes.
        match i % 4 {
            0 => format!("w{i}").into_bytes(),
            1 => format!("a-longer-word-{i:08}").into_bytes(),
            2 => [&[0u8; 9][..], &i.to_le_bytes(), &[0u8; 9]].concat(),
            _ => format!("{}{i}", "日本語".repeat(i as usize % 20 + 4)).into_bytes(),
        }
    }

    fn ids_of(i: u32) -> Vec<u32> {
        (0..i % 6).map(|k| i.wrapping_mul(7) + k).collect()
    }

    #[test]
    fn hits_give_back_what_was_inserted() {
        let mut c = IdCache::default();
        for i in 0..100_000 {
            let w = word(i);
            let k = key(&w).unwrap_or_else(|| panic!("{i}"));
            c.insert(k, &ids_of(i));
        }
        for i in 0..100_000 {
            let w = word(i);
            let k = key(&w).unwrap_or_else(|| panic!("{i}"));
            let mut out = vec![9];
            assert!(c.extend(k, &mut out), "{i}");
            assert_eq!(out[1..], ids_of(i)[..], "{i}");
        }
        let mut out = Vec::new();
        for absent in [&b"absent"[..], b"an-absent-long-word", &[b'x'; 100]] {
            assert!(!c.extend(key(absent).unwrap_or(WordKey::Short(1)), &mut out));
        }
        assert!(out.is_empty());
    }

    #[test]
    fn values_read_in_place_are_the_values_inserted() {
        let text = "a few words, some longer than fifteen bytes: ünïcödé-ish too; then padding.";
        let b = text.as_bytes();
        let mut c = IdCache::default();
        let mut inserted = Vec::new();
        for at in 0..b.len() {
            for n in 1..=31.min(b.len() - at) {
                let w = &b[at..at + n];
                if let Some(k) = key(w) {
                    let mut out = Vec::new();
                    if !c.extend(k, &mut out) {
                        let ids: Vec<u32> = (0..(at + n) as u32 % 5)
                            .map(|i| i * 1000 + n as u32)
                            .collect();
                        c.insert(k, &ids);
                        inserted.push((at, n, ids));
                    }
                }
            }
        }
        let view = c.view();
        for (at, n, ids) in &inserted {
            let got = value_at(&view, b, *at, *n);
            if *n > MAX_SHORT || at + 16 > b.len() {
                // Long words and words near the end are not read there.
                assert_eq!(got, None, "{at} {n}");
                let mut out = vec![7];
                let long = *n > MAX_SHORT && *n <= MAX_LONG && at + 32 <= b.len();
                assert_eq!(c.extend_long_at(b, *at, *n, &mut out), long, "{at} {n}");
                if long {
                    assert_eq!(out[1..], ids[..], "{at} {n}");
                } else {
                    assert_eq!(out, [7], "{at} {n}");
                }
                continue;
            }
            let Some(val) = got else {
                panic!("{at} {n}: absent");
            };
            match inline_ids(val) {
                Some((count, lanes)) => {
                    assert_eq!(count, ids.len(), "{at} {n}");
                    assert_eq!(&lanes[..count], &ids[..], "{at} {n}");
                    assert!(lanes[count..3].iter().all(|&l| l == 0), "{at} {n}");
                }
                None => {
                    assert!(ids.len() > INLINE, "{at} {n}");
                    let mut out = Vec::new();
                    c.push_value(*val, &mut out);
                    assert_eq!(out, *ids, "{at} {n}");
                }
            }
        }
        // A word never inserted is absent.
        let other = b"zzzzzzzzzzzzzzzzzzzz";
        assert_eq!(value_at(&view, other, 0, 3), None);
        assert_eq!(value_at(&view, b, 0, 0), None);
        assert!(!c.extend_long_at(
            b"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            0,
            20,
            &mut Vec::new()
        ));
    }

    #[test]
    fn the_tables_stay_bounded() {
        let mut c = IdCache::default();
        for i in 0..(2 * MAX_SLOTS) as u32 {
            let w = word(i);
            let k = key(&w).unwrap_or_else(|| panic!("{i}"));
            c.insert(k, &ids_of(i));
            let mut out = Vec::new();
            assert!(c.extend(k, &mut out), "{i}");
        }
        assert!(c.short.slots.len() <= MAX_SLOTS);
        assert!(c.long.slots.len() <= MAX_SLOTS / 2);
        assert!(c.short.len * 4 <= c.short.slots.len() * 3);
        assert!(c.long.len * 4 <= c.long.slots.len() * 3);
        assert!(c.longer.len() <= MAX_LONGER);
        assert!(c.arena.len() <= MAX_ARENA + 8);
    }
}
