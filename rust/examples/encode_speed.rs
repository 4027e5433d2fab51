//! Single-thread speed of the bulk-ids path, and of its pre-tokenizer alone:
//!
//!     cargo run --release --example encode_speed -- tokenizer.json corpus.txt [doc_bytes]
//!
//! The corpus is cut into documents of about `doc_bytes` (default 8000) at
//! line ends; each is encoded once, in order (a cold start, like a real run).
//! Env: `SPLIT_ONLY`, `COLD_ONLY`, `WARM_MANY` (five warm passes),
//! `WARM_PASSES` (that many, printed each), `THREADS`
//! (then passes on all threads, `PAUSE_MS` apart).
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: encode_speed TOKENIZER_JSON CORPUS [DOC_BYTES]".into());
    }
    let mut tok = fasttok::tokenizer::Tokenizer::from_file(&args[1])?;
    tok.truncation = None;
    tok.padding = None;
    let text = std::fs::read_to_string(&args[2])?;
    let doc_bytes: usize = args.get(3).map_or(Ok(8000), |s| s.parse())?;
    let mut docs = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + doc_bytes).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        if let Some(nl) = text[end..].find('\n') {
            end += nl + 1;
        } else {
            end = text.len();
        }
        docs.push(&text[start..end]);
        start = end;
    }
    let mb = text.len() as f64 / 1e6;
    if let fasttok::models::Model::BPE(b) = &*tok.model {
        println!(
            "metaspace cuts: {}, isolated {:?}",
            b.cuts_before_metaspace(),
            (0..128u8)
                .filter(|&c| b.isolated_chars() >> c & 1 == 1)
                .map(char::from)
                .collect::<String>()
        );
    }
    if let Some(pre) = tok.pre_tokenizer.as_ref() {
        if let Some(sp) = fasttok::pre_tokenizers::plain::PlainSplitter::new(pre) {
            // Best of five passes over all documents.
            let best_of_5 = |pass: &mut dyn FnMut() -> fasttok::error::Result<()>| {
                let mut dt = f64::INFINITY;
                for _ in 0..5 {
                    let t = Instant::now();
                    pass()?;
                    dt = dt.min(t.elapsed().as_secs_f64());
                }
                Ok::<f64, fasttok::error::Error>(dt)
            };
            let mut n = 0usize;
            let dt = best_of_5(&mut || {
                n = 0;
                docs.iter()
                    .try_for_each(|d| sp.split(d, &mut |w| n += w.len()))
            })?;
            println!("split only: {:.1} MB/s ({n} bytes in words)", mb / dt);
            // The hand-written matcher alone, as the bulk-ids path runs it
            // (word spans only).
            if let Some(h) = sp.hand_only() {
                let mut words = 0usize;
                let dt = best_of_5(&mut || {
                    words = 0;
                    docs.iter().for_each(|d| h.split(d, |_, _| words += 1));
                    Ok(())
                })?;
                println!("matcher spans only: {:.1} MB/s ({words} words)", mb / dt);
            }
        }
    }
    if std::env::var_os("SPLIT_ONLY").is_some() {
        return Ok(());
    }
    let warm: usize = std::env::var("WARM_PASSES").map_or(Ok(1), |s| s.parse())?;
    let passes: Vec<&str> = if std::env::var_os("COLD_ONLY").is_some() {
        vec!["cold"]
    } else if std::env::var_os("WARM_MANY").is_some() {
        vec!["cold", "warm", "warm", "warm", "warm", "warm"]
    } else {
        std::iter::once("cold")
            .chain(std::iter::repeat_n("warm", warm))
            .collect()
    };
    for pass in passes {
        let t = Instant::now();
        let mut n = 0usize;
        for d in &docs {
            n += tok.encode_ids(d, false)?.len();
        }
        let dt = t.elapsed().as_secs_f64();
        println!("encode_ids {pass}: {:.1} MB/s, {n} ids", mb / dt);
    }
    if std::env::var_os("THREADS").is_some() {
        // All threads (the caller and the helpers, as a Python batch call
        // runs) on the same documents, after the passes above warmed this
        // thread only; `PAUSE_MS` idles between passes, as a Python loop
        // does between calls.
        let pause: u64 = std::env::var("PAUSE_MS").map_or(Ok(0), |s| s.parse())?;
        for pass in 0..20 {
            std::thread::sleep(std::time::Duration::from_millis(pause));
            let t = Instant::now();
            let n: usize = fasttok::util::par_map(&docs, |d| tok.encode_ids(d, false))?
                .iter()
                .map(Vec::len)
                .sum();
            let dt = t.elapsed().as_secs_f64();
            println!(
                "all {} threads, pass {pass}: {:.1} MB/s, {n} ids",
                fasttok::util::num_threads(),
                mb / dt
            );
        }
    }
    Ok(())
}
