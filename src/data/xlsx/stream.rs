//! Feeding a part's inflated XML to a scanner in large windows, carrying an element cut
//! off at a window's end over to the next.

use std::io::Read;

use super::error::XmlError;

/// Bytes of decompressed XML handed to the scanner at a time.
pub(super) const CHUNK: usize = 1 << 21;
/// Largest single element (a cell, a shared string) we accept before calling the XML broken.
const MAX_ELEMENT: usize = 256 << 20;

/// How far one scan of a buffer got.
pub(crate) struct Step {
    /// Bytes fully handled; the rest is an element cut off by the buffer's end.
    pub(crate) consumed: usize,
    /// Nothing more of the stream is needed.
    pub(crate) finished: bool,
}

/// Feeds `reader`'s bytes to `scan` in large buffers, carrying an element cut off at
/// the end of one buffer over to the next.
pub(crate) fn stream_elements<E: From<XmlError>>(
    mut reader: impl Read,
    mut scan: impl FnMut(&[u8], bool) -> Result<Step, E>,
) -> Result<(), E> {
    let mut buf = vec![0u8; CHUNK * 2];
    let (mut start, mut end) = (0usize, 0usize);
    let mut eof = false;
    let mut need_more = false;
    loop {
        while !eof && (end - start < CHUNK || need_more) {
            if end == buf.len() {
                if start > 0 {
                    buf.copy_within(start..end, 0);
                    end -= start;
                    start = 0;
                } else if buf.len() >= MAX_ELEMENT {
                    return Err(E::from(XmlError::ElementTooLong {
                        limit_mb: MAX_ELEMENT >> 20,
                    }));
                } else {
                    buf.resize(buf.len() * 2, 0);
                }
            }
            let Some(space) = buf.get_mut(end..) else {
                break;
            };
            let n = reader
                .read(space)
                .map_err(|e| E::from(XmlError::Inflate(e)))?;
            if n == 0 {
                eof = true;
            } else {
                end += n;
                need_more = false;
            }
        }
        let window = buf.get(start..end).unwrap_or(&[]);
        let step = scan(window, eof)?;
        start += step.consumed.min(end - start);
        if step.finished || eof {
            return Ok(());
        }
        need_more = step.consumed == 0;
        if start == end {
            start = 0;
            end = 0;
        }
    }
}

/// An element cut off at `lt`: wait for more bytes, or fail at the end of the stream.
pub(crate) fn unfinished<E: From<XmlError>>(lt: usize, eof: bool) -> Result<Step, E> {
    if eof {
        Err(E::from(XmlError::Truncated))
    } else {
        Ok(Step {
            consumed: lt,
            finished: false,
        })
    }
}
