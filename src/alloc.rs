//! The process's memory allocator: the system's, except for over-aligned blocks.
//!
//! libgit2 inflates every object it reads through zlib's C API, which zlib-rs provides
//! (see `source`). zlib-rs allocates each stream's state and 32 KiB window as one block
//! aligned to 64 bytes, and a history scan opens one stream per object read: hundreds of
//! thousands of them. glibc serves such a request with `posix_memalign`, which carves the
//! block out of a larger chunk and frees the leftover slivers; libgit2's long-lived cache
//! entries then settle in those slivers, and the heap grows instead of reusing the freed
//! windows (peak memory of a 50,000-commit history scan: 121 MiB with the system zlib,
//! 180 MiB with zlib-rs on the plain system allocator, 122 MiB with this one, at the same
//! speed). So an over-aligned block is an ordinary allocation `align` bytes larger,
//! aligned inside, with its offset stored in the word before the address handed out.
//! Everything else goes to the system allocator unchanged.

use std::alloc::{GlobalAlloc, Layout, System};

/// See the module documentation.
pub struct Allocator;

/// What the system allocator aligns every block to without being asked (glibc's
/// `malloc` on 64-bit targets).
const NATURAL: usize = 16;

impl Allocator {
    /// The ordinary layout that holds an over-aligned `layout` and its offset word.
    fn padded(layout: Layout) -> Option<Layout> {
        let size = layout.size().checked_add(layout.align())?;
        Layout::from_size_align(size, NATURAL).ok()
    }
}

// SAFETY: every block comes from `System` and goes back to it with the layout it was
// allocated with. An over-aligned block is `padded(layout)`: `raw` is at least 16-aligned,
// so `offset` (the distance from `raw` up to the next multiple of `align`, never 0) is at
// least 16 and at most `align`; the word before the returned address is therefore inside
// the block, and `offset + size <= align + size` keeps the caller's bytes inside it too.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= NATURAL {
            return unsafe { System.alloc(layout) };
        }
        let Some(padded) = Self::padded(layout) else {
            return std::ptr::null_mut();
        };
        let raw = unsafe { System.alloc(padded) };
        if raw.is_null() {
            return raw;
        }
        let offset = layout.align() - (raw as usize % layout.align());
        unsafe {
            let out = raw.add(offset);
            out.cast::<usize>().sub(1).write(offset);
            out
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.align() <= NATURAL {
            return unsafe { System.dealloc(ptr, layout) };
        }
        // `padded` succeeded when this block was allocated.
        let Some(padded) = Self::padded(layout) else {
            return;
        };
        unsafe {
            let offset = ptr.cast::<usize>().sub(1).read();
            System.dealloc(ptr.sub(offset), padded);
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= NATURAL {
            return unsafe { System.alloc_zeroed(layout) };
        }
        let ptr = unsafe { self.alloc(layout) };
        if !ptr.is_null() {
            unsafe { ptr.write_bytes(0, layout.size()) };
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= NATURAL {
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every alignment the allocator treats specially, at sizes around zlib-rs's window:
    /// the address is aligned, the bytes are usable and keep their value across a
    /// reallocation, zeroed blocks are zero, and giving them back does not corrupt the
    /// system heap (glibc aborts on a bad `free`).
    #[test]
    fn over_aligned_blocks_are_aligned_usable_and_freed() {
        let a = Allocator;
        for align in [1, 8, 16, 32, 64, 128, 4096] {
            for size in [1, 7, 64, 1000, 45_000, 200_000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "align {align} size {size}");
                    for i in 0..size {
                        p.add(i).write(i as u8);
                    }
                    let grown = a.realloc(p, layout, size * 2);
                    assert_eq!(grown as usize % align, 0);
                    for i in 0..size {
                        assert_eq!(grown.add(i).read(), i as u8);
                    }
                    a.dealloc(grown, Layout::from_size_align(size * 2, align).unwrap());
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!((0..size).all(|i| z.add(i).read() == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
