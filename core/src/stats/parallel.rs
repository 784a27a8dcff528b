//! The one rule for running work on threads: scoped threads only (no global pool, so `fork()` in
//! Python multiprocessing and Spark workers stays safe), at most eight, results in input order,
//! and a panic in a worker resumes in the caller (it is never silently dropped).

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Worker threads for one parallel step: the machine's cores, at most 8, at least 1.
pub fn max_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8)
}

/// Splits `0..n` into at most `threads` contiguous ranges of equal size (the last may be
/// shorter) and runs `work` on each in a scoped thread; results come back in range order. With
/// one thread (or `n` of 0 or 1) it runs inline.
pub fn map_ranges<T, F>(n: usize, threads: usize, work: F) -> Vec<T>
where
    T: Send,
    F: Fn(Range<usize>) -> T + Sync,
{
    let threads = threads.clamp(1, n.max(1));
    if threads < 2 {
        return vec![work(0..n)];
    }
    let chunk = n.div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n).step_by(chunk).map(|lo| scope.spawn(move || work(lo..(lo + chunk).min(n)))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// One piece of work for [`run_tasks`].
pub type Task<'a, T> = Box<dyn FnOnce() -> T + Send + 'a>;

/// Runs `tasks` on up to `threads` scoped threads, each taking the next task when done (tasks of
/// uneven cost balance themselves); the results come back in task order.
pub fn run_tasks<'a, T: Send>(tasks: Vec<Task<'a, T>>, threads: usize) -> Vec<T> {
    let threads = threads.min(tasks.len());
    if threads < 2 {
        return tasks.into_iter().map(|t| t()).collect();
    }
    let queue: Vec<Mutex<Option<Task<'a, T>>>> = tasks.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = queue.get(k) else { break };
            let task = slot.lock().map(|mut t| t.take()).unwrap_or_else(|e| e.into_inner().take());
            if let Some(task) = task {
                done.push((k, task()));
            }
        }
        done
    };
    let mut done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    done.sort_by_key(|d| d.0);
    done.into_iter().map(|d| d.1).collect()
}

/// Runs `work(i)` for every `i` in `0..n` on up to `threads` scoped worker threads and hands each
/// result to `consume` on the calling thread **in index order**, as soon as it and those before
/// it are ready — so consuming overlaps with working. At most `ahead` results (at least
/// `threads`) are computed ahead of the one being consumed, which bounds the memory they hold.
/// An error from `consume` stops the workers (they finish the item in hand) and is returned; a
/// panic in `work` resumes in the caller. With one thread everything runs inline, in order.
pub fn pipeline<T, E, W, C>(n: usize, threads: usize, ahead: usize, work: W, mut consume: C) -> Result<(), E>
where
    T: Send,
    W: Fn(usize) -> T + Sync,
    C: FnMut(usize, T) -> Result<(), E>,
{
    use std::collections::BTreeMap;
    use std::sync::Condvar;
    let threads = threads.clamp(1, n.max(1));
    if threads < 2 {
        for i in 0..n {
            consume(i, work(i))?;
        }
        return Ok(());
    }
    let ahead = ahead.max(threads);
    type Outcome<T> = std::thread::Result<T>;
    struct Shared<T> {
        next: usize,
        consumed: usize,
        stop: bool,
        done: BTreeMap<usize, Outcome<T>>,
    }
    let shared = Mutex::new(Shared { next: 0, consumed: 0, stop: false, done: BTreeMap::new() });
    let changed = Condvar::new();
    let lock = || shared.lock().unwrap_or_else(|e| e.into_inner());
    let worker = || loop {
        let i = {
            let mut s = lock();
            while !s.stop && s.next < n && s.next >= s.consumed + ahead {
                s = changed.wait(s).unwrap_or_else(|e| e.into_inner());
            }
            if s.stop || s.next >= n {
                return;
            }
            s.next += 1;
            s.next - 1
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(i)));
        lock().done.insert(i, result);
        changed.notify_all();
    };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(worker);
        }
        let mut outcome = Ok(());
        for i in 0..n {
            let result = {
                let mut s = lock();
                loop {
                    if let Some(r) = s.done.remove(&i) {
                        s.consumed = i + 1;
                        break r;
                    }
                    s = changed.wait(s).unwrap_or_else(|e| e.into_inner());
                }
            };
            changed.notify_all();
            let value = match result {
                Ok(v) => v,
                Err(panic) => {
                    lock().stop = true;
                    changed.notify_all();
                    std::panic::resume_unwind(panic);
                }
            };
            if let Err(e) = consume(i, value) {
                outcome = Err(e);
                break;
            }
        }
        lock().stop = true;
        changed.notify_all();
        outcome
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_in_order() {
        for n in [0usize, 1, 5, 17, 100] {
            for t in [1usize, 2, 3, 8] {
                let parts = map_ranges(n, t, |r| r.collect::<Vec<_>>());
                assert_eq!(parts.concat(), (0..n).collect::<Vec<_>>(), "n={n} t={t}");
                assert!(parts.len() <= t.max(1));
            }
        }
        for (threads, ahead) in [(1usize, 1usize), (2, 2), (3, 8), (8, 1)] {
            let mut seen = Vec::new();
            let r: Result<(), ()> = pipeline(
                50,
                threads,
                ahead,
                |i| i * 3,
                |i, v| {
                    seen.push((i, v));
                    Ok(())
                },
            );
            assert!(r.is_ok());
            assert_eq!(seen, (0..50).map(|i| (i, i * 3)).collect::<Vec<_>>());
            // An error stops it and comes back.
            let mut count = 0;
            let r = pipeline(
                50,
                threads,
                ahead,
                |i| i,
                |i, _| {
                    count += 1;
                    if i == 7 {
                        Err(i)
                    } else {
                        Ok(())
                    }
                },
            );
            assert_eq!((r, count), (Err(7), 8));
        }
        let tasks: Vec<Task<'_, usize>> = (0..10usize).map(|i| Box::new(move || i * i) as Task<'_, usize>).collect();
        assert_eq!(run_tasks(tasks, 3), (0..10).map(|i| i * i).collect::<Vec<_>>());
    }
}
