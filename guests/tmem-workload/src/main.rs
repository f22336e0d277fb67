//! A tmem client: the workload a guest of the default tmem system runs.
//! It swaps pages out to tmem through frontswap and caches clean pages
//! through cleancache, over its connection to the tmem server in the
//! exchange mode the system description gives it, verifies every byte of
//! every page that comes back, and logs one summary line.
//!
//! Its typed configuration is [`guest_tmem_workload::plan::Plan`]: the
//! exchange mode, a client number for logs and page patterns, the pages to
//! swap out and to cache, and whether to use the shared pool (UUID 7).
//!
//! Capabilities ([`tmem_client::ClientCaps::DEFAULT`]): slot 0 the tmem
//! endpoint, slot 1 the window frame, slot 2 the exchange frame (grant-map
//! and transfer). Only thread 0 works; other threads return at once.
//!
//! It must never panic on anything the server does: every error is logged
//! and counted, and the workload goes on.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod cache;
#[cfg(target_os = "none")]
mod pattern;
#[cfg(target_os = "none")]
mod swap;
#[cfg(target_os = "none")]
mod tally;

#[cfg(target_os = "none")]
mod partition {
    use tmem_client::{ClientCaps, Connection, Slot};
    use userlib::Start;

    use crate::tally::Tally;
    use crate::{cache, swap};
    use guest_tmem_workload::plan::Plan;

    userlib::entry!(main);

    fn main(start: Start) {
        if start.thread != 0 {
            return;
        }
        let plan: Plan = match userlib::config() {
            Ok(plan) => plan,
            Err(error) => return defmt::error!("tmem workload: {=str}", error.name()),
        };
        // SAFETY: this partition uses its window and exchange frames (slots
        // 1 and 2) and the grant window only through this connection.
        let opened = unsafe { Connection::open(ClientCaps::DEFAULT, plan.mode, Slot::FIRST) };
        let mut connection = match opened {
            Ok(connection) => connection,
            Err(error) => {
                let cause = match error {
                    tmem_client::TransportError::Map(e) | tmem_client::TransportError::Ipc(e) => {
                        e.name()
                    }
                    _ => "",
                };
                return defmt::error!(
                    "client {=u32}: cannot open the connection: {=str} {=str}",
                    plan.client,
                    error.name(),
                    cause
                );
            }
        };
        let mut tally = Tally::default();
        let swapped = swap::run(&mut connection, &plan, &mut tally);
        let cached = cache::run(&mut connection, &plan, &mut tally);
        defmt::info!(
            "client {=u32} ({=str}): frontswap stores {=u64} failed {=u64} loads {=u64} failed {=u64} invalidates {=u64}; cleancache puts {=u64} failed {=u64} gets {=u64} hits {=u64} invalidates {=u64}; shared hits {=u32}; mismatches {=u32} errors {=u32}",
            plan.client,
            plan.mode_name(),
            swapped.stores,
            swapped.failed_stores,
            swapped.loads,
            swapped.failed_loads,
            swapped.invalidates,
            cached.puts,
            cached.failed_puts,
            cached.succ_gets + cached.failed_gets,
            cached.succ_gets,
            cached.invalidates,
            tally.shared_hits,
            tally.mismatches,
            tally.errors
        );
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("guest-tmem-workload is a partition: run it in a system with the tmem server");
}
