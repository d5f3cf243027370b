//! A batch of claims worked on several threads, answered in input order.
//!
//! A clearinghouse file of a million claims should keep every core busy, yet
//! its report must read the same however many threads made it: the same
//! records, in the order the claims came, byte for byte. So the reading stays
//! on the caller's thread, claims go to workers a chunk at a time, and the
//! answers are put back in order before the caller sees them.
//!
//! Each worker builds its own state (an evaluator, with its plugin
//! instances) on its own thread; nothing of one worker's claims is visible
//! to another's.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

/// Claims handed to a worker at a time: enough that the hand-off is small
/// beside the work, few enough that output does not lag far behind input.
pub const CHUNK: usize = 64;

/// How many threads to use when asked for `jobs`: `None` is every core.
pub fn jobs_or_cores(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)).max(1)
}

/// Runs `work` over `items` on `jobs` threads and passes each answer to
/// `sink` in the order of `items`.
///
/// Each thread calls `init` once for its own state. With one job everything
/// runs on the calling thread. Memory stays bounded: at most a few chunks per
/// thread are in flight. The first error from `sink` stops the run; the
/// workers finish the chunk in hand and the error is returned.
pub fn map_in_order<I, S, T, E>(
    items: I,
    jobs: usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, I::Item) -> T + Sync,
    mut sink: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E>
where
    I: Iterator,
    I::Item: Send,
    T: Send,
{
    if jobs <= 1 {
        let mut state = init();
        for item in items {
            sink(work(&mut state, item))?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let (to_workers, from_reader) = sync_channel::<(u64, Vec<I::Item>)>(jobs * 2);
        let from_reader = Arc::new(Mutex::new(from_reader));
        let (to_writer, answers) = sync_channel::<(u64, Vec<T>)>(jobs * 2);
        for _ in 0..jobs {
            let from_reader = Arc::clone(&from_reader);
            let to_writer = to_writer.clone();
            let (init, work) = (&init, &work);
            scope.spawn(move || {
                let mut state = init();
                while let Some((seq, chunk)) = next_chunk(&from_reader) {
                    let done: Vec<T> = chunk.into_iter().map(|item| work(&mut state, item)).collect();
                    if to_writer.send((seq, done)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(to_writer);
        let mut order = Reorder { next: 0, waiting: BTreeMap::new() };
        let max_in_flight = u64::try_from(jobs * 4).unwrap_or(u64::MAX);
        let result = feed(items, &to_workers, &answers, &mut order, max_in_flight, &mut sink);
        // Dropping the sender lets idle workers see the end; the scope joins them.
        drop(to_workers);
        if result.is_err() {
            // Drain so no worker blocks on a full answer channel.
            while answers.recv().is_ok() {}
            return result;
        }
        while let Ok(answer) = answers.recv() {
            order.put(answer, &mut sink)?;
        }
        Ok(())
    })
}

/// The next chunk for a worker, or `None` at the end of the input.
fn next_chunk<C>(from_reader: &Mutex<Receiver<C>>) -> Option<C> {
    from_reader.lock().ok()?.recv().ok()
}

/// Sends the input a chunk at a time, passing on answers as they arrive in
/// order, and waits for answers whenever `max_in_flight` chunks are out.
fn feed<I, T, E>(
    items: I,
    to_workers: &SyncSender<(u64, Vec<I::Item>)>,
    answers: &Receiver<(u64, Vec<T>)>,
    order: &mut Reorder<T>,
    max_in_flight: u64,
    sink: &mut impl FnMut(T) -> Result<(), E>,
) -> Result<(), E>
where
    I: Iterator,
{
    let mut sent = 0u64;
    let mut items = items.peekable();
    while items.peek().is_some() {
        let chunk: Vec<I::Item> = items.by_ref().take(CHUNK).collect();
        while sent - order.next >= max_in_flight {
            match answers.recv() {
                Ok(answer) => order.put(answer, sink)?,
                Err(_) => return Ok(()),
            }
        }
        if to_workers.send((sent, chunk)).is_err() {
            return Ok(());
        }
        sent += 1;
        while let Ok(answer) = answers.try_recv() {
            order.put(answer, sink)?;
        }
    }
    Ok(())
}

/// Answers held until every earlier chunk has been passed on.
struct Reorder<T> {
    next: u64,
    waiting: BTreeMap<u64, Vec<T>>,
}

impl<T> Reorder<T> {
    fn put<E>(&mut self, (seq, answers): (u64, Vec<T>), sink: &mut impl FnMut(T) -> Result<(), E>) -> Result<(), E> {
        self.waiting.insert(seq, answers);
        while let Some(ready) = self.waiting.remove(&self.next) {
            self.next += 1;
            for answer in ready {
                sink(answer)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_back_in_input_order_whatever_the_threads() {
        for jobs in [1, 2, 3, 8] {
            let mut seen = Vec::new();
            let result: Result<(), ()> = map_in_order(
                0..1_000u32,
                jobs,
                || 0u32,
                |calls, n| {
                    *calls += 1;
                    // Uneven work, so chunks finish out of order.
                    if n % 97 == 0 {
                        std::thread::sleep(std::time::Duration::from_millis(2));
                    }
                    n * 2
                },
                |answer| {
                    seen.push(answer);
                    Ok(())
                },
            );
            assert_eq!(result, Ok(()));
            assert_eq!(seen, (0..1_000u32).map(|n| n * 2).collect::<Vec<_>>(), "jobs = {jobs}");
        }
    }

    #[test]
    fn a_sink_error_stops_the_run_and_is_returned() {
        let mut taken = 0;
        let result = map_in_order(
            0..100_000u32,
            2,
            || (),
            |(), n| n,
            |n| {
                taken += 1;
                if n == 150 { Err(n) } else { Ok(()) }
            },
        );
        assert_eq!(result, Err(150));
        assert_eq!(taken, 151);
    }

    #[test]
    fn each_thread_builds_its_own_state() {
        let built = std::sync::atomic::AtomicUsize::new(0);
        let result: Result<(), ()> = map_in_order(
            0..10_000u32,
            3,
            || built.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            |_, n| n,
            |_| Ok(()),
        );
        assert_eq!(result, Ok(()));
        assert_eq!(built.load(std::sync::atomic::Ordering::Relaxed), 3);
    }
}
