//! The split patterns of GPT-2 and of cl100k / Llama-3, hand-written:
//!
//! - GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
//! - cl100k (and Llama-3): `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//!   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
//!
//! The regex engine spends most of its time per match on set-up; these walk
//! the text once, classifying each char by a table. The result is exactly the
//! Oniguruma regex's: the classes come from the same Unicode properties, and
//! tests compare the two on every code point and on random text.

use std::sync::OnceLock;

const L: u8 = 1;
const N: u8 = 2;
const S: u8 = 4;
/// o200k's upper-ish letters: `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`.
const UP: u8 = 8;
/// o200k's lower-ish letters: `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`.
const LOW: u8 = 16;

/// The classes the patterns use, with their bits.
const CLASSES: [(&str, u8); 5] = [
    (r"\p{L}", L),
    (r"\p{N}", N),
    (r"\s", S),
    (r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]", UP),
    (r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]", LOW),
];

/// Class bits of every code point (`\p{L}`, `\p{N}`, `\s` and the two
/// letter classes of o200k, as Oniguruma defines them: general categories
/// and White_Space).
fn table() -> &'static [u8] {
    static T: OnceLock<Vec<u8>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = vec![0u8; 0x11_0000];
        for (pattern, bit) in CLASSES {
            for (a, b) in class_ranges(pattern) {
                for c in a..=b {
                    t[c as usize] |= bit;
                }
            }
        }
        t
    })
}

fn class_ranges(pattern: &str) -> Vec<(u32, u32)> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = match regex_syntax::ParserBuilder::new().build().parse(pattern) {
        Ok(h) => h,
        Err(e) => unreachable!("fixed class {pattern}: {e}"),
    };
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        _ => unreachable!("{pattern} is a Unicode class"),
    }
}

/// The class bits of the ASCII chars (the same as [`table`]'s, checked by
/// a test), so that ASCII text never reaches the big table.
const ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_uppercase() {
            L | UP
        } else if c.is_ascii_lowercase() {
            L | LOW
        } else if c.is_ascii_digit() {
            N
        } else if matches!(c, b'\t'..=b'\r' | b' ') {
            S
        } else {
            0
        };
        b += 1;
    }
    t
};

#[inline(always)]
fn class(c: char) -> u8 {
    match ASCII.get(c as usize) {
        Some(&k) => k,
        None => table()[c as usize],
    }
}

/// `\p{L}` as the patterns' regex engines define it.
pub(crate) fn is_letter(c: char) -> bool {
    class(c) & L != 0
}

/// `\s` (White_Space) as the patterns' regex engines define it.
pub(crate) fn is_space(c: char) -> bool {
    class(c) & S != 0
}

#[inline(always)]
fn char_at(s: &str, i: usize) -> char {
    let b = s.as_bytes()[i];
    if b < 0x80 {
        return b as char;
    }
    s[i..].chars().next().unwrap_or('\0')
}

