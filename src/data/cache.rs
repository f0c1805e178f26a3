//! The input cache: a re-run on unchanged inputs loads the read tables, the data-quality
//! log and the input files' identities from one binary entry instead of reading the files.
//!
//! - **Key**: BLAKE3 of each input file's bytes, plus the table specs, the wanted columns,
//!   the resolved paths, the tool version and the format version ([`key`]). File times
//!   are never trusted, so an entry is never stale. The reading settings that are not in
//!   the spec (a workbook's 1904 date system, a CSV's delimiter) come from the file's
//!   bytes and extension, which the key covers.
//! - **Entries**: one file per key, written to a temporary file and renamed ([`entry`]):
//!   two racing runs each write a whole entry and a reader never sees half of one. The
//!   header's checksum is verified before decoding; anything that does not check out is
//!   a miss, and the entry is replaced.
//! - **Never fatal**: a folder that cannot be created or written turns the cache off
//!   for the run with one warning; the run reads the files as without a cache.
//! - **Size**: after each write, the least recently used entries beyond
//!   [`MAX_CACHE_BYTES`] are removed (a hit marks an entry used).

mod bytes;
mod codec;
mod entry;
mod key;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use thiserror::Error;

use crate::data::error::DataError;
use crate::data::read::{InputData, read_inputs};
use crate::data::spec::InputsSpec;

/// Entries beyond this total size are removed, least recently used first.
pub const MAX_CACHE_BYTES: u64 = 4 << 30;

/// Temporary files older than this were left by a run that was killed while writing.
const ABANDONED_TEMP_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// What went wrong with the cache folder. None of these makes a run fail: without a
/// folder, or when it cannot be written, the run reads the files as without a cache.
#[derive(Debug, Error)]
pub enum CacheError {
    #[error("no folder for the input cache: set CHANMIX_CACHE_DIR (or HOME)")]
    NoFolder,

