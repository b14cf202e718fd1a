//! Phase timings for people measuring elfcompat (`ELFCOMPAT_TIMINGS=1`): each `mark` prints
//! the milliseconds since the process's first mark, and on which thread, to stderr. Off, a
//! mark costs one load of a flag.

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Option<Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    *START.get_or_init(|| std::env::var_os("ELFCOMPAT_TIMINGS").map(|_| Instant::now()))
}

/// Record that `phase` ended now.
pub fn mark(phase: &str) {
    if let Some(t) = start() {
        let thread = std::thread::current();
        eprintln!(
            "elfcompat: timing {:>8.2} ms  {:<10} {phase}",
            t.elapsed().as_secs_f64() * 1e3,
            thread.name().unwrap_or("worker"),
        );
    }
}
