//! The plugin's memory allocator: an arena that is emptied after every call.
//!
//! A plugin's work for one claim is a burst of short-lived allocations (the
//! claim read into the model, the steps' working values, the outcome written
//! back), all freed by the time the host has read the answer. So memory is
//! handed out by bumping a pointer, and once every allocation made since the
//! plugin was configured has been freed again, the pointer goes back to
//! where it stood after `configure`: the next claim reuses the same pages,
//! and nothing is searched or split on the way. What `configure` built (the
//! policy itself) lies below that mark and is never touched.
//!
//! An allocation that is never freed only stops the rewinding: the arena
//! then grows like a plain bump allocator until the sandbox's memory cap
//! stops the plugin, which costs that instance, never a wrong answer.
//!
//! Only plugins built for wasm32 use it; a plugin runs on one thread.

#![allow(
    unsafe_code,
    reason = "a global allocator is an unsafe trait; the only unsafe code written by hand in the PDK"
)]

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::Cell;

/// Bytes in a WebAssembly page.
const PAGE: usize = 65_536;

/// A bump allocator over memory it grows at the end of linear memory.
pub(crate) struct Arena {
    /// The next free byte.
    next: Cell<usize>,
    /// The end of the memory the arena owns.
    end: Cell<usize>,
    /// Where `next` goes back to once everything above it is freed.
    mark: Cell<usize>,
    /// Allocations at or above `mark` not yet freed.
    live_above_mark: Cell<usize>,
}

// SAFETY: a wasm32 plugin has one thread; the arena is never shared across threads.
unsafe impl Sync for Arena {}

#[global_allocator]
static ARENA: Arena =
    Arena { next: Cell::new(0), end: Cell::new(0), mark: Cell::new(0), live_above_mark: Cell::new(0) };

/// Marks the arena after `configure`: what exists now is the configured
/// policy, kept for the instance's life; everything after it is per call.
pub(crate) fn mark_configured() {
    ARENA.mark.set(ARENA.next.get());
    ARENA.live_above_mark.set(0);
}

impl Arena {
    /// Takes the memory after everything the module itself placed, on first use.
    fn start(&self) {
        if self.end.get() == 0 {
            let end = wasm32::memory_size::<0>().saturating_mul(PAGE);
            self.next.set(end);
            self.end.set(end);
            self.mark.set(end);
        }
    }

    /// Makes the arena reach `needed`, growing linear memory; false if it cannot.
    fn reach(&self, needed: usize) -> bool {
        let end = self.end.get();
        if needed <= end {
            return true;
        }
        let pages = (needed - end).div_ceil(PAGE);
        let old = wasm32::memory_grow::<0>(pages);
        // The arena is the only thing that grows memory, so the new pages
        // follow its end; anything else means it cannot go on contiguously.
        if old == usize::MAX || old.saturating_mul(PAGE) != end {
            return false;
        }
        self.end.set(end.saturating_add(pages.saturating_mul(PAGE)));
        true
    }

    fn bump(&self, layout: Layout) -> *mut u8 {
        self.start();
        let Some(at) = self.next.get().checked_next_multiple_of(layout.align()) else {
            return core::ptr::null_mut();
        };
        let Some(after) = at.checked_add(layout.size()) else {
            return core::ptr::null_mut();
        };
        if !self.reach(after) {
            return core::ptr::null_mut();
        }
        self.next.set(after);
        if at >= self.mark.get() {
            self.live_above_mark.set(self.live_above_mark.get().saturating_add(1));
        }
        at as *mut u8
    }

    fn free(&self, at: usize, size: usize) {
        if at < self.mark.get() {
            // Built before the mark: the configured policy, or garbage from
            // configuring it. Either way it stays.
            return;
        }
        if at.saturating_add(size) == self.next.get() {
            self.next.set(at);
        }
        let live = self.live_above_mark.get().saturating_sub(1);
        self.live_above_mark.set(live);
        if live == 0 {
            self.next.set(self.mark.get());
        }
    }
}

// SAFETY: every block handed out lies inside linear memory the arena grew
// for itself, is aligned as asked, and is not handed out again until it is
// freed: `next` only moves back over blocks that are freed (the last one, or
// all of them since the mark).
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.bump(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.free(ptr as usize, layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let at = ptr as usize;
        // The last block grows or shrinks in place.
        if at >= self.mark.get()
            && at.saturating_add(layout.size()) == self.next.get()
            && let Some(after) = at.checked_add(new_size)
            && self.reach(after)
        {
            self.next.set(after);
            return ptr;
        }
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return core::ptr::null_mut();
        };
        let moved = self.bump(new_layout);
        if !moved.is_null() {
            // SAFETY: both blocks are live, distinct, and at least this long.
            unsafe { core::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size)) };
            self.free(at, layout.size());
        }
        moved
    }
}
