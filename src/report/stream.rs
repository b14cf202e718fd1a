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
use std::sync::{mpsc, Condvar, Mutex};

use super::json::Summary;
use super::{analyze_bytes, with_file_report, FileReport, Outcome};
use crate::archive::{self, Format, Member};
use crate::baseline::Baseline;
use crate::elf::ElfError;
use std::path::PathBuf;

use crate::scan::Walk;
use crate::wheel::{WheelFacts, WheelVerdict};

/// The most items a worker takes at once. Each hand-over between threads costs a wake-up
/// (a futex call and often a context switch): taken one at a time, the items of a tree of
/// small files cost more in hand-overs than in work.
const BATCH: usize = 16;

/// How many items past the one the caller waits for the workers may have taken, per worker.
const AHEAD_PER_WORKER: usize = 8 * BATCH;

/// `render` every item on worker threads (as many as rayon's pool has), and hand the
/// results to `sink` on the calling thread in the items' order. The first error of `sink`
/// stops the workers and is returned.
pub fn ordered<P, T, E>(
    items: &[P],
    render: impl Fn(&P) -> T + Sync,
    sink: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E>
where
    P: Sync,
    T: Send,
{
    ordered_feed(
        |give| (0..items.len()).for_each(give),
        |&i| render(&items[i]),
        sink,
    )
    .map(|_| ())
}

/// Runs its closure when dropped (on a thread's way out, panicking or not).
struct Guard<F: Fn()>(F);

impl<F: Fn()> Drop for Guard<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// The items not yet taken by a worker, and the counts that pace the workers.
struct Queue<P> {
    /// Fed and not yet taken, in order; the first is item number `taken_by_workers`.
    waiting: std::collections::VecDeque<P>,
    taken_by_workers: usize,
    /// How many items the sink has had.
    sunk: usize,
    /// The feed has ended.
    fed: bool,
    /// The sink failed: the workers stop.
    stop: bool,
}

/// [`ordered`] over the items `feed` gives, one at a time, on a thread of its own (a walk
/// of a tree): the workers start on the first items while it goes on. Returns what `feed`
/// returned.
///
/// Workers take runs of consecutive items (up to [`BATCH`]; once the feed has ended, fewer
/// when few are left, so the last ones are shared) and hand each run's results over at
/// once. They run at most [`AHEAD_PER_WORKER`] items per worker ahead of the sink, so what
/// waits for the sink stays bounded.
pub fn ordered_feed<P, R, T, E>(
    feed: impl FnOnce(&mut dyn FnMut(P)) -> R + Send,
    render: impl Fn(&P) -> T + Sync,
    mut sink: impl FnMut(T) -> Result<(), E>,
) -> Result<R, E>
where
    P: Send,
    R: Send,
    T: Send,
{
    let workers = rayon::current_num_threads().max(1);
    let window = AHEAD_PER_WORKER * workers;
    let queue = Mutex::new(Queue {
        waiting: std::collections::VecDeque::new(),
        taken_by_workers: 0,
        sunk: 0,
        fed: false,
        stop: false,
    });
    // Workers wait on it for items, or for the sink to catch up.
    let wake = Condvar::new();
    let lock = || queue.lock().unwrap_or_else(|e| e.into_inner());
    let (tx, rx) = mpsc::channel::<(usize, Vec<T>)>();
    std::thread::scope(|scope| {
        let (queue_lock, wake, render) = (&lock, &wake, &render);
        // A thread that panics stops the others (and the feed's end is then no longer
        // awaited), so that the panic reaches the caller instead of leaving them waiting.
        let on_panic = move || {
            if std::thread::panicking() {
                let mut q = queue_lock();
                q.stop = true;
                q.fed = true;
                drop(q);
                wake.notify_all();
            }
        };
        let feeder = scope.spawn(move || {
            let _guard = Guard(on_panic);
            let mut give = |item: P| {
                let mut q = queue_lock();
                q.waiting.push_back(item);
                // Workers are woken for a whole run, not for each item.
                if q.waiting.len() % BATCH == 0 {
                    wake.notify_all();
                }
            };
            let r = feed(&mut give);
            queue_lock().fed = true;
            wake.notify_all();
            r
        });
        for _ in 0..workers {
            let tx = tx.clone();
            scope.spawn(move || {
                let _guard = Guard(on_panic);
                loop {
                    let (first, run) = {
                        let mut q = queue_lock();
                        loop {
                            if q.stop || (q.fed && q.waiting.is_empty()) {
                                return;
                            }
                            let ahead = q.taken_by_workers >= q.sunk + window;
                            let n = if q.fed {
                                (q.waiting.len() / (2 * workers)).clamp(1, BATCH)
                            } else if q.waiting.len() >= BATCH {
                                BATCH
                            } else {
                                0
                            };
                            if !ahead && n > 0 {
                                let first = q.taken_by_workers;
                                q.taken_by_workers += n;
                                let run: Vec<P> = q.waiting.drain(..n).collect();
                                break (first, run);
                            }
                            q = wake.wait(q).unwrap_or_else(|e| e.into_inner());
                        }
                    };
                    let out: Vec<T> = run.iter().map(render).collect();
                    if tx.send((first, out)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, Vec<T>> = BTreeMap::new();
        let mut want = 0usize;
        let mut result = Ok(());
        for (first, run) in rx.iter() {
            pending.insert(first, run);
            while let Some(run) = pending.remove(&want) {
                want += run.len();
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
            let mut q = lock();
            q.sunk = want;
            q.stop |= result.is_err();
            drop(q);
            wake.notify_all();
            if result.is_err() {
                break;
            }
        }
        // Dropping the receiver makes any worker still rendering stop at its next send.
        drop(rx);
        let fed = feeder
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        result.map(|()| fed)
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

/// Where a run's files come from.
#[derive(Clone, Copy)]
pub enum Files<'a> {
    /// These paths, walked (as [`crate::scan::walk`] does) while the first files found are
    /// analysed.
    Walk(&'a [PathBuf]),
    /// A walk already made.
    Walked(&'a Walk),
}

/// Analyse every file (and report the walk's unreadable paths, last, as errors),
/// rendering each report with `render` while the file is mapped, and hand the pieces to
/// `sink` in walk order. Returns the run's counts (with the walk's own).
pub fn reports<T: Send, E>(
    files: Files<'_>,
    baseline: Option<&Baseline>,
    render: impl Fn(&FileReport<'_>) -> T + Sync,
    mut sink: impl FnMut(T) -> Result<(), E>,
) -> Result<Summary, E> {
    reports_with(files, baseline, false, render, |item| match item {
        Item::Report(t) => sink(t),
        Item::Wheel(_) => Ok(()),
    })
}

/// [`reports`], and with `wheels` (the baseline is a manylinux policy) each wheel's
/// verdict on the manylinux policies after its members.
pub fn reports_with<T: Send, E>(
    files: Files<'_>,
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
    // Each path with whether the walk found it a regular file (its metadata is then not
    // asked for again).
    let render_path = |(path, regular): &(PathBuf, bool)| match archive_format(path) {
        Some(format) => archive_pieces(path, format, baseline, wheels, &piece),
        None => (
            Summary::default(),
            vec![with_file_report(path, *regular, baseline, piece)],
        ),
    };
    let walked;
    let walk = match files {
        Files::Walk(paths) => {
            walked = ordered_feed(
                |give| crate::scan::walk_each(paths, &mut |p, regular| give((p, regular))),
                render_path,
                &mut take,
            )?;
            &walked
        }
        Files::Walked(walk) => {
            ordered_feed(
                |give| walk.files.iter().for_each(|p| give((p.clone(), false))),
                render_path,
                &mut take,
            )?;
            walk
        }
    };
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

    #[test]
    fn a_slow_feed_is_rendered_in_order_and_returns_its_value() {
        // The feed pauses now and then, so workers start before it ends and wait on it.
        let feed = |give: &mut dyn FnMut(u64)| {
            for i in 0..300u64 {
                if i % 37 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                give(i);
            }
            "walked"
        };
        let mut got = Vec::new();
        let r = super::ordered_feed(
            feed,
            |&i| i * 2,
            |x| {
                got.push(x);
                Ok::<(), ()>(())
            },
        );
        assert_eq!(r, Ok("walked"));
        assert_eq!(got, (0..300u64).map(|i| i * 2).collect::<Vec<_>>());
        // An error of the sink stops the run; the feed still ends.
        let mut seen = 0;
        let r = super::ordered_feed(
            feed,
            |&i| i,
            |i| {
                seen += 1;
                if i == 100 {
                    Err(i)
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!((r, seen), (Err(100), 101));
    }

    #[test]
    fn a_panic_in_a_worker_or_the_feed_reaches_the_caller() {
        let feed = |give: &mut dyn FnMut(u64)| (0..2000u64).for_each(give);
        let r = std::panic::catch_unwind(|| {
            super::ordered_feed(
                feed,
                |&i| if i == 77 { panic!("render") } else { i },
                |_| Ok::<(), ()>(()),
            )
        });
        assert!(r.is_err());
        let r = std::panic::catch_unwind(|| {
            super::ordered_feed(
                |give: &mut dyn FnMut(u64)| {
                    (0..100u64).for_each(&mut *give);
                    panic!("feed")
                },
                |&i| i,
                |_| Ok::<(), ()>(()),
            )
        });
        assert!(r.is_err());
    }
}
