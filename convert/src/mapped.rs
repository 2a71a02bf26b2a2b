//! Delimited text parsed where it lies: a quarantined file that needs no
//! inflating or transcoding is mapped into memory, and its chunks are views
//! of the mapping. Reading it into buffers instead made the kernel copy
//! every byte once more: up to a tenth of a conversion's CPU in profiles.
//!
//! Mapping is sound because of how the quarantine works: a file is written
//! once, synced and renamed before it is acknowledged, and never written
//! again (it is only read, hashed and finally unlinked, which a mapping
//! outlives). The mapping is read-only.
//!
//! Each view lets go of its pages when it is dropped, so a mapped file adds
//! to resident memory only the chunks in flight, not all it has read: peak
//! memory stays flat as files grow.

use std::ops::{Deref, Range};
use std::sync::Arc;

use memmap2::{Advice, Mmap, UncheckedAdvice};

/// Maps `file` for reading from start to end.
pub fn map(file: &std::fs::File) -> std::io::Result<Arc<Mmap>> {
    // SAFETY: the quarantine never writes a file after acknowledging it
    // (module doc), so the mapped bytes do not change under the views.
    let map = unsafe { Mmap::map(file)? };
    // Only a hint for read-ahead: nothing depends on it.
    let _ = map.advise(Advice::Sequential);
    Ok(Arc::new(map))
}

/// The text of a chunk: its own buffer, or a view of a mapped file.
pub enum Text {
    Owned(String),
    Mapped(View),
}

impl Text {
    /// The chunk's own buffer, to read another chunk into.
    pub fn into_buffer(self) -> Option<Vec<u8>> {
        match self {
            Text::Owned(s) => Some(s.into_bytes()),
            Text::Mapped(_) => None,
        }
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Owned(s) => s,
            Text::Mapped(v) => v.as_str(),
        }
    }
}

/// A range of a mapped file that holds UTF-8.
pub struct View {
    map: Arc<Mmap>,
    range: Range<usize>,
}

impl View {
    /// `map[range]`, if it is UTF-8; else where it stops being.
    pub fn new(map: Arc<Mmap>, range: Range<usize>) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&map[range.clone()])?;
        Ok(Self { map, range })
    }

    fn as_str(&self) -> &str {
        // SAFETY: checked to be UTF-8 in `new`, and the bytes do not change
        // (a dropped view's pages come back from the file as they were).
        unsafe { std::str::from_utf8_unchecked(&self.map[self.range.clone()]) }
    }
}

/// How far before its start a view lets pages go as well. A page fault in
/// a mapped file maps the pages around it too: Linux's fault-around (64
/// KiB by default), or the whole of a large folio the page cache holds the
/// file in (up to 2 MiB on x86_64, the huge page size). Touching a view's
/// pages could map pages of views before it that were already let go, and
/// nothing else would let them go again: 7 pages a chunk at first, tens of
/// MiB over a 1 GiB file in the daemon with a 64 KiB margin.
const BEFORE_BYTES: usize = 2 << 20;

impl Drop for View {
    fn drop(&mut self) {
        let start = self.range.start.saturating_sub(BEFORE_BYTES);
        // SAFETY: the mapping is a read-only view of a file: a page let go
        // here is read back from the file when next touched, unchanged, so
        // a view sharing it still reads its bytes.
        let _ = unsafe {
            self.map.unchecked_advise_range(
                UncheckedAdvice::DontNeed,
                start,
                self.range.end - start,
            )
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_read_the_file_and_refuse_what_is_not_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut bytes = "héllo,wörld\n".repeat(2000).into_bytes();
        bytes.extend_from_slice(b"bad \xff byte\n");
        std::fs::write(&path, &bytes).unwrap();
        let map = map(&std::fs::File::open(&path).unwrap()).unwrap();
        let whole = 14 * 2000;
        let first = View::new(map.clone(), 0..whole / 2).unwrap();
        let second = View::new(map.clone(), whole / 2..whole).unwrap();
        // Dropping one view lets its pages go, the shared edge page too;
        // the other still reads its bytes.
        drop(first);
        assert_eq!(second.as_str(), "héllo,wörld\n".repeat(1000));
        let err = View::new(map.clone(), whole..bytes.len()).err().unwrap();
        assert_eq!(err.valid_up_to(), 4);
        let text = Text::Mapped(second);
        assert!(text.starts_with("héllo"));
        assert!(text.into_buffer().is_none());
    }
}
