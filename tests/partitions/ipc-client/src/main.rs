//! Test partition: an IPC client of the echo server (endpoint in slot 0).
//! What it does depends on its argument:
//!
//! - 1: ping-pong — 100 calls, checking every reply and its own badge; a
//!   second thread waits on the notification in slot 1 that the first
//!   signals; then the error cases (empty slot, wrong type, missing rights).
//! - 2: asks the server to fault mid-call, and expects `PeerGone` (twice:
//!   the second call finds nobody left to receive).
//! - 3: the benchmark — 10,000 null calls, timed; under QEMU `-icount
//!   shift=0` a microsecond is 1,000 instructions.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::syscall::SyscallError;
    use userlib::ipc::{Endpoint, Notification};
    use userlib::{syscall, Start};

    const SERVER: Endpoint = Endpoint(0);
    const DOORBELL: Notification = Notification(1);
    /// The endpoint again, through a send-only capability.
    const SEND_ONLY: Endpoint = Endpoint(2);
    const BENCH_CALLS: u64 = 10_000;

    userlib::entry!(main);

    fn main(start: Start) {
        match (start.argument, start.thread) {
            (1, 0) => ping_pong(),
            (1, _) => match DOORBELL.wait() {
                Ok(bits) => defmt::info!("doorbell rang: bits {=u32:#x}", bits),
                Err(error) => defmt::error!("wait failed: {=str}", error.name()),
            },
            (2, _) => server_fault(),
            (3, _) => bench(),
            (other, _) => defmt::error!("no mode {=u32}", other),
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

    fn bench() {
        // Warm up caches and TLBs, then time.
        for _ in 0..100 {
            let _ = SERVER.call(&[]);
        }
        let begin = syscall::clock_us();
        for _ in 0..BENCH_CALLS {
            if SERVER.call(&[]).is_err() {
                return defmt::error!("bench: a call failed");
            }
        }
        let elapsed_us = syscall::clock_us() - begin;
        let per_call = elapsed_us * 1_000 / BENCH_CALLS;
        defmt::info!(
            "bench ipc.call_reply.null: {=u64} instructions per round trip ({=u64} calls in {=u64} us)",
            per_call,
            BENCH_CALLS,
            elapsed_us
        );
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-ipc-client is a partition for the system tests");
}
