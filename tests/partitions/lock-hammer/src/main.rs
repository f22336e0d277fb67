//! Test partition: every thread hammers the heap and the logger, which the
//! partition lock (userlib's critical section) guards, while the kernel
//! preempts it every tick in favour of its sibling of the same priority.
//!
//! Each thread runs `config.rounds` rounds. A round frees one of the thread's
//! `LIVE` allocations (after checking every word of it) and allocates a
//! new one of random length, filled with words derived from the thread,
//! the round and the word's position; every `LOG_EVERY`-th round it logs a
//! record `rec T N V C`: thread T's N-th record, a random V and the
//! checksum C = [`checksum`]`(T, N, V)`, which the host checks (the system
//! test `tests/lock.rs` has the same function). At the end each thread
//! reports its counts, how many bad words it found and how often so far a
//! thread found the lock taken (so the test knows the lock was contended).
//!
//! It never blocks: both threads stay runnable, so a thread preempted while
//! it holds the lock always has a sibling that wants it. It must never use
//! anything but the heap and the logger to share state between its
//! threads — the point is to see whether those are safe.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    extern crate alloc;

    use alloc::vec::Vec;
    use test_lock_hammer::config::Config;
    use userlib::Start;

    userlib::entry!(main, heap_kib = 32);

    /// Allocations each thread keeps alive (a power of two).
    const LIVE: usize = 16;
    /// Rounds per log record.
    const LOG_EVERY: u32 = 8;
    /// Most words in one allocation.
    const MAX_WORDS: u32 = 64;

    /// Xorshift32: cheap, and different per thread.
    struct Random(u32);

    impl Random {
        fn next(&mut self) -> u32 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            self.0 = x;
            x
        }
    }

    /// The checksum of record `n` of `thread` with value `value`.
    fn checksum(thread: u32, n: u32, value: u32) -> u32 {
        thread.wrapping_mul(0x9E37_79B9) ^ n.rotate_left(7).wrapping_mul(0x85EB_CA6B) ^ value
    }

    /// Word `i` of the allocation made in `round` by `thread`.
    fn word(thread: u32, round: u32, i: u32) -> u32 {
        (thread << 28 | round).wrapping_mul(0x2545_F491) ^ i.wrapping_mul(0x9E37_79B9) ^ i
    }

    /// An allocation and what it should hold.
    struct Block {
        round: u32,
        words: Vec<u32>,
    }

    /// Bad words in `block` of `thread`.
    fn bad_words(thread: u32, block: &Block) -> u32 {
        block
            .words
            .iter()
            .enumerate()
            .filter(|&(i, &w)| w != word(thread, block.round, i as u32))
            .count() as u32
    }

    fn main(start: Start) {
        let thread = start.thread;
        let id = userlib::thread::id();
        defmt::info!("thread {=u32} starts with id {=u32}", thread, id);
        let config: Config = match userlib::config() {
            Ok(config) => config,
            Err(error) => return defmt::error!("lock hammer: {=str}", error.name()),
        };
        let mut random = Random(0x1234_5678 ^ (thread + 1).wrapping_mul(0x9E37_79B9));
        let mut live: [Option<Block>; LIVE] = core::array::from_fn(|_| None);
        let (mut allocations, mut records, mut bad) = (0u32, 0u32, 0u32);
        for round in 0..config.rounds {
            let slot = random.next() as usize & (LIVE - 1);
            if let Some(old) = live[slot].take() {
                bad += bad_words(thread, &old);
            }
            let len = 1 + random.next() % MAX_WORDS;
            let words: Vec<u32> = (0..len).map(|i| word(thread, round, i)).collect();
            live[slot] = Some(Block { round, words });
            allocations += 1;
            if round % LOG_EVERY == 0 {
                let value = random.next();
                defmt::info!(
                    "rec {=u32} {=u32} {=u32} {=u32}",
                    thread,
                    records,
                    value,
                    checksum(thread, records, value)
                );
                records += 1;
            }
        }
        for block in live.iter_mut().filter_map(Option::take) {
            bad += bad_words(thread, &block);
        }
        defmt::info!(
            "done {=u32}: id {=u32} allocations {=u32} records {=u32} bad words {=u32} lock waits {=u32}",
            thread,
            userlib::thread::id(),
            allocations,
            records,
            bad,
            userlib::lock_waits()
        );
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-lock-hammer is a partition: run it with `cargo xtask run-qemu`");
}
