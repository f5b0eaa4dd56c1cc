//! What a bundle is: its folder in `bundles/`, its `bundle.toml`, and the
//! patch whose header names it (`Bundle: ID`), so the patch file stays the
//! one registration of the change and the bundle only adds how to send it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::BundleError;
use crate::forks::patch_file::{self, PatchSpec};

/// The file in each bundle folder that describes it.
pub const FILE: &str = "bundle.toml";

/// The hand-written parts of a bundle: the rest is rendered.
pub const SOURCES: [&str; 4] = [FILE, "repro", "expected-before.txt", "expected-after.txt"];

/// What is sent upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A pull request: the patch is the change asked for.
    PullRequest,
    /// An issue first: the patch is a proposal.
    Issue,
}

/// Where the bundle's issue or pull-request text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// The fork check of the bundle's patch (its pinned evidence).
    ForkCheck,
    /// The "Draft issue" section of a rendered report (its pinned evidence).
    Report(String),
}

/// An input the repro takes, given on `run.sh`'s command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Input {
    /// A ggml Whisper model.
    WhisperModel,
    /// A 16 kHz mono 16-bit WAV of speech.
    Speech,
    /// The ONNX Runtime shared library.
    Onnxruntime,
    /// An ONNX model whose first input is a float32 tensor.
    YoloModel,
}

impl Input {
    /// The argument's name in usage lines.
    pub fn usage(self) -> &'static str {
        match self {
            Input::WhisperModel => "WHISPER_MODEL",
            Input::Speech => "SPEECH.wav",
            Input::Onnxruntime => "LIBONNXRUNTIME",
            Input::YoloModel => "MODEL.onnx",
        }
    }

    /// What to give, for a maintainer who does not have this harness.
    pub fn help(self) -> &'static str {
        match self {
            Input::WhisperModel => "a ggml Whisper model, for example `ggml-tiny.en.bin` from huggingface.co/ggerganov/whisper.cpp",
            Input::Speech => "a 16 kHz mono 16-bit WAV of a few seconds of speech, for example whisper.cpp's `samples/jfk.wav`",
            Input::Onnxruntime => "the ONNX Runtime shared library (`libonnxruntime.so`, for example from the `onnxruntime` wheel on PyPI)",
            Input::YoloModel => {
                "an ONNX model whose first input is a float32 tensor, for example YOLOv8n (dynamic sizes of an NCHW image input are taken as 1 x 3 x 640 x 640)"
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Toml {
    kind: Kind,
    send_to: String,
    home: String,
    text: String,
    inputs: Vec<Input>,
}

/// One bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The folder's name.
    pub id: String,
    pub dir: PathBuf,
    pub kind: Kind,
    /// Who receives it.
    pub send_to: String,
    /// The crate's development home (where issues and pull requests go).
    pub home: String,
    pub text: Text,
    pub inputs: Vec<Input>,
    /// The patch whose header says `Bundle: <id>`.
    pub patch: PatchSpec,
}

impl Bundle {
    /// The crate the patch applies to and the version it is written against.
    pub fn crate_version(&self) -> (&str, &str) {
        (&self.patch.krate, self.patch.version.as_deref().unwrap_or("?"))
    }

    /// `run.sh`'s arguments after the options.
    pub fn usage(&self) -> String {
        self.inputs.iter().map(|i| i.usage()).collect::<Vec<_>>().join(" ")
    }
}

/// The folder holding every bundle.
pub fn root() -> PathBuf {
    crate::paths::workspace_root().join("bundles")
}

/// Reads one bundle folder; `patches` are every patch of the tree.
pub fn read(dir: &Path, patches: &[PatchSpec]) -> Result<Bundle, BundleError> {
    let id = dir.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let file = dir.join(FILE);
    let text = std::fs::read_to_string(&file).map_err(|source| BundleError::Io { path: file.clone(), source })?;
    let t: Toml = toml::from_str(&text).map_err(|e| BundleError::Spec { path: file.clone(), message: e.message().to_string() })?;
    let text = match t.text.as_str() {
        "fork-check" => Text::ForkCheck,
        other => match other.strip_prefix("report:") {
            Some(report) => Text::Report(report.to_string()),
            None => return Err(BundleError::Spec { path: file, message: format!("`text = \"{other}\"`: want \"fork-check\" or \"report:NAME\"") }),
        },
    };
    let mut named = patches.iter().filter(|p| p.bundle.as_deref() == Some(id.as_str()));
    let patch = named.next().ok_or_else(|| BundleError::NoPatch { id: id.clone() })?.clone();
    if let Some(second) = named.next() {
        return Err(BundleError::TwoPatches { id, first: patch.file, second: second.file.clone() });
    }
    if patch.version.is_none() {
        return Err(BundleError::Spec { path: patch.file.clone(), message: "a bundled patch needs a `Version:` header (the version its repro pins)".into() });
    }
    for source in SOURCES {
        if !dir.join(source).exists() {
            return Err(BundleError::Missing { path: dir.join(source) });
        }
    }
    Ok(Bundle { id, dir: dir.to_path_buf(), kind: t.kind, send_to: t.send_to, home: t.home, text, inputs: t.inputs, patch })
}

/// Every bundle under `bundles/`, by id.
pub fn all() -> Result<Vec<Bundle>, BundleError> {
    let patches = patch_file::every_patch()?;
    let root = root();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map_err(|source| BundleError::Io { path: root.clone(), source })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(FILE).exists())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| read(d, &patches)).collect()
}

/// One bundle by id.
pub fn find(id: &str) -> Result<Bundle, BundleError> {
    let all = all()?;
    let known = all.iter().map(|b| b.id.as_str()).collect::<Vec<_>>().join(", ");
    all.iter().find(|b| b.id == id).cloned().ok_or_else(|| BundleError::Unknown { id: id.to_string(), known })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_patch_has_its_folder_and_every_folder_its_patch() {
        let bundles = all().unwrap();
        assert!(bundles.len() >= 5, "{} bundles", bundles.len());
        for p in patch_file::every_patch().unwrap() {
            if let Some(b) = &p.bundle {
                assert!(bundles.iter().any(|x| &x.id == b), "{}: names bundle `{b}`, which has no folder", p.file.display());
            }
        }
    }

    #[test]
    fn a_bundle_without_its_patch_or_with_a_bad_spec_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let b = dir.path().join("nothing-names-me");
        std::fs::create_dir(&b).unwrap();
        std::fs::write(b.join(FILE), "kind = \"issue\"\nsend_to = \"x\"\nhome = \"h\"\ntext = \"fork-check\"\ninputs = []\n").unwrap();
        let e = read(&b, &[]).unwrap_err();
        assert!(matches!(&e, BundleError::NoPatch { id } if id == "nothing-names-me"), "{e}");
        std::fs::write(b.join(FILE), "kind = \"tweet\"\nsend_to = \"x\"\nhome = \"h\"\ntext = \"fork-check\"\ninputs = []\n").unwrap();
        let e = read(&b, &[]).unwrap_err().to_string();
        assert!(e.contains("bundle.toml") && e.contains("tweet"), "{e}");
    }
}
