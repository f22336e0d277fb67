//! Test partition: the idle partitions that the scale benchmarks
//! (`systems/bench-ipc-p16.toml`, `bench-ipc-p64.toml`) put beside the
//! measured ones, and the partition that ends them once the measuring
//! partition has finished, so that the run ends by itself. It must never
//! run while the measuring partition measures: idle threads stay blocked
//! until released, and the closer only looks at the measured partition's
//! state in its own window.
//!
//! Its configuration is [`test_scale_idle::config::Config`].
//!
//! Role `idle`: each thread waits on the endpoint in slot 0; a message
//! ends it.
//!
//! Role `closer` (with `threads` and `watch`): with the
//! PartitionControl capability in slot 1 it waits (yielding) until
//! partition `watch` has ended (finished, or stopped by a fault, so
//! that a failed measurement still ends the run), then sends one message on the
//! endpoint in slot 0 for each of the `threads` idle threads (each takes
//! one and ends), and ends.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use test_scale_idle::config::{Config, Role};
    use userlib::ipc::{Endpoint, PartitionControl};
    use userlib::{syscall, Start};

    const IDLE: Endpoint = Endpoint(0);
    const CONTROL: PartitionControl = PartitionControl(1);
    /// `PartitionStatus::state` of a partition still running (1 is
    /// finished, 2 stopped).
    const RUNNING: u32 = 0;

    userlib::entry!(main);

    fn main(_start: Start) {
        let config: Config = match userlib::config() {
            Ok(config) => config,
            Err(error) => return defmt::error!("scale idle: {=str}", error.name()),
        };
        match config.role {
            Role::Idle => idle(),
            Role::Closer => close(config.threads, config.watch),
        }
    }

    fn idle() {
        if let Err(error) = IDLE.recv() {
            defmt::error!("idle: recv failed: {=str}", error.name());
        }
    }

    fn close(threads: u32, watched: u32) {
        loop {
            match CONTROL.status(watched) {
                Ok(status) if status.state != RUNNING => break,
                Ok(_) => syscall::yield_now(),
                Err(error) => return defmt::error!("closer: status failed: {=str}", error.name()),
            }
        }
        for released in 0..threads {
            if let Err(error) = IDLE.send(&[released]) {
                return defmt::error!("closer: send failed: {=str}", error.name());
            }
        }
        defmt::info!(
            "closer: partition {=u32} ended, {=u32} idle threads released",
            watched,
            threads
        );
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-scale-idle is a partition for the benchmark systems");
}