const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` set when that byte is in `lo..=hi`
/// (ASCII bounds), after or-ing `fold` into every byte (SWAR: two byte-wise
/// additions that overflow into the high bit; a byte >= 0x80 may carry into
/// the bytes after it, but it is out of range itself, so the first byte out
/// of range is still found right).
#[inline(always)]
fn ascii_in(w: u64, fold: u8, lo: u8, hi: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let x = w | (ONES * u64::from(fold));
    let ge_lo = x.wrapping_add(ONES * u64::from(128 - lo));
    let gt_hi = x.wrapping_add(ONES * u64::from(127 - hi));
    ge_lo & !gt_hi & !w & HIGH_BITS
}

/// [`ascii_in`] for the ASCII chars of a class: letters (case folded),
/// o200k's lower and upper letters.
#[inline(always)]
fn ascii_class_mask(w: u64, bits: u8) -> Option<u64> {
    match bits {
        L => Some(ascii_in(w, 0x20, b'a', b'z')),
        LOW => Some(ascii_in(w, 0, b'a', b'z')),
        UP => Some(ascii_in(w, 0, b'A', b'Z')),
        _ => None,
    }
}

/// The end of the run of chars starting at `i` whose class has `bits`
/// (or, with `bits == 0`, the run of chars with none of L, N, S:
/// `[^\s\p{L}\p{N}]`).
#[inline(always)]
fn run_end(s: &str, mut i: usize, bits: u8) -> usize {
    let inside = |k: u8| {
        if bits == 0 {
            k & (L | N | S) == 0
        } else {
            k & bits != 0
        }
    };
    let bytes = s.as_bytes();
    // Letters: eight bytes at a time while they are ASCII letters.
    while let Some(Ok(chunk)) = bytes.get(i..i + 8).map(<[u8; 8]>::try_from) {
        let Some(m) = ascii_class_mask(u64::from_le_bytes(chunk), bits) else {
            break;
        };
        if m != HIGH_BITS {
            i += ((!m & HIGH_BITS).trailing_zeros() / 8) as usize;
            break;
        }
        i += 8;
    }
    while i < bytes.len() {
        // ASCII without decoding a char.
        if let Some(&k) = ASCII.get(bytes[i] as usize) {
            if !inside(k) {
                break;
            }
            i += 1;
            continue;
        }
        let c = char_at(s, i);
        if !inside(class(c)) {
            break;
        }
        i += c.len_utf8();
    }
    i
}

fn contraction(rest: &[u8]) -> usize {
    for suffix in [&b"s"[..], b"t", b"re", b"ve", b"m", b"ll", b"d"] {
        if rest.starts_with(suffix) {
            return suffix.len();
        }
    }
    0
}

/// cl100k's pattern as tokenizer.json files (and Llama-3's) write it.
pub const CL100K_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The letter a char matches case-insensitively in `(?i:...)`, for the
/// letters of the contractions (Unicode folding adds `ſ` to s and the Kelvin
/// sign to k).
fn fold(c: char) -> Option<u8> {
    match c {
        '\u{17F}' => Some(b's'),
        '\u{212A}' => Some(b'k'),
        c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase() as u8),
        _ => None,
    }
}

/// `(?i:s|t|re|ve|m|ll|d)` at byte `i`: the byte length matched, or 0.
fn contraction_ci(s: &str, i: usize) -> usize {
    let mut it = s[i..].chars();
    let Some(a) = it.next() else { return 0 };
    let a_len = a.len_utf8();
    match fold(a) {
        Some(b's' | b't' | b'm' | b'd') => a_len,
        Some(x @ (b'r' | b'v' | b'l')) => {
            let want = if x == b'l' { b'l' } else { b'e' };
            match it.next() {
                Some(b) if fold(b) == Some(want) => a_len + b.len_utf8(),
                _ => 0,
            }
        }
        _ => 0,
    }
}

/// The end of the run of up to `max` chars of class `bits` from `i`.
fn run_end_max(s: &str, mut i: usize, bits: u8, max: usize) -> usize {
    for _ in 0..max {
        if i >= s.len() {
            break;
        }
        let c = char_at(s, i);
        if class(c) & bits == 0 {
            break;
        }
        i += c.len_utf8();
    }
    i
}

/// The end of the run of `\r` and `\n` from `i`.
fn crlf_end(s: &str, i: usize) -> usize {
    i + s.as_bytes()[i..]
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

/// Whitespace at `i` (the last three alternatives, shared by cl100k and
/// o200k): `\s*[\r\n]+` up to the last line break of the run, else
/// `\s+(?!\S)`, which leaves the last char of a run a non-space follows,
/// else `\s+`.
fn whitespace_end(s: &str, i: usize) -> usize {
    let w = run_end(s, i, S);
    if let Some(p) = s.as_bytes()[i..w]
        .iter()
        .rposition(|&b| b == b'\r' || b == b'\n')
    {
        return i + p + 1;
    }
    if w < s.len() {
        let last = s[i..w].chars().next_back().map_or(0, char::len_utf8);
        if w - last > i {
            return w - last;
        }
    }
    w
}

/// Byte masks of 64 bytes of text (bit j for byte j): ASCII letters (and
/// upper-case ones), digits, the space, `\t` `\x0b` `\x0c`, `\r` `\n`, `/`,
/// non-ASCII bytes and their continuation bytes, and the bytes that end a
/// block's reach until a pattern says otherwise (non-ASCII bytes and `'`).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Masks {
    letter: u64,
    upper: u64,
    digit: u64,
    space: u64,
    tab: u64,
    newline: u64,
    slash: u64,
    high: u64,
    cont: u64,
    stop: u64,
}

/// [`Masks`] of `block`, byte by byte: what other machines than x86-64
/// compile (their splitting stays per char), and the reference the SSE2
/// version is tested against.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn masks_by_byte(block: &[u8; 64]) -> Masks {
    let mut m = Masks::default();
    for (j, &b) in block.iter().enumerate() {
        let bit = 1u64 << j;
        let class = [
            (b.is_ascii_alphabetic(), &mut m.letter),
            (b.is_ascii_uppercase(), &mut m.upper),
            (b.is_ascii_digit(), &mut m.digit),
            (b == b' ', &mut m.space),
            (matches!(b, b'\t' | 0x0b | 0x0c), &mut m.tab),
            (matches!(b, b'\r' | b'\n'), &mut m.newline),
            (b == b'/', &mut m.slash),
            (b >= 0x80, &mut m.high),
            ((0x80..0xC0).contains(&b), &mut m.cont),
            (b >= 0x80 || b == b'\'', &mut m.stop),
        ];
        for (yes, mask) in class {
            if yes {
                *mask |= bit;
            }
        }
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
fn masks(block: &[u8; 64]) -> Masks {
    masks_by_byte(block)
}

/// [`Masks`] of `block`: by AVX-512 where the CPU has it (checked at run
/// time; std caches the answer), else by SSE2, which every x86-64 CPU has.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks(block: &[u8; 64]) -> Masks {
    if has_avx512bw() {
        // SAFETY: `masks_avx512` needs AVX-512F and AVX-512BW, which this
        // CPU has (`has_avx512bw`).
        unsafe { masks_avx512(block) }
    } else {
        masks_sse2(block)
    }
}

/// Whether this CPU has AVX-512F and AVX-512BW (std caches the answer:
/// an atomic load after the first call).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_avx512bw() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
}

/// [`Masks`] of `block` by AVX-512: one 64-byte load, and each class one
/// compare straight into a 64-bit mask (a quarter of the SSE2 version's
/// instructions, which took a fifth of the time of byte-level BPE on
/// English).
///
/// # Safety
/// The CPU must have AVX-512F and AVX-512BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn masks_avx512(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::*;
    // SAFETY: the load reads the 64 bytes of `block` (unaligned load).
    let v = unsafe { _mm512_loadu_si512(block.as_ptr().cast()) };
    let set = |b: u8| _mm512_set1_epi8(b as i8);
    let eq = |b: u8| _mm512_cmpeq_epi8_mask(v, set(b));
    // `lo <= x < lo + len`, as `x - lo <= len - 1` unsigned.
    let range = |x: __m512i, lo: u8, len: u8| {
        _mm512_cmple_epu8_mask(_mm512_sub_epi8(x, set(lo)), set(len - 1))
    };
    let high = _mm512_movepi8_mask(v);
    Masks {
        letter: range(_mm512_or_si512(v, set(0x20)), b'a', 26),
        upper: range(v, b'A', 26),
        digit: range(v, b'0', 10),
        space: eq(b' '),
        tab: eq(b'\t') | eq(0x0b) | eq(0x0c),
        newline: eq(b'\r') | eq(b'\n'),
        slash: eq(b'/'),
        high,
        cont: range(v, 0x80, 0x40),
        stop: high | eq(b'\''),
    }
}

