//! Reading a `Cargo.lock`: which version of each package cargo resolved,
//! from where, and which `[patch]` entries it did not use. One reader for
//! the environment fingerprint, the variant and fork builds and the
//! tokenizer-weight builds.

use std::path::{Path, PathBuf};

/// A lock file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a Cargo.lock: {source}\n  fix: delete it and let cargo write it again")]
    Toml { path: PathBuf, source: toml::de::Error },
}

/// One `[[package]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// `registry+...` / `git+...`; `None` for a path package.
    pub source: Option<String>,
}

/// A parsed lock file.
#[derive(Debug, Clone, Default)]
pub struct Lock {
    pub packages: Vec<Package>,
    /// `[[patch.unused]]`: patches cargo warned about and did not apply.
    pub unused_patches: Vec<Package>,
}

impl Lock {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Lock, LockfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| LockfileError::Io { path: path.to_path_buf(), source })?;
        let t: toml::Table = text.parse().map_err(|source| LockfileError::Toml { path: path.to_path_buf(), source })?;
        let list = |v: Option<&toml::Value>| -> Vec<Package> {
            v.and_then(|p| p.as_array())
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    Some(Package {
                        name: p.get("name")?.as_str()?.to_string(),
                        version: p.get("version")?.as_str()?.to_string(),
                        source: p.get("source").and_then(|s| s.as_str()).map(String::from),
                    })
                })
                .collect()
        };
        Ok(Lock { packages: list(t.get("package")), unused_patches: list(t.get("patch").and_then(|p| p.get("unused"))) })
    }

    /// Every resolved package named `name` (several versions can coexist).
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Package> + 'a {
        self.packages.iter().filter(move |p| p.name == name)
    }

    /// The version of `name`, when exactly one is resolved or the first.
    pub fn version(&self, name: &str) -> Option<&str> {
        self.packages.iter().find(|p| p.name == name).map(|p| p.version.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_packages_sources_and_unused_patches() {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), "version = 4\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\n\n[[patch.unused]]\nname = \"c\"\nversion = \"2.0.0\"\n").unwrap();
        let l = Lock::read(f.path()).unwrap();
        assert_eq!(l.version("a"), Some("1.0.0"));
        assert_eq!(l.named("b").next().unwrap().source, None);
        assert_eq!(l.unused_patches[0].name, "c");
        assert!(Lock::read(Path::new("/nonexistent/Cargo.lock")).is_err());
    }
}
