//! Reading secrets given as files, refusing paths that climb out of where they should be.

use std::path::{Component, Path, PathBuf};

/// Reads a secret from a file, trimming one trailing newline.
pub fn read_secret_file(path: &Path) -> anyhow::Result<String> {
    let s = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read secret file {}: {e}", path.display()))?;
    Ok(s.strip_suffix('\n')
        .map(|x| x.strip_suffix('\r').unwrap_or(x))
        .unwrap_or(&s)
        .to_string())
}

/// Checks a file argument: no `..` components and no NUL; returns it as a path.
/// Absolute paths are allowed (operators name their own files), traversal tricks are not.
pub fn checked_path(arg: &str) -> anyhow::Result<PathBuf> {
    if arg.is_empty() {
        anyhow::bail!("the file path is empty");
    }
    if arg.contains('\0') {
        anyhow::bail!("the file path contains a NUL character");
    }
    let p = PathBuf::from(arg);
    if p.components().any(|c| matches!(c, Component::ParentDir)) {
        anyhow::bail!(
            "the file path {arg:?} contains '..'; give a path without parent-directory steps"
        );
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        assert!(checked_path("../../etc/passwd").is_err());
        assert!(checked_path("backups/../../x").is_err());
        assert!(checked_path("").is_err());
        assert!(checked_path("a\0b").is_err());
        assert!(checked_path("/var/backups/bulwark.json").is_ok());
        assert!(checked_path("backup.json").is_ok());
    }
}
