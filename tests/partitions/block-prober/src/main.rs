//! Test partition for the block server. Its configuration
//! ([`test_block_prober::config::Config`]) picks a role:
//!
//! - `persist`: reads blocks 0..1000 of its region; if they hold the
//!   pattern, says so, else writes the pattern (a first boot on a fresh
//!   image) — so two boots with one image show persistence.
//! - `hostile` (copy mode): requests outside its region, malformed and
//!   with bad buffers; each must be refused, and its own region served.
//! - `neighbour` (grant-map mode): writes and reads back its region
//!   while the hostile client runs; every round must match.
//! - `no-card`: every request must be refused with `NoCard`.
//! - `latency`: busy for 300 ms, then times one write and a run of
//!   writes, in virtual time.
//! - `ticker`: counts loop iterations per 100 ms of virtual time.
//! - `bench`: as client 1 (copy; slots 0, 1) and client 2 (grant-map;
//!   slots 2, 3), times one-block reads and writes under `-icount` and
//!   logs `bench block.OP.4k.MODE: N instructions per operation`.
//! - `model-bench` (with `model`): as client 1, times one-block
//!   writes and reads and logs the operations per second the device
//!   model gives.
//!
//! Slot 0 is the server's endpoint, slot 1 the buffer frame (the window
//! in copy mode, the lent frame in grant-map mode).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use block_client::{BlockDevice, BlockError, ExchangeMode};
    use block_protocol::DeviceModel;
    use block_protocol::Status;
    use test_block_prober::config::{Config, Role};
    use userlib::syscall::clock_us;
    use userlib::Start;

    const BUFFER: u32 = 0x7F00_0000;
    const PERSIST_BLOCKS: u32 = 1000;

    userlib::entry!(main);

    fn main(_start: Start) {
        let config: Config = match userlib::config() {
            Ok(config) => config,
            Err(error) => return defmt::error!("prober: {=str}", error.name()),
        };
        let mode = match config.role {
            Role::Neighbour => ExchangeMode::GrantMap,
            _ => ExchangeMode::Copy,
        };
        match (config.role, config.model) {
            (Role::Ticker, _) => return ticker(),
            (Role::Bench, _) => return bench(),
            (Role::ModelBench, Some(model)) => return model_bench(model),
            (Role::ModelBench, None) => {
                return defmt::error!("prober: model-bench without a model")
            }
            _ => {}
        }
        let mut device = match BlockDevice::new(mode, 0, 1, BUFFER) {
            Ok(device) => device,
            Err(error) => return defmt::error!("prober: no buffer: {=str}", error.name()),
        };
        match config.role {
            Role::Persist => persist(&mut device),
            Role::Hostile => hostile(&mut device),
            Role::Neighbour => neighbour(&mut device),
            Role::NoCard => no_card(&mut device),
            Role::Latency => latency(&mut device),
            Role::Ticker | Role::Bench | Role::ModelBench => {}
        }
    }

    /// The pattern's word `i` of block `block` (of writer `seed`).
    fn word(seed: u32, block: u32, i: usize) -> u32 {
        (block.wrapping_mul(0x9E37_79B9) ^ (i as u32).wrapping_mul(0x85EB_CA6B) ^ seed)
            .rotate_left(block % 31)
    }

    fn fill(buffer: &mut [u8], seed: u32, first: u32, count: u32) {
        for b in 0..count {
            let block = &mut buffer[b as usize * 4096..(b as usize + 1) * 4096];
            for (i, chunk) in block.chunks_mut(4).enumerate() {
                chunk.copy_from_slice(&word(seed, first + b, i).to_le_bytes());
            }
        }
    }

    fn matching(buffer: &[u8], seed: u32, first: u32, count: u32) -> u32 {
        let mut good = 0;
        for b in 0..count {
            let block = &buffer[b as usize * 4096..(b as usize + 1) * 4096];
            let ok = block
                .chunks(4)
                .enumerate()
                .all(|(i, c)| c == word(seed, first + b, i).to_le_bytes());
            good += u32::from(ok);
        }
        good
    }

    fn persist(device: &mut BlockDevice) {
        let run = device.max_run().min(8);
        let mut good = 0;
        let mut block = 0;
        while block < PERSIST_BLOCKS {
            let count = run.min(PERSIST_BLOCKS - block);
            if let Err(error) = device.read(block, count) {
                return defmt::error!("persist: read {=u32} failed: {=str}", block, error.name());
            }
            good += matching(device.buffer(), 1, block, count);
            block += count;
        }
        if good == PERSIST_BLOCKS {
            return defmt::info!("persist: read {=u32} blocks back identical", good);
        }
        defmt::info!(
            "persist: {=u32} of {=u32} blocks hold the pattern; writing it",
            good,
            PERSIST_BLOCKS
        );
        let mut block = 0;
        while block < PERSIST_BLOCKS {
            let count = run.min(PERSIST_BLOCKS - block);
            fill(device.buffer(), 1, block, count);
            if let Err(error) = device.write(block, count) {
                return defmt::error!("persist: write {=u32} failed: {=str}", block, error.name());
            }
            block += count;
        }
        match device.flush() {
            Ok(()) => defmt::info!("persist: wrote {=u32} blocks", PERSIST_BLOCKS),
            Err(error) => defmt::error!("persist: flush failed: {=str}", error.name()),
        }
    }

    fn expect_refused(
        device: &mut BlockDevice,
        what: &str,
        words: &[u32],
        expected: Status,
    ) -> bool {
        match device.call_raw(words, true) {
            Ok((status, 0)) if status == expected => {
                defmt::info!("hostile: {=str} refused ({=str})", what, status.name());
                true
            }
            Ok((status, blocks)) => {
                defmt::error!(
                    "hostile: {=str} answered {=str} with {=u32} blocks",
                    what,
                    status.name(),
                    blocks
                );
                false
            }
            Err(error) => {
                defmt::error!("hostile: {=str} failed: {=str}", what, error.name());
                false
            }
        }
    }

    fn hostile(device: &mut BlockDevice) {
        use block_protocol::Request;
        use userlib::ipc::{Carry, Endpoint, Grant};
        // A capability the protocol does not use (a copy of its window)
        // passed with a valid request: served, and the copy must not stay
        // in the slot where the neighbour's lent frames land.
        let copy = Grant {
            slot: 1,
            kind: kernel_abi::cap::GrantKind::DerivedCopy,
            rights: kernel_abi::cap::Rights::READ,
        };
        let served = Endpoint(0)
            .call_with(&Request::read(0, 1, 0).encode(), Carry::grant(Some(copy)))
            .map(|reply| reply.words[0] == Status::Ok as u32);
        defmt::info!(
            "hostile: a passed frame copy with a read: served {=bool}",
            served == Ok(true)
        );
        // Region: 1 MiB = 256 blocks; the neighbour's region follows.
        let mut refused = 0;
        let cases: [(&str, [u32; 3], Status); 7] = [
            (
                "read past the region",
                Request::read(256, 1, 0).encode(),
                Status::OutOfRange,
            ),
            (
                "write across the end",
                Request::write(255, 2, 0).encode(),
                Status::OutOfRange,
            ),
            (
                "write at block 2^32-1",
                Request::write(u32::MAX, 1, 0).encode(),
                Status::OutOfRange,
            ),
            ("unknown opcode", [0x7F | 1 << 8, 0, 0], Status::Malformed),
            (
                "reserved bits",
                [1 | 1 << 8 | 1 << 28, 0, 0],
                Status::Malformed,
            ),
            (
                "run beyond the window",
                Request::read(0, 1, 100).encode(),
                Status::BadBuffer,
            ),
            ("flush with a block", [3, 5, 0], Status::Malformed),
        ];
        for (what, words, status) in cases {
            refused += u32::from(expect_refused(device, what, &words, status));
        }
        refused += u32::from(expect_refused(
            device,
            "two-word request",
            &[1 | 1 << 8, 0],
            Status::Malformed,
        ));
        // Its own region is still served.
        fill(device.buffer(), 2, 0, 1);
        let own = device.write(255, 1).and_then(|()| {
            device.buffer()[..4096].fill(0);
            device.read(255, 1)
        });
        let ok = own.is_ok() && matching(device.buffer(), 2, 0, 1) == 1;
        defmt::info!(
            "hostile: {=u32} of 8 refused; own region served: {=bool}",
            refused,
            ok
        );
    }

    fn neighbour(device: &mut BlockDevice) {
        let mut mismatches = 0;
        let rounds = 20;
        for round in 0..rounds {
            let seed = 100 + round;
            fill(device.buffer(), seed, 0, 4);
            if let Err(error) = device.write(round * 4 % 200, 4) {
                return defmt::error!("neighbour: write failed: {=str}", error.name());
            }
            device.buffer()[..4 * 4096].fill(0);
            if let Err(error) = device.read(round * 4 % 200, 4) {
                return defmt::error!("neighbour: read failed: {=str}", error.name());
            }
            mismatches += 4 - matching(device.buffer(), seed, 0, 4);
        }
        let past = device.read(256, 1);
        defmt::info!(
            "neighbour: {=u32} rounds served, {=u32} mismatches; past its end: {=str}",
            rounds,
            mismatches,
            match past {
                Err(error) => error.name(),
                Ok(()) => "served",
            }
        );
    }

    fn no_card(device: &mut BlockDevice) {
        let read = device.read(0, 1);
        let write = device.write(0, 1);
        let flush = device.flush();
        let refused = |r: Result<(), BlockError>| r == Err(BlockError::Refused(Status::NoCard));
        defmt::info!(
            "no card: read {=bool}, write {=bool}, flush {=bool} refused with no card",
            refused(read),
            refused(write),
            refused(flush)
        );
    }

    fn latency(device: &mut BlockDevice) {
        let start = clock_us();
        let mut spins: u32 = 0;
        while clock_us() < start + 300_000 {
            spins = spins.wrapping_add(1);
        }
        fill(device.buffer(), 5, 0, 1);
        let before = clock_us();
        if let Err(error) = device.write(0, 1) {
            return defmt::error!("latency: write failed: {=str}", error.name());
        }
        let one = clock_us() - before;
        defmt::info!("latency: one write blocked {=u64} us", one);
        let before = clock_us();
        let writes = 100;
        for i in 0..writes {
            if let Err(error) = device.write(i % 200, 1) {
                return defmt::error!("latency: write failed: {=str}", error.name());
            }
        }
        defmt::info!(
            "latency: {=u32} writes took {=u64} us",
            writes,
            clock_us() - before
        );
    }

    /// Times `ops` calls of `op` and returns the microseconds they took.
    fn timed(ops: u32, mut op: impl FnMut(u32) -> Result<(), BlockError>) -> Option<u64> {
        let before = clock_us();
        for i in 0..ops {
            if let Err(error) = op(i) {
                defmt::error!("bench: an operation failed: {=str}", error.name());
                return None;
            }
        }
        Some(clock_us() - before)
    }

    fn bench() {
        const OPS: u32 = 1000;
        for (mode, endpoint, buffer, name) in [
            (ExchangeMode::Copy, 0, 1, "copy"),
            (ExchangeMode::GrantMap, 2, 3, "grant-map"),
        ] {
            let address = BUFFER + u32::from(endpoint) * 0x1_0000;
            let mut device = match BlockDevice::new(mode, endpoint, buffer, address) {
                Ok(device) => device,
                Err(error) => return defmt::error!("bench: no buffer: {=str}", error.name()),
            };
            // Warm up (first touches, TLB), then measure.
            let _ = timed(10, |i| device.write(i, 1));
            let Some(write) = timed(OPS, |i| device.write(i % 256, 1)) else {
                return;
            };
            let Some(read) = timed(OPS, |i| device.read(i % 256, 1)) else {
                return;
            };
            for (op, us) in [("write", write), ("read", read)] {
                defmt::info!(
                    "bench block.{=str}.4k.{=str}: {=u64} instructions per operation ({=u32} in {=u64} us)",
                    op,
                    name,
                    us * 1000 / u64::from(OPS),
                    OPS,
                    us
                );
            }
        }
    }

    fn model_bench(model: DeviceModel) {
        let mut device = match BlockDevice::new(ExchangeMode::Copy, 0, 1, BUFFER) {
            Ok(device) => device,
            Err(error) => return defmt::error!("bench: no buffer: {=str}", error.name()),
        };
        const OPS: u32 = 10;
        let Some(write) = timed(OPS, |i| device.write(i, 1)) else {
            return;
        };
        let Some(read) = timed(OPS, |i| device.read(i, 1)) else {
            return;
        };
        for (op, us) in [("write", write), ("read", read)] {
            defmt::info!(
                "bench block.{=str}.{=str}: {=u64} milli-ops/s ({=u32} one-block operations in {=u64} us)",
                model.name(),
                op,
                u64::from(OPS) * 1_000_000_000 / us.max(1),
                OPS,
                us
            );
        }
    }

    fn ticker() {
        for interval in 0..12u32 {
            let start = clock_us();
            let mut count: u32 = 0;
            while clock_us() < start + 100_000 {
                count += 1;
            }
            defmt::info!(
                "ticker: interval {=u32}: {=u32} iterations",
                interval,
                count
            );
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-block-prober is a partition for the system tests");
}
