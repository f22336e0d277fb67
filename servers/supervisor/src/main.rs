//! The supervisor partition (Hubris's supervisor task is the model): it
//! holds a PartitionControl capability with `read` and `restart` in slot
//! 0, and keeps every partition whose description allows it running.
//!
//! How it learns of a fault: it reads every partition's status in turn;
//! between rounds it waits on the kernel's stop notification (the
//! description's `[system] stop_notification`, in the slot its
//! configuration names), which the kernel signals whenever a partition
//! stops. Bits coalesce, so after a wake it reads every status again, and
//! a stop between its last look and its wait leaves a bit set, so the wait
//! returns at once. Without a stop notification (or while a tmem client
//! could not be dropped yet, or if the wait fails) it polls: yields and
//! looks again. A stopped partition stays stopped until it is restarted,
//! so a fault cannot be lost between two looks, however many happen. For each stopped partition it logs the status, then asks the
//! kernel to restart it; the kernel enforces the description's
//! `restart.max` (`RestartLimit`: the supervisor logs it once and leaves
//! the partition stopped). It never touches another partition's memory
//! or capabilities, and never stops anything.
//!
//! Its typed configuration ([`supervisor::Plan`]) names the partitions
//! that are tmem clients. Before it restarts one, it has the tmem server
//! (control endpoint in slot 1) drop that client — its pools and pages,
//! persistent ones too — so the new run starts with nothing of the old in
//! tmem; until the server has answered, the partition stays stopped (it is
//! tried again next round).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::syscall::SyscallError;
    use supervisor::Plan;
    use tmem_client::ControlClient;
    use tmem_protocol::{ClientId, ControlRequest, ControlResponse};
    use userlib::ipc::{Notification, PartitionControl};
    use userlib::Start;

    userlib::entry!(main);

    /// `partition_status`'s code for a stopped partition.
    const STOPPED: u32 = 2;
    /// The most partitions it watches (a bit each in `given_up`).
    const MAX_PARTITIONS: u32 = 64;

    /// The tmem server's control endpoint.
    const TMEM_CONTROL: u16 = 1;

    fn main(start: Start) {
        let plan: Plan = match userlib::config() {
            Ok(plan) => plan,
            Err(error) => return defmt::error!("supervisor: {=str}", error.name()),
        };
        let control = PartitionControl(0);
        let mut tmem = ControlClient::new(TMEM_CONTROL, start.thread);
        // Partitions it will not restart again (the kernel refused).
        let mut given_up = 0u64;
        // Partitions whose tmem client it could not drop yet (said once).
        let mut drop_failed = 0u64;
        let mut stops = plan.stop_notification.map(Notification);
        match stops {
            Some(_) => {
                defmt::info!("supervisor: watching, woken by the kernel's stop notification")
            }
            None => defmt::info!("supervisor: watching (polling)"),
        }
        loop {
            for p in 0..MAX_PARTITIONS {
                let status = match control.status(p) {
                    Ok(status) => status,
                    Err(SyscallError::InvalidArgument) => break,
                    Err(error) => return defmt::error!("supervisor: status: {=str}", error.name()),
                };
                if status.state != STOPPED || given_up & 1 << p != 0 {
                    continue;
                }
                let client = plan.tmem_clients.iter().find(|c| c.partition == p);
                if let Some(client) = client {
                    if !drop_client(&mut tmem, client.client, drop_failed & 1 << p == 0) {
                        drop_failed |= 1 << p;
                        continue;
                    }
                    drop_failed &= !(1 << p);
                }
                defmt::warn!(
                    "supervisor: partition {=u32} stopped (ran {=u32} ms of {=u32}, {=u32} frames)",
                    p,
                    status.running_ms,
                    status.window_ms,
                    status.frames
                );
                match control.restart(p) {
                    Ok(restarts) => {
                        defmt::info!(
                            "supervisor: restarted partition {=u32} (restart {=u32})",
                            p,
                            restarts
                        )
                    }
                    Err(error) => {
                        given_up |= 1 << p;
                        defmt::warn!(
                            "supervisor: partition {=u32} stays stopped: {=str}",
                            p,
                            error.name()
                        );
                    }
                }
            }
            stops = next_round(stops, drop_failed != 0);
        }
    }

    /// Waits for the next round: on the stop notification `stops` if there
    /// is one and nothing is `pending` (a drop to try again), or polls.
    /// Returns the notification to wait on next time (none once a wait has
    /// failed: it says why, once, and polls from then on).
    fn next_round(stops: Option<Notification>, pending: bool) -> Option<Notification> {
        let Some(notification) = stops.filter(|_| !pending) else {
            userlib::syscall::yield_now();
            return stops;
        };
        match notification.wait() {
            Ok(bits) => {
                defmt::info!("supervisor: woken by the kernel (stop bits {=u32})", bits);
                stops
            }
            Err(error) => {
                defmt::error!(
                    "supervisor: wait on the stop notification: {=str}; polling instead",
                    error.name()
                );
                None
            }
        }
    }

    /// Has the tmem server drop `client`; says whether it did (and logs a
    /// failure if `say` is set).
    fn drop_client(tmem: &mut ControlClient, client: u32, say: bool) -> bool {
        let request = ControlRequest::DropClient {
            client: ClientId(client),
        };
        match tmem.request(&request) {
            Ok(ControlResponse::Dropped {
                pools,
                ephemeral_pages,
                persistent_pages,
            }) => {
                defmt::info!(
                    "supervisor: tmem client {=u32} dropped: {=u32} pools closed, {=u64} ephemeral and {=u64} persistent pages freed",
                    client,
                    pools,
                    ephemeral_pages,
                    persistent_pages
                );
                true
            }
            Ok(_) => {
                if say {
                    defmt::error!(
                        "supervisor: drop tmem client {=u32}: an unexpected answer",
                        client
                    );
                }
                false
            }
            Err(error) => {
                if say {
                    defmt::warn!(
                        "supervisor: drop tmem client {=u32}: {=str}; its partition waits",
                        client,
                        error.name()
                    );
                }
                false
            }
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("supervisor is a partition: build it for the target");
}
