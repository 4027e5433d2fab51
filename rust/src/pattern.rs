//! What a split or a replace looks for: a char predicate, a literal string or
//! a regex. Every pattern reports the whole input as alternating runs of
//! `(span, is_match)`, the shape `NormalizedString::split` consumes.

use crate::error::{Error, Result};
use crate::normalized::Offsets;

pub trait Pattern {
    fn find_matches(&self, inside: &str) -> Result<Vec<(Offsets, bool)>>;
}

/// Every char for which the predicate holds is a match of its own.
pub struct CharPredicate<F: Fn(char) -> bool>(pub F);

impl<F: Fn(char) -> bool> Pattern for CharPredicate<F> {
    fn find_matches(&self, inside: &str) -> Result<Vec<(Offsets, bool)>> {
        if inside.is_empty() {
            return Ok(vec![((0, 0), false)]);
        }
        let mut out = Vec::new();
        let mut last = 0;
        for (i, c) in inside.char_indices() {
            if (self.0)(c) {
                if last < i {
                    out.push(((last, i), false));
                }
                last = i + c.len_utf8();
                out.push(((i, last), true));
            }
        }
        if last < inside.len() {
            out.push(((last, inside.len()), false));
        }
        Ok(out)
    }
}

impl Pattern for char {
    fn find_matches(&self, inside: &str) -> Result<Vec<(Offsets, bool)>> {
        let c = *self;
        CharPredicate(move |x| x == c).find_matches(inside)
    }
}

/// A regex compiled with Oniguruma, the engine `tokenizers` itself uses, so
/// that look-arounds, possessive quantifiers and Unicode classes behave the same.
#[derive(Clone)]
pub struct Regex {
    pub pattern: String,
    re: std::sync::Arc<onig::Regex>,
    /// A hand-written matcher for this exact pattern, when there is one
    /// (GPT-2's and cl100k's: see `pre_tokenizers::gpt2`); its matches
    /// cover the whole text, exactly as the regex's do.
    fast: Option<Splitter>,
}

/// A hand-written matcher (see `pre_tokenizers::gpt2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Splitter {
    Gpt2,
    Cl100k,
    O200k,
}

impl Splitter {
    /// Calls `f(start, end)` for every match in `s`, in order; the matches
    /// cover `s` entirely. Generic, so that a caller's closure inlines into
    /// the matcher's loop.
    #[inline]
    pub fn split(self, s: &str, f: impl FnMut(usize, usize)) {
        use crate::pre_tokenizers::gpt2;
        match self {
            Splitter::Gpt2 => gpt2::split(s, f),
            Splitter::Cl100k => gpt2::split_cl100k(s, f),
            Splitter::O200k => gpt2::split_o200k(s, f),
        }
    }
}

impl std::fmt::Debug for Regex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Regex({:?})", self.pattern)
    }
}

impl Regex {
    pub fn new(pattern: &str) -> Result<Self> {
        let re = onig::Regex::new(pattern)
            .map_err(|e| Error::config(format!("invalid regex {pattern:?}: {e}")))?;
        let fast = match pattern {
            crate::pre_tokenizers::byte_level::GPT2_PATTERN => Some(Splitter::Gpt2),
            crate::pre_tokenizers::gpt2::CL100K_PATTERN => Some(Splitter::Cl100k),
            crate::pre_tokenizers::gpt2::O200K_PATTERN => Some(Splitter::O200k),
            _ => None,
        };
        Ok(Regex {
            pattern: pattern.to_owned(),
            re: std::sync::Arc::new(re),
            fast,
        })
    }

    /// The hand-written matcher of this pattern, if it has one; its matches
    /// cover the whole text.
    pub fn hand_written(&self) -> Option<Splitter> {
        self.fast
    }

    /// A regex matching `literal` exactly.
    pub fn literal(literal: &str) -> Result<Self> {
        let mut escaped = String::with_capacity(literal.len() * 2);
        for c in literal.chars() {
            if "\\.+*?()|[]{}^$#&-~ \t\n\r\x0b\x0c/".contains(c) {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        Regex::new(&escaped)
    }

    pub fn find_iter<'a>(&'a self, inside: &'a str) -> impl Iterator<Item = Offsets> + 'a {
        self.re.find_iter(inside)
    }
}

impl Pattern for Regex {
    fn find_matches(&self, inside: &str) -> Result<Vec<(Offsets, bool)>> {
        if inside.is_empty() {
            return Ok(vec![((0, 0), false)]);
        }
        let mut out = Vec::new();
        if let Some(fast) = self.fast {
            fast.split(inside, |a, b| out.push(((a, b), true)));
            return Ok(out);
        }
        let mut prev = 0;
        for (s, e) in self.re.find_iter(inside) {
            if prev != s {
                out.push(((prev, s), false));
            }
            out.push(((s, e), true));
            prev = e;
        }
        if prev != inside.len() {
            out.push(((prev, inside.len()), false));
        }
        Ok(out)
    }
}

/// A literal string pattern; the empty string never matches.
pub struct Literal<'a>(pub &'a str);

impl Pattern for Literal<'_> {
    fn find_matches(&self, inside: &str) -> Result<Vec<(Offsets, bool)>> {
        if self.0.is_empty() || inside.is_empty() {
            return Ok(vec![((0, inside.len()), false)]);
        }
        let mut out = Vec::new();
        let mut prev = 0;
        for (s, m) in inside.match_indices(self.0) {
            if prev != s {
                out.push(((prev, s), false));
            }
            out.push(((s, s + m.len()), true));
            prev = s + m.len();
        }
        if prev != inside.len() {
            out.push(((prev, inside.len()), false));
        }
        Ok(out)
    }
}

/// Flips match and non-match runs.
pub struct Invert<'a, P: Pattern + ?Sized>(pub &'a P);

impl<P: Pattern + ?Sized> Pattern for Invert<'_, P> {
    fn find_matches(&self, inside: &str) -> Result<Vec<(Offsets, bool)>> {
        Ok(self
            .0
            .find_matches(inside)?
            .into_iter()
            .map(|(o, m)| (o, !m))
            .collect())
    }
}
