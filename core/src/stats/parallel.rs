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
        let tasks: Vec<Task<'_, usize>> = (0..10usize).map(|i| Box::new(move || i * i) as Task<'_, usize>).collect();
        assert_eq!(run_tasks(tasks, 3), (0..10).map(|i| i * i).collect::<Vec<_>>());
    }
}
