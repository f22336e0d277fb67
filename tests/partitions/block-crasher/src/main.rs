//! Test partition: the block server killed during writes. Its
//! configuration ([`test_block_crasher::Config`]) picks a role:
//!
//! - `writer` (copy mode; slot 0 the server's endpoint, slot 1 its window):
//!   writes blocks `0..blocks` of its region `rounds` times, block `b` of
//!   round `r` holding a pattern of (`b`, `r`). A call that ends in
//!   `PeerGone` (the server died with it in flight) was not acknowledged:
//!   it reconnects — calls again, yielding while the server is down — and
//!   re-issues it. After each acknowledged write it reads back the block
//!   written before; at the end it reads every block. Whatever it reads
//!   must be the last acknowledged contents. It logs one line with the
//!   counts and finishes.
//! - `killer` (slot 0 PartitionControl with read, write and restart):
//!   stops partition `victim` `kills` times, each after a seeded random
//!   wait of its own clock, restarting it at once; then finishes.
//!
//! Neither touches the server's memory. The killer's loop is the shared
//! one of `test_killer`.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use block_client::{BlockDevice, BlockError, ExchangeMode};
    use kernel_abi::syscall::SyscallError;
    use test_block_crasher::Config;
    use test_killer::{Aim, Kills};
    use userlib::ipc::PartitionControl;
    use userlib::Start;

    userlib::entry!(main);

    const BUFFER: u32 = 0x7F00_0000;
    /// Calls tried while the server is down before giving up.
    const RECONNECT_TRIES: u32 = 1_000_000;
    /// Shortest and longest wait before a kill, in microseconds.
    const WAIT_US: (u32, u32) = (2_000, 20_000);

    fn main(_start: Start) {
        match userlib::config() {
            Ok(Config::Writer { blocks, rounds }) => writer(blocks, rounds),
            Ok(Config::Killer {
                victim,
                kills,
                seed,
            }) => killer(victim, kills, seed),
            Err(error) => defmt::error!("block crasher: {=str}", error.name()),
        }
    }

    /// The word at `i` of block `block` in round `round`.
    fn word(block: u32, round: u32, i: usize) -> u32 {
        (block << 20 ^ round << 12 ^ i as u32).wrapping_mul(0x9E37_79B1)
    }

    fn fill(buffer: &mut [u8], block: u32, round: u32) {
        for (i, bytes) in buffer[..4096].chunks_exact_mut(4).enumerate() {
            bytes.copy_from_slice(&word(block, round, i).to_le_bytes());
        }
    }

    fn holds(buffer: &[u8], block: u32, round: u32) -> bool {
        buffer[..4096]
            .chunks_exact(4)
            .enumerate()
            .all(|(i, bytes)| bytes == word(block, round, i).to_le_bytes())
    }

    /// Counts of what the writer saw.
    #[derive(Default)]
    struct Seen {
        /// Calls that ended in `PeerGone` (the server died or was down).
        peer_gone: u32,
        /// Writes re-issued because the first try was not acknowledged.
        reissued: u32,
        /// Reads whose contents were not the last acknowledged.
        wrong: u32,
    }

    /// Runs `call` until the server answers it (not `PeerGone`).
    fn until_answered(
        seen: &mut Seen,
        device: &mut BlockDevice,
        mut call: impl FnMut(&mut BlockDevice) -> Result<(), BlockError>,
    ) -> Result<bool, BlockError> {
        let mut retried = false;
        for _ in 0..RECONNECT_TRIES {
            match call(device) {
                Err(BlockError::Ipc(SyscallError::PeerGone)) => {
                    seen.peer_gone += 1;
                    retried = true;
                    userlib::syscall::yield_now();
                }
                Err(error) => return Err(error),
                Ok(()) => return Ok(retried),
            }
        }
        Err(BlockError::Ipc(SyscallError::PeerGone))
    }

    fn writer(blocks: u32, rounds: u32) {
        let mut device = match BlockDevice::new(ExchangeMode::Copy, 0, 1, BUFFER) {
            Ok(device) => device,
            Err(error) => return defmt::error!("block writer: no buffer: {=str}", error.name()),
        };
        let mut seen = Seen::default();
        let mut checked = 0u32;
        let mut check = |seen: &mut Seen, device: &mut BlockDevice, block: u32, round: u32| {
            until_answered(seen, device, |device| device.read(block, 1))?;
            checked += 1;
            if !holds(device.buffer(), block, round) {
                seen.wrong += 1;
                defmt::error!(
                    "block writer: block {=u32} is not round {=u32}'s",
                    block,
                    round
                );
            }
            Ok::<(), BlockError>(())
        };
        for round in 1..=rounds {
            for block in 0..blocks {
                fill(device.buffer(), block, round);
                match until_answered(&mut seen, &mut device, |device| device.write(block, 1)) {
                    Ok(true) => seen.reissued += 1,
                    Ok(false) => {}
                    Err(error) => {
                        return defmt::error!(
                            "block writer: write {=u32}: {=str}",
                            block,
                            error.name()
                        )
                    }
                }
                // The block before, acknowledged in this round (or, for
                // block 0, the last block of the round before).
                let (before, its_round) = match block {
                    0 if round > 1 => (blocks - 1, round - 1),
                    0 => continue,
                    _ => (block - 1, round),
                };
                if let Err(error) = check(&mut seen, &mut device, before, its_round) {
                    return defmt::error!("block writer: read: {=str}", error.name());
                }
            }
        }
        for block in 0..blocks {
            if let Err(error) = check(&mut seen, &mut device, block, rounds) {
                return defmt::error!("block writer: read: {=str}", error.name());
            }
        }
        defmt::info!(
            "block writer: {=u32} writes acknowledged, {=u32} re-issued after PeerGone ({=u32} PeerGone in all); {=u32} blocks read back, {=u32} wrong",
            blocks * rounds,
            seen.reissued,
            seen.peer_gone,
            checked,
            seen.wrong
        );
    }

    fn killer(victim: u32, kills: u32, seed: u32) {
        let plan = Kills {
            victim,
            kills,
            seed,
            wait_us: WAIT_US,
            aim_us: 0,
        };
        let done = plan.run(
            PartitionControl(0),
            || Aim::Anywhere,
            |kill| {
                defmt::info!(
                    "block killer: kill {=u32} after {=u32} us, restart {=u32}",
                    kill.number,
                    kill.waited_us,
                    kill.restarts
                )
            },
        );
        match done {
            Ok(()) => defmt::info!("block killer: {=u32} kills, every one restarted", kills),
            Err(error) => defmt::error!("block killer: {=str}: {=str}", error.step(), error.name()),
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-block-crasher is a partition for the system tests");
}
