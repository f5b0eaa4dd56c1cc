//! How the binary prints an error: the error and each of its sources, each
//! cause once. Many errors here already name their source in their own
//! message (`"{path}: {source}"`, so that they read well on their own); a
//! plain walk of the chain would print those causes twice.

/// The error and the sources its message does not already contain, joined
/// by `": "`.
pub fn message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("reading x.json: {0}")]
        Says(#[source] std::io::Error),
        #[error("reading x.json")]
        Silent(#[source] std::io::Error),
    }

    #[test]
    fn each_cause_once() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        assert_eq!(message(&Outer::Says(io())), "reading x.json: no such file");
        assert_eq!(message(&Outer::Silent(io())), "reading x.json: no such file");
    }
}
