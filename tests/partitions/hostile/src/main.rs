//! Test partitions that attack the kernel's isolation the way issue 17's
//! crafted sequences did, and log what they could still reach, for
//! `tests/hostile.rs`. Each role plays one side; the kernel must leave the
//! attacker nothing, and the victims must see only their own data.
//!
//! Role `fan-out-revoker`, *fan-out revoker* (one partition, frame in slot 5): derives
//! 70 copies of its frame, maps every one, revokes the frame, and counts
//! the copies and mappings that survived (more than any fixed list in the
//! kernel could hold).
//!
//! Role `hostile-server`, *hostile page server* (passive, endpoint in slot 0, frames
//! land in slot 5): abuses every frame a caller passes it — fans a derived
//! copy out into 70 mapped copies; copies a lent frame and tries to delete
//! the lent capability so the copy outlives the call; tries to pass a lent
//! frame back onward by transfer; answers with malformed replies first.
//! Request `[9, n]` is an honest service: reply `[n + 1]`.
//!
//! Role `victim`, *victim client* (endpoint slot 0, its page in slot 3): lends
//! and copies its page to the server step by step and checks, after each
//! reply, what the server can still reach (by asking it) and what came
//! back to it.
//!
//! Role `bystander`, *bystander*: calls the server's honest service while the
//! attacks go on and checks every answer.
//!
//! Role `balloon-cheat`: a guest of the memory manager that gives back a
//! copy and a loan of a frame it keeps (see `balloon_cheat.rs`).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod balloon_cheat;

#[cfg(target_os = "none")]
mod partition {
    use kernel_abi::cap::{GrantKind, Rights};
    use kernel_abi::syscall::{Syscall, SyscallError};
    use kernel_abi::user_layout::GRANT_WINDOW;
    use test_hostile::config::{Config, Role};
    use userlib::ipc::{cap_copy, cap_delete, cap_revoke, raw_call, Carry, Endpoint, Frame, Grant};
    use userlib::syscall::clock_read_into;
    use userlib::Start;

    userlib::entry!(main);

    /// Copies the fan-out makes: more than the 64 the old kernel tracked.
    const FAN_OUT: u16 = 70;
    /// First slot of the fan-out's copies.
    const COPIES: u16 = 10;
    /// Where the fan-out's copies are mapped.
    const COPIES_AT: u32 = GRANT_WINDOW + 0x8_0000;
    /// Where a frame that came with a call lands in the server.
    const LANDING: u16 = 5;
    /// Where the server keeps its copy of a lent frame.
    const KEPT: u16 = 90;
    /// Where the server maps that copy.
    const KEPT_AT: u32 = GRANT_WINDOW + 0x1_0000;
    /// What the victim writes in its page.
    const SECRET: u32 = 0x5EC0_0001;
    const RW: Rights = Rights::READ.union(Rights::WRITE);

    fn main(_start: Start) {
        let config: Config = match userlib::config() {
            Ok(config) => config,
            Err(error) => return defmt::error!("hostile: {=str}", error.name()),
        };
        match config.role {
            Role::FanOutRevoker => fan_out_revoker(),
            Role::HostileServer => hostile_server(),
            Role::Victim => victim(),
            Role::Bystander => bystander(),
            Role::BalloonCheat => crate::balloon_cheat::run(),
        }
    }

    fn code(result: Result<(), SyscallError>) -> u32 {
        result.err().map_or(0, |error| error as u32)
    }

    /// Whether this partition can still touch the page at `address`: the
    /// kernel checks a system call's buffer against the partition's
    /// mappings, so an unmapped page answers `Unmapped` without a fault.
    fn reachable(address: u32) -> bool {
        clock_read_into(address) != Err(SyscallError::Unmapped)
    }

    /// Whether `slot` still holds a frame capability (mapping it somewhere
    /// free says so without keeping it mapped).
    fn holds_frame(slot: u16) -> bool {
        let probe = GRANT_WINDOW + 0xF_0000;
        match Frame(slot).map(probe, false) {
            Ok(_) => {
                let _ = Frame(slot).unmap();
                true
            }
            Err(error) => error != SyscallError::EmptySlot,
        }
    }

