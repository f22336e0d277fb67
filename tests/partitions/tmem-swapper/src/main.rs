//! Test partition: a frontswap client (tmem client 1; endpoint in slot 0,
//! window in slot 1; transfer mode if the description gives it an exchange
//! frame in slot 2, else copy mode) that keeps checking its swapped pages
//! while the killer (partition [`KILLER`]) stops and restarts the tmem
//! server. In transfer mode a kill mid-call must not cost it its exchange
//! frame: the kernel gives the frame back (`Syscall::Call`), and a put or
//! get without one counts as an error.
//!
//! It stores, loads and invalidates pages at [`OFFSETS`] swap offsets in a
//! seeded random order, each page filled from a seed of its own, and keeps
//! a model of what the server acknowledged. A load must find exactly the
//! acknowledged page (a miss is a lost page, other bytes a wrong one, a hit
//! where nothing was acknowledged a stale one). When a call ends in
//! `PeerGone` it reconnects (`Frontswap::reconnect`, which invalidates the
//! change in flight: the model forgets that offset) and loads every
//! offset. It does that too every [`CHECK_EVERY`] operations (a restart
//! between two calls shows no `PeerGone`), and once more after the
//! killer finishes (PartitionControl read in slot 4), then logs a summary
//! and exits.
//!
//! It must never count a page as kept that the server did not acknowledge.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::syscall::SyscallError;
    use tmem_client::{peer_gone, ClientCaps, Connection, Frontswap, Slot, Transport};
    use tmem_client::{ExchangeMode, TmemClientError, TransportError};
    use userlib::ipc::PartitionControl;
    use userlib::Start;

    userlib::entry!(main);

    /// Swap offsets in use.
    const OFFSETS: usize = 24;
    /// The killer's partition index.
    const KILLER: u32 = 1;
    /// `partition_status`'s code for a finished partition.
    const FINISHED: u32 = 1;
    /// A full check of every offset this often, in operations.
    const CHECK_EVERY: u32 = 32;
    /// Operations at most (a killer that never finishes ends the run).
    const MOST_OPERATIONS: u32 = 200_000;
    /// Tries of a reconnection (yielding between two).
    const RECONNECT_TRIES: u32 = 100_000;
    /// The seed of the operations.
    const SEED: u32 = 0x51f1_2e07;

    /// What it saw.
    #[derive(Default)]
    struct Tally {
        operations: u32,
        stores: u32,
        refused: u32,
        reconnects: u32,
        checks: u32,
        lost: u32,
        wrong: u32,
        stale: u32,
        errors: u32,
    }

    fn main(_start: Start) {
        // SAFETY: this partition uses its window (slot 1), its exchange
        // frame (slot 2) and the grant window only through this
        // connection (the first `open` unmaps what it mapped when it
        // fails).
        let open = |mode| unsafe { Connection::open(ClientCaps::DEFAULT, mode, Slot::FIRST) };
        let (mode, opened) = match open(ExchangeMode::Transfer) {
            Err(TransportError::Map(SyscallError::EmptySlot)) => ("copy", open(ExchangeMode::Copy)),
            opened => ("transfer", opened),
        };
        let Ok(mut connection) = opened else {
            return defmt::error!("tmem swapper: no connection");
        };
        defmt::info!("tmem swapper: {=str} mode", mode);
        let Ok(mut swap) = Frontswap::init(&mut connection, 0) else {
            return defmt::error!("tmem swapper: no pool");
        };
        let base = base_page();
        let mut model: [Option<u32>; OFFSETS] = [None; OFFSETS];
        let mut tally = Tally::default();
        let mut rng = SEED;
        let mut next_seed = 1u32;
        let killer = PartitionControl(4);
        loop {
            // Asked now and then only: a status call costs more than an
            // operation (the kernel counts the killer's frames).
            let killer_done = tally.operations % CHECK_EVERY == 0
                && killer.status(KILLER).is_ok_and(|s| s.state == FINISHED);
            if killer_done || tally.operations >= MOST_OPERATIONS {
                check(&mut swap, &mut connection, &base, &model, &mut tally);
                break;
            }
            rng = xorshift(rng);
            let offset = (rng >> 8) as usize % OFFSETS;
            let outcome = match rng % 10 {
                0..6 => {
                    let seed = next_seed;
                    next_seed += 1;
                    fill(connection.page_mut(), &base, seed);
                    let stored = swap.store_in_place(&mut connection, offset as u32);
                    // Acknowledged: kept. Refused: the server removed the
                    // old copy. Gone: settled by the reconnection.
                    model[offset] = stored.ok().map(|()| seed);
                    match stored {
                        Ok(()) => tally.stores += 1,
                        Err(TmemClientError::Refused(_)) => tally.refused += 1,
                        Err(error) if peer_gone(&error) => {}
                        Err(error) => {
                            tally.errors += 1;
                            defmt::warn!("tmem swapper: store: {=str}", error.name());
                        }
                    }
                    stored.map(|_| ())
                }
                6..9 => load(
                    &mut swap,
                    &mut connection,
                    &base,
                    offset,
                    model[offset],
                    &mut tally,
                ),
                _ => {
                    let flushed = swap.invalidate_page(&mut connection, offset as u32);
                    // Gone: the reconnection invalidates it again.
                    if flushed.as_ref().is_ok() || flushed.as_ref().is_err_and(peer_gone) {
                        model[offset] = None;
                    }
                    flushed.map(|_| ())
                }
            };
            tally.operations += 1;
            match outcome {
                Err(error) if peer_gone(&error) => {
                    tally.reconnects += 1;
                    defmt::info!(
                        "tmem swapper: the server went away during operation {=u32}; reconnecting",
                        tally.operations
                    );
                    if let Err(error) = swap.reconnect(&mut connection, RECONNECT_TRIES, || {
                        userlib::syscall::yield_now()
                    }) {
                        return defmt::error!("tmem swapper: reconnect: {=str}", error.name());
                    }
                    check(&mut swap, &mut connection, &base, &model, &mut tally);
                }
                Err(_) | Ok(()) => {}
            }
            if tally.operations % CHECK_EVERY == 0 {
                check(&mut swap, &mut connection, &base, &model, &mut tally);
            }
        }
        defmt::info!(
            "tmem swapper: {=u32} operations, {=u32} stores acknowledged ({=u32} refused), {=u32} reconnections, {=u32} full checks: {=u32} lost, {=u32} wrong, {=u32} stale, {=u32} errors",
            tally.operations,
            tally.stores,
            tally.refused,
            tally.reconnects,
            tally.checks,
            tally.lost,
            tally.wrong,
            tally.stale,
            tally.errors
        );
    }

    /// Loads every offset and compares with the model.
    fn check(
        swap: &mut Frontswap,
        connection: &mut Connection,
        base: &[u8; 4096],
        model: &[Option<u32>; OFFSETS],
        tally: &mut Tally,
    ) {
        tally.checks += 1;
        for (offset, &expected) in model.iter().enumerate() {
            let mut tries = 0;
            // A restart during the check: reconnect and load again.
            while let Err(error) = load(swap, connection, base, offset, expected, tally) {
                tries += 1;
                if !peer_gone(&error) || tries > 3 {
                    tally.errors += 1;
                    defmt::warn!(
                        "tmem swapper: check of offset {=usize}: {=str}",
                        offset,
                        error.name()
                    );
                    break;
                }
                tally.reconnects += 1;
                let _ = swap.reconnect(connection, RECONNECT_TRIES, || {
                    userlib::syscall::yield_now()
                });
            }
        }
    }

    /// Loads `offset` and compares it with the page of `expected` (none:
    /// it must miss).
    fn load(
        swap: &mut Frontswap,
        connection: &mut Connection,
        base: &[u8; 4096],
        offset: usize,
        expected: Option<u32>,
        tally: &mut Tally,
    ) -> Result<(), TmemClientError> {
        let found = swap.load_in_place(connection, offset as u32)?;
        match (found, expected) {
            (true, Some(seed)) if !matches(connection.page(), base, seed) => {
                tally.wrong += 1;
                defmt::error!("tmem swapper: offset {=usize} holds other bytes", offset);
            }
            (false, Some(seed)) => {
                tally.lost += 1;
                defmt::error!(
                    "tmem swapper: offset {=usize} (page {=u32}) lost",
                    offset,
                    seed
                );
            }
            (true, None) => {
                tally.stale += 1;
                defmt::error!(
                    "tmem swapper: offset {=usize} holds a page never acknowledged",
                    offset
                );
            }
            _ => {}
        }
        Ok(())
    }

    /// Words of a page its seed is written to (the rest is the base page).
    const STAMPS: [usize; 3] = [0, 511, 1023];

    /// The page of `seed`: the base page (seeded noise, made once) with the
    /// seed in the [`STAMPS`] words, so every seed's page differs from every
    /// other's. Copying and comparing a whole page is a few hundred
    /// instructions (the client spends its time in calls, where the killer
    /// should find it).
    fn fill(page: &mut [u8; 4096], base: &[u8; 4096], seed: u32) {
        userlib::page::copy(page, base);
        for word in STAMPS {
            page[4 * word..4 * word + 4].copy_from_slice(&seed.to_le_bytes());
        }
    }

    /// Whether `page` is the page of `seed`, byte for byte (compared
    /// eight bytes at a time).
    fn matches(page: &[u8; 4096], base: &[u8; 4096], seed: u32) -> bool {
        let mut expected = [0u8; 4096];
        fill(&mut expected, base, seed);
        let words = |p: &[u8; 4096], i: usize| u64::from_le_bytes(p[i..i + 8].try_into().unwrap());
        (0..4096)
            .step_by(8)
            .all(|i| words(page, i) == words(&expected, i))
    }

    /// Seeded noise.
    fn base_page() -> [u8; 4096] {
        let mut page = [0u8; 4096];
        let mut x = SEED;
        for bytes in page.chunks_exact_mut(4) {
            x = xorshift(x);
            bytes.copy_from_slice(&x.to_le_bytes());
        }
        page
    }

    /// Marsaglia's xorshift32.
    fn xorshift(mut x: u32) -> u32 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^ x << 5
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-tmem-swapper is a partition for the system tests");
}
