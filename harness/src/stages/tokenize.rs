//! Tokenising transcripts with Hugging Face `tokenizers`.

use std::path::{Path, PathBuf};

/// A tokenizer file that cannot be loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum TokenizeError {
    #[error(transparent)]
    Asset(#[from] crate::models::locate::AssetError),
    #[error("{path}: not a usable tokenizer.json: {reason}\n  fix: re-run scripts/setup.sh")]
    Load { path: PathBuf, reason: String },
    #[error("encoding failed: {0}")]
    Encode(String),
}

/// A loaded tokenizer.
pub struct TextTokenizer {
    inner: tokenizers::Tokenizer,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTokenizer").finish_non_exhaustive()
    }
}

impl TextTokenizer {
    /// Loads a catalog tokenizer by asset id (e.g. the MiniLM WordPiece one).
    pub fn from_catalog(id: &str) -> Result<Self, TokenizeError> {
        Self::load(&crate::models::locate::require(id)?)
    }

    /// Loads any `tokenizer.json`.
    pub fn load(path: &Path) -> Result<Self, TokenizeError> {
        let inner = tokenizers::Tokenizer::from_file(path).map_err(|e| TokenizeError::Load { path: path.to_path_buf(), reason: e.to_string() })?;
        Ok(TextTokenizer { inner })
    }

    /// The same tokenizer without the padding and truncation its file sets
    /// (all-MiniLM-L6-v2's pads and truncates to 128): whole sentences.
    pub fn without_padding_or_truncation(mut self) -> Result<Self, TokenizeError> {
        self.inner.with_truncation(None).map_err(|e| TokenizeError::Encode(e.to_string()))?;
        self.inner.with_padding(None);
        Ok(self)
    }

    /// Token ids of `text`, with the model's special tokens (e.g. [CLS]/[SEP]).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizeError> {
        let enc = self.inner.encode(text, true).map_err(|e| TokenizeError::Encode(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }
}
