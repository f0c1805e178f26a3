//! Writing a file so that no reader ever sees it half-written: a temporary file in the
//! target folder, synced, then renamed over the target. Only a regular file is ever
//! replaced (never a link, a device, a FIFO or a folder), and it keeps its permissions.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::files::{AtOutput, at_output};

/// Writes `bytes` to `path` atomically (see [`write_atomically_with`]).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// Writes `path` atomically with what `write` puts into the temporary file it is given.
///
/// A new file gets rw-r--r-- less the umask, not the owner-only mode temporary files are
/// created with. A regular file already there keeps its permission bits, and its owner
/// and group where the system allows giving them (as root); a hard link to it keeps the
/// old content, as with any editor's safe save. Anything else at `path` (a symbolic
/// link, a device, a FIFO, a folder) is refused and left alone.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let existing = match at_output(path).map_err(plain)? {
        AtOutput::Nothing => None,
        AtOutput::File(meta) => Some(meta),
        AtOutput::Refused(why) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{why}; nothing was written"),
            ));
        }
    };
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
    if let Some(meta) = &existing {
        keep_owner_and_mode(temp.as_file(), meta).map_err(plain)?;
    }
    write(temp.as_file_mut()).map_err(plain)?;
    temp.as_file().sync_all().map_err(plain)?;
    temp.persist(path).map_err(|e| plain(e.error))?;
    sync_folder(folder);
    Ok(())
}

/// Gives the new file the replaced file's owner and group (only root may give a file
/// away; for anyone else the new file is theirs, as after any editor's save) and its
/// permission bits, without set-user-id, set-group-id or sticky bits.
#[cfg(unix)]
fn keep_owner_and_mode(file: &File, old: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let new = file.metadata()?;
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
        // Best effort: refused for anyone but root, and then the new file is the user's.
        let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
    }
    file.set_permissions(std::fs::Permissions::from_mode(old.mode() & 0o777))
}

#[cfg(not(unix))]
fn keep_owner_and_mode(file: &File, old: &std::fs::Metadata) -> std::io::Result<()> {
    file.set_permissions(old.permissions())
}

/// Makes the rename itself durable (best effort: some file systems cannot sync folders).
fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = folder;
}

/// The operating system's reason without the temporary file's name (which means
/// nothing to the user), with a hint for the usual causes. The temporary file is
/// removed when the write fails, so nothing was written.
fn plain(error: std::io::Error) -> std::io::Error {
    use std::io::ErrorKind;
    let code = os_code(&error);
    let reason = match (error.kind(), code) {
        // The usual causes, in plain words (`file too large`, `no storage space`).
        (
            ErrorKind::StorageFull
            | ErrorKind::FileTooLarge
            | ErrorKind::QuotaExceeded
            | ErrorKind::PermissionDenied
            | ErrorKind::ReadOnlyFilesystem,
            _,
        ) => error.kind().to_string(),
        (_, Some(c)) => std::io::Error::from_raw_os_error(c).to_string(),
        // An error worded by chanmix (a workbook writer's), not the system's.
        (ErrorKind::Other, None) => error
            .get_ref()
            .map_or_else(|| error.kind().to_string(), ToString::to_string),
        (kind, None) => kind.to_string(),
    };
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    #[test]
    fn a_replaced_file_keeps_its_mode_and_nothing_else_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        std::fs::write(&out, b"old").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&out, b"new").unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"new");
        let mode = std::fs::metadata(&out).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o600);

        // A link is refused and neither it nor its target changes.
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        let error = write_atomically(&link, b"through").unwrap_err().to_string();
        assert!(error.starts_with("it is a symbolic link"), "{error}");
        assert!(error.ends_with("nothing was written"), "{error}");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&out).unwrap(), b"new");
        // A folder is refused too, and no temporary file is left anywhere.
        let folder = dir.path().join("folder.json");
        std::fs::create_dir(&folder).unwrap();
        assert!(write_atomically(&folder, b"x").is_err());
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["folder.json", "link.json", "out.json"]);
    }
}
