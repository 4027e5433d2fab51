//! A Python `str`'s code points, as CPython stores them (PEP 393: one, two
//! or four bytes per code point), turned into UTF-8.
//!
//! Why not CPython's own conversion (`PyUnicode_AsUTF8AndSize`): it needs
//! the GIL, so in a batch one thread converts every text while the others
//! wait for it, and it allocates a UTF-8 copy inside each str (new memory,
//! page faults). Measured on 8 KB documents of the English corpus (every
//! one holds some non-ASCII char, so none is UTF-8 already): one thread of
//! `encode_batch_ids` ran at 249 MB/s on fresh strs and at 330 MB/s on the
//! same strs again, their UTF-8 already made. Here the code points are read
//! in place and each text is converted by the thread that encodes it, into
//! a buffer that thread reuses.
//!
//! One loop for the three widths, into a buffer with room for the longest
//! output (so a char costs one bounds check and one store): ASCII
//! narrowed sixteen code points at a time where sixteen follow, every
//! other char encoded alone. A surrogate code point (U+D800-U+DFFF, which a str may
//! hold, alone) has no UTF-8 form: the conversion fails with its position.

/// A lone surrogate, at this code point index of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoneSurrogate(pub usize);

/// The UTF-8 of `units` (Latin-1, UCS-2 or UCS-4 code points), written
/// into `buf` (grown as needed, never shrunk; its contents are scratch).
pub fn utf8<'b, U: Copy + Into<u32>>(
    units: &[U],
    buf: &'b mut Vec<u8>,
) -> Result<&'b str, LoneSurrogate> {
    let n = write(units, buf)?;
    let out = &buf[..n];
    debug_assert!(std::str::from_utf8(out).is_ok());
    // SAFETY: `write` puts in `buf[..n]` only whole UTF-8 sequences, each
    // the encoding of one scalar value (ASCII as itself; others by the
    // standard bit layout for their range; surrogates and values past
    // U+10FFFF refused). Checking that again with `from_utf8` took 45% of
    // the conversion of multilingual text (measured).
    Ok(unsafe { std::str::from_utf8_unchecked(out) })
}

/// `bytes` as a `str` when every byte is ASCII (a Latin-1 str's storage is
/// then its UTF-8 too), in one pass: 64 bytes ORed together per step (a
/// loop the compiler turns into vector instructions), where `is_ascii`
/// then `from_utf8` made two passes of eight bytes a step (3.7% of one
/// thread's `encode_batch_ids` on code, measured).
pub fn ascii_str(bytes: &[u8]) -> Option<&str> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (blocks, tail) = bytes.as_chunks::<64>();
    for block in blocks {
        let words = block.as_chunks::<8>().0;
        if words.iter().fold(0, |a, w| a | u64::from_ne_bytes(*w)) & HIGH != 0 {
            return None;
        }
    }
    if !tail.is_ascii() {
        return None;
    }
    // SAFETY: every byte is below 0x80, and a sequence of ASCII bytes is
    // valid UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// Writes the UTF-8 of `units` at the start of `buf`; returns its length.