/// [`Masks`] of `block` by SSE2 (16 bytes per compare).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks_sse2(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::*;
    let mut m = [0u64; 10];
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of x86_64; the load reads the 16 bytes of
        // `chunk` (unaligned load).
        unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
            // `lo <= v < lo + len` by a signed compare after moving `lo`
            // to -128 (bytes >= 0x80 land at or above -128 + 128 - lo).
            let range = |x: __m128i, lo: u8, len: u8| {
                let shifted = _mm_add_epi8(x, _mm_set1_epi8((128u8.wrapping_sub(lo)) as i8));
                _mm_cmplt_epi8(shifted, _mm_set1_epi8((len as i8).wrapping_sub(-128i8)))
            };
            let bits = |x: __m128i| u64::from(_mm_movemask_epi8(x) as u16) << (16 * k);
            let letter = range(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', 26);
            m[0] |= bits(letter);
            m[1] |= bits(range(v, b'0', 10));
            m[2] |= bits(eq(b' '));
            m[3] |= bits(_mm_or_si128(_mm_or_si128(eq(b'\t'), eq(0x0b)), eq(0x0c)));
            m[4] |= bits(_mm_or_si128(eq(b'\r'), eq(b'\n')));
            m[5] |= bits(_mm_or_si128(v, eq(b'\'')));
            m[6] |= bits(range(v, b'A', 26));
            m[7] |= bits(eq(b'/'));
            m[8] |= bits(range(v, 0x80, 0x40));
            m[9] |= bits(v);
        }
    }
    Masks {
        letter: m[0],
        upper: m[6],
        digit: m[1],
        space: m[2],
        tab: m[3],
        newline: m[4],
        slash: m[7],
        high: m[9],
        cont: m[8],
        stop: m[5],
    }
}

/// Each bit of `seed` and the bits of `run` after it up to the end of its
/// run of ones in `run` (one addition carries through each run). Every seed
/// bit must be in `run`, at most one per run.
#[inline(always)]
fn fill_runs(run: u64, seed: u64) -> u64 {
    (run.wrapping_add(seed) ^ run) & run
}

/// Non-ASCII chars of `block` into the classes (cl100k's and GPT-2's):
/// a letter's bytes join `letter`, and the bytes of a char that is neither
/// a letter, a digit nor whitespace (punctuation, symbols, marks) stop
/// being stop bytes and so count as punctuation. Digits and whitespace
/// beyond ASCII, and a char the block's end cuts, stay stop bytes.
#[inline(always)]
fn classify_non_ascii(block: &[u8; 64], m: &mut Masks) {
    let mut leads = m.high & !m.cont;
    let (mut letters, mut kept) = (0u64, 0u64);
    while leads != 0 {
        let p = leads.trailing_zeros() as usize;
        leads &= leads - 1;
        let b0 = block[p];
        let len = if b0 >= 0xF0 {
            4
        } else if b0 >= 0xE0 {
            3
        } else {
            2
        };
        let Some(bytes) = block.get(p..p + len) else {
            break;
        };
        let cp = bytes[1..]
            .iter()
            .fold(u32::from(b0) & (0x7F >> len), |cp, &b| {
                cp << 6 | u32::from(b & 0x3F)
            });
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        let k = class(c);
        let span = ((1u64 << len) - 1) << p;
        if k & L != 0 {
            letters |= span;
        } else if k & (N | S) != 0 {
            continue;
        }
        kept |= span;
    }
    m.letter |= letters;
    m.stop &= !kept;
}

/// Where cl100k's matches start among the first bytes of `block`, which
/// starts a match: `(starts, limit, stops)`, every bit of `starts` at or
/// below bit `limit` being exact whatever follows the block, and `stops`
/// the bytes the block could not decide (from the first of them on, the
/// block is left out). No lookbehind in the pattern, so the block is split
/// as if it were the whole text.
///
/// Without `'`, non-ASCII digits and whitespace, the matches follow from
/// the classes of neighbouring chars (tested against Oniguruma):
/// a letter run starts a match unless the char before it (a space, tab or
/// punctuation) starts one, which then takes the letters too; digits go in
/// threes from a run's start; a punctuation run goes on through the line
/// breaks after it; a whitespace run ends after its last line break, and
/// of the spaces and tabs after that, a char a non-space follows stands
/// alone or joins the word after it.
#[inline(always)]
fn cl100k_block_starts(block: &[u8; 64]) -> (u64, u32, u64) {
    let mut m = masks(block);
    classify_non_ascii(block, &mut m);
    let Some((valid, limit)) = block_reach(&m) else {
        return (1, 0, m.stop);
    };
    let (letter, digit) = (m.letter & valid, m.digit & valid);
    let (space, tab, newline) = (m.space & valid, m.tab & valid, m.newline & valid);
    let punct = valid & !(letter | digit | space | tab | newline);
    let ws = space | tab | newline;
    let prev = |x: u64| x << 1;
    // Line breaks right after punctuation belong to its match.
    let absorbed = fill_runs(newline, newline & prev(punct));
    let run = ws & !absorbed;
    let ws_starts = whitespace_starts(run, newline);
    let punct_starts = punct & prev(letter | digit | newline | tab);
    let digit_starts = digit_group_starts(digit);
    let q_starts = 1 | ws_starts | punct_starts;
    // A start on a char's first byte, carried over its other bytes (so
    // the byte before a letter tells whether the char before it starts).
    let cont = m.cont & valid;
    let q_starts_all = q_starts | fill_runs(cont, prev(q_starts) & cont);
    let prefixable = space | tab | punct;
    let letter_starts = letter & (prev(digit | newline) | (prev(prefixable) & !prev(q_starts_all)));
    let starts = q_starts | digit_starts | letter_starts;
    (starts, limit, m.stop)
}

