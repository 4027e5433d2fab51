//! Pre-tokenization without alignments, for when only the words' text is
//! needed (training counts words). Most pre-tokenizers only cut the text;
//! such a pipeline runs here on plain `&str` slices, with no
//! `NormalizedString` per piece. `ByteLevel` may end it: its split runs here
//! and its byte-to-char rewrite is left to the caller ([`PlainSplitter::byte_level`]),
//! which can apply it once per distinct word.

use super::{is_bert_punc, PreTokenizer, WordRuns};
use crate::error::Result;
use crate::normalized::{apply_behavior, SplitDelimiterBehavior};
use crate::normalizers::StringOrRegex;
use crate::pattern::{CharPredicate, Literal, Pattern};

type Pat<'a> = &'a (dyn Pattern + Sync);

enum Step<'a> {
    Cut(Pat<'a>, SplitDelimiterBehavior),
    /// A cut on one class of chars (whitespace, punctuation, digits):
    /// `Removed` and `Isolated` run as one loop with no match list.
    Chars(CharClass, SplitDelimiterBehavior),
    Literal(Literal<'a>, SplitDelimiterBehavior),
    /// A `Split` on a pattern with a hand-written matcher (GPT-2's,
    /// cl100k's / Llama-3's, o200k's) that keeps every match.
    Hand(crate::pattern::Splitter),
    /// A `Split` with `invert`: the matches and the text between swap roles.
    Inverted(&'a crate::pattern::Regex, SplitDelimiterBehavior),
    /// `Metaspace`: spaces become the replacement char, maybe one is
    /// prepended, and each replacement char starts a new word (with
    /// `split`). `First` is only taken as the first step, where `at_start`
    /// says whether the text begins the input.
    Metaspace {
        replacement: char,
        prepend: super::PrependScheme,
        split: bool,
    },
    /// `BertPreTokenizer`: whitespace removed and punctuation isolated, in
    /// one pass (the two cuts one after the other took a third of BERT's
    /// time on short documents).
    Bert,
    /// `ByteLevel`'s own split (with its optional prefix space); always last.
    ByteLevel {
        add_prefix_space: bool,
        use_regex: bool,
    },
}

static WHITESPACE: CharPredicate<fn(char) -> bool> = CharPredicate(char::is_whitespace);
static BERT_SPACE: CharPredicate<fn(char) -> bool> =
    CharPredicate(crate::normalizers::bert_whitespace);
static BERT_PUNC: CharPredicate<fn(char) -> bool> = CharPredicate(is_bert_punc);
static NUMERIC: CharPredicate<fn(char) -> bool> = CharPredicate(char::is_numeric);

/// The classes of chars the cutting pre-tokenizers cut on, tested by a
/// `match` the loops below inline (no call through a pointer per char).
#[derive(Clone, Copy)]
enum CharClass {
    Whitespace,
    BertSpace,
    BertPunc,
    Numeric,
}

impl CharClass {
    #[inline(always)]
    fn has(self, c: char) -> bool {
        match self {
            CharClass::Whitespace => c.is_whitespace(),
            CharClass::BertSpace => crate::normalizers::bert_whitespace(c),
            CharClass::BertPunc => is_bert_punc(c),
            CharClass::Numeric => c.is_numeric(),
        }
    }

    fn predicate(self) -> &'static CharPredicate<fn(char) -> bool> {
        match self {
            CharClass::Whitespace => &WHITESPACE,
            CharClass::BertSpace => &BERT_SPACE,
            CharClass::BertPunc => &BERT_PUNC,
            CharClass::Numeric => &NUMERIC,
        }
    }
}

pub struct PlainSplitter<'a> {
    steps: Vec<Step<'a>>,
    /// How the first step cuts at line starts (see [`PlainSplitter::line_starts`]).
    line_cut: LineCut,
}

/// How a pre-tokenizer's first step treats a `\n` between a visible ASCII
/// char and an ASCII letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineCut {
    /// It may join pieces across it: texts are never cut there.
    No,
    /// It drops all whitespace: any whitespace-preserving normalizer keeps
    /// the cut safe.
    Whitespace,
    /// A hand-written GPT-2 / cl100k / o200k pattern (or ByteLevel's): safe
    /// when the three chars reach it unchanged.
    Pattern {
        /// ByteLevel's prefix space on the whole text comes first.
        prefix_space: bool,
    },
}

