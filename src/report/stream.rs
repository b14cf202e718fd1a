//! A run over many files, streamed: each file is mapped, analysed and rendered on a worker
//! thread while its names still point into the mapping, and the rendered pieces are handed
//! to the caller in walk order. No file's analysis outlives its rendering, and at most a
//! few files per worker are in flight, so memory follows the largest file, not the tree.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use super::json::Summary;
use super::{with_file_report, FileReport, Outcome};
use crate::baseline::Baseline;
use crate::scan::Walk;

/// How many items each worker may run ahead of the one the caller waits for.
const AHEAD_PER_WORKER: usize = 4;

/// `render` every item on worker threads (as many as rayon's pool has), and hand the
/// results to `sink` on the calling thread in the items' order. The first error of `sink`
/// stops the workers and is returned.
pub fn ordered<P, T, E>(
    items: &[P],
    render: impl Fn(&P) -> T + Sync,
    mut sink: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E>
where
    P: Sync,
    T: Send,
{
    let workers = rayon::current_num_threads().clamp(1, items.len().max(1));
    let window = AHEAD_PER_WORKER * workers;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // How many results the sink has taken, and a wake-up for workers that ran ahead.
    let taken = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::channel::<(usize, T)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, taken, render) = (&next, &stop, &taken, &render);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                {
                    let (lock, wake) = taken;
                    let mut done = lock.lock().unwrap_or_else(|e| e.into_inner());
                    while i >= *done + window && !stop.load(Ordering::Relaxed) {
                        done = wake.wait(done).unwrap_or_else(|e| e.into_inner());
                    }
                }
                if stop.load(Ordering::Relaxed) || tx.send((i, render(item))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, T> = BTreeMap::new();
        let mut want = 0usize;
        let mut result = Ok(());
        for (i, t) in rx.iter() {
            pending.insert(i, t);
            while let Some(t) = pending.remove(&want) {
                want += 1;
                if let Err(e) = sink(t) {
                    result = Err(e);
                    break;
                }
            }
            let (lock, wake) = &taken;
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = want;
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            wake.notify_all();
            if result.is_err() {
                break;
            }
        }
        result
    })
}

/// One file's rendering and its part of the run's counts.
pub struct Piece<T> {
    /// The file alone, counted.
    pub summary: Summary,
    /// What `render` made of it.
    pub rendered: T,
}

/// Analyse every file of `walk` (and report its unreadable paths, last, as errors),
/// rendering each report with `render` while the file is mapped, and hand the pieces to
/// `sink` in walk order. Returns the run's counts (with the walk's own).
pub fn reports<T: Send, E>(
    walk: &Walk,
    baseline: Option<&Baseline>,
    render: impl Fn(&FileReport<'_>) -> T + Sync,
    mut sink: impl FnMut(T) -> Result<(), E>,
) -> Result<Summary, E> {
    let mut summary = Summary::default();
    let piece = |r: &FileReport<'_>| {
        let mut s = Summary::default();
        s.count(r);
        Piece {
            summary: s,
            rendered: render(r),
        }
    };
    let mut take = |p: Piece<T>| {
        summary.merge(&p.summary);
        sink(p.rendered)
    };
    ordered(
        &walk.files,
        |path| with_file_report(path, baseline, piece),
        &mut take,
    )?;
    for (path, e) in &walk.errors {
        take(piece(&FileReport {
            path: path.display().to_string(),
            outcome: Outcome::Error {
                error: format!("{}: {e}", path.display()),
            },
        }))?;
    }
    summary.special_skipped = walk.special;
    summary.duplicates_skipped = walk.duplicates;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::ordered;

    #[test]
    fn results_come_in_order_and_errors_stop() {
        let items: Vec<u64> = (0..500).collect();
        // Uneven work, so workers finish out of order.
        let work = |&i: &u64| {
            let spin = (i * 7919) % 97;
            (0..spin * 100).fold(i, |a, b| a ^ b.wrapping_mul(31))
        };
        let mut got = Vec::new();
        ordered(
            &items,
            |i| (*i, work(i)),
            |(i, _)| {
                got.push(i);
                Ok::<(), ()>(())
            },
        )
        .expect("no error");
        assert_eq!(got, items);

        let mut seen = 0;
        let r = ordered(
            &items,
            |i| *i,
            |i| {
                seen += 1;
                if i == 42 {
                    Err(i)
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r, Err(42));
        assert_eq!(seen, 43);
        let none: Vec<u64> = Vec::new();
        assert_eq!(ordered(&none, |i| *i, |_| Err::<(), ()>(())), Ok(()));
    }
}
