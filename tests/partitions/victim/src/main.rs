//! Test partition: a victim that does checked work beside a hostile
//! partition, and says at the end whether every result was right.
//!
//! Its role comes from its argument (see [`test_victim::Plan`]; with role
//! "both", thread 0 is the echo client and thread 1 the frame worker).
//! Capability slots: 0 an endpoint, 1 PartitionControl (read), 2 a frame.
//!
//! - echo server (passive; slot 0 an endpoint it receives on): answers
//!   every message, however malformed, with [`test_victim::echo_reply`];
//!   it never faults and never ends.
//! - echo client (slot 0 the echo server's endpoint, badged
//!   [`test_victim::ECHO_CLIENT_BADGE`]): calls with pseudo-random words
//!   and lengths and checks every word of every reply, until the watched
//!   partition has ended.
//! - frame worker (slot 2 a four-page frame, read-write): each round maps
//!   the frame writable, fills it, unmaps it (and checks the mapping is
//!   gone), maps it read-only elsewhere and checks every word, until the
//!   watched partition has ended.
//!
//! Clients and workers end with one line, `victim ...: N ..., every ...
//! checked, W wrong`, which the system test reads. A victim must never
//! touch anything but its own capabilities and memory, and must never
//! stop early on a wrong result (it counts and reports them instead).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::syscall::SyscallError;
    use kernel_abi::user_layout::GRANT_WINDOW;
    use test_victim::{as_received, echo_reply, frame_word, mix, Plan, Role, ECHO_CLIENT_BADGE};
    use userlib::ipc::{Endpoint, Frame, PartitionControl};
    use userlib::Start;

    userlib::entry!(main);

    const CONTROL: PartitionControl = PartitionControl(1);
    const FRAME: Frame = Frame(2);
    /// `partition_status` state of a running partition.
    const RUNNING: u32 = 0;
    /// Pages of the frame worker's frame.
    const FRAME_PAGES: u32 = 4;
    const FRAME_WORDS: u32 = FRAME_PAGES * 1024;
    /// Where the frame worker maps its frame to write and to read it.
    const WRITE_AT: u32 = GRANT_WINDOW;
    const READ_AT: u32 = GRANT_WINDOW + 0x1_0000;
    /// At most this many wrong results are described one by one.
    const DESCRIBED: u32 = 8;

    fn main(start: Start) {
        match userlib::config::<Plan>() {
            Ok(plan) => match (plan.role, start.thread) {
                (Role::EchoServer, _) => echo_server(),
                (Role::EchoClient, _) | (Role::Both, 0) => echo_client(plan),
                (Role::FrameWorker, _) | (Role::Both, _) => frame_worker(plan),
            },
            Err(error) => defmt::error!("victim: {=str}", error.name()),
        }
    }

    /// Whether the watched partition has ended (finished or stopped).
    fn watched_ended(plan: Plan) -> bool {
        match CONTROL.status(plan.watch) {
            Ok(status) => status.state != RUNNING,
            Err(error) => {
                defmt::error!(
                    "victim: cannot read partition {=u32}: {=str}",
                    plan.watch,
                    error.name()
                );
                true
            }
        }
    }

    fn echo_server() {
        let endpoint = Endpoint(0);
        let mut errors = 0u32;
        let mut message = endpoint.recv();
        loop {
            message = match message {
                Ok(m) => endpoint.reply_recv(&echo_reply(m.words, m.len, m.badge)),
                Err(error) => {
                    errors += 1;
                    if errors <= DESCRIBED {
                        defmt::error!("victim echo server: receive failed: {=str}", error.name());
                    }
                    endpoint.recv()
                }
            };
        }
    }

    fn echo_client(plan: Plan) {
        let server = Endpoint(0);
        let (mut calls, mut wrong, mut x) = (0u32, 0u32, 0x5EED_0001u32);
        loop {
            for _ in 0..64 {
                let words = [mix(x), mix(x ^ 1), mix(x ^ 2), mix(x ^ 3)];
                let len = 1 + (x & 3) as u8;
                x = mix(x.wrapping_add(0x9E37_79B9));
                let want = echo_reply(as_received(words, len), len, ECHO_CLIENT_BADGE);
                calls += 1;
                match server.call(&words[..len as usize]) {
                    Ok(reply) if reply.words == want && reply.len == 4 => {}
                    Ok(reply) => {
                        wrong += 1;
                        if wrong <= DESCRIBED {
                            defmt::error!(
                                "victim echo: call {=u32} got {:#x} ({=u8} words), wanted {:#x}",
                                calls,
                                reply.words[..],
                                reply.len,
                                want[..]
                            );
                        }
                    }
                    Err(error) => {
                        wrong += 1;
                        if wrong <= DESCRIBED {
                            defmt::error!(
                                "victim echo: call {=u32} failed: {=str}",
                                calls,
                                error.name()
                            );
                        }
                    }
                }
            }
            if calls >= plan.min_rounds && watched_ended(plan) {
                break;
            }
        }
        defmt::info!(
            "victim echo: {=u32} calls, every reply word checked, {=u32} wrong",
            calls,
            wrong
        );
    }

    fn frame_worker(plan: Plan) {
        let (mut rounds, mut wrong) = (0u32, 0u32);
        loop {
            frame_round(rounds, &mut wrong);
            rounds += 1;
            if rounds >= plan.min_rounds && watched_ended(plan) {
                break;
            }
        }
        defmt::info!(
            "victim frame: {=u32} rounds of {=u32} words, every word checked, {=u32} wrong",
            rounds,
            FRAME_WORDS,
            wrong
        );
    }

    /// Counts a wrong result, describing the first few.
    fn report(what: &str, round: u32, detail: u32, wrong: &mut u32) {
        *wrong += 1;
        if *wrong <= DESCRIBED {
            defmt::error!(
                "victim frame: round {=u32}: {=str} ({=u32:#x})",
                round,
                what,
                detail
            );
        }
    }

    /// Maps the frame at `at`; `false` (after reporting) if that failed or
    /// mapped something of the wrong size.
    fn map(at: u32, writable: bool, round: u32, wrong: &mut u32) -> bool {
        match FRAME.map(at, writable) {
            Ok(FRAME_PAGES) => true,
            Ok(pages) => {
                report("mapped with the wrong size", round, pages, wrong);
                let _ = FRAME.unmap();
                false
            }
            Err(error) => {
                report("cannot map", round, error as u32, wrong);
                false
            }
        }
    }

    /// One round: fill the frame through a writable mapping, check that
    /// mapping is gone after the unmap, check every word through a
    /// read-only mapping elsewhere.
    fn frame_round(round: u32, wrong: &mut u32) {
        if !map(WRITE_AT, true, round, wrong) {
            return;
        }
        let words = WRITE_AT as *mut u32;
        for i in 0..FRAME_WORDS {
            // SAFETY: the frame is mapped read-write at WRITE_AT, all
            // FRAME_PAGES pages of it (checked by `map`), and nothing else
            // in this partition uses that address.
            unsafe { words.add(i as usize).write_volatile(frame_word(round, i)) };
        }
        if let Err(error) = FRAME.unmap() {
            report("cannot unmap", round, error as u32, wrong);
        }
        match userlib::syscall::clock_read_into(WRITE_AT) {
            Err(SyscallError::Unmapped) => {}
            Ok(()) => report("still mapped after unmap", round, WRITE_AT, wrong),
            Err(error) => report(
                "unexpected error probing the unmapped page",
                round,
                error as u32,
                wrong,
            ),
        }
        if !map(READ_AT, false, round, wrong) {
            return;
        }
        let words = READ_AT as *const u32;
        for i in 0..FRAME_WORDS {
            // SAFETY: mapped read-only at READ_AT, all FRAME_PAGES pages.
            let word = unsafe { words.add(i as usize).read_volatile() };
            if word != frame_word(round, i) {
                report("wrong word", round, i, wrong);
            }
        }
        if let Err(error) = FRAME.unmap() {
            report("cannot unmap", round, error as u32, wrong);
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-victim is a partition for the system tests");
}
