//! Inflating a big sheet on a second thread: a `Read` whose chunks another thread
//! decompresses while the calling thread scans the previous one.

use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::package::open_zip;
use super::stream::CHUNK;

/// Sheets whose compressed XML is at least this big are inflated on a thread of their
/// own while the calling thread scans, so one huge sheet keeps both cores busy.
pub(super) const PREFETCH_FROM: u64 = 4 << 20;

/// Inflated chunks in flight between the two threads: one is enough to keep both busy
/// (scanning a chunk takes longer than inflating it), and each costs 2 MiB per sheet.
const PREFETCH_DEPTH: usize = 1;

/// A `Read` over a zip entry inflated by another thread, in chunks sent over a channel
/// (and sent back for reuse, so a long sheet does not allocate per chunk).
pub(super) struct PrefetchReader {
    chunks: Receiver<std::io::Result<Vec<u8>>>,
    spent: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl PrefetchReader {
    /// Starts inflating `entry` of the zip at `path` on a thread of `threads`; the thread
    /// stops at the entry's end or as soon as the reader is dropped.
    pub(super) fn start<'scope>(
        threads: &'scope std::thread::Scope<'scope, '_>,
        path: &'scope Path,
        entry: &'scope str,
    ) -> PrefetchReader {
        let (send_chunk, chunks) = sync_channel::<std::io::Result<Vec<u8>>>(PREFETCH_DEPTH);
        let (spent, reuse) = sync_channel::<Vec<u8>>(PREFETCH_DEPTH + 2);
        threads.spawn(move || {
            let inflate = || -> std::io::Result<()> {
                let mut zip = open_zip(path).map_err(std::io::Error::other)?;
                let mut reader = zip.by_name(entry).map_err(std::io::Error::other)?;
                loop {
                    let mut chunk = reuse.try_recv().unwrap_or_default();
                    chunk.resize(CHUNK, 0);
                    let mut filled = 0;
                    while filled < chunk.len() {
                        let n = reader.read(chunk.get_mut(filled..).unwrap_or(&mut []))?;
                        if n == 0 {
                            break;
                        }
                        filled += n;
                    }
                    chunk.truncate(filled);
                    if filled == 0 || send_chunk.send(Ok(chunk)).is_err() {
                        return Ok(());
                    }
                }
            };
            if let Err(error) = inflate() {
                // The reader may be gone already; then nobody needs the error.
                let _ = send_chunk.send(Err(error));
            }
        });
        PrefetchReader {
            chunks,
            spent,
            current: Vec::new(),
            at: 0,
        }
    }
}

impl Read for PrefetchReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.current.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    // A full return channel only means the buffer is dropped, not reused.
                    let _ = self.spent.try_send(used);
                    self.at = 0;
                }
                Ok(Err(error)) => return Err(error),
                Err(_) => return Ok(0),
            }
        }
        let available = self.current.get(self.at..).unwrap_or(&[]);
        let n = available.len().min(out.len());
        if let (Some(target), Some(source)) = (out.get_mut(..n), available.get(..n)) {
            target.copy_from_slice(source);
        }
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    fn zip_with_entry(path: &Path, name: &str, bytes: &[u8]) {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(name, options).unwrap();
        zip.write_all(bytes).unwrap();
        zip.finish().unwrap();
    }

    #[test]
    fn prefetching_reader_yields_the_entry_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.zip");
        // Several chunks' worth of varied bytes, so chunk edges fall mid-record.
        let bytes: Vec<u8> = (0..(CHUNK * 3 + 12_345) as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        zip_with_entry(&path, "x/entry.xml", &bytes);
        let read_back = std::thread::scope(|threads| {
            let mut reader = PrefetchReader::start(threads, &path, "x/entry.xml");
            let mut all = Vec::new();
            reader.read_to_end(&mut all).unwrap();
            all
        });
        assert!(read_back == bytes);
        // Dropping the reader early stops the inflating thread (the scope would hang otherwise).
        std::thread::scope(|threads| {
            let mut reader = PrefetchReader::start(threads, &path, "x/entry.xml");
            let mut first = [0u8; 10];
            reader.read_exact(&mut first).unwrap();
            assert_eq!(first, bytes[..10]);
        });
        // A missing entry is an error from the reader, not a hang or a panic.
        let missing = std::thread::scope(|threads| {
            let mut reader = PrefetchReader::start(threads, &path, "nope.xml");
            reader.read_to_end(&mut Vec::new())
        });
        assert!(missing.is_err());
    }
}
