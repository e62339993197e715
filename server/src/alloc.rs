//! The counting global allocator behind `used_memory`.
//!
//! Redis's zmalloc wraps jemalloc and adds the usable size of every allocation to
//! a counter; INFO's `used_memory` is that counter. We do the same: jemalloc (the
//! allocator Redis ships with, so memory figures compare like for like) wrapped by
//! a counter of the size class jemalloc really hands out (`nallocx`), so keys,
//! values, query and reply buffers and everything else count, as seed case 3
//! needs. The counter is one relaxed atomic add per allocation.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

use tikv_jemallocator::Jemalloc;

static USED: AtomicUsize = AtomicUsize::new(0);

/// jemalloc with a byte counter; installed as the binary's global allocator.
pub struct CountingJemalloc;

/// Bytes currently allocated, as jemalloc's size classes round them.
pub fn used_memory() -> usize {
    USED.load(Ordering::Relaxed)
}

/// jemalloc's `MALLOCX_LG_ALIGN` flags for a layout, 0 when the natural alignment
/// of the size class already satisfies it (what tikv-jemallocator does too).
fn flags(layout: &Layout) -> i32 {
    let align = layout.align();
    if align <= 16 && align <= layout.size() {
        0
    } else {
        align.trailing_zeros() as i32
    }
}

fn usable(layout: &Layout) -> usize {
    // SAFETY: nallocx only computes a size class from its arguments; it reads no
    // memory of ours and is defined for any size and valid alignment flags.
    let n = unsafe { tikv_jemalloc_sys::nallocx(layout.size().max(1), flags(layout)) };
    if n == 0 {
        layout.size()
    } else {
        n
    }
}

// SAFETY: every method forwards to jemalloc's GlobalAlloc implementation with the
// caller's arguments unchanged, so the contract GlobalAlloc requires holds exactly
// as it does for `Jemalloc`; the counter is a side effect that touches no memory
// the allocator hands out.
unsafe impl GlobalAlloc for CountingJemalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged (see the impl's comment).
        let ptr = unsafe { Jemalloc.alloc(layout) };
        if !ptr.is_null() {
            USED.fetch_add(usable(&layout), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let ptr = unsafe { Jemalloc.alloc_zeroed(layout) };
        if !ptr.is_null() {
            USED.fetch_add(usable(&layout), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        USED.fetch_sub(usable(&layout), Ordering::Relaxed);
        // SAFETY: forwarded unchanged; the caller guarantees ptr came from us with layout.
        unsafe { Jemalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller guarantees the GlobalAlloc contract.
        let new_ptr = unsafe { Jemalloc.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            let new_layout = Layout::from_size_align(new_size, layout.align()).unwrap_or(layout);
            USED.fetch_sub(usable(&layout), Ordering::Relaxed);
            USED.fetch_add(usable(&new_layout), Ordering::Relaxed);
        }
        new_ptr
    }
}

/// The allocator's name and version for INFO `mem_allocator`.
pub const ALLOCATOR_NAME: &str = "jemalloc-5.3.0";

/// jemalloc's own totals, as Redis's `zmalloc_get_allocator_info` reads them
/// for INFO `allocator_*` and MEMORY STATS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocatorStats {
    /// `stats.allocated`: bytes in live allocations (size classes included).
    pub allocated: u64,
    /// `stats.active`: bytes in pages that hold live allocations.
    pub active: u64,
    /// `stats.resident`: bytes of the allocator's pages resident in RAM.
    pub resident: u64,
}

/// Reads one `size_t` statistic by name.
fn mallctl_size(name: &std::ffi::CStr) -> u64 {
    let mut value: usize = 0;
    let mut len = std::mem::size_of::<usize>();
    // SAFETY: `name` is a C string, `value` and `len` are valid for writes of
    // a size_t, and no new value is passed; jemalloc writes at most `len` bytes.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr(),
            (&mut value as *mut usize).cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc == 0 {
        value as u64
    } else {
        0
    }
}

/// jemalloc's totals, refreshed now (jemalloc caches them until the `epoch`
/// advances). The calling thread's cache is flushed first so that the objects it
/// holds for reuse count as free, as the counter above counts them.
pub fn allocator_stats() -> AllocatorStats {
    let mut epoch: u64 = 1;
    let mut len = std::mem::size_of::<u64>();
    // SAFETY: "thread.tcache.flush" takes and returns nothing; "epoch" reads and
    // writes one u64 through valid pointers with the matching length.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"thread.tcache.flush".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
        tikv_jemalloc_sys::mallctl(
            c"epoch".as_ptr(),
            (&mut epoch as *mut u64).cast(),
            &mut len,
            (&mut epoch as *mut u64).cast(),
            std::mem::size_of::<u64>(),
        );
    }
    AllocatorStats {
        allocated: mallctl_size(c"stats.allocated"),
        active: mallctl_size(c"stats.active"),
        resident: mallctl_size(c"stats.resident"),
    }
}

/// Appends one chunk of jemalloc's statistics report to the String behind `out`.
unsafe extern "C" fn append_report(out: *mut std::ffi::c_void, text: *const std::ffi::c_char) {
    if out.is_null() || text.is_null() {
        return;
    }
    // SAFETY: `out` is the &mut String passed by `malloc_stats_text` for the
    // duration of the call, and jemalloc passes a NUL-terminated string.
    unsafe {
        let report = &mut *out.cast::<String>();
        report.push_str(&std::ffi::CStr::from_ptr(text).to_string_lossy());
    }
}

/// jemalloc's human-readable statistics report (MEMORY MALLOC-STATS).
pub fn malloc_stats_text() -> String {
    let mut report = String::new();
    // SAFETY: the callback only touches `report`, which outlives the call;
    // a null options pointer asks for the default report.
    unsafe {
        tikv_jemalloc_sys::malloc_stats_print(
            Some(append_report),
            (&mut report as *mut String).cast(),
            std::ptr::null(),
        );
    }
    report
}

/// Returns every arena's dirty pages to the system (MEMORY PURGE); false when
/// jemalloc refused.
pub fn purge() -> bool {
    // MALLCTL_ARENAS_ALL (4096) addresses every arena at once, as Redis does.
    // SAFETY: "arena.4096.purge" takes and returns nothing.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    rc == 0
}

/// The bytes jemalloc really reserves for a request of `size` bytes (its size
/// class), the rounding MEMORY USAGE applies to every allocation it counts.
pub fn size_class(size: usize) -> usize {
    Layout::from_size_align(size, 1).map_or(size, |layout| usable(&layout))
}

/// Turns jemalloc's background thread on or off (`jemalloc-bg-thread`), which
/// returns dirty pages to the system off the threads that allocate, as Redis
/// asks at start-up and on CONFIG SET; false when jemalloc refused.
pub fn set_background_thread(on: bool) -> bool {
    let mut value = on;
    // SAFETY: "background_thread" takes a bool; `value` is a valid bool for
    // the length passed, and no old value is asked for.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            c"background_thread".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            (&mut value as *mut bool).cast(),
            std::mem::size_of::<bool>(),
        )
    };
    rc == 0
}
