//! `UnicodeScripts`: split where the Unicode script changes, as
//! SentencePiece's default piece validity does (Hiragana, Katakana and the
//! prolonged sound mark count as Han; a space belongs to every script).
//!
//! `tokenizers` uses a script table of Unicode 9.0 in which any char it does
//! not list (one assigned later, or unassigned) joins every script, like a
//! space. We take scripts from `unicode-script` and treat as "not listed" the
//! chars that were not assigned in Unicode 9.0: those outside the Unicode 8.0
//! tables of `unicode_categories` and outside the blocks and emoji Unicode 9.0
//! added, corrected by a short list of exceptions; private-use chars join
//! every script, as there. The test suite checks every code point.

use crate::error::Result;
use crate::normalized::PreTokenizedString;
use unicode_categories::UnicodeCategories;
use unicode_script::{Script, UnicodeScript};

/// Ranges Unicode 9.0 added: new scripts' blocks and the new emoji.
const UNICODE_9_ADDITIONS: &[(u32, u32)] = &[
    (0x104B0, 0x104FF), // Osage
    (0x11400, 0x1147F), // Newa
    (0x11660, 0x1167F), // Mongolian Supplement
    (0x11C00, 0x11C6F), // Bhaiksuki
    (0x11C70, 0x11CBF), // Marchen
    (0x16FE0, 0x16FE0), // Tangut iteration mark
    (0x17000, 0x187EC), // Tangut
    (0x18800, 0x18AF2), // Tangut Components
    (0x1E000, 0x1E02F), // Glagolitic Supplement
    (0x1E900, 0x1E95F), // Adlam
    (0x1F57A, 0x1F57A),
    (0x1F5A4, 0x1F5A4),
    (0x1F6D1, 0x1F6D2),
    (0x1F6F4, 0x1F6F6),
    (0x1F919, 0x1F91E),
    (0x1F920, 0x1F927),
    (0x1F930, 0x1F930),
    (0x1F933, 0x1F93E),
    (0x1F940, 0x1F94B),
    (0x1F950, 0x1F95E),
    (0x1F985, 0x1F991),
];

/// Where the rule above gets Unicode 9.0 wrong (additions to older scripts,
/// gaps inside the new blocks), found by comparing every code point with
/// `tokenizers`: the answer is flipped there.
const FLIPPED: &[(u32, u32)] = &[
    (0x8B6, 0x8BD),
    (0x8D4, 0x8E2),
    (0xC80, 0xC80),
    (0xD4F, 0xD4F),
    (0xD54, 0xD56),
    (0xD58, 0xD5E),
    (0xD76, 0xD78),
    (0x1C80, 0x1C88),
    (0x1DFB, 0x1DFB),
    (0x23FB, 0x23FE),
    (0x2E43, 0x2E44),
    (0xA8C5, 0xA8C5),
    (0x1018D, 0x1018E),
    (0x104D4, 0x104D7),
    (0x104FC, 0x104FF),
    (0x1123E, 0x1123E),
    (0x1145A, 0x1145A),
    (0x1145C, 0x1145C),
    (0x1145E, 0x1147F),
    (0x1166D, 0x1167F),
    (0x11C09, 0x11C09),
    (0x11C37, 0x11C37),
    (0x11C46, 0x11C4F),
    (0x11C6D, 0x11C6F),
    (0x11C90, 0x11C91),
    (0x11CA8, 0x11CA8),
    (0x11CB7, 0x11CBF),
    (0x1E007, 0x1E007),
    (0x1E019, 0x1E01A),
    (0x1E022, 0x1E022),
    (0x1E025, 0x1E025),
    (0x1E02B, 0x1E02F),
    (0x1E94B, 0x1E94F),
    (0x1E95A, 0x1E95D),
    (0x1F19B, 0x1F1AC),
    (0x1F23B, 0x1F23B),
];

fn in_ranges(table: &[(u32, u32)], u: u32) -> bool {
    table.iter().any(|&(a, b)| (a..=b).contains(&u))
}

fn assigned_in_unicode_9(c: char) -> bool {
    if c.is_ascii() {
        return true;
    }
    let u = c as u32;
    let by_rule = in_ranges(UNICODE_9_ADDITIONS, u)
        || c.is_letter()
        || c.is_mark()
        || c.is_number()
        || c.is_punctuation()
        || c.is_symbol()
        || c.is_separator()
        || c.is_other_control()
        || c.is_other_format();
    by_rule != in_ranges(FLIPPED, u)
}

/// The script of `c`, or `None` for a space (which joins any script).
fn fixed_script(c: char) -> Option<Script> {
    if c == '\u{30FC}' {
        return Some(Script::Han);
    }
    if c == ' ' || !assigned_in_unicode_9(c) {
        return None;
    }
    // Chars whose script Unicode changed after 9.0.
    match c as u32 {
        0x589 | 0x61C => return Some(Script::Common),
        0x953 | 0x954 => return Some(Script::Devanagari),
        0xA7AE => return Some(Script::Latin),
        _ => {}
    }
    Some(match c.script() {
        Script::Hiragana | Script::Katakana => Script::Han,
        s => s,
    })
}

pub fn pre_tokenize(pt: &mut PreTokenizedString) -> Result<()> {
    pt.split_plain(|_, n| {
        // Cut points, exactly as `tokenizers` computes them (a leading run of
        // spaces before the first script char falls outside every piece).
        let mut cuts = Vec::new();
        let mut last: Option<Option<Script>> = None;
        for (i, c) in n.get().char_indices() {
            let script = fixed_script(c);
            if script.is_some() && last != Some(None) && last != Some(script) {
                cuts.push(i);
            }
            if script.is_some() {
                last = Some(script);
            }
        }
        cuts.push(n.len());
        Ok(cuts
            .windows(2)
            .filter_map(|w| n.slice(w[0], w[1]))
            .collect())
    })
}
