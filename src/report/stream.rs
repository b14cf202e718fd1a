//! A run over many files, streamed: each file is mapped, analysed and rendered on a worker
//! thread while its names still point into the mapping, and the rendered pieces are handed
//! to the caller in walk order. No file's analysis outlives its rendering, and at most a
//! few files per worker are in flight, so memory follows the largest file, not the tree.
//!
//! An archive (`crate::archive`: wheels, zip, compressed tar) is one item of the walk:
//! its worker streams the members in stored order, analysing and rendering each ELF
//! member while its bytes are in memory and dropping them before the next, and hands on
//! the members' pieces (and, for a wheel when asked, its manylinux verdict) in order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use super::json::Summary;
use super::{analyze_bytes, with_file_report, FileReport, Outcome};
use crate::archive::{self, Format, Member};
use crate::baseline::Baseline;
use crate::elf::ElfError;
use crate::scan::Walk;
use crate::wheel::{WheelFacts, WheelVerdict};

/// How many batches each worker may run ahead of the one the caller waits for.
const AHEAD_PER_WORKER: usize = 4;

/// The most items a worker takes at once. Each hand-over between threads costs a wake-up
/// (a futex call and often a context switch): taken one at a time, the items of a tree of
/// small files cost more in hand-overs than in work.
const BATCH: usize = 16;

/// `render` every item on worker threads (as many as rayon's pool has), and hand the
/// results to `sink` on the calling thread in the items' order. The first error of `sink`
/// stops the workers and is returned.
///
/// Workers take runs of consecutive items (up to [`BATCH`], fewer when there are few items
/// per worker, so that the work stays spread) and hand each run's results over at once.
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
    // At least 32 runs per worker while the items allow it.
    let batch = (items.len() / (workers * 32)).clamp(1, BATCH);
    let batches = items.len().div_ceil(batch);
    let window = AHEAD_PER_WORKER * workers;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // How many runs the sink has taken, and a wake-up for workers that ran ahead.
    let taken = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::channel::<(usize, Vec<T>)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, taken, render) = (&next, &stop, &taken, &render);
            scope.spawn(move || loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= batches {
                    break;
                }
                {
                    let (lock, wake) = taken;
                    let mut done = lock.lock().unwrap_or_else(|e| e.into_inner());
                    while b >= *done + window && !stop.load(Ordering::Relaxed) {
                        done = wake.wait(done).unwrap_or_else(|e| e.into_inner());
                    }
                }
                let run = &items[b * batch..((b + 1) * batch).min(items.len())];
                let mut out = Vec::with_capacity(run.len());
                for item in run {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    out.push(render(item));
                }
                if tx.send((b, out)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, Vec<T>> = BTreeMap::new();
        let mut want = 0usize;
        let mut result = Ok(());
        'runs: for (b, run) in rx.iter() {
            pending.insert(b, run);
            while let Some(run) = pending.remove(&want) {
                want += 1;
                for t in run {
                    if let Err(e) = sink(t) {
                        result = Err(e);
                        break;
                    }
                }
                if result.is_err() {
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
                break 'runs;
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

/// What a run hands its sink, in walk order.
pub enum Item<T> {
    /// A file's or an archive member's rendering.
    Report(T),
    /// A wheel's manylinux verdict, after its members' reports.
    Wheel(Box<WheelVerdict>),
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
    reports_with(walk, baseline, false, render, |item| match item {
        Item::Report(t) => sink(t),
        Item::Wheel(_) => Ok(()),
    })
}

/// [`reports`], and with `wheels` (the baseline is a manylinux policy) each wheel's
/// verdict on the manylinux policies after its members.
pub fn reports_with<T: Send, E>(
    walk: &Walk,
    baseline: Option<&Baseline>,
    wheels: bool,
    render: impl Fn(&FileReport<'_>) -> T + Sync,
    mut sink: impl FnMut(Item<T>) -> Result<(), E>,
) -> Result<Summary, E> {
    let mut summary = Summary::default();
    let piece = |r: &FileReport<'_>| {
        let mut s = Summary::default();
        s.count(r);
        Piece {
            summary: s,
            rendered: Item::Report(render(r)),
        }
    };
    // One item's pieces, with the counts of what it skipped (an archive's links).
    let mut take = |(skipped, pieces): (Summary, Vec<Piece<Item<T>>>)| {
        summary.merge(&skipped);
        pieces.into_iter().try_for_each(|p| {
            summary.merge(&p.summary);
            sink(p.rendered)
        })
    };
    ordered(
        &walk.files,
        |path| match archive_format(path) {
            Some(format) => archive_pieces(path, format, baseline, wheels, &piece),
            None => (
                Summary::default(),
                vec![with_file_report(path, baseline, piece)],
            ),
        },
        &mut take,
    )?;
    for (path, e) in &walk.errors {
        take((
            Summary::default(),
            vec![piece(&FileReport {
                path: path.display().to_string(),
                outcome: Outcome::Error {
                    error: format!("{}: {e}", path.display()),
                },
            })],
        ))?;
    }
    summary.special_skipped += walk.special;
    summary.duplicates_skipped += walk.duplicates;
    Ok(summary)
}

/// The archive format of a regular file named like an archive (a FIFO named `x.zip` is
/// reported like any special file, never opened).
fn archive_format(path: &std::path::Path) -> Option<Format> {
    let format = archive::format_of(path)?;
    std::fs::metadata(path).ok()?.is_file().then_some(format)
}

/// The pieces of one archive: a report per member (`archive!/member`), an error report
/// for the archive if it cannot be read to its end, and a wheel's verdict; with the
/// counts of the links and special members skipped.
fn archive_pieces<T>(
    path: &std::path::Path,
    format: Format,
    baseline: Option<&Baseline>,
    wheels: bool,
    piece: &impl Fn(&FileReport<'_>) -> Piece<Item<T>>,
) -> (Summary, Vec<Piece<Item<T>>>) {
    let shown = path.display().to_string();
    let mut out = Vec::new();
    let mut skipped = Summary::default();
    let mut facts = (wheels && archive::is_wheel(path)).then(WheelFacts::default);
    let read = archive::for_each_member(path, format, |member| {
        let (name, elf) = match member {
            Member::Link => return skipped.duplicates_skipped += 1,
            Member::Special => return skipped.special_skipped += 1,
            Member::File { name, elf } => (name, elf),
        };
        let member_path = format!("{shown}!/{name}");
        let outcome = match elf.map(|bytes| analyze_bytes(bytes, baseline)) {
            None | Some(Err(ElfError::NotElf)) => Outcome::NotElf,
            Some(Ok(a)) => Outcome::Elf(Box::new(a)),
            Some(Err(e)) => Outcome::Error {
                error: format!("{member_path}: {e}"),
            },
        };
        if let (Some(f), Some(bytes), Outcome::Elf(a)) = (facts.as_mut(), elf, &outcome) {
            f.add(name, a, bytes);
        }
        out.push(piece(&FileReport {
            path: member_path,
            outcome,
        }));
    });
    if let Err(e) = read {
        out.push(piece(&FileReport {
            path: shown.clone(),
            outcome: Outcome::Error {
                error: e.to_string(),
            },
        }));
        facts = None;
    }
    if let (Some(f), Some(b)) = (facts, baseline) {
        out.push(Piece {
            summary: Summary::default(),
            rendered: Item::Wheel(Box::new(f.verdict(&shown, b))),
        });
    }
    (skipped, out)
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
