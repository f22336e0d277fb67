//! The supervisor partition (Hubris's supervisor task is the model): it
//! holds a PartitionControl capability with `read` and `restart` in slot
//! 0, and keeps every partition whose description allows it running.
//!
//! How it learns of a fault: it reads every partition's status in turn,
//! yielding between rounds. A stopped partition stays stopped until it is
//! restarted, so a fault cannot be lost between two looks, however many
//! happen. For each stopped partition it logs the status, then asks the
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
    use userlib::ipc::PartitionControl;
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
        defmt::info!("supervisor: watching");
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
            userlib::syscall::yield_now();
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
