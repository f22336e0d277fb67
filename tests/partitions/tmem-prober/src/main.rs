//! Test partition: probes the tmem server's semantics from the client side
//! and logs what it saw, for `tests/tmem.rs`.
//!
//! Probe `semantics`: two clients in one partition (the server knows
//! callers only by badge): client 1 through slots 0/1, client 2 through
//! slots 3/4, both copy mode. Checks exclusive gets, eviction under a full
//! pool with persistent pages surviving, that client 2 cannot read client
//! 1's private pool by guessing pool ids, that only an authorised client
//! joins the shared pool, and that malformed requests get error replies
//! while the server goes on serving.
//!
//! Probe `churn` (transfer churn): client 1 in transfer mode does `ROUNDS`
//! put/get/flush rounds with every page verified, so the manager can then
//! compare frame counts.
//!
//! Probe `hammer`: client 1 in transfer mode puts and gets pages
//! until the manager stops the partition mid-operation.
//!
//! Probe `hostile-transfer`: client 1 in transfer mode keeps a
//! mapped copy of its exchange frame and tries to put it into the store —
//! the attack of issue 17, where the copy then read and overwrote whatever
//! the store later kept in that frame. The kernel must refuse the transfer
//! (`Shared`); the client then deletes the copy and works honestly.
//!
//! Probe `bench` (`cargo xtask bench`), and `bench-tiny`, its tiny
//! version (`cargo xtask test` checks the bench pipeline with it): see
//! `partition/bench.rs`. Probe `sweeps`, the full sweeps (contents,
//! compression, sharing, pages stored): `partition/sweeps.rs`.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    mod bench;
    mod in_kernel;
    mod sweeps;

    use kernel_abi::cap::Rights;
    use kernel_abi::user_layout::GRANT_WINDOW;
    use test_tmem_prober::config::{Config, Probe};
    use tmem_client::ops::{flush_page, get, new_pool, put};
    use tmem_client::{ClientCaps, Connection, ExchangeMode, Slot, Transport};
    use tmem_protocol::{Handle, ObjectId, PoolFlags, PoolId, Reply};
    use userlib::ipc::{cap_copy, cap_delete, Endpoint, Frame};
    use userlib::Start;

    userlib::entry!(main);

    /// Rounds of the transfer churn.
    const ROUNDS: u32 = 100;
    /// Pages the eviction probe caches (more than the pool's 16 frames).
    const CACHE_PAGES: u32 = 48;
    const SHARED_UUID: u128 = 7;

    const PERSISTENT: PoolFlags = PoolFlags {
        persistent: true,
        shared: false,
    };
    const EPHEMERAL: PoolFlags = PoolFlags {
        persistent: false,
        shared: false,
    };
    const SHARED: PoolFlags = PoolFlags {
        persistent: false,
        shared: true,
    };

    fn main(_start: Start) {
        let config: Config = match userlib::config() {
            Ok(config) => config,
            Err(error) => return defmt::error!("tmem prober: {=str}", error.name()),
        };
        match config.probe {
            Probe::Semantics => semantics(),
            Probe::Churn => churn(),
            Probe::Hammer => hammer(),
            Probe::Bench => bench::run(bench::Sweep::Quick),
            Probe::BenchTiny => bench::run(bench::Sweep::Tiny),
            Probe::Sweeps => sweeps::run(),
            Probe::HostileTransfer => hostile_transfer(),
        }
    }

    fn open(caps: ClientCaps, mode: ExchangeMode) -> Option<Connection> {
        // SAFETY: each connection gets its own slots and addresses, and
        // nothing else in this partition touches them.
        match unsafe { Connection::open(caps, mode, Slot::FIRST) } {
            Ok(connection) => Some(connection),
            Err(error) => {
                defmt::error!("cannot open a connection: {=str}", error.name());
                None
            }
        }
    }

    /// A page whose every word depends on `seed`.
    fn fill(page: &mut [u8; 4096], seed: u32) {
        for (i, word) in page.chunks_exact_mut(4).enumerate() {
            let value = seed.wrapping_mul(0x9E37_79B9) ^ (i as u32).wrapping_mul(0x85EB_CA6B) | 1;
            word.copy_from_slice(&value.to_le_bytes());
        }
    }

    fn holds(page: &[u8; 4096], seed: u32) -> bool {
        let mut expected = [0u8; 4096];
        fill(&mut expected, seed);
        *page == expected
    }

    fn handle(pool: PoolId, object: u64, index: u32) -> Handle {
        Handle {
            pool,
            object: ObjectId([object, 0, 0]),
            index,
        }
    }

    fn put_seeded(c: &mut Connection, h: Handle, seed: u32) -> bool {
        fill(c.page_mut(), seed);
        put(c, h).is_ok()
    }

    /// Whether the page under `h` came back holding `seed`'s contents.
    fn get_seeded(c: &mut Connection, h: Handle, seed: u32) -> Option<bool> {
        c.page_mut().fill(0);
        match get(c, h) {
            Ok(true) => Some(holds(c.page(), seed)),
            Ok(false) => None,
            Err(error) => {
                defmt::error!("get failed: {=str}", error.name());
                None
            }
        }
    }

    fn semantics() {
        let second = ClientCaps {
            endpoint: 3,
            window: 4,
            window_address: GRANT_WINDOW + 0x1_0000,
            exchange: 5,
            exchange_address: GRANT_WINDOW + 0x2_0000,
        };
        let (Some(mut one), Some(mut two)) = (
            open(ClientCaps::DEFAULT, ExchangeMode::Copy),
            open(second, ExchangeMode::Copy),
        ) else {
            return;
        };
        let Ok(swap) = new_pool(&mut one, PERSISTENT, 0) else {
            return defmt::error!("client 1: no persistent pool");
        };
        let secret = handle(swap, 1, 0);
        if !put_seeded(&mut one, secret, 0xC1) {
            return defmt::error!("client 1: put refused");
        }

        // Exclusive gets in a private ephemeral pool.
        let Ok(cache) = new_pool(&mut one, EPHEMERAL, 0) else {
            return defmt::error!("client 1: no ephemeral pool");
        };
        put_seeded(&mut one, handle(cache, 9, 0), 0xE0);
        let first = get_seeded(&mut one, handle(cache, 9, 0), 0xE0);
        let again = get_seeded(&mut one, handle(cache, 9, 0), 0xE0);
        if first == Some(true) && again.is_none() {
            defmt::info!("exclusive get: the first get hit, the second missed");
        } else {
            defmt::error!(
                "exclusive get: first {=bool}, second {=bool}",
                first.is_some(),
                again.is_some()
            );
        }

        // Fill the pool past its frames: ephemeral pages go, persistent stay.
        let mut refused = 0;
        for index in 0..CACHE_PAGES {
            if !put_seeded(&mut one, handle(cache, 10, index), index) {
                refused += 1;
            }
        }
        let mut hits = 0;
        let mut wrong = 0;
        for index in 0..CACHE_PAGES {
            match get_seeded(&mut one, handle(cache, 10, index), index) {
                Some(true) => hits += 1,
                Some(false) => wrong += 1,
                None => {}
            }
        }
        defmt::info!(
            "eviction: {=u32} of {=u32} cache pages came back, {=u32} evicted, {=u32} wrong, {=u32} puts refused",
            hits,
            CACHE_PAGES,
            CACHE_PAGES - hits - wrong,
            wrong,
            refused
        );
        match get_seeded(&mut one, secret, 0xC1) {
            Some(true) => defmt::info!("persistent page intact after eviction"),
            _ => defmt::error!("persistent page lost or wrong after eviction"),
        }

        // Client 2 guesses every pool id for client 1's page, then tries to
        // flush it; every attempt must be refused or miss.
        let (mut leaked, mut refused) = (0, 0);
        for guess in 0..16 {
            let Some(pool) = PoolId::new(guess) else {
                continue;
            };
            two.page_mut().fill(0);
            match get(&mut two, handle(pool, 1, 0)) {
                Ok(true) if holds(two.page(), 0xC1) => leaked += 1,
                Ok(_) => {}
                Err(_) => refused += 1,
            }
            if flush_page(&mut two, handle(pool, 1, 0)).is_err() {
                refused += 1;
            }
        }
        if leaked == 0 && get_seeded(&mut one, secret, 0xC1) == Some(true) {
            defmt::info!(
                "isolation: 16 pool-id guesses by client 2 read nothing of client 1's and flushed nothing ({=u32} refusals)",
                refused
            );
        } else {
            defmt::error!(
                "isolation broken: {=u32} guesses read client 1's page",
                leaked
            );
        }

        // The shared pool: client 1 is a member, client 2 is not.
        match (
            new_pool(&mut one, SHARED, SHARED_UUID),
            new_pool(&mut two, SHARED, SHARED_UUID),
        ) {
            (Ok(shared), Err(refusal)) => {
                put_seeded(&mut one, handle(shared, 3, 3), 0x5A);
                let a = get_seeded(&mut one, handle(shared, 3, 3), 0x5A);
                let b = get_seeded(&mut one, handle(shared, 3, 3), 0x5A);
                defmt::info!(
                    "shared pool: the member joined and read its page twice ({=bool}), the non-member was refused: {=str}",
                    a == Some(true) && b == Some(true),
                    refusal.name()
                );
            }
            (one_result, two_result) => defmt::error!(
                "shared pool: member joined {=bool}, non-member joined {=bool}",
                one_result.is_ok(),
                two_result.is_ok()
            ),
        }

        // Malformed requests, straight on the endpoint.
        let endpoint = Endpoint(ClientCaps::DEFAULT.endpoint);
        let junk: [(&[u32], &str); 3] = [
            (&[0xFFFF_FFFF; 4], "a foreign version"),
            (&[0x0000_01FF, 0, 0, 0], "an unknown opcode"),
            (&[0x0000_0103], "a short put"),
        ];
        let mut answered = 0;
        for (words, what) in junk {
            match endpoint
                .call(words)
                .map(|m| Reply::decode(m.words, usize::from(m.len)))
            {
                Ok(Ok(Reply::Failed { status, .. })) => {
                    answered += 1;
                    defmt::info!(
                        "malformed request ({=str}): refused with {=str}",
                        what,
                        status.name()
                    );
                }
                _ => defmt::error!("malformed request ({=str}): no error reply", what),
            }
        }
        let two_served = new_pool(&mut two, EPHEMERAL, 0)
            .is_ok_and(|pool| matches!(get(&mut two, handle(pool, 1, 0)), Ok(false)));
        if answered == junk.len() && two_served && get_seeded(&mut one, secret, 0xC1) == Some(true)
        {
            defmt::info!("after malformed requests the server still serves both clients");
        }
    }

    fn churn() {
        let Some(mut c) = open(ClientCaps::DEFAULT, ExchangeMode::Transfer) else {
            return;
        };
        let (Ok(swap), Ok(cache)) = (
            new_pool(&mut c, PERSISTENT, 0),
            new_pool(&mut c, EPHEMERAL, 0),
        ) else {
            return defmt::error!("churn: no pools");
        };
        let (mut verified, mut bad) = (0u32, 0u32);
        for round in 0..ROUNDS {
            for (pool, seed) in [(swap, round), (cache, round ^ 0xFFFF)] {
                let h = handle(pool, u64::from(round % 4), round);
                if !put_seeded(&mut c, h, seed) {
                    bad += 1;
                    continue;
                }
                match get_seeded(&mut c, h, seed) {
                    Some(true) => verified += 1,
                    _ => bad += 1,
                }
            }
            let _ = flush_page(&mut c, handle(swap, u64::from(round % 4), round));
        }
        defmt::info!(
            "transfer churn: {=u32} rounds, {=u32} pages verified, {=u32} bad",
            ROUNDS,
            verified,
            bad
        );
    }

    fn hostile_transfer() {
        /// Where the attacker keeps its copy of the exchange frame.
        const COPY: u16 = 20;
        const COPY_AT: u32 = GRANT_WINDOW + 0xC_0000;
        const SEED: u32 = 0x77;
        let Some(mut c) = open(ClientCaps::DEFAULT, ExchangeMode::Transfer) else {
            return;
        };
        let Ok(swap) = new_pool(&mut c, PERSISTENT, 0) else {
            return defmt::error!("hostile transfer: no pool");
        };
        let rw = Rights::READ.union(Rights::WRITE);
        let exchange = ClientCaps::DEFAULT.exchange;
        if cap_copy(exchange, COPY, rw).is_err() || Frame(COPY).map(COPY_AT, true).is_err() {
            return defmt::error!("hostile transfer: cannot keep a copy");
        }
        fill(c.page_mut(), SEED);
        let refused = match put(&mut c, handle(swap, 0, 0)) {
            Ok(()) => "accepted",
            Err(error) => error.name(),
        };
        // SAFETY: the copy is mapped read/write at COPY_AT, one page, and
        // nothing else in this partition uses that address.
        let through_copy = unsafe { &*(COPY_AT as *const [u8; 4096]) };
        let store_pages = u32::from(!holds(through_copy, SEED));
        defmt::info!(
            "hostile transfer: a put with a copy of the exchange frame kept was {=str} ({=str}); the copy reaches {=u32} store pages",
            if refused == "accepted" { "accepted" } else { "refused" },
            refused,
            store_pages
        );
        if cap_delete(COPY).is_err() {
            return defmt::error!("hostile transfer: cannot delete the copy");
        }
        let (mut verified, mut bad) = (0u32, 0u32);
        for round in 0..32 {
            let h = handle(swap, 1, round);
            match put_seeded(&mut c, h, round) && get_seeded(&mut c, h, round) == Some(true) {
                true => verified += 1,
                false => bad += 1,
            }
            if flush_page(&mut c, h).is_err() {
                bad += 1;
            }
        }
        defmt::info!(
            "hostile transfer: after deleting the copy {=u32} pages verified, {=u32} bad",
            verified,
            bad
        );
    }

    fn hammer() {
        let Some(mut c) = open(ClientCaps::DEFAULT, ExchangeMode::Transfer) else {
            return;
        };
        let Ok(swap) = new_pool(&mut c, PERSISTENT, 0) else {
            return;
        };
        defmt::info!("hammering the server");
        let mut round = 0u32;
        loop {
            let h = handle(swap, 0, round % 8);
            put_seeded(&mut c, h, round);
            let _ = get_seeded(&mut c, h, round);
            round = round.wrapping_add(1);
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-tmem-prober is a partition for the system tests");
}
