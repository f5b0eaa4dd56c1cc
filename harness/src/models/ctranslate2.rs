//! Reader for CTranslate2's `model.bin` (binary spec version 6): named
//! variables with a dtype and a shape, then aliases.
//!
//! Layout (from CTranslate2's `specs/model_spec.py`, checked against the
//! faster-whisper tiny.en file): u32 version, string spec name, u32 revision,
//! u32 variable count, then per variable: string name, u8 rank, u32 dims,
//! u8 dtype, u32 byte count, bytes; then u32 alias count and (alias, target)
//! string pairs. Strings are u16 length (including a NUL) + bytes.

use std::collections::BTreeMap;
use std::path::Path;

/// Errors while reading a CTranslate2 model.
#[derive(Debug, thiserror::Error)]
pub enum Ct2Error {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} is not a CTranslate2 model: {reason}")]
    Format { path: String, reason: FormatError },
}

/// What in a model file's bytes is not CTranslate2's binary format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("binary version {0}, this reader knows version 6")]
    Version(u32),
    #[error("variable {variable}: unknown dtype {id}")]
    UnknownDtype { variable: String, id: u8 },
    #[error("variable {variable}: shape {shape:?} overflows")]
    ShapeOverflow { variable: String, shape: Vec<usize> },
    #[error("variable {variable}: {bytes} bytes for shape {shape:?} of {dtype:?}")]
    Size { variable: String, bytes: usize, shape: Vec<usize>, dtype: DType },
    #[error("{0} trailing bytes")]
    Trailing(usize),
    #[error("truncated at byte {at} (wanted {wanted} more)")]
    Truncated { at: usize, wanted: usize },
    #[error("bad string: {0}")]
    String(#[from] std::string::FromUtf8Error),
}

/// Element type of a variable (CTranslate2's `DataType` numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl DType {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::BF16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

/// One named tensor or scalar.
#[derive(Debug, Clone)]
pub struct Variable {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub data: Vec<u8>,
}

impl Variable {
    /// Values as f32, whatever the stored float type.
    pub fn to_f32(&self) -> Vec<f32> {
        match self.dtype {
            DType::F32 => self.data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            DType::F16 => self.data.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            DType::BF16 => self.data.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            DType::I8 => self.data.iter().map(|&b| b as i8 as f32).collect(),
            DType::I16 => self.data.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]]) as f32).collect(),
            DType::I32 => self.data.chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32).collect(),
        }
    }

    /// A scalar integer value (e.g. `encoder/num_heads`).
    pub fn scalar_i64(&self) -> Option<i64> {
        if !self.shape.is_empty() {
            return None;
        }
        Some(self.to_f32().first().copied()? as i64)
    }
}

/// A parsed model: spec name, revision and variables by name (aliases
/// resolved to copies of their targets' metadata on lookup).
#[derive(Debug)]
pub struct Ct2Model {
    pub spec: String,
    pub revision: u32,
    pub variables: BTreeMap<String, Variable>,
    pub aliases: BTreeMap<String, String>,
}

impl Ct2Model {
    /// Reads a model file.
    pub fn read(path: &Path) -> Result<Self, Ct2Error> {
        let bytes = std::fs::read(path).map_err(|source| Ct2Error::Io { path: path.display().to_string(), source })?;
        Self::parse(&bytes).map_err(|reason| Ct2Error::Format { path: path.display().to_string(), reason })
    }

    /// Parses the bytes of a model file.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = Reader { bytes, pos: 0 };
        let version = r.u32()?;
        if version != 6 {
            return Err(FormatError::Version(version));
        }
        let spec = r.string()?;
        let revision = r.u32()?;
        let count = r.u32()? as usize;
        let mut variables = BTreeMap::new();
        for _ in 0..count {
            let name = r.string()?;
            let rank = r.u8()? as usize;
            let shape = (0..rank).map(|_| r.u32().map(|d| d as usize)).collect::<Result<Vec<_>, _>>()?;
            let dtype_id = r.u8()?;
            let dtype = DType::from_id(dtype_id).ok_or_else(|| FormatError::UnknownDtype { variable: name.clone(), id: dtype_id })?;
            let nbytes = r.u32()? as usize;
            let expected = shape.iter().try_fold(dtype.size(), |n, d| n.checked_mul(*d));
            let expected = expected.ok_or_else(|| FormatError::ShapeOverflow { variable: name.clone(), shape: shape.clone() })?;
            if nbytes != expected {
                return Err(FormatError::Size { variable: name, bytes: nbytes, shape, dtype });
            }
            let data = r.take(nbytes)?.to_vec();
            variables.insert(name, Variable { shape, dtype, data });
        }
        let n_alias = r.u32()? as usize;
        let mut aliases = BTreeMap::new();
        for _ in 0..n_alias {
            let alias = r.string()?;
            let target = r.string()?;
            aliases.insert(alias, target);
        }
        if r.pos != bytes.len() {
            return Err(FormatError::Trailing(bytes.len() - r.pos));
        }
        Ok(Ct2Model { spec, revision, variables, aliases })
    }

    /// A variable by name (following an alias).
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.variables.get(name).or_else(|| self.aliases.get(name).and_then(|t| self.variables.get(t)))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(FormatError::Truncated { at: self.pos, wanted: n })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, FormatError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, FormatError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self) -> Result<String, FormatError> {
        let n = self.u16()? as usize;
        let b = self.take(n)?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        Ok(String::from_utf8(b.to_vec())?)
    }
}
