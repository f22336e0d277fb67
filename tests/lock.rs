//! The partition lock (userlib's critical section) excludes the other
//! threads of the partition: two threads of one partition, preempted every
//! tick, hammer the heap and the logger (`tests/systems/lock.toml`,
//! partition `test-lock-hammer`), and every allocation keeps its contents
//! and every log record arrives whole, in order, with its checksum.

use system_tests::{boot_system, exit, Outcome, Source};
use xtask::logstream::LogEvent;

/// Rounds per thread (the description's `config.rounds`).
const ROUNDS: u64 = 60_000;
/// Rounds per log record (the partition's `LOG_EVERY`).
const LOG_EVERY: u64 = 8;
/// Threads in the partition.
const THREADS: u32 = 2;

/// The partition's checksum of record `n` of `thread` with `value`.
fn checksum(thread: u32, n: u32, value: u32) -> u32 {
    thread.wrapping_mul(0x9E37_79B9) ^ n.rotate_left(7).wrapping_mul(0x85EB_CA6B) ^ value
}

/// The decimal numbers in `text` after `prefix`, in order.
fn numbers(text: &str, prefix: &str) -> Option<Vec<u64>> {
    let rest = text.strip_prefix(prefix)?;
    Some(
        rest.split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect(),
    )
}

#[test]
fn two_threads_hammering_the_heap_and_the_logger_never_corrupt_either() {
    let report = boot_system("lock");
    let transcript = || {
        // The records are many; keep everything else.
        let mut text = String::new();
        for event in &report.events {
            let line = event.to_string();
            if !line.contains("] rec ") {
                text.push_str(&line);
                text.push('\n');
            }
        }
        text
    };
    assert_eq!(
        report.outcome,
        Outcome::Exited(exit::CLEAN),
        "{}",
        transcript()
    );
    let broken: Vec<String> = report
        .events
        .iter()
        .filter(|e| !matches!(e, LogEvent::Line(_)))
        .map(|e| e.to_string())
        .collect();
    assert!(broken.is_empty(), "records that did not decode: {broken:?}");

    let lines = report.messages_from(Source::Partition(0));
    let mut next_record = [0u32; THREADS as usize];
    let mut done = [false; THREADS as usize];
    let mut waits = 0;
    for line in &lines {
        if let Some(n) = numbers(line, "rec ") {
            let [thread, n, value, sum] = n[..] else {
                panic!("a mangled record: {line:?}");
            };
            let (thread, n, value, sum) = (thread as u32, n as u32, value as u32, sum as u32);
            assert!(thread < THREADS, "a record of no thread: {line:?}");
            assert_eq!(
                n, next_record[thread as usize],
                "thread {thread}'s records out of order: {line:?}"
            );
            assert_eq!(sum, checksum(thread, n, value), "a bad checksum: {line:?}");
            next_record[thread as usize] += 1;
        } else if let Some(n) = numbers(line, "thread ") {
            // "thread T starts with id I": the kernel's TPIDRURO is T + 1.
            assert_eq!(n.len(), 2, "{line:?}");
            assert_eq!(n[1], n[0] + 1, "a thread's id is its index + 1: {line:?}");
        } else if let Some(n) = numbers(line, "done ") {
            let [thread, id, allocations, records, bad, lock_waits] = n[..] else {
                panic!("a mangled report: {line:?}");
            };
            assert_eq!(id, thread + 1, "{line:?}");
            assert_eq!(allocations, ROUNDS, "{line:?}");
            assert_eq!(records, ROUNDS.div_ceil(LOG_EVERY), "{line:?}");
            assert_eq!(bad, 0, "allocations lost their contents: {line:?}");
            done[thread as usize] = true;
            waits = waits.max(lock_waits);
        } else {
            panic!("an unexpected line: {line:?}\n{}", transcript());
        }
    }
    assert_eq!(done, [true; THREADS as usize], "{}", transcript());
    for (thread, &count) in next_record.iter().enumerate() {
        assert_eq!(
            u64::from(count),
            ROUNDS.div_ceil(LOG_EVERY),
            "thread {thread}'s records went missing"
        );
    }
    // The test means something only if threads were preempted inside the
    // lock and found it taken (about one tick in three).
    assert!(waits >= 20, "the lock was contended only {waits} times");
}
