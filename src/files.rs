//! Files named by other people (a colleague's scenario, a partner's export, a path written
//! in a rule or scenario file): inputs are opened only when they are regular files, since
//! a FIFO blocks for ever and a device never ends, and outputs are looked at before
//! anything replaces them (never a link, a device or a folder).

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The most a rule or scenario file may hold: far beyond any real one, and small
/// enough that reading a huge (or sparse) file by mistake is refused, not attempted.
pub const MAX_TEXT_FILE_BYTES: u64 = 64 << 20;

/// What a file-system node is, in words for a message: `a folder`, `a FIFO (named pipe)`.
pub fn kind_of(meta: &Metadata) -> &'static str {
    let file_type = meta.file_type();
    if file_type.is_dir() {
        return "a folder";
    }
    if file_type.is_symlink() {
        return "a symbolic link";
    }
    if file_type.is_file() {
        return "a regular file";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
    }
    "not a regular file"
}

fn not_regular(meta: &Metadata) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {}, not a regular file", kind_of(meta)),
    )
}

/// Opens `path` for reading if it is a regular file (links are followed). The kind is
/// checked before opening, so a device or FIFO is never opened, and again on the open
/// file, which is opened non-blocking so that a FIFO put there meanwhile cannot block.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let file = open_without_blocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    Ok(file)
}

#[cfg(unix)]
fn open_without_blocking(path: &Path) -> io::Result<File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    // Reads of a regular file never block anyway; clear the flag so the file behaves
    // exactly as one opened the usual way.
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function owns, reading then setting its flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags == -1 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(file)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// The bytes of a regular file of at most `max_bytes` (see [`open_regular`]).
pub fn read_regular(path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let length = file.metadata()?.len();
    if length > max_bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it holds {length} bytes, more than the {max_bytes} a file of this kind may hold"
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    // One byte past the limit tells a file that grew meanwhile.
    file.take(max_bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it grew past {max_bytes} bytes while being read"),
        ));
    }
    Ok(bytes)
}

/// Whether `path` ends in one of `extensions` (without the dot, any letter case).
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// What an output path holds now, links not followed.
#[derive(Debug)]
pub enum AtOutput {
    /// Nothing: a new file will be created.
    Nothing,
    /// A regular file, which may be replaced (its metadata gives the mode to keep).
    File(Metadata),
    /// Something chanmix never replaces; the text says what (`it is a FIFO …`).
    Refused(String),
}

/// Looks at what is at an output path without following a link or opening anything.
pub fn at_output(path: &Path) -> io::Result<AtOutput> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(AtOutput::Nothing),
        Err(e) => return Err(e),
    };
    if meta.is_file() {
        return Ok(AtOutput::File(meta));
    }
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path).unwrap_or_else(|_| PathBuf::from("?"));
        return Ok(AtOutput::Refused(format!(
            "it is a symbolic link (to {}); chanmix does not write through links — name the file itself",
            target.display()
        )));
    }
    Ok(AtOutput::Refused(format!(
        "it is {}; chanmix only replaces regular files",
        kind_of(&meta)
    )))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[allow(clippy::unwrap_used)]
    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    fn only_regular_files_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.rules");
        mkfifo(&fifo);
        let error = open_regular(&fifo).unwrap_err().to_string();
        assert_eq!(error, "it is a FIFO (named pipe), not a regular file");
        let error = open_regular(dir.path()).unwrap_err().to_string();
        assert_eq!(error, "it is a folder, not a regular file");
        let error = open_regular(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert_eq!(error, "it is a character device, not a regular file");
        let file = dir.path().join("a.rules");
        std::fs::write(&file, "x = 1\n").unwrap();
        assert_eq!(read_regular(&file, 100).unwrap(), b"x = 1\n");
        let error = read_regular(&file, 3).unwrap_err().to_string();
        assert!(error.contains("holds 6 bytes, more than the 3"), "{error}");
        // A link to a regular file is read like the file.
        let link = dir.path().join("link.rules");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_regular(&link, 100).unwrap(), b"x = 1\n");
    }

    #[test]
    fn outputs_are_looked_at_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.xlsx");
        assert!(matches!(at_output(&out).unwrap(), AtOutput::Nothing));
        std::fs::write(&out, b"x").unwrap();
        assert!(matches!(at_output(&out).unwrap(), AtOutput::File(_)));
        let link = dir.path().join("link.xlsx");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        let AtOutput::Refused(why) = at_output(&link).unwrap() else {
            panic!("a link must be refused")
        };
        assert!(why.starts_with("it is a symbolic link (to "), "{why}");
        let fifo = dir.path().join("fifo.xlsx");
        mkfifo(&fifo);
        let AtOutput::Refused(why) = at_output(&fifo).unwrap() else {
            panic!("a FIFO must be refused")
        };
        assert_eq!(
            why,
            "it is a FIFO (named pipe); chanmix only replaces regular files"
        );
        assert!(matches!(
            at_output(Path::new("/dev/null")).unwrap(),
            AtOutput::Refused(_)
        ));
        assert!(has_extension(&out, &["xlsx"]));
        assert!(has_extension(Path::new("A.XLSX"), &["xlsx"]));
        assert!(!has_extension(Path::new("a.xlsx.txt"), &["xlsx"]));
        assert!(!has_extension(Path::new("xlsx"), &["xlsx"]));
    }
}
