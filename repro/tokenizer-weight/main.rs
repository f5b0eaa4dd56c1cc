//! The minimal tokenizer program of claim 8 ("tokenizers is heavy"), built
//! three ways by `harness experiment tokenizer-weight`, each in its own
//! folder with a generated manifest, so compile time and binary size are
//! those of a program that only tokenizes:
//! - feature `hf`: Hugging Face `tokenizers` (default features, or
//!   `default-features = false, features = ["fancy-regex"]`);
//! - feature `hf1`: `tokenizers` 1.0 prereleases, whose read-only
//!   `PipelineTokenizer` replaces `Tokenizer` (default features, or only
//!   what a WordPiece `tokenizer.json` needs);
//! - feature `light`: `bert_tokenizer` through the harness's
//!   `stages/wordpiece.rs` (the same file the harness compiles).
//!
//! Usage: tokw TOKENIZER CORPUS IDS_OUT REPS [crate-as-is|hf-compatible]
//! TOKENIZER is tokenizer.json (hf) or vocab.txt (light); CORPUS has one
//! sentence per line. Writes the ids of each sentence as a line of IDS_OUT,
//! then encodes the corpus REPS times and prints `{"ns_per_rep": [...]}`.

#[cfg(feature = "light")]
#[path = "../../harness/src/stages/wordpiece.rs"]
mod wordpiece;

use std::io::Write;
use std::time::Instant;

fn die(msg: String) -> ! {
    eprintln!("tokw: {msg}");
    std::process::exit(2)
}

#[cfg(feature = "hf")]
fn encoder(path: &str, _mode: &str) -> Box<dyn Fn(&str) -> Vec<u32>> {
    let mut t = tokenizers::Tokenizer::from_file(path).unwrap_or_else(|e| die(format!("{path}: {e}")));
    // Compare whole sentences: the pipeline's tokenizer.json pads and truncates to 128.
    t.with_truncation(None).unwrap_or_else(|e| die(e.to_string()));
    t.with_padding(None);
    Box::new(move |s| t.encode(s, true).unwrap_or_else(|e| die(format!("encode: {e}"))).get_ids().to_vec())
}

#[cfg(feature = "hf1")]
fn encoder(path: &str, _mode: &str) -> Box<dyn Fn(&str) -> Vec<u32>> {
    use tokenizers::pipeline::{EncodeOptions, Override};
    // 1.0 reads only its canonical form; files written by 0.x are upgraded first, as upstream documents.
    let text = tokenizers::canonicalize_file(path).unwrap_or_else(|e| die(format!("{path}: {e}")));
    let t = tokenizers::from_json(&text).unwrap_or_else(|e| die(format!("{path}: {e}")));
    // As with `hf`: whole sentences, without the file's padding and truncation.
    let opts = EncodeOptions { padding: Override::Off, truncation: Override::Off, ..Default::default() };
    Box::new(move |s| {
        let enc = t.encode(s, &opts).wait().unwrap_or_else(|e| die(format!("encode: {e}")));
        enc.first().map(|e| e.ids().iter().map(|t| t.id()).collect()).unwrap_or_default()
    })
}

#[cfg(feature = "light")]
fn encoder(path: &str, mode: &str) -> Box<dyn Fn(&str) -> Vec<u32>> {
    let mode = match mode {
        "crate-as-is" => wordpiece::LightMode::CrateAsIs,
        "hf-compatible" | "" => wordpiece::LightMode::HfCompatible,
        other => die(format!("unknown mode {other}")),
    };
    let t = wordpiece::LightBert::load(std::path::Path::new(path), mode).unwrap_or_else(|e| die(e.to_string()));
    Box::new(move |s| t.encode(s))
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 5 {
        die("usage: tokw TOKENIZER CORPUS IDS_OUT REPS [crate-as-is|hf-compatible]".into());
    }
    let enc = encoder(&a[1], a.get(5).map(String::as_str).unwrap_or(""));
    let corpus = std::fs::read_to_string(&a[2]).unwrap_or_else(|e| die(format!("{}: {e}", a[2])));
    let lines: Vec<&str> = corpus.lines().collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(&a[3]).unwrap_or_else(|e| die(format!("{}: {e}", a[3]))));
    for s in &lines {
        let ids: Vec<String> = enc(s).iter().map(u32::to_string).collect();
        writeln!(out, "{}", ids.join(" ")).unwrap_or_else(|e| die(e.to_string()));
    }
    out.flush().unwrap_or_else(|e| die(e.to_string()));
    let reps: usize = a[4].parse().unwrap_or_else(|_| die(format!("REPS: not a number: {}", a[4])));
    let mut ns = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        for s in &lines {
            std::hint::black_box(enc(std::hint::black_box(s)));
        }
        ns.push(t.elapsed().as_nanos().to_string());
    }
    println!("{{\"ns_per_rep\": [{}]}}", ns.join(", "));
}