    /// Derives `FAN_OUT` copies of `source` and maps each; returns how
    /// many were mapped.
    fn fan_out(source: u16) -> u32 {
        let mut mapped = 0;
        for i in 0..FAN_OUT {
            let slot = COPIES + i;
            let at = COPIES_AT + u32::from(i) * 0x1000;
            if cap_copy(source, slot, RW).is_ok() && Frame(slot).map(at, true).is_ok() {
                mapped += 1;
            }
        }
        mapped
    }

    /// (mappings, copies) of the fan-out that are still there.
    fn fan_out_survivors() -> (u32, u32) {
        let (mut mappings, mut copies) = (0, 0);
        for i in 0..FAN_OUT {
            mappings += u32::from(reachable(COPIES_AT + u32::from(i) * 0x1000));
            copies += u32::from(holds_frame(COPIES + i));
        }
        (mappings, copies)
    }

    fn fan_out_revoker() {
        let mapped = fan_out(LANDING);
        let revoked = code(cap_revoke(LANDING));
        let (mappings, copies) = fan_out_survivors();
        defmt::info!(
            "revoke: {=u32} copies mapped; revoke returned {=u32}; {=u32} mappings and {=u32} copies survive",
            mapped,
            revoked,
            mappings,
            copies
        );
        let own = Frame(LANDING).map(GRANT_WINDOW, true).is_ok();
        defmt::info!("revoke: the revoker keeps its own frame: {=bool}", own);
    }

    fn hostile_server() {
        let endpoint = Endpoint(0);
        let mut message = endpoint.recv_into(Some(LANDING));
        loop {
            let request = match message {
                Ok(request) => request,
                Err(error) => {
                    defmt::error!("server: receive failed: {=str}", error.name());
                    message = endpoint.recv_into(Some(LANDING));
                    continue;
                }
            };
            let reply = match request.words[0] {
                // A derived copy: fan it out into mapped copies.
                1 => {
                    let mapped = fan_out(LANDING);
                    let word = if mapped > 0 {
                        // SAFETY: the first copy is mapped read-only-or-better
                        // at COPIES_AT when `mapped` > 0.
                        unsafe { core::ptr::read_volatile(COPIES_AT as *const u32) }
                    } else {
                        0
                    };
                    [mapped, word]
                }
                // After the giver revoked: what is left of the fan-out.
                2 => {
                    let (mappings, copies) = fan_out_survivors();
                    [mappings, copies + u32::from(holds_frame(LANDING))]
                }
                // A lent frame: copy it, try to delete the lent capability.
                3 => {
                    let copied = code(cap_copy(LANDING, KEPT, RW));
                    let deleted = code(cap_delete(LANDING));
                    let word = if Frame(KEPT).map(KEPT_AT, true).is_ok() {
                        // SAFETY: just mapped read/write at KEPT_AT.
                        unsafe { core::ptr::read_volatile(KEPT_AT as *const u32) }
                    } else {
                        0
                    };
                    defmt::info!(
                        "server: copy of the lent frame {=u32}, delete of the lent capability {=u32}",
                        copied,
                        deleted
                    );
                    [deleted, word]
                }
                // After that reply: is the copy still there?
                4 => [
                    u32::from(reachable(KEPT_AT)),
                    u32::from(holds_frame(KEPT)) + u32::from(holds_frame(LANDING)),
                ],
                // A lent frame: try to pass it back onward by transfer.
                5 => {
                    let grant = Grant {
                        slot: LANDING,
                        kind: GrantKind::Transfer,
                        rights: Rights::NONE,
                    };
                    let onward = endpoint.reply_recv_with(&[0xBAD], Carry::grant(Some(grant)));
                    [onward.err().map_or(0, |e| e as u32), 0]
                }
                // Malformed replies first: five words, then a bad grant.
                6 => {
                    // SAFETY: reply_recv reads no memory.
                    let five = unsafe { raw_call(Syscall::ReplyRecv, 0, &[0xBAD], 0, 5) }[0];
                    // SAFETY: as above.
                    let grant =
                        unsafe { raw_call(Syscall::ReplyRecv, 0, &[0xBAD], 0x8000_0000, 1) }[0];
                    // Linger past the caller's window, so the bystander's
                    // calls arrive while this reply is still owed: they
                    // must queue, not land in this thread's registers.
                    let until = userlib::syscall::clock_us() + 4_000;
                    while userlib::syscall::clock_us() < until {
                        core::hint::spin_loop();
                    }
                    [five, grant]
                }
                9 => [request.words[1].wrapping_add(1), 0],
                _ => [0, 0],
            };
            message = endpoint.reply_recv_with(&reply, Carry::receive(Some(LANDING)));
        }
    }

