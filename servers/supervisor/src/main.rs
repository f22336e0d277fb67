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
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::syscall::SyscallError;
    use userlib::ipc::PartitionControl;
    use userlib::Start;

    userlib::entry!(main);

    /// `partition_status`'s code for a stopped partition.
    const STOPPED: u32 = 2;
    /// The most partitions it watches (a bit each in `given_up`).
    const MAX_PARTITIONS: u32 = 64;

    fn main(_start: Start) {
        let control = PartitionControl(0);
        // Partitions it will not restart again (the kernel refused).
        let mut given_up = 0u64;
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
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("supervisor is a partition: build it for the target");
}
