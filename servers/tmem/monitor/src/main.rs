//! The tmem system's manager partition. It waits until the guest
//! partitions it watches have ended, then asks the tmem server, through
//! its control endpoint, for each client's counters and gauges and prints
//! them as a table; then it checks the server's frame accounting against
//! the kernel's, asks the kernel whether any frame the server holds is
//! reachable by another partition (only a client's own window may be), and
//! has the server audit its store.
//!
//! Its typed configuration is [`tmem_monitor::plan::MonitorPlan`]: the
//! partitions to wait for, the clients to report, the server's partition
//! and a partition to stop mid-run. Capability slots: 0 the server's
//! control endpoint, 4 PartitionControl (read; write too if it is to stop
//! a partition).
//!
//! Stopping a guest mid-operation is how the system tests show that the
//! server stays consistent when a client dies. Apart from that it only
//! reads and reports; it must never change the server's policy.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use core::fmt::Write;

    use heapless::String;
    use kernel_abi::syscall::SyscallError;
    use tmem_client::ControlClient;
    use tmem_monitor::plan::MonitorPlan;
    use tmem_protocol::{
        ClientId, ControlRequest, ControlResponse, ExchangeMode, OpStats, StatsScope,
    };
    use tmem_server::layout::{KEPT, WINDOWS};
    use tmem_server::MAX_CLIENTS;
    use userlib::ipc::PartitionControl;
    use userlib::Start;

    userlib::entry!(main);

    const CONTROL_ENDPOINT: u16 = 0;
    const PARTITIONS: PartitionControl = PartitionControl(4);
    const RUNNING: u32 = 0;

    fn main(start: Start) {
        let plan: MonitorPlan = match userlib::config() {
            Ok(plan) => plan,
            Err(error) => return defmt::error!("tmem monitor: {=str}", error.name()),
        };
        let server = plan.server;
        if let Some(stop) = plan.stop {
            stop_later(stop.partition, u64::from(stop.after_ms));
        }
        wait_for(&plan.watch);
        let mut control = ControlClient::new(CONTROL_ENDPOINT, start.thread);
        defmt::info!("tmem summary ({=str})", "pages of 4 KiB");
        defmt::info!("{=str}", header().as_str());
        for &client in &plan.clients {
            match row(&mut control, client) {
                Some(line) => defmt::info!("{=str}", line.as_str()),
                None => defmt::error!("client {=u32}: the server did not answer", client),
            }
        }
        report_usage(&mut control);
        check_frames(&mut control, server);
        check_isolation(server);
        for &p in &plan.watch {
            if let Ok(status) = PARTITIONS.status(p) {
                defmt::info!(
                    "partition {=u32} holds {=u32} frame capabilities",
                    p,
                    status.frames
                );
            }
        }
        match control.request(&ControlRequest::CheckInvariants) {
            Ok(ControlResponse::Done) => defmt::info!("tmem store invariants hold"),
            other => defmt::error!("tmem store audit failed: {=str}", outcome(&other)),
        }
    }

    /// Stops partition `victim` once `ms` milliseconds have passed since boot.
    fn stop_later(victim: u32, ms: u64) {
        while userlib::syscall::clock_us() < ms * 1000 {
            userlib::syscall::yield_now();
        }
        match PARTITIONS.stop(victim) {
            Ok(()) => defmt::info!("stopped partition {=u32} at {=u64} ms", victim, ms),
            Err(error) => {
                defmt::error!("cannot stop partition {=u32}: {=str}", victim, error.name())
            }
        }
    }

    /// Returns once none of the partitions `watched` is running.
    fn wait_for(watched: &[u32]) {
        loop {
            let running = watched.iter().any(|&p| {
                PARTITIONS
                    .status(p)
                    .is_ok_and(|status| status.state == RUNNING)
            });
            if !running {
                return;
            }
            userlib::syscall::yield_now();
        }
    }

    fn header() -> String<128> {
        let mut line = String::new();
        let _ = write!(
            line,
            "{:>6} {:>9} {:>6} {:>6} {:>6} {:>6} {:>7} {:>9} {:>9} {:>10}",
            "client",
            "mode",
            "ops",
            "puts",
            "hits",
            "misses",
            "flushes",
            "evictions",
            "ephemeral",
            "persistent"
        );
        line
    }

    fn row(control: &mut ControlClient, client: u32) -> Option<String<128>> {
        let id = ClientId(client);
        let Ok(ControlResponse::Stats(stats)) =
            control.request(&ControlRequest::Stats(StatsScope::Client(id)))
        else {
            return None;
        };
        let Ok(ControlResponse::ClientInfo(info)) =
            control.request(&ControlRequest::ClientInfo { client: id })
        else {
            return None;
        };
        let OpStats {
            puts,
            gets,
            found_gets,
            flushes,
            object_flushes,
            evictions,
            ..
        } = stats;
        let mode = match ExchangeMode::from_bits(u32::from(info.exchange)) {
            Some(ExchangeMode::Copy) => "copy",
            Some(ExchangeMode::GrantMap) => "grant-map",
            Some(ExchangeMode::Transfer) => "transfer",
            None => "-",
        };
        let mut line = String::new();
        let _ = write!(
            line,
            "{:>6} {:>9} {:>6} {:>6} {:>6} {:>6} {:>7} {:>9} {:>9} {:>10}",
            client,
            mode,
            puts + gets + flushes + object_flushes,
            puts,
            found_gets,
            gets.saturating_sub(found_gets),
            flushes + object_flushes,
            evictions,
            info.ephemeral_pages,
            info.persistent_pages
        );
        Some(line)
    }

    fn report_usage(control: &mut ControlClient) {
        match control.request(&ControlRequest::Usage) {
            Ok(ControlResponse::Usage(usage)) => defmt::info!(
                "tmem pool: {=u32} frames ({=u32} KiB), {=u32} free; {=u64} ephemeral and {=u64} persistent pages held",
                usage.frames_total,
                usage.frames_total * 4,
                usage.frames_free,
                usage.ephemeral_pages,
                usage.persistent_pages
            ),
            other => defmt::error!("tmem usage: {=str}", outcome(&other)),
        }
    }

    /// The server's count of its frame capabilities against the kernel's.
    fn check_frames(control: &mut ControlClient, server: u32) {
        let kernel = PARTITIONS.status(server).map(|status| status.frames);
        match (control.request(&ControlRequest::Frames), kernel) {
            (Ok(ControlResponse::Frames { held, flipped }), Ok(kernel)) if held == kernel => {
                defmt::info!(
                    "tmem frames: the server holds {=u32}, as the kernel counts; {=u64} pages flipped",
                    held,
                    flipped
                )
            }
            (Ok(ControlResponse::Frames { held, .. }), Ok(kernel)) => defmt::error!(
                "tmem frames: the server counts {=u32}, the kernel {=u32}",
                held,
                kernel
            ),
            (answer, kernel) => defmt::error!(
                "tmem frames: no count (server {=str}, kernel {=bool})",
                outcome(&answer),
                kernel.is_ok()
            ),
        }
    }

    /// Asks the kernel who can reach each frame the server holds: a store
    /// or spare frame must be the server's alone, and a client's window
    /// (slot `WINDOWS + k - 1`) shared with one partition only, its client;
    /// the kept frame (slot `KEPT`) likewise with one, its keeper.
    fn check_isolation(server: u32) {
        let own = 1u64 << server;
        let windows = WINDOWS..WINDOWS + MAX_CLIENTS as u16;
        let (mut private, mut shared, mut leaks) = (0u32, 0u32, 0u32);
        for slot in 0..=u16::MAX {
            let reach = match PARTITIONS.frame_reach(server, slot) {
                Ok(reach) => reach,
                Err(SyscallError::EmptySlot | SyscallError::WrongType) => continue,
                Err(_) => break,
            };
            let others = reach & !own;
            let allowed = if windows.contains(&slot) || slot == KEPT {
                // The one partition that is this client (a partition may
                // be several clients, each with its own window).
                others.count_ones() <= 1
            } else {
                others == 0
            };
            if !allowed {
                leaks += 1;
                defmt::error!(
                    "tmem isolation: the server's frame in slot {=u16} is reachable by partitions {=u64:#x}",
                    slot,
                    others
                );
            } else if others == 0 {
                private += 1;
            } else {
                shared += 1;
            }
        }
        if leaks == 0 {
            defmt::info!(
                "tmem isolation: {=u32} frames reachable by the server alone, {=u32} shared with one other partition each (a client's window, the kept frame's keeper)",
                private,
                shared
            );
        }
    }

    fn outcome(answer: &Result<ControlResponse, tmem_client::TmemClientError>) -> &'static str {
        match answer {
            Ok(_) => "an unexpected response",
            Err(error) => error.name(),
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("tmem-monitor is a partition; `cargo xtask run-qemu` boots it");
}
