//! Test partition: an IPC client of the echo server (endpoint in slot 0).
//! What it does depends on its configuration's role
//! ([`test_ipc_client::config::Role`]):
//!
//! - `ping-pong` — 100 calls, checking every reply and its own badge; a
//!   second thread waits on the notification in slot 1 that the first
//!   signals; then the error cases (empty slot, wrong type, missing rights).
//! - `server-fault`: asks the server to fault mid-call, and expects `PeerGone` (twice:
//!   the second call finds nobody left to receive).
//! - `bench`: the benchmarks, each timed over 10,000 rounds (under QEMU `-icount
//!   shift=0` a microsecond is 1,000 instructions): a null call and a
//!   four-word call to the echo server, a system call the kernel refuses
//!   at once (entry, decode, exit), and a signal that wakes this
//!   partition's second thread, of higher priority, which waits again on
//!   the notification in slot 1; then page faults in the grant window,
//!   each answered by the pager (endpoint slot 5) with a copy of its frame
//!   that the kernel maps, and deleted again (slot 2, the first free one)
//!   so the next touch faults.
//! - `transient-grant`, `transfer`, `revoke`: frames with the page server — a transient grant for one call
//!   (the server may use the page only until it replies), a transfer (the
//!   sender loses its mapping), and a derived copy revoked by the giver.
//! - `demand-paging` — touches three pages of the grant window; its pager
//!   has frames for two of them.
//! - `buffered`: a call whose request and reply travel in the IPC buffers.
//! - `monitor` — reads partition 1's state through its PartitionControl
//!   capability (slot 4), stops it, and reads it again.
//! - `bench-grant`: the grant benchmark — calls that lend the page server one page
//!   each; the server maps it, reads and writes it, and replies (which
//!   ends the grant and unmaps it).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::cap::{GrantKind, Rights};
    use kernel_abi::syscall::SyscallError;
    use kernel_abi::user_layout::GRANT_WINDOW;
    use test_ipc_client::config::{Config, Role};
    use userlib::ipc::{cap_revoke, Carry, Endpoint, Frame, Grant, Notification, PartitionControl};
    use userlib::{syscall, Start};

    const SERVER: Endpoint = Endpoint(0);
    const DOORBELL: Notification = Notification(1);
    /// The endpoint again, through a send-only capability.
    const SEND_ONLY: Endpoint = Endpoint(2);
    const BENCH_CALLS: u64 = 10_000;
    /// Tells the notification benchmark's waiter to end.
    const BENCH_STOP: u32 = 1 << 31;

    userlib::entry!(main);

    fn main(start: Start) {
        let config: Config = match userlib::config() {
            Ok(config) => config,
            Err(error) => return defmt::error!("ipc client: {=str}", error.name()),
        };
        match (config.role, start.thread) {
            (Role::PingPong, 0) => ping_pong(),
            (Role::PingPong, _) => match DOORBELL.wait() {
                Ok(bits) => defmt::info!("doorbell rang: bits {=u32:#x}", bits),
                Err(error) => defmt::error!("wait failed: {=str}", error.name()),
            },
            (Role::ServerFault, _) => server_fault(),
            (Role::Bench, 0) => bench(),
            (Role::Bench, _) => loop {
                // The waiter of the notification benchmark, until told to stop.
                match DOORBELL.wait() {
                    Ok(bits) if bits & BENCH_STOP != 0 => break,
                    Ok(_) => {}
                    Err(_) => break defmt::error!("bench: wait failed"),
                }
            },
            (Role::TransientGrant, _) => transient_grant(),
            (Role::Transfer, _) => transfer(),
            (Role::Revoke, _) => revoke(),
            (Role::DemandPaging, _) => demand_paging(),
            (Role::BenchGrant, _) => bench_grant(),
            (Role::Monitor, _) => monitor(),
            (Role::Buffered, thread) => buffered(thread),
        }
    }

    fn ping_pong() {
        let mut badge = 0;
        for i in 0..100u32 {
            match SERVER.call(&[i, 7]) {
                Ok(reply) if reply.words[0] == i + 1 && reply.words[2] == 2 => {
                    badge = reply.words[1]
                }
                Ok(reply) => return defmt::error!("bad reply {} to {=u32}", reply.words, i),
                Err(error) => return defmt::error!("call {=u32} failed: {=str}", i, error.name()),
            }
        }
        defmt::info!(
            "ping-pong: 100 calls answered, server saw badge {=u32}",
            badge
        );
        if let Err(error) = DOORBELL.signal(0x5) {
            defmt::error!("signal failed: {=str}", error.name());
        }
        let expect = |what: &str, got: Result<(), SyscallError>, want: SyscallError| match got {
            Err(error) if error == want => {
                defmt::info!("error check {=str}: {=str}", what, error.name())
            }
            Err(error) => defmt::error!("error check {=str}: got {=str}", what, error.name()),
            Ok(()) => defmt::error!("error check {=str}: succeeded", what),
        };
        expect(
            "empty slot",
            Endpoint(9).call(&[1]).map(|_| ()),
            SyscallError::EmptySlot,
        );
        expect(
            "wrong type",
            Endpoint(1).call(&[1]).map(|_| ()),
            SyscallError::WrongType,
        );
        expect(
            "missing rights",
            SEND_ONLY.recv().map(|_| ()),
            SyscallError::MissingRights,
        );
        expect(
            "slot out of range",
            Endpoint(200).call(&[1]).map(|_| ()),
            SyscallError::InvalidArgument,
        );
    }

    fn server_fault() {
        for attempt in 1..=2 {
            match SERVER.call(&[0xDEAD]) {
                Err(SyscallError::PeerGone) => defmt::info!("call {=u32}: PeerGone", attempt),
                Err(error) => defmt::error!("call {=u32}: {=str}", attempt, error.name()),
                Ok(_) => defmt::error!("call {=u32}: answered", attempt),
            }
        }
    }

    /// The frame this partition owns, in slot 3, mapped at the grant window.
    const PAGE: Frame = Frame(3);
    const WINDOW: *mut u32 = GRANT_WINDOW as *mut u32;

    fn grant(kind: GrantKind) -> Option<Grant> {
        Some(Grant {
            slot: 3,
            kind,
            rights: Rights::READ.union(Rights::WRITE),
        })
    }

    /// Maps the frame and writes `value` at its start.
    fn prepare(value: u32) -> bool {
        if let Err(error) = PAGE.map(GRANT_WINDOW, true) {
            defmt::error!("map failed: {=str}", error.name());
            return false;
        }
        // SAFETY: just mapped read/write.
        unsafe { WINDOW.write_volatile(value) };
        true
    }

    fn transient_grant() {
        if !prepare(0x1234) {
            return;
        }
        match SERVER.call_with(&[1], Carry::grant(grant(GrantKind::Transient))) {
            Ok(reply) => {
                // SAFETY: still mapped here.
                let written = unsafe { WINDOW.add(1).read_volatile() };
                defmt::info!(
                    "grant: server read {=u32:#x} and wrote {=u32:#x}",
                    reply.words[0],
                    written
                );
            }
            Err(error) => return defmt::error!("grant call failed: {=str}", error.name()),
        }
        match SERVER.call(&[2]) {
            Err(error) => defmt::info!(
                "after the grant ended the server's access faulted: {=str}",
                error.name()
            ),
            Ok(reply) => defmt::error!(
                "server still read {=u32:#x} after the grant ended",
                reply.words[0]
            ),
        }
    }

    fn transfer() {
        if !prepare(0x42) {
            return;
        }
        if let Err(error) = SERVER.send_granting(&[3], grant(GrantKind::Transfer)) {
            return defmt::error!("transfer failed: {=str}", error.name());
        }
        match SERVER.call(&[2]) {
            Ok(reply) => defmt::info!(
                "the server reads {=u32:#x} from the transferred frame",
                reply.words[0]
            ),
            Err(error) => defmt::error!("server call failed: {=str}", error.name()),
        }
        defmt::info!("touching the frame this partition gave away");
        // SAFETY: deliberately faults: the mapping went with the frame.
        let value = unsafe { WINDOW.read_volatile() };
        defmt::error!("still read {=u32:#x} after the transfer", value);
    }

    fn revoke() {
        if !prepare(0x77) {
            return;
        }
        if let Err(error) = SERVER.send_granting(&[3], grant(GrantKind::DerivedCopy)) {
            return defmt::error!("copy failed: {=str}", error.name());
        }
        match SERVER.call(&[2]) {
            Ok(reply) => defmt::info!(
                "the server reads {=u32:#x} through its copy",
                reply.words[0]
            ),
            Err(error) => return defmt::error!("server call failed: {=str}", error.name()),
        }
        if let Err(error) = cap_revoke(3) {
            return defmt::error!("revoke failed: {=str}", error.name());
        }
        match SERVER.call(&[2]) {
            Err(error) => defmt::info!(
                "after the revoke the server's access faulted: {=str}",
                error.name()
            ),
            Ok(reply) => defmt::error!(
                "server still read {=u32:#x} after the revoke",
                reply.words[0]
            ),
        }
    }

    fn demand_paging() {
        for page in 0..3u32 {
            // SAFETY: the grant window; a fault here goes to the pager,
            // which maps a page (or, out of frames, the fault stops us).
            let address = unsafe { WINDOW.add((page * 1024) as usize) };
            // SAFETY: as above.
            let before = unsafe { address.read_volatile() };
            // SAFETY: as above; the pager's frames are writable.
            unsafe { address.write_volatile(0x99 + page) };
            // SAFETY: as above.
            let after = unsafe { address.read_volatile() };
            defmt::info!(
                "demand paging: page {=u32} read {=u32:#x}, wrote and read back {=u32:#x}",
                page,
                before,
                after
            );
        }
    }

    fn buffered(thread: u32) {
        use userlib::ipc::IpcBuffer;
        let mut buffer = IpcBuffer::of_thread(thread);
        if buffer.write(&(21u32, "a longer message")).is_err() {
            return defmt::error!("cannot write the request");
        }
        match SERVER.call_with(&[], Carry::BUFFER) {
            Ok(reply) if reply.buffer => match buffer.read::<(u32, u32)>() {
                Ok((number, length)) => {
                    defmt::info!("buffered reply: {=u32} and {=u32}", number, length)
                }
                Err(_) => defmt::error!("the reply payload does not decode"),
            },
            Ok(_) => defmt::error!("the reply carried no payload"),
            Err(error) => defmt::error!("buffered call failed: {=str}", error.name()),
        }
    }

    fn monitor() {
        let control = PartitionControl(4);
        let report = |when: &str| match control.status(1) {
            Ok(status) => defmt::info!(
                "monitor: partition 1 {=str}: state {=u32}",
                when,
                status.state
            ),
            Err(error) => defmt::error!("monitor: status failed: {=str}", error.name()),
        };
        report("before");
        match control.stop(1) {
            Ok(()) => defmt::info!("monitor: stopped partition 1"),
            Err(error) => defmt::error!("monitor: stop failed: {=str}", error.name()),
        }
        report("after");
        match control.status(7) {
            Err(error) => defmt::info!("monitor: no partition 7: {=str}", error.name()),
            Ok(_) => defmt::error!("monitor: partition 7 exists?"),
        }
    }

    fn bench_grant() {
        const CALLS: u64 = 2_000;
        let lend = grant(GrantKind::Transient);
        for _ in 0..50 {
            let _ = SERVER.call_with(&[1], Carry::grant(lend));
        }
        let begin = syscall::clock_us();
        for _ in 0..CALLS {
            if SERVER.call_with(&[1], Carry::grant(lend)).is_err() {
                return defmt::error!("bench: a grant call failed");
            }
        }
        let elapsed_us = syscall::clock_us() - begin;
        defmt::info!(
            "bench ipc.grant_map_unmap.page: {=u64} instructions per round trip ({=u64} calls in {=u64} us)",
            elapsed_us * 1_000 / CALLS,
            CALLS,
            elapsed_us
        );
    }

    fn bench() {
        // Warm up caches and TLBs, then time each figure.
        for _ in 0..100 {
            let _ = SERVER.call(&[]);
        }
        time("ipc.call_reply.null", "round trip", || {
            SERVER.call(&[]).is_ok()
        });
        time("ipc.call_reply.4words", "round trip", || {
            SERVER
                .call(&[1, 2, 3, 4])
                .is_ok_and(|reply| reply.words[0] == 2)
        });
        time("ipc.syscall.null", "call", || {
            syscall::raw_number(0, 0, 0) == SyscallError::UnknownSyscall as u32
        });
        time("ipc.notification.signal_wait", "signal and wait", || {
            DOORBELL.signal(1).is_ok()
        });
        if DOORBELL.signal(BENCH_STOP).is_err() {
            defmt::error!("bench: the waiter was not told to stop");
        }
        const FAULTING: *const u32 = (GRANT_WINDOW + 0x1_0000) as *const u32;
        const MAPPED_FRAME: u16 = 2;
        time("ipc.fault.roundtrip", "fault, pager and delete", || {
            // SAFETY: the page is unmapped: the read faults, the pager maps
            // a copy of its frame there, and the read is retried.
            let _word = unsafe { core::ptr::read_volatile(FAULTING) };
            userlib::ipc::cap_delete(MAPPED_FRAME).is_ok()
        });
    }

    /// Times `BENCH_CALLS` rounds of `round` (which says whether it went
    /// right) and logs the instructions per round as figure `name`.
    fn time(name: &str, unit: &str, mut round: impl FnMut() -> bool) {
        let begin = syscall::clock_us();
        for _ in 0..BENCH_CALLS {
            if !round() {
                return defmt::error!("bench {=str}: a round failed", name);
            }
        }
        let elapsed_us = syscall::clock_us() - begin;
        defmt::info!(
            "bench {=str}: {=u64} instructions per {=str} ({=u64} rounds in {=u64} us)",
            name,
            elapsed_us * 1_000 / BENCH_CALLS,
            unit,
            BENCH_CALLS,
            elapsed_us
        );
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-ipc-client is a partition for the system tests");
}
