//! A light BERT-uncased tokenizer (all-MiniLM-L6-v2's) on the small
//! `bert_tokenizer` crate, for claim 8 ("tokenizers is heavy"): no C, six
//! dependencies, against Hugging Face `tokenizers`' onig and esaxx.
//!
//! Two ways to use the crate are kept side by side because the claim turns
//! on whether a light crate gives *the same ids*:
//! - [`LightMode::CrateAsIs`]: its `FullTokenizer`, lowercasing and
//!   stripping accents as documented, `[CLS]`/`[SEP]` added by hand.
//! - [`LightMode::HfCompatible`]: the same pieces plus the four fixes
//!   needed to match `tokenizers`' BertNormalizer + BertPreTokenizer +
//!   WordPiece + TemplateProcessing: the 100-character word limit (the crate
//!   uses 200), dropping every Unicode "Other" character (the crate drops only
//!   controls, so a zero-width space or soft hyphen turns a word into
//!   `[UNK]`), per-character lowercasing (the crate's `str::to_lowercase`
//!   turns a word-final `Σ` into `ς`), and special tokens such as `[MASK]`
//!   matched verbatim in the input.
//!
//! This file is also compiled into the stand-alone program the
//! tokenizer-weight experiment builds, so keep it free of other harness
//! modules.

use bert_tokenizer::{BasicTokenizer, FullTokenizer, Tokenizer as _, Vocab, WordPieceTokenizer};
use unicode_categories::UnicodeCategories;

/// Added tokens that `tokenizers` matches verbatim in raw input.
const SPECIALS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// How the crate is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LightMode {
    CrateAsIs,
    HfCompatible,
}

/// A vocab.txt that cannot be used.
#[derive(Debug)]
pub struct VocabError(pub String);

impl std::fmt::Display for VocabError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VocabError {}

/// The light tokenizer.
pub struct LightBert {
    mode: LightMode,
    full: FullTokenizer,
    basic: BasicTokenizer,
    wordpiece: WordPieceTokenizer,
    vocab: Vocab,
    cls: u32,
    sep: u32,
}

impl LightBert {
    /// Loads a BERT `vocab.txt` (one token per line; line N is id N).
    /// Checked here because the crate's own loader panics on a bad file and
    /// stops at the first empty line.
    pub fn load(vocab_txt: &std::path::Path, mode: LightMode) -> Result<LightBert, VocabError> {
        let text = std::fs::read_to_string(vocab_txt).map_err(|e| VocabError(format!("{}: {e}", vocab_txt.display())))?;
        let mut vocab = Vocab::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                return Err(VocabError(format!("{}:{}: empty line in a vocab.txt (ids would shift)", vocab_txt.display(), i + 1)));
            }
            vocab.insert(line.trim().to_string(), i as u32);
        }
        let id = |t: &str| vocab.get(t).copied().ok_or_else(|| VocabError(format!("{}: no `{t}` token: not a BERT vocab", vocab_txt.display())));
        let (cls, sep) = (id("[CLS]")?, id("[SEP]")?);
        id("[UNK]")?;
        let full = FullTokenizer::new().vocab(vocab.clone()).do_lower_case(true).do_strip_accents(true).build();
        let basic = BasicTokenizer::do_lower_case(true).do_strip_accents(true).build();
        let wordpiece = WordPieceTokenizer::new(vocab.clone()).max_input_chars_per_word(100).build();
        Ok(LightBert { mode, full, basic, wordpiece, vocab, cls, sep })
    }

    /// `[CLS] ... [SEP]` ids; no truncation or padding.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = vec![self.cls];
        match self.mode {
            LightMode::CrateAsIs => ids.extend(self.full.convert_tokens_to_ids(&self.full.tokenize(text))),
            LightMode::HfCompatible => {
                let mut rest = text;
                loop {
                    let next = SPECIALS.iter().filter_map(|s| rest.find(s).map(|i| (i, *s))).min_by_key(|p| p.0);
                    let end = next.map_or(rest.len(), |p| p.0);
                    self.push_plain(&rest[..end], &mut ids);
                    match next {
                        Some((i, s)) => {
                            ids.push(self.vocab[s]);
                            rest = &rest[i + s.len()..];
                        }
                        None => break,
                    }
                }
            }
        }
        ids.push(self.sep);
        ids
    }

    fn push_plain(&self, text: &str, ids: &mut Vec<u32>) {
        let pre: String = text.chars().filter(|&c| matches!(c, '\t' | '\n' | '\r') || !c.is_other()).flat_map(char::to_lowercase).collect();
        for word in self.basic.tokenize(&pre) {
            for piece in self.wordpiece.tokenize(&word) {
                ids.push(self.vocab[&piece]);
            }
        }
    }
}