/// The match starts in whitespace runs (`run`: the whitespace no
/// punctuation match takes) of cl100k and o200k (`\s*[\r\n]+|\s+(?!\S)|\s+`):
/// a run starts a match that ends after its last line break; of the spaces
/// and tabs after that (the whole run if it has none), the last starts a
/// match of its own when there are two or more.
#[inline(always)]
fn whitespace_starts(run: u64, newline: u64) -> u64 {
    let prev = |x: u64| x << 1;
    let run_start = run & !prev(run);
    let run_last = run & !(run >> 1);
    let blank = run & !newline;
    // The tail of each run: the spaces and tabs after its last line break.
    // When no line break has whitespace before it in its run (each run is
    // blanks, or one line break and then blanks: nearly all of them), that
    // is every blank; else it is found from each run's end backwards (by
    // bit reversal, a third of this function's time, so only then).
    let tail = if newline & run & prev(run) == 0 {
        blank
    } else {
        fill_runs(blank.reverse_bits(), (run_last & blank).reverse_bits()).reverse_bits()
    };
    run_start | (tail & !prev(tail)) | (run_last & tail & prev(tail))
}

/// `\p{N}{1,3}` on ASCII digits: the starts of each run's groups of three.
#[inline(always)]
fn digit_group_starts(digit: u64) -> u64 {
    let prev = |x: u64| x << 1;
    let mut starts = digit & !prev(digit);
    let mut group = starts;
    loop {
        let fourth = prev(prev(prev(group) & digit) & digit) & digit;
        if fourth == 0 {
            return starts;
        }
        starts |= fourth;
        group = fourth;
    }
}

/// The bytes before `m`'s first stop byte, and the highest bit that is
/// exact whatever follows them: the last of those bytes, or the start of
/// a whitespace run that reaches it (where its matches end depends on
/// what comes next). `None` when fewer than two bytes are usable.
#[inline(always)]
fn block_reach(m: &Masks) -> Option<(u64, u32)> {
    let valid = if m.stop == 0 {
        u64::MAX
    } else {
        (1u64 << m.stop.trailing_zeros()) - 1
    };
    if valid & 2 == 0 {
        return None;
    }
    let ws = (m.space | m.tab | m.newline) & valid;
    let last = 63 - valid.leading_zeros();
    let limit = if ws >> last & 1 == 1 {
        let ws_start = ws & !(ws << 1) & (u64::MAX >> (63 - last));
        63 - ws_start.leading_zeros()
    } else {
        last
    };
    Some((valid, limit))
}

/// GPT-2's [`cl100k_block_starts`]: in ASCII text without `'`, a space
/// that starts a match takes the run after it (letters, digits or other
/// chars), and a whitespace run a non-space follows leaves its last char
/// to start the next match.
#[inline(always)]
fn gpt2_block_starts(block: &[u8; 64]) -> (u64, u32, u64) {
    let mut m = masks(block);
    classify_non_ascii(block, &mut m);
    let Some((valid, limit)) = block_reach(&m) else {
        return (1, 0, m.stop);
    };
    let (letter, digit, space) = (m.letter & valid, m.digit & valid, m.space & valid);
    let ws = (m.space | m.tab | m.newline) & valid;
    let other = valid & !(letter | digit | ws);
    let prev = |x: u64| x << 1;
    let run_start = ws & !prev(ws);
    // The last char of a run of two or more (the last of a lone char is
    // its start): a start either way.
    let ws_starts = run_start | (ws & !(ws >> 1) & prev(ws));
    let same = |x: u64| x & !prev(x) & !prev(space);
    let starts = 1 | ws_starts | same(letter) | same(digit) | same(other);
    (starts, limit, m.stop)
}

/// Splits `s` by 64-byte blocks where `block_starts` (one of the
/// `*_block_starts` above) finds matches, by `per_char` (which gives the
/// end of the match at a position) elsewhere: after a block that gives no
/// match, char by char past its last stop byte (or for one match). The
/// last block of a text (and a text shorter than a block) is padded.
#[inline(always)]
fn split_by_blocks(
    s: &str,
    block_starts: impl Fn(&[u8; 64]) -> (u64, u32, u64),
    per_char: impl Fn(&str, usize) -> usize,
    mut f: impl FnMut(usize, usize),
) {
    let n = s.len();
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut per_char_until = 0;
    while i < n {
        // (Blocks only where SSE2 builds the masks; elsewhere the masks
        // would cost more than they save.)
        if cfg!(target_arch = "x86_64") && i >= per_char_until && n - i > 2 {
            let padded;
            let block = match bytes.get(i..i + 64).map(<&[u8; 64]>::try_from) {
                Some(Ok(block)) => block,
                // Near the end, the rest padded with non-ASCII bytes (stop
                // bytes: what follows the text is not known to the block).
                _ => {
                    let rest = &bytes[i..];
                    let mut block = [0x80; 64];
                    block[..rest.len()].copy_from_slice(rest);
                    padded = block;
                    &padded
                }
            };
            let (starts, limit, stops) = block_starts(block);
            let mut rest = starts & (u64::MAX >> (63 - limit)) & !1;
            if rest == 0 {
                per_char_until = if stops == 0 {
                    i + 1
                } else {
                    i + 64 - stops.leading_zeros() as usize
                };
            } else {
                let mut a = 0;
                while rest != 0 {
                    let b = rest.trailing_zeros() as usize;
                    f(i + a, i + b);
                    a = b;
                    rest &= rest - 1;
                }
                i += a;
                continue;
            }
        }
        let end = per_char(s, i);
        f(i, end);
        i = end;
    }
}

