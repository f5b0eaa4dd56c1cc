//! Quantized Whisper weights, written by ggml's own quantizer (the one
//! whisper.cpp's `quantize` tool calls), linked through whisper-rs-sys: the
//! harness chooses which tensors to quantize, as whisper.cpp does (2-D
//! weights only; positional embeddings, conv weights and 1-D tensors stay
//! as they are), and never encodes a block format itself.

use whisper_rs_sys as sys;

/// The weight formats `convert-whisper` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Weights {
    /// Half precision, as whisper.cpp's own converter writes.
    F16,
    /// 8-bit blocks of 32 with one f16 scale (8.5 bits per weight).
    #[value(name = "q8_0")]
    Q8_0,
    /// The 5-bit k-quant: super-blocks of 256 (5.5 bits per weight); needs
    /// rows whose length is a multiple of 256.
    #[value(name = "q5_k")]
    Q5K,
}

/// ggml's quantization format version, which whisper.cpp's loader reads
/// from the hparams' `ftype` (`ftype + 1000 * GGML_QNT_VERSION`).
const QNT_VERSION: i32 = sys::GGML_QNT_VERSION as i32;

impl Weights {
    /// The hparams `ftype` whisper.cpp reads.
    pub fn ftype(self) -> i32 {
        match self {
            Weights::F16 => sys::ggml_ftype_GGML_FTYPE_MOSTLY_F16,
            Weights::Q8_0 => sys::ggml_ftype_GGML_FTYPE_MOSTLY_Q8_0 + 1000 * QNT_VERSION,
            Weights::Q5K => sys::ggml_ftype_GGML_FTYPE_MOSTLY_Q5_K + 1000 * QNT_VERSION,
        }
    }

    /// The ggml tensor type of the quantized weights.
    pub fn tensor_type(self) -> i32 {
        (match self {
            Weights::F16 => sys::ggml_type_GGML_TYPE_F16,
            Weights::Q8_0 => sys::ggml_type_GGML_TYPE_Q8_0,
            Weights::Q5K => sys::ggml_type_GGML_TYPE_Q5_K,
        }) as i32
    }

    /// The weights a header's `ftype` says, if this writer writes them.
    pub fn from_ftype(ftype: i32) -> Option<Weights> {
        [Weights::F16, Weights::Q8_0, Weights::Q5K].into_iter().find(|w| w.ftype() % 1000 == ftype % 1000)
    }

    /// The fewest bytes a weight takes in this format (F16 2; Q8_0 34 per
    /// 32; Q5_K 176 per 256): a file far below that is truncated.
    pub fn min_bytes_per_weight(self) -> f64 {
        match self {
            Weights::F16 => 2.0,
            Weights::Q8_0 => 34.0 / 32.0,
            Weights::Q5K => 176.0 / 256.0,
        }
    }

    /// Its name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Weights::F16 => "f16",
            Weights::Q8_0 => "q8_0",
            Weights::Q5K => "q5_k",
        }
    }

    /// Elements per block (a row's length must be a multiple).
    pub fn block(self) -> usize {
        // SAFETY: a pure lookup in ggml's type table for a valid type.
        unsafe { sys::ggml_blck_size(self.tensor_type() as sys::ggml_type) as usize }
    }
}

/// Why a tensor cannot be quantized.
#[derive(Debug, thiserror::Error)]
#[error(
    "tensor `{tensor}` has rows of {row} values, not a multiple of {weights}'s block of {block}\n  fix: choose q8_0 (blocks of 32) for this model; k-quants need rows that are multiples of 256 (Whisper base and larger)"
)]
pub struct QuantizeError {
    pub tensor: String,
    pub row: usize,
    pub weights: &'static str,
    pub block: usize,
}

/// `rows` rows of `row` values each, quantized by ggml to `w`.
pub fn quantize(name: &str, data: &[f32], row: usize, w: Weights) -> Result<Vec<u8>, QuantizeError> {
    let block = w.block();
    if row == 0 || row % block != 0 || data.len() % row != 0 {
        return Err(QuantizeError { tensor: name.to_string(), row, weights: w.name(), block });
    }
    let (ty, rows) = (w.tensor_type() as sys::ggml_type, data.len() / row);
    // SAFETY: `ggml_row_size` is a pure computation; `ggml_quantize_init`
    // builds ggml's lookup tables once (thread-safe, a no-op for these types).
    let row_bytes = unsafe {
        sys::ggml_quantize_init(ty);
        sys::ggml_row_size(ty, row as i64)
    };
    let mut out = vec![0u8; rows * row_bytes];
    // SAFETY: `data` holds `rows * row` floats, `out` holds `rows` rows of
    // `row_bytes`, ggml's size for this type, and no importance matrix is
    // needed for these types (null is allowed).
    let written = unsafe { sys::ggml_quantize_chunk(ty, data.as_ptr(), out.as_mut_ptr().cast(), 0, rows as i64, row as i64, std::ptr::null()) };
    debug_assert_eq!(written, out.len());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q8_0_blocks_round_trip_within_one_step() {
        // One row of 64 values: two Q8_0 blocks of 2 + 32 bytes.
        let data: Vec<f32> = (0..64).map(|i| (i as f32 - 31.5) / 8.0).collect();
        let q = quantize("t", &data, 64, Weights::Q8_0).unwrap();
        assert_eq!(q.len(), 2 * 34);
        for (b, chunk) in q.chunks(34).enumerate() {
            let d = half::f16::from_le_bytes([chunk[0], chunk[1]]).to_f32();
            for (i, &v) in chunk[2..].iter().enumerate() {
                let x = data[32 * b + i];
                assert!((v as i8 as f32 * d - x).abs() <= d / 2.0 + 1e-6, "block {b} value {i}: {x} -> {}", v as i8 as f32 * d);
            }
        }
    }

    #[test]
    fn rows_that_do_not_fill_blocks_are_refused_with_the_fix() {
        let e = quantize("decoder.blocks.0.attn.query.weight", &[0.0; 384], 384, Weights::Q5K).unwrap_err();
        assert!(e.to_string().contains("decoder.blocks.0.attn.query.weight") && e.to_string().contains("q8_0"), "{e}");
        assert_eq!(quantize("x", &[0.0; 384], 384, Weights::Q8_0).unwrap().len(), 12 * 34);
    }
}
