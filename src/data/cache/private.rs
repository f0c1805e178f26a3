//! What makes the cache folder trustworthy: it is private to the user (created 0700;
//! a folder others may write to, or that belongs to someone else, is not used), and
//! it holds a secret key (`secret.key`, 32 random bytes, 0600) that every entry's
//! checksum is keyed with. An entry whose payload was changed — by a bit flip, by
//! another program, or by someone who recomputed a plain checksum — does not check out
//! without the key and is a miss. The threat model is in ARCHITECTURE.md (input cache).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The key's file in the cache folder. Not an entry: `cache clear` leaves it.
pub const SECRET_FILE: &str = "secret.key";

/// Why the cache folder cannot be trusted or used.
#[derive(Debug, thiserror::Error)]
pub enum NotPrivate {
    #[error("{} is writable by other users (mode {mode:o}); the input cache needs a folder private to you: chmod 700 {}", dir.display(), dir.display())]
    OthersMayWrite { dir: PathBuf, mode: u32 },
    #[error("{} belongs to another user; the input cache needs a folder of your own", dir.display())]
    NotYours { dir: PathBuf },
    #[error("{} is not a folder", dir.display())]
    NotAFolder { dir: PathBuf },
    #[error("{} is readable by others or not yours; remove it (the cache makes a new one)", path.display())]
    KeyExposed { path: PathBuf },
    #[error("cannot read or make the cache key {}: {source}", path.display())]
    Key {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Creates the folder (owner-only) if it is missing, then checks it is private.
pub fn create_private_folder(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Checks that an existing cache folder is a folder of this user's that no one else
/// may write to (reading is harmless: entries and key are owner-only files).
pub fn check_private(dir: &Path) -> Result<(), NotPrivate> {
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(()); // a missing folder is created private
    };
    if !meta.is_dir() {
        return Err(NotPrivate::NotAFolder {
            dir: dir.to_path_buf(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != effective_uid() {
            return Err(NotPrivate::NotYours {
                dir: dir.to_path_buf(),
            });
        }
        if meta.mode() & 0o022 != 0 {
            return Err(NotPrivate::OthersMayWrite {
                dir: dir.to_path_buf(),
                mode: meta.mode() & 0o7777,
            });
        }
    }
    Ok(())
}

#[cfg(unix)]
fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The folder's secret key; `None` when there is none yet (or no folder).
pub fn read_secret(dir: &Path) -> Result<Option<[u8; 32]>, NotPrivate> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let path = dir.join(SECRET_FILE);
    let key_error = |source| NotPrivate::Key {
        path: path.clone(),
        source,
    };
    let mut file = match crate::files::open_regular(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(key_error(e)),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata().map_err(key_error)?;
        if meta.uid() != effective_uid() || meta.mode() & 0o077 != 0 {
            return Err(NotPrivate::KeyExposed { path });
        }
    }
    let mut key = [0u8; 32];
    let mut extra = [0u8; 1];
    file.read_exact(&mut key).map_err(key_error)?;
    if file.read(&mut extra).map_err(key_error)? != 0 {
        return Err(key_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "it is longer than a key",
        )));
    }
    Ok(Some(key))
}

/// The folder's secret key, made (32 random bytes, owner-only) when there is none.
/// Racing runs agree: the key is written whole to a temporary file and linked into
/// place only if no key is there yet; the loser reads the winner's.
pub fn secret(dir: &Path) -> Result<[u8; 32], NotPrivate> {
    if let Some(key) = read_secret(dir)? {
        return Ok(key);
    }
    let path = dir.join(SECRET_FILE);
    let key_error = |source| NotPrivate::Key {
        path: path.clone(),
        source,
    };
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| key_error(std::io::Error::other(e.to_string())))?;
    // tempfile creates its files owner-only (0600).
    let mut temp = tempfile::Builder::new()
        .prefix(".secret-")
        .suffix(".key.tmp")
        .tempfile_in(dir)
        .map_err(key_error)?;
    temp.write_all(&key).map_err(key_error)?;
    temp.as_file().sync_all().map_err(key_error)?;
    match temp.persist_noclobber(&path) {
        Ok(_) => Ok(key),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => read_secret(dir)?
            .ok_or_else(|| {
                key_error(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the key another run made is gone",
                ))
            }),
        Err(e) => Err(key_error(e.error)),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_folder_is_made_private_and_a_shared_one_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b/cache");
        create_private_folder(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        check_private(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = check_private(&dir).unwrap_err().to_string();
        assert!(
            error.contains("writable by other users (mode 777)"),
            "{error}"
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        check_private(&dir).unwrap();
    }

    #[test]
    fn one_key_per_folder_owner_only_and_an_exposed_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_secret(dir.path()).unwrap(), None);
        let key = secret(dir.path()).unwrap();
        assert_eq!(secret(dir.path()).unwrap(), key);
        assert_ne!(key, [0u8; 32]);
        let path = dir.path().join(SECRET_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            read_secret(dir.path()),
            Err(NotPrivate::KeyExposed { .. })
        ));
        // Another folder gets another key.
        let other = tempfile::tempdir().unwrap();
        assert_ne!(secret(other.path()).unwrap(), key);
    }
}
