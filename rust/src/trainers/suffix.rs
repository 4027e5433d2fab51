//! The repeated substrings of a text that the Unigram trainer starts from:
//! every internal node of the text's suffix tree (a substring that occurs at
//! least twice and is not always followed by the same char), with its number
//! of occurrences. Found as the LCP intervals of the suffix array, as
//! SentencePiece's esaxx does.
//!
//! The suffix array is built by prefix doubling with radix sorts,
//! O(n log m) for n chars whose longest repeat is m chars; the LCP array by
//! Kasai's algorithm; the intervals by one pass with a stack.

/// Suffix array of `t`: the start of every suffix, in sorted order.
pub fn suffix_array(t: &[u32]) -> Vec<u32> {
    let n = t.len();
    if n == 0 {
        return Vec::new();
    }
    // Initial ranks: the chars, renumbered densely.
    let mut sorted: Vec<u32> = t.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut rank: Vec<u32> = t
        .iter()
        .map(|c| sorted.partition_point(|x| x < c) as u32)
        .collect();
    let mut classes = sorted.len();
    let mut sa: Vec<u32> = (0..n as u32).collect();
    sa.sort_unstable_by_key(|&i| rank[i as usize]);
    let mut tmp = vec![0u32; n];
    let mut second = vec![0u32; n];
    let mut count = Vec::new();
    let mut k = 1usize;
    while classes < n {
        // Order by (rank[i], rank[i + k]), suffixes shorter than k first:
        // sort by the second key, then stably by the first (counting sort).
        let mut p = 0;
        for i in n - k..n {
            second[p] = i as u32;
            p += 1;
        }
        for &i in &sa {
            if i as usize >= k {
                second[p] = i - k as u32;
                p += 1;
            }
        }
        count.clear();
        count.resize(classes + 1, 0u32);
        for &r in &rank {
            count[r as usize + 1] += 1;
        }
        for c in 1..count.len() {
            count[c] += count[c - 1];
        }
        for &i in &second {
            let r = rank[i as usize] as usize;
            sa[count[r] as usize] = i;
            count[r] += 1;
        }
        // New ranks: equal pairs share one.
        let key = |i: u32| {
            let i = i as usize;
            (rank[i], if i + k < n { rank[i + k] as i64 } else { -1 })
        };
        tmp[sa[0] as usize] = 0;
        let mut c = 0u32;
        for w in 1..n {
            if key(sa[w]) != key(sa[w - 1]) {
                c += 1;
            }
            tmp[sa[w] as usize] = c;
        }
        std::mem::swap(&mut rank, &mut tmp);
        classes = c as usize + 1;
        k *= 2;
        if k >= n {
            break;
        }
    }
    sa
}

/// `lcp[i]`: the length of the common prefix of suffixes `sa[i - 1]` and
/// `sa[i]` (`lcp[0] = 0`), by Kasai's algorithm.
pub fn lcp_array(t: &[u32], sa: &[u32]) -> Vec<u32> {
    let n = t.len();
    let mut rank = vec![0u32; n];
    for (r, &i) in sa.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    let mut lcp = vec![0u32; n];
    let mut h = 0usize;
    for i in 0..n {
        let r = rank[i] as usize;
        if r == 0 {
            h = 0;
            continue;
        }
        let j = sa[r - 1] as usize;
        while i + h < n && j + h < n && t[i + h] == t[j + h] {
            h += 1;
        }
        lcp[r] = h as u32;
        h = h.saturating_sub(1);
    }
    lcp
}

/// Calls `f(start, len, occurrences)` for every internal node of the suffix
/// tree of `t` (depth above 0): `t[start..start + len]` occurs
/// `occurrences` (at least 2) times and is followed by at least two
/// different chars (or by the end of the text).
pub fn repeats(t: &[u32], mut f: impl FnMut(usize, usize, usize)) {
    let n = t.len();
    if n < 2 {
        return;
    }
    let sa = suffix_array(t);
    let lcp = lcp_array(t, &sa);
    // (lcp value, left bound) of the open intervals.
    let mut stack: Vec<(u32, usize)> = vec![(0, 0)];
    for i in 1..=n {
        let cur = lcp.get(i).copied().unwrap_or(0);
        let mut left = i - 1;
        while let Some(&(h, l)) = stack.last() {
            if cur >= h {
                break;
            }
            stack.pop();
            f(sa[l] as usize, h as usize, i - l);
            left = l;
        }
        if stack.last().is_none_or(|&(h, _)| cur > h) {
            stack.push((cur, left));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every right-maximal repeat by brute force: substrings seen at least
    /// twice whose occurrences are not all followed by one same char.
    fn brute(t: &[u32]) -> BTreeMap<Vec<u32>, usize> {
        let n = t.len();
        let mut out = BTreeMap::new();
        for len in 1..=n {
            let mut occ: BTreeMap<&[u32], Vec<usize>> = BTreeMap::new();
            for s in 0..=n - len {
                occ.entry(&t[s..s + len]).or_default().push(s);
            }
            for (sub, starts) in occ {
                if starts.len() < 2 {
                    continue;
                }
                let next: Vec<Option<u32>> =
                    starts.iter().map(|&s| t.get(s + len).copied()).collect();
                let branching = next.iter().any(|x| *x != next[0]) || next[0].is_none();
                if branching {
                    out.insert(sub.to_vec(), starts.len());
                }
            }
        }
        out
    }

    #[test]
    fn suffix_array_is_sorted() {
        let t: Vec<u32> = "mississippi\0banana\0".chars().map(u32::from).collect();
        let sa = suffix_array(&t);
        for w in sa.windows(2) {
            assert!(t[w[0] as usize..] < t[w[1] as usize..]);
        }
        assert_eq!(sa.len(), t.len());
    }

    #[test]
    fn repeats_are_the_right_maximal_repeats() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        for round in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let alphabet = 1 + (round % 4) as u64;
            let len = (x % 30) as usize;
            let t: Vec<u32> = (0..len)
                .map(|k| ((x >> (k * 2 % 60)) % alphabet + if k % 7 == 6 { 0 } else { 97 }) as u32)
                .collect();
            let mut got = BTreeMap::new();
            repeats(&t, |s, l, f| {
                assert!(
                    got.insert(t[s..s + l].to_vec(), f).is_none(),
                    "a node twice"
                );
            });
            assert_eq!(got, brute(&t), "{t:?}");
        }
    }

    #[test]
    fn long_runs_are_fine() {
        let t = vec![7u32; 5000];
        let mut nodes = 0;
        repeats(&t, |_, l, f| {
            assert_eq!(f, 5000 - l + 1);
            nodes += 1;
        });
        assert_eq!(nodes, 4999);
    }
}