/// Calls `f(start, end)` for every match of cl100k's pattern in `s`, in
/// order; the matches cover `s` entirely.
pub fn split_cl100k(s: &str, f: impl FnMut(usize, usize)) {
    split_by_blocks(s, cl100k_block_starts, cl100k_match_end, f);
}

/// The end of cl100k's match at byte `i` of `s`.
fn cl100k_match_end(s: &str, i: usize) -> usize {
    let n = s.len();
    let c = char_at(s, i);
    let cl = c.len_utf8();
    let k = class(c);
    if c == '\'' && contraction_ci(s, i + 1) > 0 {
        i + 1 + contraction_ci(s, i + 1)
    } else if k & L != 0 {
        run_end(s, i, L)
    } else if k & N == 0
        && c != '\r'
        && c != '\n'
        && i + cl < n
        && class(char_at(s, i + cl)) & L != 0
    {
        // `[^\r\n\p{L}\p{N}]?\p{L}+`: one such char, then letters.
        run_end(s, i + cl, L)
    } else if k & N != 0 {
        run_end_max(s, i, N, 3)
    } else {
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let j = if c == ' ' && i + 1 < n { i + 1 } else { i };
        if class(char_at(s, j)) & (L | N | S) == 0 {
            crlf_end(s, run_end(s, j, 0))
        } else {
            whitespace_end(s, i)
        }
    }
}

/// o200k's pattern as tokenizer.json files write it.
pub const O200K_PATTERN: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// o200k's two word forms at `p`, both found from one run of UP chars:
/// `[UP]*[LOW]+` (the first) and `[UP]+[LOW]*` (the second), each `None`
/// if it does not match there.
///
/// The first takes the longest run of UP chars, then needs a LOW char;
/// failing that the regex gives back UP chars until one is also LOW (Lm,
/// Lo, M), which ends the match. When a LOW char follows the UP run, both
/// forms end where the LOW run after it ends.
#[inline(always)]
fn o200k_words(s: &str, p: usize) -> (Option<usize>, Option<usize>) {
    let ups = run_end(s, p, UP);
    if ups < s.len() && class(char_at(s, ups)) & LOW != 0 {
        let end = run_end(s, ups, LOW);
        return (Some(end), (ups > p).then_some(end));
    }
    // No LOW char after the run: the second form ends with it, the first at
    // its last LOW char (only non-ASCII chars are both UP and LOW).
    let run = &s[p..ups];
    let first = if run.is_ascii() {
        None
    } else {
        run.char_indices()
            .rev()
            .find(|&(_, c)| class(c) & LOW != 0)
            .map(|(k, c)| p + k + c.len_utf8())
    };
    (first, (ups > p).then_some(ups))
}

