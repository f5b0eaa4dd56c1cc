//! Output-quality measures used to check stages against references before
//! anything is timed: word error rate for transcripts (PSNR for images lives
//! with the JPEG stage).

/// Lower-cases, drops punctuation and splits on whitespace.
pub fn normalise_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '\'' || c.is_whitespace() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .map(|w| w.trim_matches('\'').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word error rate: (substitutions + deletions + insertions) / reference
/// words, by Levenshtein distance over normalised words.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let (edits, words) = word_edits(reference, hypothesis);
    if words == 0 {
        return if edits == 0 { 0.0 } else { 1.0 };
    }
    edits as f64 / words as f64
}

/// Corpus word error rate: total edits over total reference words (the
/// standard figure; per-utterance rates over-weight short clips).
pub fn corpus_word_error_rate<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> f64 {
    let (edits, words) = pairs.into_iter().map(|(r, h)| word_edits(r, h)).fold((0, 0), |(e, w), (e2, w2)| (e + e2, w + w2));
    if words == 0 {
        0.0
    } else {
        edits as f64 / words as f64
    }
}

/// (word edits, reference words) between two texts.
pub fn word_edits(reference: &str, hypothesis: &str) -> (usize, usize) {
    let r = normalise_words(reference);
    let h = normalise_words(hypothesis);
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut cur = vec![i + 1; h.len() + 1];
        for (j, hw) in h.iter().enumerate() {
            let sub = prev[j] + usize::from(rw != hw);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    (prev[h.len()], r.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wer_counts_edits_over_reference_words() {
        assert_eq!(word_error_rate("a b c d", "a b c d"), 0.0);
        assert_eq!(word_error_rate("a b c d", "a x c d"), 0.25);
        assert_eq!(word_error_rate("a b c d", "a c d"), 0.25);
        assert_eq!(word_error_rate("a b", "a b c d"), 1.0);
        assert_eq!(word_error_rate("Mister, John!", "mister john"), 0.0);
        assert_eq!(corpus_word_error_rate([("a b c d", "a x c d"), ("e f", "e f")]), 1.0 / 6.0);
    }
}
