//! Little-endian byte writing and bounds-checked reading for the cache's binary formats:
//! every read of a damaged file ends in [`Damaged`], never a panic or a huge allocation.

/// A cache file that does not decode: it is treated as a miss and replaced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("damaged cache entry: {0}")]
pub struct Damaged(pub &'static str);

/// Appends little-endian values and length-prefixed strings to a byte vector.
#[derive(Debug, Default)]
pub struct ByteWriter {
    pub bytes: Vec<u8>,
}

impl ByteWriter {
    pub fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    pub fn u32(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub fn u64(&mut self, value: u64) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub fn usize(&mut self, value: usize) {
        self.u64(value as u64);
    }

    pub fn f64(&mut self, value: f64) {
        self.u64(value.to_bits());
    }

    /// A string as its byte length (u64) and its UTF-8 bytes.
    pub fn str(&mut self, text: &str) {
        self.usize(text.len());
        self.bytes.extend_from_slice(text.as_bytes());
    }

    pub fn opt_str(&mut self, text: Option<&str>) {
        match text {
            Some(text) => {
                self.u8(1);
                self.str(text);
            }
            None => self.u8(0),
        }
    }
}

/// Reads what [`ByteWriter`] wrote, checking every length against what is left.
#[derive(Debug, Clone)]
pub struct ByteReader<'a> {
    rest: &'a [u8],
}

impl<'a> ByteReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        ByteReader { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next `len` bytes.
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], Damaged> {
        if len > self.rest.len() {
            return Err(Damaged("a length runs past the end of the file"));
        }
        let (head, tail) = self.rest.split_at(len);
        self.rest = tail;
        Ok(head)
    }

    /// `count` items of `width` bytes each, as one slice.
    pub fn take_array(&mut self, count: usize, width: usize) -> Result<&'a [u8], Damaged> {
        let len = count
            .checked_mul(width)
            .ok_or(Damaged("an array length overflows"))?;
        self.take(len)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Damaged> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, Damaged> {
        Ok(u8::from_le_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32, Damaged> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Result<u64, Damaged> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A count or length; it must fit in memory's address space.
    pub fn usize(&mut self) -> Result<usize, Damaged> {
        usize::try_from(self.u64()?).map_err(|_| Damaged("a length does not fit in memory"))
    }

    /// A count of items that each take at least one byte, so a damaged count can never
    /// ask for more items than the bytes left (and so never a huge allocation).
    pub fn count(&mut self) -> Result<usize, Damaged> {
        let count = self.usize()?;
        if count > self.rest.len() {
            return Err(Damaged("a count is larger than the bytes left"));
        }
        Ok(count)
    }

    pub fn bool(&mut self) -> Result<bool, Damaged> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Damaged("a flag is neither 0 nor 1")),
        }
    }

    pub fn str(&mut self) -> Result<&'a str, Damaged> {
        let len = self.usize()?;
        std::str::from_utf8(self.take(len)?).map_err(|_| Damaged("a string is not UTF-8"))
    }
}

/// A little-endian `f64` from 8 bytes (one item of a packed array).
#[inline]
pub fn f64_le(bytes: &[u8]) -> f64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    f64::from_le_bytes(word)
}

/// A little-endian `u32` from 4 bytes (one item of a packed array).
#[inline]
pub fn u32_le(bytes: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(bytes);
    u32::from_le_bytes(word)
}

/// A little-endian unsigned integer of `width` bytes (1, 2 or 4: a code or an index).
#[inline]
pub fn uint_le(bytes: &[u8], width: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(prefix) = word.get_mut(..width) {
        prefix.copy_from_slice(bytes);
    }
    u32::from_le_bytes(word)
}

/// The `index`-th little-endian `u64`/`f64` of a packed array (bounds-checked).
pub fn u64_at(array: &[u8], index: usize) -> Option<u64> {
    let start = index.checked_mul(8)?;
    let bytes = array.get(start..start.checked_add(8)?)?;
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    Some(u64::from_le_bytes(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_written() {
        let mut w = ByteWriter::default();
        w.u8(7);
        w.u32(70_000);
        w.u64(u64::MAX - 1);
        w.f64(-2.5);
        w.str("Partner — EMEA");
        w.opt_str(None);
        w.opt_str(Some(""));
        let mut r = ByteReader::new(&w.bytes);
        assert_eq!(r.u8(), Ok(7));
        assert_eq!(r.u32(), Ok(70_000));
        assert_eq!(r.u64(), Ok(u64::MAX - 1));
        assert_eq!(r.u64().map(f64::from_bits), Ok(-2.5));
        assert_eq!(r.str(), Ok("Partner — EMEA"));
        assert_eq!(r.bool(), Ok(false));
        assert_eq!((r.bool(), r.str()), (Ok(true), Ok("")));
        assert!(r.is_empty());
    }

    #[test]
    fn damaged_lengths_are_errors_not_panics() {
        let mut w = ByteWriter::default();
        w.u64(u64::MAX);
        assert!(ByteReader::new(&w.bytes).str().is_err());
        assert!(ByteReader::new(&w.bytes).count().is_err());
        assert!(ByteReader::new(&[1, 2]).u32().is_err());
        assert!(ByteReader::new(&[]).take_array(usize::MAX, 8).is_err());
        assert_eq!(u64_at(&[0; 8], 1), None);
    }

    #[test]
    fn packed_items_read_little_endian() {
        assert_eq!(f64_le(&(-2.5f64).to_le_bytes()), -2.5);
        assert_eq!(u32_le(&[1, 2, 3, 4]), 0x0403_0201);
        assert_eq!(uint_le(&[1], 1), 1);
        assert_eq!(uint_le(&[1, 2], 2), 0x0201);
        assert_eq!(uint_le(&[1, 2, 3, 4], 4), 0x0403_0201);
    }
}