/// [`PlainSplitter::line_starts`] with `wide`: cuts of `s` about `size`
/// bytes apart, after a whitespace char (a space or `\n`: `spaces`) or
/// after a `\n` (else) as described there.
fn wide_line_starts(s: &str, size: usize, spaces: bool) -> Vec<usize> {
    use crate::pre_tokenizers::gpt2::{is_letter, is_space};
    let b = s.as_bytes();
    // The char at byte `i` (a char boundary), if any.
    let at = |i: usize| s.get(i..).and_then(|t| t.chars().next());
    // The char that ends at byte `i` (a char boundary after it).
    let before = |i: usize| s.get(..i).and_then(|t| t.chars().next_back());
    let mut cuts = Vec::new();
    let mut from = size;
    while from < b.len() {
        // Whitespace runs end every few bytes in any script; line breaks
        // are rarer, found by memchr.
        let found = if spaces {
            let rest = b.get(from..).unwrap_or_default();
            memchr::memchr2_iter(b' ', b'\n', rest)
                .map(|j| from + j + 1)
                .find(|&c| at(c).is_some_and(|ch| !is_space(ch)))
        } else {
            let start = from.max(1);
            let rest = b.get(start..).unwrap_or_default();
            memchr::memchr_iter(b'\n', rest)
                .map(|j| start + j)
                .find(|&n| {
                    before(n).is_some_and(|ch| !is_space(ch)) && at(n + 1).is_some_and(is_letter)
                })
                .map(|n| n + 1)
        };
        let Some(cut) = found else {
            break;
        };
        cuts.push(cut);
        from = cut + size;
    }
    cuts
}

impl<'a> PlainSplitter<'a> {
    /// The splitter for `p`, or `None` when `p` changes the text in a way
    /// this path does not model (UnicodeScripts, FixedLength, an inverted
    /// literal Split, anything after ByteLevel or Metaspace, Metaspace with
    /// the `first` scheme after another step).
    pub fn new(p: &'a PreTokenizer) -> Option<Self> {
        let mut s = PlainSplitter {
            steps: Vec::new(),
            line_cut: LineCut::No,
        };
        s.push(p)?;
        s.line_cut = Self::first_line_cut(p);
        Some(s)
    }

