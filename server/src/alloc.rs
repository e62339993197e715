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
