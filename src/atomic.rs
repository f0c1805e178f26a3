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
    let mut temp = builder.tempfile_in(folder).map_err(plain)?;
    temp.write_all(bytes).map_err(plain)?;
    temp.as_file().sync_all().map_err(plain)?;
    temp.persist(path).map_err(|e| plain(e.error))?;
    Ok(())
}

/// The operating system's reason without the temporary file's name (which means
/// nothing to the user), with a hint for the usual causes. The temporary file is
/// removed when the write fails, so nothing was written.
fn plain(error: std::io::Error) -> std::io::Error {
    let code = os_code(&error);
    let reason = code.map_or_else(
        || error.kind().to_string(),
        |c| std::io::Error::from_raw_os_error(c).to_string(),
    );
    use std::io::ErrorKind;
    let hint = match (error.kind(), code) {
        // ENOSPC, EFBIG, EDQUOT
        (ErrorKind::StorageFull | ErrorKind::FileTooLarge | ErrorKind::QuotaExceeded, _)
        | (_, Some(28) | Some(27) | Some(122)) => " — the disk (or your quota) may be full",
        // EACCES, EPERM
        (ErrorKind::PermissionDenied, _) | (_, Some(13) | Some(1)) => {
            " — you may not have permission to write there"
        }
        // EROFS
        (ErrorKind::ReadOnlyFilesystem, _) | (_, Some(30)) => {
            " — that folder is on a read-only file system"
        }
        (ErrorKind::IsADirectory, _) | (_, Some(21)) => {
            " — that path is a folder; name a file inside it"
        }
        _ => "",
    };
    std::io::Error::new(error.kind(), format!("{reason}{hint}; nothing was written"))
}

/// The OS error code of an I/O error, looking through wrappers (tempfile adds the path).
fn os_code(error: &std::io::Error) -> Option<i32> {
    if let Some(code) = error.raw_os_error() {
        return Some(code);
    }
    let mut source = error.get_ref().and_then(|inner| inner.source());
    while let Some(inner) = source {
        if let Some(code) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::raw_os_error)
        {
            return Some(code);
        }
        source = inner.source();
    }
    None
}