    fn push(&mut self, p: &'a PreTokenizer) -> Option<()> {
        use SplitDelimiterBehavior::*;
        if matches!(
            self.steps.last(),
            Some(Step::ByteLevel { .. } | Step::Metaspace { .. })
        ) {
            return None;
        }
        match p {
            PreTokenizer::Whitespace => self.steps.push(Step::Cut(&WordRuns, Removed)),
            PreTokenizer::WhitespaceSplit => {
                self.steps.push(Step::Chars(CharClass::Whitespace, Removed))
            }
            PreTokenizer::BertPreTokenizer => {
                self.steps.push(Step::Bert);
            }
            PreTokenizer::Punctuation(x) => self
                .steps
                .push(Step::Chars(CharClass::BertPunc, x.behavior)),
            PreTokenizer::Digits(d) => {
                let b = if d.individual_digits {
                    Isolated
                } else {
                    Contiguous
                };
                self.steps.push(Step::Chars(CharClass::Numeric, b));
            }
            PreTokenizer::CharDelimiterSplit(c) => {
                self.steps.push(Step::Cut(&c.delimiter, Removed))
            }
            PreTokenizer::Split(x) => {
                // Both forms keep every match and nothing else when, as for
                // the hand-written patterns, the matches cover the whole text.
                let keeps_matches =
                    (!x.invert && x.behavior == Isolated) || (x.invert && x.behavior == Removed);
                let hand = x.regex().and_then(|re| re.hand_written());
                let step = match (x.regex(), &x.pattern, hand) {
                    (Some(_), _, Some(split)) if keeps_matches => Step::Hand(split),
                    (Some(re), _, _) if x.invert => Step::Inverted(re, x.behavior),
                    (Some(re), _, _) => Step::Cut(re, x.behavior),
                    (None, StringOrRegex::String(lit), _) if !x.invert => {
                        Step::Literal(Literal(lit), x.behavior)
                    }
                    _ => return None,
                };
                self.steps.push(step);
            }
            PreTokenizer::Metaspace(m) => {
                if m.prepend_scheme == super::PrependScheme::First && !self.steps.is_empty() {
                    return None;
                }
                self.steps.push(Step::Metaspace {
                    replacement: m.replacement,
                    prepend: m.prepend_scheme,
                    split: m.split,
                })
            }
            PreTokenizer::ByteLevel(b) => self.steps.push(Step::ByteLevel {
                add_prefix_space: b.add_prefix_space,
                use_regex: b.use_regex,
            }),
            PreTokenizer::Sequence(seq) => {
                for q in &seq.pretokenizers {
                    self.push(q)?;
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// Whether `p`, run first on a text, cuts it after every `\n` that sits
    /// between a visible ASCII char and an ASCII letter, with no piece and
    /// no decision crossing that point, and the same pieces whether the text
    /// goes on or ends there: whitespace splitters drop the `\n`; the
    /// hand-written GPT-2 / cl100k / o200k patterns end every match before
    /// such a letter (their letter runs never start with `\n`, their
    /// whitespace and punctuation runs never take a letter), take the `\n`
    /// alone or after punctuation either way, and look only forward. Pieces
    /// never cross such a point, so every later step sees them alone.
    fn first_line_cut(p: &PreTokenizer) -> LineCut {
        match p {
            PreTokenizer::Whitespace
            | PreTokenizer::WhitespaceSplit
            | PreTokenizer::BertPreTokenizer => LineCut::Whitespace,
            PreTokenizer::ByteLevel(b) if b.use_regex => LineCut::Pattern {
                prefix_space: b.add_prefix_space,
            },
            PreTokenizer::Split(x) => {
                use SplitDelimiterBehavior::*;
                let keeps_matches =
                    (!x.invert && x.behavior == Isolated) || (x.invert && x.behavior == Removed);
                if keeps_matches && x.regex().and_then(|re| re.hand_written()).is_some() {
                    LineCut::Pattern {
                        prefix_space: false,
                    }
                } else {
                    LineCut::No
                }
            }
            PreTokenizer::Sequence(seq) => seq
                .pretokenizers
                .first()
                .map_or(LineCut::No, Self::first_line_cut),
            _ => LineCut::No,
        }
    }

    /// How this splitter's first step treats line starts.
    pub fn line_cut(&self) -> LineCut {
        self.line_cut
    }

    /// Byte offsets that cut `s` into independent parts of about `size`
    /// bytes, when this splitter allows it: the words of the parts, in
    /// order, are the words of `s` (the first part alone gets `ByteLevel`'s
    /// prefix space). A pattern splitter is cut after a `\n` between a
    /// visible ASCII char and an ASCII letter; a whitespace splitter also
    /// after a space, and before any ASCII letter or digit that such a
    /// whitespace char follows (after an ASCII char other than `\r`, so
    /// that the whitespace is a grapheme of its own for a normalizer that
    /// works by graphemes). Empty when it does not, or `s` has no such
    /// point.
    ///
    /// `wide` (for text the splitter sees as it is: already normalized, or
    /// under a normalizer that keeps any such cut) lifts the ASCII limits,
    /// so that text in other scripts is cut too: a pattern splitter after a
    /// `\n` between a char that is not whitespace and a letter (`\p{L}`);
    /// a whitespace splitter after any space or `\n` that ends a
    /// whitespace run.
    pub fn line_starts(&self, s: &str, size: usize, wide: bool) -> Vec<usize> {
        let mut cuts = Vec::new();
        if self.line_cut == LineCut::No || size == 0 {
            return cuts;
        }
        let spaces = self.line_cut == LineCut::Whitespace;
        if wide {
            return wide_line_starts(s, size, spaces);
        }
        let b = s.as_bytes();
        let mut from = size;
        while from < b.len() {
            // A visible ASCII char, `\n`, an ASCII letter: the `\n` is a
            // whitespace run of its own whether the letter follows or the
            // text ends (GPT-2's `\s+(?!\S)` would take spaces before it
            // along at the end of a part).
            let found = if spaces {
                // Frequent in any text: found within a few bytes.
                b[from..].windows(3).position(|w| {
                    w[0] < 0x80
                        && w[0] != b'\r'
                        && (w[1] == b' ' || w[1] == b'\n')
                        && w[2].is_ascii_alphanumeric()
                })
            } else {
                // Rarer (code indents most lines): line breaks by memchr.
                // (The window starts at `from`: the `\n` at `from + 1` on.)
                let at = from + 1;
                let rest = b.get(at..).unwrap_or_default();
                memchr::memchr_iter(b'\n', rest).find(|&j| {
                    let n = at + j;
                    b[n - 1].is_ascii_graphic() && b.get(n + 1).is_some_and(u8::is_ascii_alphabetic)
                })
            };
            let Some(i) = found else {
                break;
            };
            let cut = from + i + 2;
            cuts.push(cut);
            from = cut + size;
        }
        cuts
    }

    /// [`PlainSplitter::split`] on one part of a text cut by
    /// [`PlainSplitter::line_starts`]: only the first part (`at_start`) gets
    /// ByteLevel's prefix space.
    pub fn split_part(&self, s: &str, at_start: bool, f: &mut dyn FnMut(&str)) -> Result<()> {
        run(&self.steps, s, at_start, f)
    }

    /// True when a step rewrites the words (ByteLevel, Metaspace), so that
    /// they are not slices of the text.
    pub fn rewrites(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::ByteLevel { .. } | Step::Metaspace { .. }))
    }

    /// True when a `ByteLevel` step may put a space before the text, so that
    /// the first word is not a slice of it.
    pub fn adds_prefix_space(&self) -> bool {
        self.steps.iter().any(|s| {
            matches!(
                s,
                Step::ByteLevel {
                    add_prefix_space: true,
                    ..
                }
            )
        })
    }

    /// The hand-written matcher that alone gives this splitter's words
    /// (ByteLevel's rewrite aside), when there is one: cl100k's, o200k's or
    /// Llama-3's `Split`, alone or before a `ByteLevel` that does not split,
    /// or a `ByteLevel` that splits by GPT-2's pattern with no prefix space.
    /// Its words are then `f(start, end)` calls a caller can inline.
    pub fn hand_only(&self) -> Option<crate::pattern::Splitter> {
        match self.steps.as_slice() {
            [Step::ByteLevel {
                add_prefix_space: false,
                use_regex: true,
            }] => Some(crate::pattern::Splitter::Gpt2),
            steps => lone_hand(steps),
        }
    }

    /// True when the words still need the byte-to-char rewrite of `ByteLevel`.
    pub fn byte_level(&self) -> bool {
        matches!(self.steps.last(), Some(Step::ByteLevel { .. }))
    }

    /// Calls `f` with every (non-empty) word of `s`.
    pub fn split(&self, s: &str, f: &mut dyn FnMut(&str)) -> Result<()> {
        self.split_part(s, true, f)
    }
}

/// The matcher of `steps` when it is a hand-written `Split` alone, or
/// before a `ByteLevel` that neither splits nor adds a space: its matches
/// are then the words as they are.
fn lone_hand(steps: &[Step<'_>]) -> Option<crate::pattern::Splitter> {
    match steps {
        [Step::Hand(h)]
        | [Step::Hand(h), Step::ByteLevel {
            add_prefix_space: false,
            use_regex: false,
        }] => Some(*h),
        _ => None,
    }
}

/// Runs `steps` on `s`; `at_start` is false only for a later part of a text
/// cut by [`PlainSplitter::line_starts`] (no ByteLevel prefix space there).
fn run(steps: &[Step<'_>], s: &str, at_start: bool, f: &mut dyn FnMut(&str)) -> Result<()> {
    let Some((step, rest)) = steps.split_first() else {
        if !s.is_empty() {
            f(s);
        }
        return Ok(());
    };
    let mut err = None;
    let cut = |pattern: &dyn Pattern, behavior: SplitDelimiterBehavior, f: &mut dyn FnMut(&str)| {
        for (a, b) in apply_behavior(pattern.find_matches(s)?, behavior) {
            if a < b {
                run(rest, &s[a..b], true, f)?;
            }
        }
        Ok(())
    };
    match step {
        // The common case (cl100k's, o200k's, Llama-3's files): the words go
        // straight out, ByteLevel's rewrite being left to the caller.
        Step::Hand(split) if lone_hand(steps).is_some() => {
            split.split(s, |a: usize, b: usize| f(&s[a..b]));
            Ok(())
        }
        Step::Hand(split) => {
            split.split(s, |a: usize, b: usize| {
                if err.is_none() {
                    if let Err(e) = run(rest, &s[a..b], true, f) {
                        err = Some(e);
                    }
                }
            });
            err.map_or(Ok(()), Err)
        }
        Step::Chars(pred, SplitDelimiterBehavior::Removed) => {
            let mut start = None;
            for (i, c) in s.char_indices() {
                if pred.has(c) {
                    if let Some(a) = start.take() {
                        run(rest, &s[a..i], true, f)?;
                    }
                } else if start.is_none() {
                    start = Some(i);
                }
            }
            if let Some(a) = start {
                run(rest, &s[a..], true, f)?;
            }
            Ok(())
        }
        Step::Chars(pred, SplitDelimiterBehavior::Isolated) => {
            let mut start = 0;
            for (i, c) in s.char_indices() {
                if pred.has(c) {
                    if start < i {
                        run(rest, &s[start..i], true, f)?;
                    }
                    let end = i + c.len_utf8();
                    run(rest, &s[i..end], true, f)?;
                    start = end;
                }
            }
            if start < s.len() {
                run(rest, &s[start..], true, f)?;
            }
            Ok(())
        }
        Step::Bert => {
            // A whitespace char ends a word; a punctuation char (never also
            // whitespace) ends one and is a word itself.
            let b = s.as_bytes();
            let mut start = None;
            let mut i = 0;
            while i < b.len() {
                let (c, len) = if b[i] < 0x80 {
                    (char::from(b[i]), 1)
                } else {
                    match s[i..].chars().next() {
                        Some(c) => (c, c.len_utf8()),
                        None => break,
                    }
                };
                if CharClass::BertSpace.has(c) {
                    if let Some(a) = start.take() {
                        run(rest, &s[a..i], true, f)?;
                    }
                } else if CharClass::BertPunc.has(c) {
                    if let Some(a) = start.take() {
                        run(rest, &s[a..i], true, f)?;
                    }
                    run(rest, &s[i..i + len], true, f)?;
                } else if start.is_none() {
                    start = Some(i);
                }
                i += len;
            }
            if let Some(a) = start {
                run(rest, &s[a..], true, f)?;
            }
            Ok(())
        }
        Step::Chars(pred, behavior) => cut(pred.predicate(), *behavior, f),
        Step::Cut(pattern, behavior) => cut(*pattern, *behavior, f),
        Step::Literal(lit, behavior) => cut(lit, *behavior, f),
        Step::Inverted(re, behavior) => cut(&crate::pattern::Invert(*re), *behavior, f),
        Step::Metaspace {
            replacement,
            prepend,
            split,
        } => {
            use super::PrependScheme::*;
            if s.is_empty() {
                return Ok(());
            }
            thread_local! {
                /// The rewritten text (Metaspace is the last step, so one
                /// buffer per thread serves every call).
                static BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
            }
            BUF.with(|buf| {
                let mut own = String::new();
                let mut guard = buf.try_borrow_mut();
                let t = match guard.as_deref_mut() {
                    Ok(b) => b,
                    Err(_) => &mut own,
                };
                t.clear();
                let rep = *replacement;
                // (A char compare: `starts_with(char)` calls memcmp.)
                let starts = matches!(s.chars().next(), Some(c) if c == ' ' || c == rep);
                if !starts && (*prepend == Always || (*prepend == First && at_start)) {
                    t.push(rep);
                }
                let mut rest_of = s;
                let mut inner = false;
                while let Some(k) = rest_of.find(' ') {
                    t.push_str(&rest_of[..k]);
                    t.push(rep);
                    rest_of = &rest_of[k + 1..];
                    inner = true;
                }
                t.push_str(rest_of);
                // One piece when nothing inside can start another (after
                // WhitespaceSplit, the common case: a word with no space).
                // (The lead byte first: a substring search costs more than
                // the short word it would look through.)
                let after = s.strip_prefix(rep).unwrap_or(s);
                let lead = rep.encode_utf8(&mut [0; 4]).as_bytes()[0];
                let rep_inside = after.as_bytes().contains(&lead) && after.contains(rep);
                if !*split || (!inner && !rep_inside) {
                    return run(rest, t, true, f);
                }
                let mut start = 0;
                for (i, c) in t.char_indices() {
                    if c == rep && i > start {
                        run(rest, &t[start..i], true, f)?;
                        start = i;
                    }
                }
                run(rest, &t[start..], true, f)
            })
        }
        Step::ByteLevel {
            add_prefix_space,
            use_regex,
        } => {
            let spaced;
            // (An empty text gets no prefix space, as in `tokenizers`.)
            let s = if *add_prefix_space && at_start && !s.is_empty() && !s.starts_with(' ') {
                spaced = format!(" {s}");
                spaced.as_str()
            } else {
                s
            };
            if *use_regex {
                super::gpt2::split(s, |a, b| f(&s[a..b]));
            } else if !s.is_empty() {
                f(s);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_general(p: &PreTokenizer, s: &str) -> Vec<String> {
        p.pre_tokenize_str(s)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|(w, _)| w)
            .collect()
    }

    fn words_plain(p: &PreTokenizer, s: &str) -> Vec<String> {
        let sp = PlainSplitter::new(p).unwrap_or_else(|| panic!("{p:?} has a plain splitter"));
        let table = crate::pre_tokenizers::byte_level::byte_to_char();
        let mut out = Vec::new();
        sp.split(s, &mut |w| {
            out.push(if sp.byte_level() {
                w.bytes().map(|b| table[b as usize]).collect()
            } else {
                w.to_owned()
            })
        })
        .unwrap_or_else(|e| panic!("{e}"));
        out
    }

    #[test]
    fn same_words_as_the_general_path() {
        let specs = [
            r#"{"type":"ByteLevel","add_prefix_space":false}"#,
            r#"{"type":"ByteLevel","add_prefix_space":true}"#,
            r#"{"type":"ByteLevel","add_prefix_space":true,"use_regex":false}"#,
            r#"{"type":"Whitespace"}"#,
            r#"{"type":"WhitespaceSplit"}"#,
            r#"{"type":"BertPreTokenizer"}"#,
            r#"{"type":"Punctuation","behavior":"Contiguous"}"#,
            r#"{"type":"Digits","individual_digits":true}"#,
            r#"{"type":"CharDelimiterSplit","delimiter":"-"}"#,
            r#"{"type":"Split","pattern":{"String":"ab"},"behavior":"MergedWithNext","invert":false}"#,
            r#"{"type":"Split","pattern":{"Regex":"\\s+"},"behavior":"MergedWithPrevious","invert":false}"#,
            r#"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]}"#,
            r#"{"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},{"type":"Digits","individual_digits":false},{"type":"Punctuation","behavior":"Isolated"}]}"#,
            r#"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+|\\s+"},"behavior":"Removed","invert":true},{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]}"#,
            r#"{"type":"Split","pattern":{"Regex":"a|é"},"behavior":"Contiguous","invert":true}"#,
            r#"{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}"#,
            r#"{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":true}"#,
            r#"{"type":"Metaspace","replacement":"▁","prepend_scheme":"never","split":true}"#,
            r#"{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":false}"#,
            r#"{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false}"#,
            r#"{"type":"Metaspace","replacement":"_","add_prefix_space":true}"#,
            r#"{"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},{"type":"Metaspace","prepend_scheme":"always"}]}"#,
            r#"{"type":"Sequence","pretokenizers":[{"type":"Digits","individual_digits":true},{"type":"Metaspace","prepend_scheme":"never"}]}"#,
            r#"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Removed","invert":true},{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]}"#,
            r#"{"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false}"#,
        ];
        let alphabet: Vec<char> = " \t\n\u{a0}'sStTrevmld1٣½.,!-_aZé日👍\u{301}\u{200d}ab▁  "
            .chars()
            .collect();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for spec in specs {
            let p: PreTokenizer =
                serde_json::from_str(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            for _ in 0..3000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let s: String = (0..(x % 14))
                    .map(|k| alphabet[((x >> (k * 4 % 60)) as usize + k as usize) % alphabet.len()])
                    .collect();
                assert_eq!(
                    words_plain(&p, &s),
                    words_general(&p, &s),
                    "{spec} on {s:?}"
                );
            }
        }
    }

    #[test]
    fn parts_cut_at_line_starts_give_the_words_of_the_whole() {
        use crate::pre_tokenizers::gpt2::{CL100K_PATTERN, O200K_PATTERN};
        let split = |pattern: &str| serde_json::json!({"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": false});
        // The form `tokenizers` writes for cl100k / Llama-3 / o200k files.
        let inverted = |pattern: &str| serde_json::json!({"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Removed", "invert": true});
        let gpt2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
        let byte_level =
            serde_json::json!({"type": "ByteLevel", "add_prefix_space": false, "use_regex": false});
        let specs = [
            serde_json::json!({"type": "ByteLevel", "add_prefix_space": false}),
            serde_json::json!({"type": "ByteLevel", "add_prefix_space": true}),
            serde_json::json!({"type": "Whitespace"}),
            serde_json::json!({"type": "WhitespaceSplit"}),
            serde_json::json!({"type": "BertPreTokenizer"}),
            // Pegasus / T5 style: words, then `▁` before each.
            serde_json::json!({"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Metaspace", "replacement": "\u{2581}", "add_prefix_space": true}]}),
            serde_json::json!({"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "Digits", "individual_digits": true}]}),
            serde_json::json!({"type": "Sequence", "pretokenizers": [split(gpt2), byte_level]}),
            serde_json::json!({"type": "Sequence", "pretokenizers": [split(CL100K_PATTERN), byte_level]}),
            serde_json::json!({"type": "Sequence", "pretokenizers": [inverted(CL100K_PATTERN), byte_level]}),
            serde_json::json!({"type": "Sequence", "pretokenizers": [inverted(O200K_PATTERN), byte_level]}),
            serde_json::json!({"type": "Sequence", "pretokenizers": [split(O200K_PATTERN), {"type": "Digits", "individual_digits": true}]}),
            split(CL100K_PATTERN),
        ];
        // With non-ASCII letters, marks and whitespace for the wide cuts.
        let alphabet: Vec<char> = "\n\n\n  \tab'sZ.,:-1\r\u{a0}é日ب\u{301}\u{3000}\u{85}\u{2028}\0"
            .chars()
            .collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for spec in specs {
            let p: PreTokenizer =
                serde_json::from_value(spec.clone()).unwrap_or_else(|e| panic!("{spec}: {e}"));
            let sp =
                PlainSplitter::new(&p).unwrap_or_else(|| panic!("{spec} has a plain splitter"));
            let table = crate::pre_tokenizers::byte_level::byte_to_char();
            let mut cut_somewhere = false;
            for wide in (0..8000).map(|k| k % 2 == 1) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let s: String = (0..(x % 40))
                    .map(|k| alphabet[((x >> (k * 3 % 61)) as usize + k as usize) % alphabet.len()])
                    .collect();
                let cuts = sp.line_starts(&s, 1, wide);
                cut_somewhere |= !cuts.is_empty();
                let mut bounds = vec![0];
                bounds.extend(&cuts);
                bounds.push(s.len());
                let mut words = Vec::new();
                for w in bounds.windows(2) {
                    sp.split_part(&s[w[0]..w[1]], w[0] == 0, &mut |t| {
                        words.push(if sp.byte_level() {
                            t.bytes().map(|b| table[b as usize]).collect()
                        } else {
                            t.to_owned()
                        })
                    })
                    .unwrap_or_else(|e| panic!("{e}"));
                }
                assert_eq!(
                    words,
                    words_general(&p, &s),
                    "{spec} on {s:?} cut at {cuts:?}"
                );
            }
            assert!(cut_somewhere, "{spec}: never cut");
        }
        for spec in [
            r#"{"type":"Punctuation","behavior":"Isolated"}"#,
            r#"{"type":"Digits","individual_digits":true}"#,
            r#"{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}"#,
            r#"{"type":"Split","pattern":{"Regex":"\\s+"},"behavior":"Isolated","invert":false}"#,
        ] {
            let p: PreTokenizer =
                serde_json::from_str(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            let sp =
                PlainSplitter::new(&p).unwrap_or_else(|| panic!("{spec} has a plain splitter"));
            for wide in [false, true] {
                assert!(sp.line_starts("ab.\nxy.\nzz", 1, wide).is_empty(), "{spec}");
            }
        }
    }

    #[test]
    fn text_changing_pre_tokenizers_have_no_plain_splitter() {
        for spec in [
            r#"{"type":"UnicodeScripts"}"#,
            r#"{"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},{"type":"Metaspace","prepend_scheme":"first"}]}"#,
            r#"{"type":"Sequence","pretokenizers":[{"type":"Metaspace"},{"type":"Whitespace"}]}"#,
            r#"{"type":"Sequence","pretokenizers":[{"type":"ByteLevel"},{"type":"Whitespace"}]}"#,
        ] {
            let p: PreTokenizer =
                serde_json::from_str(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert!(PlainSplitter::new(&p).is_none(), "{spec}");
        }
    }
}