fn write<U: Copy + Into<u32>>(units: &[U], buf: &mut Vec<u8>) -> Result<usize, LoneSurrogate> {
    // Room for the longest UTF-8 the units can have (and a 4-byte store
    // at the end), so each char is one bounds check and one store.
    let width = match std::mem::size_of::<U>() {
        1 => 2,
        2 => 3,
        _ => 4,
    };
    let need = units.len() * width + 4;
    if buf.len() < need {
        buf.resize(need, 0);
    }
    let (mut i, mut o) = (0, 0);
    while let Some(&u) = units.get(i) {
        let c: u32 = u.into();
        if c < 0x80 {
            // The run of ASCII this starts: sixteen units at a time while
            // all sixteen are ASCII, each chunk tested and narrowed in one
            // step (fixed-size loops the compiler turns into vector
            // instructions), then the rest one by one.
            buf[o] = c as u8;
            i += 1;
            o += 1;
            while let (Some(chunk), Some(out)) = (units.get(i..i + 16), buf.get_mut(o..o + 16)) {
                if chunk.iter().fold(0, |a, &u| a | u.into()) >= 0x80 {
                    break;
                }
                for (b, &u) in out.iter_mut().zip(chunk) {
                    *b = u.into() as u8;
                }
                i += 16;
                o += 16;
            }
            while let Some(&u) = units.get(i).filter(|&&u| u.into() < 0x80) {
                buf[o] = u.into() as u8;
                i += 1;
                o += 1;
            }
            continue;
        }
        if c < 0x800 {
            buf[o..o + 2].copy_from_slice(&[0xC0 | (c >> 6) as u8, 0x80 | (c & 0x3F) as u8]);
            o += 2;
        } else if c < 0x10000 {
            if (0xD800..0xE000).contains(&c) {
                return Err(LoneSurrogate(i));
            }
            buf[o..o + 3].copy_from_slice(&[
                0xE0 | (c >> 12) as u8,
                0x80 | (c >> 6 & 0x3F) as u8,
                0x80 | (c & 0x3F) as u8,
            ]);
            o += 3;
        } else if c < 0x110000 {
            buf[o..o + 4].copy_from_slice(&[
                0xF0 | (c >> 18) as u8,
                0x80 | (c >> 12 & 0x3F) as u8,
                0x80 | (c >> 6 & 0x3F) as u8,
                0x80 | (c & 0x3F) as u8,
            ]);
            o += 4;
        } else {
            // Not a code point (a str cannot hold one).
            return Err(LoneSurrogate(i));
        }
        i += 1;
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both<U: Copy + Into<u32>>(units: &[U]) -> Result<String, LoneSurrogate> {
        // Into a used buffer, and into a new one: the same.
        let mut buf = vec![b'x'; 3];
        let a = utf8(units, &mut buf).map(str::to_owned);
        assert_eq!(a, utf8(units, &mut Vec::new()).map(str::to_owned));
        a
    }

    /// A byte of 0x80 or more anywhere (in a 64-byte block or in the tail,
    /// at every position of 0-200 bytes) is found.
    #[test]
    fn ascii_str_is_is_ascii() {
        for n in 0..200 {
            let text = vec![b'a'; n];
            assert_eq!(ascii_str(&text), std::str::from_utf8(&text).ok());
            for at in 0..n {
                for high in [0x80u8, 0xC3, 0xFF] {
                    let mut t = text.clone();
                    t[at] = high;
                    assert_eq!(ascii_str(&t), None, "{n} bytes, {high:#x} at {at}");
                }
            }
        }
    }

    /// Code points at every position of an 8-unit chunk among ASCII,
    /// through each width that can hold them: every one below U+3000 and
    /// around the surrogates, then every 97th.
    #[test]
    fn every_code_point_as_rust_encodes_it() {
        for cp in 0..=0x10FFFFu32 {
            let near = cp < 0x3000 || (0xD7F0..0xE010).contains(&cp) || cp >= 0x10FFF0;
            if !near && cp % 97 != 0 {
                continue;
            }
            for at in [0usize, 3, 7, 8, 12, 15] {
                let mut units: Vec<u32> = "abcdefghijklmno".chars().map(u32::from).collect();
                units.insert(at, cp);
                let want: Option<String> = units.iter().map(|&u| char::from_u32(u)).collect();
                let want = want.ok_or(LoneSurrogate(at));
                assert_eq!(both(&units), want, "ucs4 {cp:#x} at {at}");
                if cp < 0x10000 {
                    let u16s: Vec<u16> = units.iter().map(|&u| u as u16).collect();
                    assert_eq!(both(&u16s), want, "ucs2 {cp:#x} at {at}");
                }
                if cp < 0x100 {
                    let u8s: Vec<u8> = units.iter().map(|&u| u as u8).collect();
                    assert_eq!(both(&u8s), want, "latin1 {cp:#x} at {at}");
                }
            }
        }
    }

    #[test]
    fn long_mixed_text_and_the_first_surrogate() {
        let text = "plain ascii run of more than eight, ñandú Ωμέγα 中文 \u{1F600}x ".repeat(50);
        let units: Vec<u32> = text.chars().map(u32::from).collect();
        assert_eq!(both(&units).as_deref(), Ok(text.as_str()));
        assert_eq!(
            both(&[0x61u16, 0xDC00, 0x62, 0xD800]),
            Err(LoneSurrogate(1))
        );
        assert_eq!(both(&[0x1F600u32, 0xDFFF]), Err(LoneSurrogate(1)));
        assert_eq!(both(&[0x110000u32]), Err(LoneSurrogate(0)));
        assert_eq!(both::<u8>(&[]).as_deref(), Ok(""));
    }
}
