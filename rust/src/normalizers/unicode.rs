//! Unicode normalization forms and accent stripping, with alignments.
//!
//! The decompositions come from `unicode-normalization-alignments`, the same
//! tables `tokenizers` uses, so normalized text (and thus ids) match it for
//! every code point, including ones newer Unicode versions changed.

use crate::normalized::NormalizedString;
use unicode_normalization_alignments::char::is_combining_mark;
use unicode_normalization_alignments::UnicodeNormalization;

/// Applies one normalization form (given as its char iterator, which
/// reports how each char changes the length); ASCII text is unchanged by all.
fn apply(n: &mut NormalizedString, form: fn(&str) -> Vec<(char, isize)>) {
    if n.get().is_ascii() {
        return;
    }
    let t = form(n.get());
    n.transform(t, 0);
}

pub fn nfd(n: &mut NormalizedString) {
    apply(n, |s| s.nfd().collect());
}

pub fn nfkd(n: &mut NormalizedString) {
    apply(n, |s| s.nfkd().collect());
}

pub fn nfc(n: &mut NormalizedString) {
    apply(n, |s| s.nfc().collect());
}

pub fn nfkc(n: &mut NormalizedString) {
    apply(n, |s| s.nfkc().collect());
}

pub fn strip_accents(n: &mut NormalizedString) {
    n.filter(|c| !is_combining_mark(c));
}

/// The NMT normalizer: drops ASCII control chars and maps other spaces to ' '.
pub fn nmt(n: &mut NormalizedString) {
    n.filter(|c| {
        !matches!(
            c as u32,
            0x0001..=0x0008 | 0x000B | 0x000E..=0x001F | 0x007F | 0x008F | 0x009F
        )
    });
    n.map(|c| match c as u32 {
        0x0009
        | 0x000A
        | 0x000C
        | 0x000D
        | 0x1680
        | 0x200B..=0x200F
        | 0x2028
        | 0x2029
        | 0x2581
        | 0xFEFF
        | 0xFFFD => ' ',
        _ => c,
    });
}