    #[error("cannot create {}: {source}", dir.display())]
    CreateFolder {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write to {}: {source}", dir.display())]
    WriteEntry {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot list {}: {source}", dir.display())]
    ListFolder {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot remove {}: {source}", path.display())]
    RemoveFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where the cache lives and what went wrong writing it during this run.
#[derive(Debug)]
pub struct InputCache {
    dir: PathBuf,
    /// The first problem writing the cache; once set, this run writes no more.
    warning: Mutex<Option<CacheError>>,
}

/// How a read used the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// No cache (`--no-cache`, or no cache folder).
    Off,
    /// Loaded from the cache.
    Hit,
    /// Read from the files and stored for the next run.
    Stored,
    /// Read from the files and not stored (the cache cannot be written, or an input
    /// changed while it was read).
    NotStored,
}

impl CacheUse {
    /// How the timings line names the read phase.
    pub fn describe(self) -> &'static str {
        match self {
            CacheUse::Off => "read inputs (no cache)",
            CacheUse::Hit => "read inputs (cache hit)",
            CacheUse::Stored => "read inputs (cache stored)",
            CacheUse::NotStored => "read inputs (not cached)",
        }
    }
}

/// Entries and their total size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheSummary {
    pub entries: usize,
    pub bytes: u64,
}

impl InputCache {
    /// A cache in `dir` (created when the first entry is written).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        InputCache {
            dir: dir.into(),
            warning: Mutex::new(None),
        }
    }

    /// `$CHANMIX_CACHE_DIR`, else `$XDG_CACHE_HOME/chanmix`, else `$HOME/.cache/chanmix`.
    pub fn default_location() -> Result<PathBuf, CacheError> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(dir) = var("CHANMIX_CACHE_DIR") {
            return Ok(PathBuf::from(dir));
        }
        if let Some(dir) = var("XDG_CACHE_HOME").map(PathBuf::from)
            && dir.is_absolute()
        {
            return Ok(dir.join("chanmix"));
        }
        if let Some(home) = var("HOME") {
            return Ok(PathBuf::from(home).join(".cache").join("chanmix"));
        }
        Err(CacheError::NoFolder)
    }

    /// The cache at its default location.
    pub fn from_env() -> Result<Self, CacheError> {
        Self::default_location().map(Self::at)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The first problem met writing the cache, as one line to show the user.
    pub fn take_warning(&self) -> Option<String> {
        let problem = self.warning.lock().ok().and_then(|mut w| w.take())?;
        Some(format!(
            "warning: input cache off for this run: {problem} (use --no-cache, or set CHANMIX_CACHE_DIR to a writable folder)"
        ))
    }

    fn writes_off(&self) -> bool {
        self.warning.lock().map_or(true, |w| w.is_some())
    }

    fn warn(&self, problem: CacheError) {
        if let Ok(mut warning) = self.warning.lock()
            && warning.is_none()
        {
            *warning = Some(problem);
        }
    }

    /// [`read_inputs`] through the cache: the same result, loaded from an entry when one
    /// exists for these exact inputs and settings, else read and stored.
    pub fn read_inputs(
        &self,
        spec: &InputsSpec,
        base_dir: &Path,
        wanted: Option<&BTreeMap<String, BTreeSet<String>>>,
    ) -> Result<(InputData, CacheUse), DataError> {
        spec.validate()?;
        let uncached = || read_inputs(spec, base_dir, wanted).map(|d| (d, CacheUse::NotStored));
        let Some(tables) = key::tables_to_read(spec, base_dir, wanted) else {
            return uncached();
        };
        let paths: BTreeSet<PathBuf> = tables.iter().map(|(_, _, path)| path.clone()).collect();
        let mut timer = StepTimer::from_env();
        let Ok(files) = key::hash_files(&paths) else {
            return uncached();
        };
        timer.lap("hash input files (BLAKE3)");
        let key = key::cache_key(&tables, wanted, &files);
        let path = entry::entry_path(&self.dir, &key);
        if let Some(data) = load(&path, &key, &mut timer) {
            return Ok((data, CacheUse::Hit));
        }
        let data = read_inputs(spec, base_dir, wanted)?;
        timer.lap("read input files");
        if self.writes_off() {
            return Ok((data, CacheUse::NotStored));
        }
        // Store only what was read from the bytes that were hashed: an input changed
        // while it was read must not be stored under the old content's key.
        let unchanged = key::hash_files(&paths).is_ok_and(|again| again == files);
        let stored = unchanged && self.store(&key, &data);
        timer.lap("re-hash inputs and store");
        let used = if stored {
            CacheUse::Stored
        } else {
            CacheUse::NotStored
        };
        Ok((data, used))
    }

    fn store(&self, key: &blake3::Hash, data: &InputData) -> bool {
        if let Err(source) = std::fs::create_dir_all(&self.dir) {
            self.warn(CacheError::CreateFolder {
                dir: self.dir.clone(),
                source,
            });
            return false;
        }
        match entry::write_entry(&self.dir, key, |sink| codec::encode(data, sink)) {
            Ok(path) => {
                self.evict(&path);
                true
            }
            // Inputs the cache cannot hold (a path that is not UTF-8) are used as
            // read, just not stored; there is nothing for the user to do about it.
            Err(codec::EncodeError::NotCacheable(_)) => false,
            Err(codec::EncodeError::Write(source)) => {
                self.warn(CacheError::WriteEntry {
                    dir: self.dir.clone(),
                    source,
                });
                false
            }
        }
    }

    /// Removes the least recently used entries beyond [`MAX_CACHE_BYTES`] (never `keep`)
    /// and temporary files abandoned by killed runs. Best effort: another run may be
    /// removing the same files.
    fn evict(&self, keep: &Path) {
        let Ok(mut files) = cache_files(&self.dir) else {
            return;
        };
        files.sort_by_key(|file| std::cmp::Reverse(file.modified));
        let now = SystemTime::now();
        let mut total = 0u64;
        for file in files {
            if file.temporary {
                let age = now.duration_since(file.modified).unwrap_or_default();
                if age > ABANDONED_TEMP_AGE {
                    let _ = std::fs::remove_file(&file.path);
                }
                continue;
            }
            total = total.saturating_add(file.bytes);
            if total > MAX_CACHE_BYTES && file.path != keep {
                let _ = std::fs::remove_file(&file.path);
            }
        }
    }

    /// The entries in the cache folder (none when it does not exist).
    pub fn summary(&self) -> Result<CacheSummary, CacheError> {
        let mut summary = CacheSummary::default();
        for file in cache_files(&self.dir)? {
            summary.bytes += file.bytes;
            summary.entries += usize::from(!file.temporary);
        }
        Ok(summary)
    }

    /// Removes every entry (and temporary file) of this cache, nothing else; returns what
    /// was removed.
    pub fn clear(&self) -> Result<CacheSummary, CacheError> {
        let mut removed = CacheSummary::default();
        for file in cache_files(&self.dir)? {
            match std::fs::remove_file(&file.path) {
                Ok(()) => {
                    removed.bytes += file.bytes;
                    removed.entries += usize::from(!file.temporary);
                }
                // Removed meanwhile by another run's eviction.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(CacheError::RemoveFile {
                        path: file.path,
                        source,
                    });
                }
            }
        }
        Ok(removed)
    }
}

