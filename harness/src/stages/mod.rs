//! The pipeline's stages, each usable on its own (`harness stage`) and from
//! the benches. Each file is one stage.

pub mod colour;
pub mod decode;
pub mod detect;
pub mod embed;
pub mod jpeg;
pub mod mel;
pub mod onnx;
pub mod tokenize;
pub mod transcribe;
pub mod vad;
pub mod vad_gate;
pub mod whisper_parallel;
pub mod wordpiece;
