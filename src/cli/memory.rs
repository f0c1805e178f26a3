//! How the chanmix process allocates: big blocks go back to the system when freed and
//! ask for huge pages. The binary installs this; so do the benchmarks, which time the
//! library as the binary runs it.

/// Big buffers (a million-row column, a cache entry) come straight from the system
/// and go back to it when freed. glibc otherwise raises this threshold as big blocks
/// are freed, and later columns are carved from a heap fragmented by the workbook just
/// read: measured at 1M rows, the peak memory of a cold run drops from 372 to 323 MiB.
/// Call it first thing in `main`, so that every big block follows it.
pub fn return_big_buffers_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const MMAP_THRESHOLD: libc::c_int = 1 << 20;
        // SAFETY: mallopt only sets an allocator parameter, under glibc's own arena
        // lock; no memory is read or written through it.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub use huge_pages::HugePageAllocator;

/// The system allocator, asking the kernel for 2 MiB pages on big blocks.
///
/// A warm run at 1M rows allocates some 600 MB in blocks of megabytes (columns, the
/// cache entry); with 4 KiB pages that is 150,000 page faults, a third of the run.
/// Transparent huge pages are opt-in on most distributions (`madvise` mode), so big
/// blocks are marked for them. Everything else is the system allocator's.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod huge_pages {
    use std::alloc::{GlobalAlloc, Layout, System};

    pub struct HugePageAllocator;

    const HUGE: usize = 2 << 20;
    const PAGE: usize = 4096;

    /// Marks the whole pages inside a block as wanting huge pages (advice only: the
    /// kernel may ignore it, and the block stays valid either way).
    fn advise(ptr: *mut u8, size: usize) {
        let start = (ptr as usize).next_multiple_of(PAGE);
        let end = (ptr as usize + size) & !(PAGE - 1);
        if end > start {
            // SAFETY: the range lies inside a block this allocator just handed out;
            // madvise with MADV_HUGEPAGE changes no contents and no permissions.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }

    // SAFETY: every call is forwarded to `System` unchanged; `advise` only gives advice.
    unsafe impl GlobalAlloc for HugePageAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: forwarded with the caller's layout.
            let ptr = unsafe { System.alloc(layout) };
            if layout.size() >= HUGE && !ptr.is_null() {
                advise(ptr, layout.size());
            }
            ptr
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            // SAFETY: forwarded with the caller's layout.
            let ptr = unsafe { System.alloc_zeroed(layout) };
            if layout.size() >= HUGE && !ptr.is_null() {
                advise(ptr, layout.size());
            }
            ptr
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: forwarded unchanged; `ptr` came from `System` with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: forwarded unchanged.
            let new = unsafe { System.realloc(ptr, layout, new_size) };
            if new_size >= HUGE && !new.is_null() {
                advise(new, new_size);
            }
            new
        }
    }
}
