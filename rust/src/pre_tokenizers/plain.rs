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
    Literal(Literal<'a>, SplitDelimiterBehavior),
    /// A `Split` on a pattern with a hand-written matcher (GPT-2's,
    /// cl100k's / Llama-3's, o200k's) that keeps every match.
    Hand(crate::pattern::Splitter),
    /// A `Split` with `invert`: the matches and the text between swap roles.
    Inverted(&'a crate::pattern::Regex, SplitDelimiterBehavior),
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

pub struct PlainSplitter<'a> {
    steps: Vec<Step<'a>>,
}

impl<'a> PlainSplitter<'a> {
    /// The splitter for `p`, or `None` when `p` changes the text in a way
    /// this path does not model (Metaspace, UnicodeScripts, FixedLength,
    /// an inverted literal Split, anything after ByteLevel).
    pub fn new(p: &'a PreTokenizer) -> Option<Self> {
        let mut s = PlainSplitter { steps: Vec::new() };
        s.push(p)?;
        Some(s)
    }

    fn push(&mut self, p: &'a PreTokenizer) -> Option<()> {
        use SplitDelimiterBehavior::*;
        if matches!(self.steps.last(), Some(Step::ByteLevel { .. })) {
            return None;
        }
        match p {
            PreTokenizer::Whitespace => self.steps.push(Step::Cut(&WordRuns, Removed)),
            PreTokenizer::WhitespaceSplit => self.steps.push(Step::Cut(&WHITESPACE, Removed)),
            PreTokenizer::BertPreTokenizer => {
                self.steps.push(Step::Cut(&BERT_SPACE, Removed));
                self.steps.push(Step::Cut(&BERT_PUNC, Isolated));
            }
            PreTokenizer::Punctuation(x) => self.steps.push(Step::Cut(&BERT_PUNC, x.behavior)),
            PreTokenizer::Digits(d) => {
                let b = if d.individual_digits {
                    Isolated
                } else {
                    Contiguous
                };
                self.steps.push(Step::Cut(&NUMERIC, b));
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

    /// True when the words still need the byte-to-char rewrite of `ByteLevel`.
    pub fn byte_level(&self) -> bool {
        matches!(self.steps.last(), Some(Step::ByteLevel { .. }))
    }

    /// Calls `f` with every (non-empty) word of `s`.
    pub fn split(&self, s: &str, f: &mut dyn FnMut(&str)) -> Result<()> {
        run(&self.steps, s, f)
    }
}

fn run(steps: &[Step<'_>], s: &str, f: &mut dyn FnMut(&str)) -> Result<()> {
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
                run(rest, &s[a..b], f)?;
            }
        }
        Ok(())
    };
    match step {
        Step::Hand(split) => {
            split(s, &mut |a: usize, b: usize| {
                if err.is_none() {
                    if let Err(e) = run(rest, &s[a..b], f) {
                        err = Some(e);
                    }
                }
            });
            err.map_or(Ok(()), Err)
        }
        Step::Cut(pattern, behavior) => cut(*pattern, *behavior, f),
        Step::Literal(lit, behavior) => cut(lit, *behavior, f),
        Step::Inverted(re, behavior) => cut(&crate::pattern::Invert(*re), *behavior, f),
        Step::ByteLevel {
            add_prefix_space,
            use_regex,
        } => {
            let spaced;
            // (An empty text gets no prefix space, as in `tokenizers`.)
            let s = if *add_prefix_space && !s.is_empty() && !s.starts_with(' ') {
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
            r#"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Removed","invert":true},{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]}"#,
            r#"{"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false}"#,
        ];
        let alphabet: Vec<char> = " \t\n\u{a0}'sStTrevmld1٣½.,!-_aZé日👍\u{301}\u{200d}ab"
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
    fn text_changing_pre_tokenizers_have_no_plain_splitter() {
        for spec in [
            r#"{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}"#,
            r#"{"type":"UnicodeScripts"}"#,
            r#"{"type":"Sequence","pretokenizers":[{"type":"ByteLevel"},{"type":"Whitespace"}]}"#,
        ] {
            let p: PreTokenizer =
                serde_json::from_str(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert!(PlainSplitter::new(&p).is_none(), "{spec}");
        }
    }
}