    fn victim() {
        let server = Endpoint(0);
        let page = Frame(3);
        if page.map(GRANT_WINDOW, true).is_err() {
            return defmt::error!("victim: cannot map its page");
        }
        // SAFETY: slot 3's page is mapped read/write at GRANT_WINDOW.
        unsafe { core::ptr::write_volatile(GRANT_WINDOW as *mut u32, SECRET) };
        let lend = |kind| {
            Some(Grant {
                slot: 3,
                kind,
                rights: RW,
            })
        };
        let words = |reply: Result<userlib::ipc::Message, SyscallError>| {
            reply.map_or([u32::MAX; 2], |m| [m.words[0], m.words[1]])
        };

        // 1. A derived copy, fanned out, then revoked.
        let [mapped, read] =
            words(server.call_with(&[1], Carry::grant(lend(GrantKind::DerivedCopy))));
        let revoked = code(cap_revoke(3));
        let [mappings, copies] = words(server.call(&[2]));
        defmt::info!(
            "victim: the server mapped {=u32} copies and read {=u32:#x}; after the revoke ({=u32}) it reaches {=u32} mappings and holds {=u32} copies",
            mapped,
            read,
            revoked,
            mappings,
            copies
        );

        // 2. Lent, copied, and the lent capability deleted.
        let [deleted, read] =
            words(server.call_with(&[3], Carry::grant(lend(GrantKind::Transient))));
        let [reach, held] = words(server.call(&[4]));
        defmt::info!(
            "victim: during the call the server read {=u32:#x}, its delete of the lent capability returned {=u32}; after the reply it reaches {=u32} pages and holds {=u32} frames",
            read,
            deleted,
            reach,
            held
        );

        // 3. Lent, and passed back onward by transfer.
        const BACK: u16 = 9;
        let reply = server.call_with(
            &[5],
            Carry {
                grant: lend(GrantKind::Transient),
                receive: Some(BACK),
                ..Carry::NONE
            },
        );
        let onward = words(reply)[0];
        let came_back = reply.is_ok_and(|m| m.granted.is_some()) || holds_frame(BACK);
        defmt::info!(
            "victim: the server's transfer onward of the lent frame returned {=u32}; a frame came back: {=bool}",
            onward,
            came_back
        );

        // 4. Malformed replies before the real one.
        let [five, grant] = words(server.call(&[6]));
        defmt::info!(
            "victim: the server's malformed replies returned {=u32} and {=u32}; its real reply arrived",
            five,
            grant
        );
        // SAFETY: still mapped read/write at GRANT_WINDOW.
        let mine = unsafe { core::ptr::read_volatile(GRANT_WINDOW as *const u32) };
        defmt::info!("victim: its page still holds {=u32:#x}", mine);
    }

    fn bystander() {
        let server = Endpoint(0);
        let mut good = 0u32;
        for n in 0..40u32 {
            match server.call(&[9, n]) {
                Ok(reply) if reply.words[0] == n + 1 => good += 1,
                Ok(reply) => {
                    defmt::error!("bystander: call {=u32} answered {=u32}", n, reply.words[0])
                }
                Err(error) => defmt::error!("bystander: call {=u32}: {=str}", n, error.name()),
            }
            userlib::syscall::yield_now();
        }
        defmt::info!("bystander: {=u32} of 40 calls answered correctly", good);
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("test-hostile is a partition; `cargo xtask test` boots it");
}
