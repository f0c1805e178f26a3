//! Writing a file so that no reader ever sees it half-written: a temporary file in the
//! target folder, synced, then renamed over the target, with ordinary permissions.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically. The file gets rw-r--r-- less the umask, not the
/// owner-only mode temporary files are created with.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".chanmix-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut temp = builder.tempfile_in(folder)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
