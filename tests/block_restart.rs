//! The block server killed during writes (issue 18's fault injection):
//! stopped and restarted ten times at seeded random points while a client
//! writes and reads back blocks. The client sees `PeerGone` for a call in
//! flight, reconnects and re-issues it; every acknowledged write reads
//! back identical, and no frame leaks (the kernel's census at the end is
//! the one at boot).

use system_tests::{
    assert_exited, assert_no_frame_leaked, boot_system_on_fresh_disk, count_in, disk_path, line,
    Source,
};

/// Partition indices in block-restart.toml.
const SERVER: u8 = 0;
const WRITER: u8 = 1;
const KILLER: u8 = 2;

/// Blocks the writer writes, and times it writes each (as
/// block-restart.toml configures it).
const BLOCKS: u32 = 24;
const ROUNDS: u32 = 4;

/// Word `i` of block `block` as the writer writes it in round `round`
/// (tests/partitions/block-crasher).
fn word(block: u32, round: u32, i: u32) -> u32 {
    (block << 20 ^ round << 12 ^ i).wrapping_mul(0x9E37_79B1)
}

#[test]
fn the_block_server_killed_during_writes_loses_no_acknowledged_block() {
    let (report, host_time) = boot_system_on_fresh_disk("block-restart");
    assert!(host_time.as_secs() < 60, "{host_time:?}");
    let transcript = assert_exited(&report, 0);
    line(
        &report,
        KILLER,
        "block killer: 10 kills, every one restarted",
    );
    let starts = report
        .messages_from(Source::Partition(SERVER))
        .into_iter()
        .filter(|m| m.starts_with("block server: card of"))
        .count();
    assert_eq!(
        starts, 11,
        "the server came back after each kill:\n{transcript}"
    );
    let done = line(&report, WRITER, "block writer: ");
    let count = |marker| count_in(done, marker);
    assert_eq!(count("writer:"), u64::from(BLOCKS * ROUNDS), "{done}");
    assert!(
        count("acknowledged,") >= 1,
        "a kill landed during a write, which was re-issued: {done}"
    );
    // Each block read back after the next write (all but the last one
    // written), then every block at the end; none wrong.
    let reads = BLOCKS * ROUNDS - 1 + BLOCKS;
    assert_eq!(count("in all);"), u64::from(reads), "{done}");
    assert_eq!(count("read back,"), 0, "wrong blocks: {done}");
    // The card, read from the host: every block holds the last round.
    let bytes = std::fs::read(disk_path("block-restart")).unwrap();
    for block in 0..BLOCKS {
        let data = &bytes[block as usize * 4096..][..4096];
        for (i, word_bytes) in data.chunks_exact(4).enumerate() {
            let found = u32::from_le_bytes(word_bytes.try_into().unwrap());
            assert_eq!(
                found,
                word(block, ROUNDS, i as u32),
                "block {block} word {i}"
            );
        }
    }
    assert_no_frame_leaked(&report);
}