/// Loads an entry; `None` (a miss) when it is absent or does not check out.
fn load(path: &Path, key: &blake3::Hash, timer: &mut StepTimer) -> Option<InputData> {
    let entry = entry::EntryBytes::read(path, key).ok()??;
    timer.lap("read cache entry");
    // The checksum first: decoding trusts the row counts of the checked payload.
    if !entry.checksum_matches() {
        return None;
    }
    timer.lap("verify entry checksum");
    let data = codec::decode(entry.payload()).ok()?;
    timer.lap("decode tables");
    drop(entry);
    timer.lap("free entry buffer");
    // Mark the entry used, for eviction (best effort).
    if let Ok(file) = std::fs::File::options().append(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
    Some(data)
}

/// Prints how long each step of a cached read took when `CHANMIX_TIMINGS` is set: wall
/// time, and the CPU time of all threads (on Linux; it tells a busy machine's waits apart).
struct StepTimer {
    last: Option<(std::time::Instant, f64)>,
}

impl StepTimer {
    fn from_env() -> Self {
        StepTimer {
            last: std::env::var_os("CHANMIX_TIMINGS")
                .map(|_| (std::time::Instant::now(), process_cpu_seconds())),
        }
    }

    fn lap(&mut self, step: &str) {
        if let Some((wall, cpu)) = self.last {
            let now = process_cpu_seconds();
            eprintln!(
                "timing:   {step:<24} {:>8.3} s  (cpu {:.2} s, peak RSS {:.0} MiB)",
                wall.elapsed().as_secs_f64(),
                now - cpu,
                peak_rss_mib()
            );
            self.last = Some((std::time::Instant::now(), now));
        }
    }
}

/// The highest resident memory of this process so far in MiB, from /proc (0 elsewhere).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// User + system CPU time of this process so far, from /proc (0 elsewhere).
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime: fields 14 and 15 of stat, indices 11 and 12 after the name; 100 Hz.
    (ticks(11) + ticks(12)) / 100.0
}

/// One file of the cache folder.
struct CacheFile {
    path: PathBuf,
    bytes: u64,
    modified: SystemTime,
    temporary: bool,
}

/// The cache's own files in `dir`: entries and temporary files, nothing else.
fn cache_files(dir: &Path) -> Result<Vec<CacheFile>, CacheError> {
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(CacheError::ListFolder {
                dir: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut files = Vec::new();
    for item in listing.flatten() {
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        if !entry::is_cache_file(name) {
            continue;
        }
        let Ok(meta) = item.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        files.push(CacheFile {
            path: item.path(),
            bytes: meta.len(),
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            temporary: name.ends_with(entry::TEMP_SUFFIX),
        });
    }
    Ok(files)
}
