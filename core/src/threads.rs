//! Work shared by this thread and one helper.
//!
//! Compiling the rules, running them and learning the credentials to redact all split the same
//! way: both threads take items from one queue until it is empty, so a helper that cannot start
//! (WebAssembly has no threads) or starts late leaves its items to this thread, and the results
//! do not depend on which thread took what once they are put in order.

/// Runs `work` on this thread and, when `threads` is 2 or more, at the same time on a helper
/// thread named `name`; returns this thread's result and the helper's, if it started. `work`
/// must take its items from a queue shared by both calls. A panic on the helper is passed on,
/// as it would have been had the work run here.
pub(crate) fn on_two_threads<T: Send>(
    name: &str,
    threads: usize,
    work: impl Fn() -> T + Sync,
) -> (T, Option<T>) {
    if threads < 2 {
        return (work(), None);
    }
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn_scoped(scope, &work);
        let mine = work();
        let theirs = match helper.map(std::thread::ScopedJoinHandle::join) {
            Ok(Ok(theirs)) => Some(theirs),
            Ok(Err(payload)) => std::panic::resume_unwind(payload),
            Err(_) => None,
        };
        (mine, theirs)
    })
}

#[cfg(test)]
mod tests {
    use super::on_two_threads;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn drain(threads: usize) -> Vec<usize> {
        let next = AtomicUsize::new(0);
        let work = || {
            let mut taken = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= 100 {
                    return taken;
                }
                taken.push(i);
            }
        };
        let (mut all, theirs) = on_two_threads("test-helper", threads, work);
        all.extend(theirs.into_iter().flatten());
        all.sort_unstable();
        all
    }

    #[test]
    fn every_item_is_taken_once_on_one_thread_or_two() {
        let expected: Vec<usize> = (0..100).collect();
        assert_eq!(drain(1), expected);
        assert_eq!(drain(2), expected);
    }
}
