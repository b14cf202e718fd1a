//! Fuzz target `patch`: plan and patch (baselines 2.17 and 2.31, with and without
//! `allow_blockers`), re-read and verify the output, and patch it again, which must
//! change nothing. The code paths live in `fuzz/harness.rs`, shared with
//! `tests/fuzz_regressions.rs`.
//!
//! `ELFCOMPAT_FUZZ_SKIP_KNOWN=1` turns the known, reported and not yet fixed bug below
//! into a skipped input instead of a crash, so that a long run finds new bugs rather than
//! the same one again and again (unset, every crash is reported):
//!
//! * `rewrite-unbounded-output` (testdata/fuzz-regressions/patch-rewrite-*): the rewrite
//!   path hands object's `Builder::write` a layout whose size is not bounded by the input
//!   (a program or section header reaching past the end of the file, a huge
//!   sh_addralign, a section offset that disagrees with its address); `write` reserves a
//!   buffer of that size: a capacity-overflow panic, or an allocation of gigabytes to
//!   petabytes (abort / OOM). Recognised by its signature: an allocation above 256 MiB
//!   (refused by the allocator below) or a capacity overflow, with `Builder::write` on
//!   the stack. The same symptom anywhere else is still a crash. Since the rewrite writes
//!   into a bounded `patch::Image` (input plus changed pages, at most twice the input and
//!   64 MiB, else a refusal) instead of a buffer of the layout's size, the signature has
//!   not occurred again (20-minute run without the skip); the switch stays for old trees.
#![no_main]
#![feature(alloc_error_hook)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

#[path = "../harness.rs"]
mod harness;

/// Single allocations above this are refused while known bugs are skipped.
const CAP: usize = 256 << 20;
const KNOWN: &str = "elfcompat-fuzz: known bug rewrite-unbounded-output";

static SKIP_KNOWN: AtomicBool = AtomicBool::new(false);

thread_local! {
    static HIT_KNOWN: Cell<bool> = const { Cell::new(false) };
}

struct Capped;

// SAFETY: forwards to the system allocator; only refuses (returns null for) some sizes.
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if SKIP_KNOWN.load(Ordering::Relaxed) && l.size() > CAP {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if SKIP_KNOWN.load(Ordering::Relaxed) && l.size() > CAP {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        if SKIP_KNOWN.load(Ordering::Relaxed) && new_size > CAP {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(p, l, new_size) }
    }
}

#[global_allocator]
static ALLOC: Capped = Capped;

/// Whether the current stack is inside object's `Builder::write`: a frame named `write`
/// (inlined frames have short names) at a line of object's `src/build/elf.rs`.
fn in_builder_write() -> bool {
    let bt = std::backtrace::Backtrace::force_capture().to_string();
    let lines: Vec<&str> = bt.lines().map(str::trim).collect();
    lines.windows(2).any(|w| {
        w[0].ends_with("write") && w[1].starts_with("at ") && w[1].contains("/src/build/elf.rs")
    })
}

fn install_known_bug_skipping() {
    if std::env::var_os("ELFCOMPAT_FUZZ_SKIP_KNOWN").is_none_or(|v| v != "1") {
        return;
    }
    SKIP_KNOWN.store(true, Ordering::Relaxed);
    std::alloc::set_alloc_error_hook(|layout| {
        if in_builder_write() {
            panic!("{KNOWN}: allocation of {} bytes", layout.size());
        }
        // Returning aborts, as the default hook does: a new bug, reported as a crash.
        eprintln!("memory allocation of {} bytes failed", layout.size());
    });
    // libfuzzer-sys's hook aborts on every panic; let the known one unwind instead.
    let libfuzzer_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with(KNOWN) || (msg.contains("capacity overflow") && in_builder_write()) {
            HIT_KNOWN.with(|h| h.set(true));
            return;
        }
        libfuzzer_hook(info)
    }));
}

libfuzzer_sys::fuzz_target!(
    init: {
        install_known_bug_skipping();
    },
    |data: &[u8]| {
        if !SKIP_KNOWN.load(Ordering::Relaxed) {
            harness::patch(data);
            return;
        }
        HIT_KNOWN.with(|h| h.set(false));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| harness::patch(data))) {
            if !HIT_KNOWN.with(|h| h.get()) {
                resume_unwind(panic);
            }
        }
    }
);