/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)?` after a word ending at `end`.
fn with_contraction(s: &str, end: usize) -> usize {
    if s.as_bytes().get(end) == Some(&b'\'') {
        let n = contraction_ci(s, end + 1);
        if n > 0 {
            return end + 1 + n;
        }
    }
    end
}

/// o200k's [`cl100k_block_starts`]. Two differences: a run of letters
/// also splits where an upper-case letter follows a lower-case one (the
/// word forms `[UP]*[LOW]+` and `[UP]+[LOW]*` on ASCII letters), and a
/// punctuation match goes on through line breaks and `/`. A line break,
/// `/` run and line break in a row end the block's reach (two line
/// breaks there could each follow punctuation; rare, left to the per-char
/// path).
#[inline(always)]
fn o200k_block_starts(block: &[u8; 64]) -> (u64, u32, u64) {
    let mut m = masks(block);
    let prev = |x: u64| x << 1;
    let slashes_after_newline = fill_runs(m.slash, m.slash & prev(m.newline));
    m.stop |= m.newline & prev(slashes_after_newline);
    let Some((valid, limit)) = block_reach(&m) else {
        return (1, 0, m.stop);
    };
    let (letter, digit) = (m.letter & valid, m.digit & valid);
    let upper = m.upper & valid;
    let (space, tab, newline) = (m.space & valid, m.tab & valid, m.newline & valid);
    let slash = m.slash & valid;
    let punct = valid & !(letter | digit | space | tab | newline);
    let ws = space | tab | newline;
    // Line breaks and slashes right after punctuation belong to its match
    // (one such chain per run of them, by the stop above).
    let absorbed = fill_runs(newline | slash, newline & prev(punct));
    let run = ws & !absorbed;
    let ws_starts = whitespace_starts(run, newline);
    let punct_starts =
        punct & !absorbed & prev(letter | digit | newline | tab | (absorbed & slash));
    let digit_starts = digit_group_starts(digit);
    let q_starts = 1 | ws_starts | punct_starts;
    let prefixable = space | tab | punct;
    let lower = letter & !upper;
    let letter_starts = letter & (prev(digit | newline) | (prev(prefixable) & !prev(q_starts)))
        | (upper & prev(lower));
    let starts = q_starts | digit_starts | letter_starts;
    (starts, limit, m.stop)
}

/// Calls `f(start, end)` for every match of o200k's pattern in `s`, in
/// order; the matches cover `s` entirely.
pub fn split_o200k(s: &str, f: impl FnMut(usize, usize)) {
    split_by_blocks(s, o200k_block_starts, o200k_match_end, f);
}

/// The end of o200k's match at byte `i` of `s`.
fn o200k_match_end(s: &str, i: usize) -> usize {
    let n = s.len();
    let c = char_at(s, i);
    let cl = c.len_utf8();
    let k = class(c);
    // `[^\r\n\p{L}\p{N}]?` may take this char (any but CR, LF, letters
    // and digits: so a space, punctuation or a combining mark).
    let optional = c != '\r' && c != '\n' && k & (L | N) == 0 && i + cl < n;
    // In the regex's order: the first form with the optional char, then
    // without, then the second form likewise. A word starts only at an
    // UP or LOW char, so most chars try one place or none.
    let (taken1, taken2) = if optional {
        o200k_words(s, i + cl)
    } else {
        (None, None)
    };
    let word = taken1.or_else(|| {
        let (at1, at2) = if k & (UP | LOW) != 0 {
            o200k_words(s, i)
        } else {
            (None, None)
        };
        at1.or(taken2).or(at2)
    });
    if let Some(e) = word {
        with_contraction(s, e)
    } else if k & N != 0 {
        run_end_max(s, i, N, 3)
    } else {
        // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        let j = if c == ' ' && i + 1 < n { i + 1 } else { i };
        if class(char_at(s, j)) & (L | N | S) == 0 {
            let e = run_end(s, j, 0);
            e + s.as_bytes()[e..]
                .iter()
                .take_while(|&&b| matches!(b, b'\r' | b'\n' | b'/'))
                .count()
        } else {
            whitespace_end(s, i)
        }
    }
}

/// Calls `f(start, end)` for every match of the pattern in `s`, in order.
/// The matches cover `s` entirely.
pub fn split(s: &str, f: impl FnMut(usize, usize)) {
    split_by_blocks(s, gpt2_block_starts, gpt2_match_end, f);
}

/// The end of GPT-2's match at byte `i` of `s`.
fn gpt2_match_end(s: &str, i: usize) -> usize {
    let bytes = s.as_bytes();
    let c = char_at(s, i);
    if c == '\'' {
        let n = contraction(&bytes[i + 1..]);
        if n > 0 {
            return i + 1 + n;
        }
    }
    // ` ?X+` for X in L, N, other: an optional space, then the run.
    let (j, d) = if c == ' ' && i + 1 < s.len() {
        (i + 1, char_at(s, i + 1))
    } else {
        (i, c)
    };
    let k = class(d);
    let end = if k & S != 0 {
        0 // whitespace (a space followed by more, or at the end): below
    } else if k & L != 0 {
        run_end(s, j, L)
    } else if k & N != 0 {
        run_end(s, j, N)
    } else {
        run_end(s, j, 0)
    };
    if end > i {
        return end;
    }
    // Whitespace: `\s+(?!\S)` leaves the last space of a run that a
    // non-space follows (it then starts the next match); `\s+` takes a
    // single space.
    let j = run_end(s, i, S);
    if j < s.len() {
        let last = s[i..j].chars().next_back().map_or(0, char::len_utf8);
        if j - last > i {
            return j - last;
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::byte_level::GPT2_PATTERN as GPT2;

    fn ours(s: &str) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        split(s, |a, b| v.push((a, b)));
        v
    }

    /// The pattern's matches by Oniguruma itself (not through
    /// `pattern::Regex`, which uses the hand-written matchers).
    fn onig(s: &str) -> Vec<(usize, usize)> {
        onig_with(GPT2, s)
    }

    #[test]
    fn swar_letters_find_the_first_non_letter() {
        // Every byte value at every position of a chunk of letters.
        for pos in 0..8 {
            for b in 0..=255u8 {
                let mut chunk = *b"abcdWXYZ";
                chunk[pos] = b;
                let m = ascii_in(u64::from_le_bytes(chunk), 0x20, b'a', b'z');
                let first = chunk
                    .iter()
                    .position(|c| !c.is_ascii_alphabetic())
                    .unwrap_or(8);
                let got = if m == HIGH_BITS {
                    8
                } else {
                    ((!m & HIGH_BITS).trailing_zeros() / 8) as usize
                };
                assert_eq!(got, first, "{chunk:?}");
            }
        }
        // Runs of every length, ending in each kind of char.
        for n in 0..40 {
            for end in ["", " ", "1", "é", "日", "\u{301}", "_", "@", "[", "`", "{"] {
                let s = format!(
                    "{}{end}x",
                    "aZ".repeat(n).chars().take(n).collect::<String>()
                );
                for bits in [L, LOW, UP] {
                    let want = s
                        .char_indices()
                        .find(|&(_, c)| class(c) & bits == 0)
                        .map_or(s.len(), |p| p.0);
                    assert_eq!(run_end(&s, 0, bits), want, "{bits} {s:?}");
                }
            }
        }
    }

    #[test]
    fn ascii_classes_are_the_tables() {
        let t = table();
        for b in 0..128u8 {
            assert_eq!(ASCII[b as usize], t[b as usize], "{b}");
        }
    }

    #[test]
    fn classes_match_oniguruma_on_every_code_point() {
        // One pass of Oniguruma over a text holding every code point.
        let all: String = (0..0x11_0000u32).filter_map(char::from_u32).collect();
        for (pattern, bit) in CLASSES {
            let re = onig::Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"));
            let theirs: Vec<char> = re
                .find_iter(&all)
                .filter_map(|(a, _)| all[a..].chars().next())
                .collect();
            let ours: Vec<char> = all.chars().filter(|&c| class(c) & bit != 0).collect();
            assert_eq!(ours, theirs, "{pattern}");
        }
    }

    #[test]
    fn same_as_regex() {
        let cases = [
            "Hello world",
            "  leading and trailing  ",
            "it's we're they've I'm you'll he'd 'S",
            "''s '' x'",
            "a\n\nb\n \tc  \n",
            "numbers 123 4.5 ٣٤ ½",
            "emoji 👍🏽 and ZWJ 👨‍👩‍👧 mixed",
            "tabs\tand\u{a0}nbsp\u{3000}ideographic",
            "!!! ?? ... ' ",
            " ",
            "\n",
            "x  ",
            "日本語のテキスト、句読点。",
            "combining e\u{301} and \u{301} alone",
        ];
        for s in cases {
            assert_eq!(ours(s), onig(s), "{s:?}");
        }
    }

    fn ours_cl100k(s: &str) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        split_cl100k(s, |a, b| v.push((a, b)));
        v
    }

    fn onig_with(pattern: &str, s: &str) -> Vec<(usize, usize)> {
        thread_local! {
            static COMPILED: std::cell::RefCell<Vec<(String, onig::Regex)>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        COMPILED.with(|c| {
            let mut c = c.borrow_mut();
            if !c.iter().any(|(p, _)| p == pattern) {
                let re = onig::Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"));
                c.push((pattern.to_owned(), re));
            }
            let re = c.iter().find(|(p, _)| p == pattern).map(|(_, r)| r);
            re.map(|re| re.find_iter(s).filter(|(a, b)| a < b).collect())
                .unwrap_or_default()
        })
    }

    #[test]
    fn case_folding_of_contractions_matches_oniguruma() {
        // Every char Oniguruma folds onto a contraction letter, in one pass.
        let all: String = (0..0x11_0000u32).filter_map(char::from_u32).collect();
        let re = onig::Regex::new("(?i:[strevmldk])").unwrap_or_else(|e| panic!("{e}"));
        let theirs: Vec<char> = re
            .find_iter(&all)
            .filter_map(|(a, _)| all[a..].chars().next())
            .collect();
        let ours: Vec<char> = all
            .chars()
            .filter(|&c| {
                matches!(
                    fold(c),
                    Some(b's' | b't' | b'r' | b'e' | b'v' | b'm' | b'l' | b'd' | b'k')
                )
            })
            .collect();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn cl100k_same_as_regex() {
        let cases = [
            "Hello world",
            "  leading and trailing  ",
            "it's we're they've I'M you'LL he'd 'S 'ſ 'Re",
            "a\n\nb\n \tc  \n",
            "x \r\n\r\n  y\t\tz\n",
            "numbers 12345 4.5 ٣٤٥٦ ½¾⅓",
            "emoji 👍🏽 and ZWJ 👨‍👩‍👧 mixed!!!\n\n",
            "(hello) -world \tword ...\r\n",
            "日本語のテキスト、句読点。",
            "e\u{301}\u{301} combining",
            " ",
            "\n",
            "' '",
        ];
        for s in cases {
            assert_eq!(ours_cl100k(s), onig_with(CL100K_PATTERN, s), "{s:?}");
        }
    }

    /// `count` pseudo-random strings of up to 13 chars drawn from `alphabet`.
    fn random_strings(alphabet: &str, count: usize, seed: u64) -> Vec<String> {
        random_strings_of(alphabet, count, seed, 14)
    }

    /// `count` strings of fewer than `max_chars` chars of `alphabet`
    /// (chars repeated in it come up more often).
    fn random_strings_of(alphabet: &str, count: usize, seed: u64, max_chars: u64) -> Vec<String> {
        let alphabet: Vec<char> = alphabet.chars().collect();
        let mut x = seed;
        (0..count)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let mut y = x;
                (0..x % max_chars)
                    .map(|_| {
                        y = y
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        alphabet[(y >> 33) as usize % alphabet.len()]
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn vector_masks_are_the_byte_by_byte_masks() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        for _ in 0..20000 {
            let mut block = [0u8; 64];
            for b in block.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // All bytes, with the class edges ('@' 'A' 'Z' '[', '`' 'a'
                // 'z' '{', '/' '0' '9' ':', 0x7f 0x80 0xbf 0xc0) likely.
                *b = match x % 4 {
                    0 => x.to_le_bytes()[3],
                    _ => {
                        b"@AZ[`az{/09:\t\n\x0b\x0c\r '\x7f\x80\xbf\xc0\xff"[(x >> 8) as usize % 24]
                    }
                };
            }
            let want = masks_by_byte(&block);
            assert_eq!(masks(&block), want, "{block:?}");
            #[cfg(target_arch = "x86_64")]
            {
                assert_eq!(masks_sse2(&block), want, "{block:?}");
                if has_avx512bw() {
                    // SAFETY: checked just above.
                    assert_eq!(unsafe { masks_avx512(&block) }, want, "{block:?}");
                }
            }
        }
    }

    #[test]
    fn per_char_matchers_alone_same_as_regex() {
        // On x86-64 the blocks take most text; the per-char matchers (all
        // of the work elsewhere) are checked on their own here.
        type MatchEnd = fn(&str, usize) -> usize;
        type Regex = fn(&str) -> Vec<(usize, usize)>;
        let patterns: [(&str, MatchEnd, Regex); 3] = [
            ("cl100k", cl100k_match_end, |s| onig_with(CL100K_PATTERN, s)),
            ("gpt2", gpt2_match_end, onig),
            ("o200k", o200k_match_end, |s| onig_with(O200K_PATTERN, s)),
        ];
        let alphabet = " \t\n\r\u{a0}\u{3000}'sStTrReEvVmMlLdDſ1٣½.,!-_/(aZé日ǅʰ👍\u{301}\u{200d}";
        for (name, match_end, regex) in patterns {
            for s in random_strings_of(alphabet, 20000, 0x007e_570f_c4a2, 40) {
                let mut ours = Vec::new();
                let mut i = 0;
                while i < s.len() {
                    let end = match_end(&s, i);
                    ours.push((i, end));
                    i = end;
                }
                assert_eq!(ours, regex(&s), "{name}: {s:?}");
            }
        }
    }

    #[test]
    fn blocks_same_as_regex_on_long_ascii_text() {
        type Ours = fn(&str) -> Vec<(usize, usize)>;
        type Regex = fn(&str) -> Vec<(usize, usize)>;
        let patterns: [(&str, Ours, Regex); 3] = [
            ("cl100k", ours_cl100k, |s| onig_with(CL100K_PATTERN, s)),
            ("gpt2", ours, onig),
            ("o200k", ours_o200k, |s| onig_with(O200K_PATTERN, s)),
        ];
        for (name, ours, regex) in patterns {
            // Long enough for the 64-byte blocks: mostly ASCII words,
            // digits, punctuation and whitespace runs, with some `'` and
            // non-ASCII chars (which end a block's reach).
            let alphabet = "aaaaeeettsSTrRlLvVdDmMxyzQABC    \t\t\n\n\n\r\x0b\x0c01234567899.,;:(){}!?-_//\"#=+*'\u{a0}é日\u{2028}";
            for (k, s) in random_strings_of(alphabet, 6000, 0x5eed_b10c_c0de, 400)
                .iter()
                .enumerate()
            {
                assert_eq!(ours(s), regex(s), "{name} {k}: {s:?}");
            }
            // Mostly non-ASCII: letters of 2, 3 and 4 bytes (Cyrillic,
            // Arabic, CJK, U+20000), marks between letters, punctuation and
            // symbols, emoji with ZWJ, digits and spaces beyond ASCII.
            let alphabet = "абвгдЖЯ日本語\u{20000}يَاِ\u{64e}\u{301}\u{301}—“”…·×👍👍\u{200d}٣½²\u{a0}\u{3000}\u{2028}  aZ.,'\n\n1";
            for (k, s) in random_strings_of(alphabet, 6000, 0x000a_110f_7e57, 300)
                .iter()
                .enumerate()
            {
                assert_eq!(ours(s), regex(s), "{name} non-ASCII {k}: {s:?}");
            }
            // Runs longer than a block: letters, digits, spaces, newlines.
            for unit in [
                "a", "7", " ", "\n", " \n", "\t", "!", "ab ", "aB", "/\n", "!\n/",
            ] {
                for n in [63, 64, 65, 130, 200] {
                    for tail in ["", "x", " x", "1", "!", "\n", "'s", "é"] {
                        let s = format!("{}{tail}{}", unit.repeat(n), "z ".repeat(40));
                        assert_eq!(ours(&s), regex(&s), "{name}: {s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn cl100k_same_as_regex_on_random_text() {
        let alphabet = " \t\n\r\u{a0}\u{3000}'sStTrReEvVmMlLdDſ1٣½.,!-_(aZé日👍\u{301}\u{200d}";
        for s in random_strings(alphabet, 30000, 0x1234_5678_9abc_def1) {
            assert_eq!(ours_cl100k(&s), onig_with(CL100K_PATTERN, &s), "{s:?}");
        }
    }

    #[test]
    fn same_as_regex_on_random_text() {
        let alphabet = " \t\n\r\u{a0}\u{3000}'sStTrevmld1٣½.,!-_aZé日👍\u{301}\u{200d}";
        for s in random_strings(alphabet, 20000, 0x9e37_79b9_7f4a_7c15) {
            assert_eq!(ours(&s), onig(&s), "{s:?}");
        }
    }

    fn ours_o200k(s: &str) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        split_o200k(s, |a, b| v.push((a, b)));
        v
    }

    #[test]
    fn o200k_same_as_regex() {
        let cases = [
            "Hello World HELLO hello HeLLo",
            "it's WE'RE They've I'M you'LL he'd 'S 'ſ",
            "CamelCaseWords and snake_case/path/to\r\n",
            "ǅemal ʰmod 日本語 אבג e\u{301}\u{301} \u{301}x",
            "numbers 12345 4.5 ٣٤٥٦ ½¾⅓",
            "a\n\nb\n \tc  \n",
            "emoji 👍🏽 👨‍👩‍👧!!!/\n",
            " ",
            "\n",
        ];
        for s in cases {
            assert_eq!(ours_o200k(s), onig_with(O200K_PATTERN, s), "{s:?}");
        }
    }

    #[test]
    fn o200k_same_as_regex_on_random_text() {
        // Upper (A, Ǆ), title (ǅ), lower (a, ǆ), modifier (ʰ), other (日, א)
        // letters, marks (U+0301 Mn, U+0903 Mc, U+20DD Me), digits, spaces,
        // line breaks, slashes, apostrophes and contraction letters.
        let alphabet =
            " \t\n\r\u{a0}'sStTrReEvVmMlLdDaAǄǅǆʰ日א\u{301}\u{903}\u{20DD}1٣½/.,!-_(👍\u{200d}";
        for s in random_strings(alphabet, 40000, 0x0dd_ba11_cafe_f00d) {
            assert_eq!(ours_o200k(&s), onig_with(O200K_PATTERN, &s), "{s:?}");
        }
    }
}
