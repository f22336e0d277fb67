//! The memory manager partition: a server on its endpoint that the guests'
//! balloon services call. It keeps each guest's latest pressure report,
//! runs its policy once per period (when a call arrives after the period
//! ended, reading the tmem server's statistics first), and moves one-page
//! frame capabilities by transfer: a frame a guest gives lands in an empty
//! slot and joins the reserve; a frame a guest takes leaves the reserve
//! with the reply. After each period's plan its policy may move frames
//! between the reserve and the tmem pool (`pool_calls`): the pool funds
//! growth the reserve cannot, and takes the reserve's surplus. It logs
//! the `demo` lines the live view and the plot parse, and at the end
//! checks that frames were conserved — against its own books, the
//! description's total and what it took from the pool, the pool's own
//! count, and the kernel's count of its frame capabilities — failing the
//! run (a panic: the partition is stopped and the run's exit status says
//! so) when they were not.
//!
//! Guest `k` calls with badge `k`, is tmem client `k`, and is named
//! `guestk` in the logs. It must never act on anything but the
//! capabilities it holds, and never let a malformed call stop it: every
//! bad request is answered with a refusal, and a frame that moved here
//! with it goes back with the answer. A capability lent or copied with a
//! call is never booked ([`memory_manager::carried`]): the call is
//! refused, a copy deleted.

extern crate alloc;

use alloc::boxed::Box;
use alloc::vec::Vec;

use kernel_abi::cap::{GrantKind, Rights};
use kernel_abi::syscall::SyscallError;
use kernel_abi::user_layout::GRANT_WINDOW;
use memory_manager::config::PolicyChoice;
use memory_manager::{Carried, Ledger, ManagerConfig};
use memory_manager_protocol::{Pressure, Refusal, Reply, Request};
use memory_policy::{Fixed, GuestBounds, Policy, PoolMove, SelfBalloon};
use tmem_client::ControlClient;
use tmem_protocol::{ClientId, ControlRequest, ControlResponse};
use userlib::ipc::{
    cap_delete, Carry, Endpoint, Frame, Grant, IpcBuffer, Message, PartitionControl,
};
use userlib::syscall::clock_us;
use userlib::Start;

use crate::pool_calls::{self, PoolCall};

userlib::entry!(main, heap_kib = 32);

/// The manager's endpoint, which the guests call.
const ENDPOINT: Endpoint = Endpoint(0);
/// The frame the reserve starts from.
const RESERVE_FRAME: Frame = Frame(1);
/// The tmem server's control endpoint.
const TMEM_CONTROL: u16 = 2;
/// The kernel's view of the partitions.
const PARTITIONS: PartitionControl = PartitionControl(4);
/// One-page frames live in slots from here on.
const FIRST_SLOT: u16 = 16;
/// The most slots the manager uses for one-page frames.
const MAX_FRAME_SLOTS: u16 = 2048;
/// Where a frame is mapped for a moment to learn its size.
const SCRATCH: u32 = GRANT_WINDOW;

/// The answer being sent, and what it passes.
struct Answer {
    reply: Reply,
    /// The slot whose frame goes with the reply.
    grant: Option<u16>,
    /// For a take: the guest the frame goes to (to undo when it does not
    /// arrive).
    taker: Option<usize>,
}

/// The period's statistics from the tmem server.
#[derive(Default)]
struct Pool {
    used: u64,
    capacity: u32,
    /// Free frames the pool could give.
    movable: u32,
}

struct Manager {
    config: ManagerConfig,
    ledger: Ledger,
    policy: Box<dyn Policy>,
    control: ControlClient,
    buffer: IpcBuffer,
    period: u32,
    next_period_us: u64,
    ended: bool,
    /// Frames the reserve keeps beyond what guests are owed: the reserve
    /// the manager boots with.
    keep: u32,
    /// Free frames the tmem pool could give, as it last said.
    pool_movable: u32,
    /// The period's move with the pool is still to make (it waits for a
    /// call that brought no frame: the receive slot must be free).
    pool_due: bool,
}

fn main(start: Start) {
    if start.thread != 0 {
        return;
    }
    let config: ManagerConfig = match userlib::config() {
        Ok(config) => config,
        Err(error) => return defmt::error!("memory manager: {=str}", error.name()),
    };
    let reserve = match split_reserve() {
        Ok(reserve) => reserve,
        Err(error) => {
            return defmt::error!(
                "memory manager: cannot split its reserve frame: {=str}",
                error.name()
            )
        }
    };
    // Every other usable slot can receive a frame (from a guest or the
    // tmem pool): the ledger needs at least one per frame the guests boot
    // with.
    let guest_frames = config.boot_frames();
    let first_empty = FIRST_SLOT + reserve.len() as u16;
    let mut empty: Vec<u16> = (first_empty..FIRST_SLOT + MAX_FRAME_SLOTS)
        .take_while(|&slot| matches!(Frame(slot).unmap(), Err(SyscallError::EmptySlot)))
        .collect();
    empty.reverse();
    let guests = config.guests.iter().map(|g| {
        let bounds = GuestBounds {
            floor: g.floor_frames,
            ceiling: g.ceiling_frames,
            reserve: config.reserve_above_committed_frames,
        };
        (bounds, g.boot_frames)
    });
    let ledger = match Ledger::new(guests, reserve, empty) {
        Ok(ledger) => ledger,
        Err(error) => {
            return defmt::error!("memory manager: bad configuration: {=str}", error.name())
        }
    };
    let policy: Box<dyn Policy> = match config.policy {
        PolicyChoice::SelfBalloon => Box::new(SelfBalloon::default()),
        PolicyChoice::Static => Box::new(Fixed),
    };
    defmt::info!(
        "memory manager: {=usize} guests booting with {=u32} frames in all, a reserve of {=u32} frames, policy {=str}, period {=u32} ms",
        config.guests.len(),
        guest_frames,
        ledger.reserve(),
        policy.name(),
        config.period_ms
    );
    let keep = ledger.reserve();
    let mut manager = Manager {
        keep,
        pool_movable: 0,
        pool_due: false,
        ledger,
        policy,
        control: ControlClient::new(TMEM_CONTROL, start.thread),
        buffer: IpcBuffer::of_thread(start.thread),
        period: 0,
        next_period_us: u64::from(config.period_ms) * 1000,
        ended: false,
        config,
    };
    manager.serve();
}

/// Replies `answer`, passing its frame, and waits for the next call,
/// accepting a frame into `receive`.
fn send(answer: &Answer, receive: Option<u16>) -> Result<Message, SyscallError> {
    let (words, len) = answer.reply.encode();
    let grant = answer.grant.map(|slot| Grant {
        slot,
        kind: GrantKind::Transfer,
        rights: Rights::NONE,
    });
    ENDPOINT.reply_recv_with(
        &words[..len],
        Carry {
            grant,
            receive,
            buffer: false,
        },
    )
}

/// Splits the reserve frame into one-page capabilities in slots from
/// `FIRST_SLOT` and deletes the frame, so each page is the sole
/// capability over its memory and can move. Returns the slots.
fn split_reserve() -> Result<Vec<u16>, SyscallError> {
    let pages = RESERVE_FRAME.map(SCRATCH, false)?;
    RESERVE_FRAME.unmap()?;
    let mut slots = Vec::with_capacity(pages as usize);
    for page in 0..pages {
        let slot = FIRST_SLOT + page as u16;
        RESERVE_FRAME.split(page, slot)?;
        slots.push(slot);
    }
    cap_delete(RESERVE_FRAME.0)?;
    // Taken from the top first: the ledger's reserve is a stack.
    Ok(slots)
}

/// Whether `slot` holds a capability now (a frame-unmap probe: an empty
/// slot says so; a held frame that is not mapped says it is not).
fn holds(slot: u16) -> bool {
    !matches!(Frame(slot).unmap(), Err(SyscallError::EmptySlot))
}

impl Manager {
    /// Answers calls for ever (after the end, every call is told to
    /// stop).
    fn serve(&mut self) -> ! {
        let mut message = ENDPOINT.recv_into(self.ledger.receive_slot());
        loop {
            message = match message {
                Ok(message) => {
                    let answer = self.answer(&message);
                    self.reply_recv(answer)
                }
                // No reply is pending here: a receive that failed fails
                // again (its endpoint capability or receive slot is
                // wrong), and spinning on it would burn the caller's time.
                Err(error) => panic!("memory manager: cannot receive: {}", error.name()),
            };
        }
    }

    /// Sends `answer` and waits for the next call. A frame received
    /// meanwhile never lands in the slot the answer's frame leaves from,
    /// so [`Self::after_reply`] can tell by looking whether it left. A
    /// reply the kernel refuses leaves the reply right held and the caller
    /// waiting: it gets a plain `Failed` refusal that passes nothing.
    fn reply_recv(&mut self, answer: Answer) -> Result<Message, SyscallError> {
        let receive = self.ledger.receive_slot_besides(answer.grant);
        let sent = send(&answer, receive);
        self.after_reply(&answer, sent.as_ref().is_ok_and(|m| m.reply_dropped));
        let Err(error) = sent else {
            return sent;
        };
        defmt::error!(
            "memory manager: the kernel refused a reply: {=str}; the caller is refused instead",
            error.name()
        );
        let failed = Answer {
            reply: Reply::Refused(Refusal::Failed),
            grant: None,
            taker: None,
        };
        match send(&failed, self.ledger.receive_slot()) {
            Err(error) => panic!("memory manager: cannot reply: {}", error.name()),
            received => received,
        }
    }

    /// After a reply went (or not): a frame that should have left and is
    /// still here goes back where it came from.
    fn after_reply(&mut self, sent: &Answer, dropped: bool) {
        let Some(slot) = sent.grant else { return };
        if !dropped && !holds(slot) {
            return;
        }
        match sent.taker {
            Some(guest) => {
                defmt::warn!(
                    "memory manager: a frame for guest{=usize} did not arrive; back in the reserve",
                    guest + 1
                );
                self.ledger.untake(guest, slot);
            }
            None => {
                // A refused give's frame could not go back: its guest is
                // gone (the guest still counts it, so the books hold).
                defmt::warn!("memory manager: a refused frame could not go back; deleted");
                let _ = cap_delete(slot);
            }
        }
    }

    fn answer(&mut self, message: &Message) -> Answer {
        let carried = Carried::sort(message.granted);
        // Only a frame that moved here is booked or goes back.
        let landed = carried.moved();
        let guest = (message.badge as usize).wrapping_sub(1);
        let refuse = |why| Answer {
            reply: Reply::Refused(why),
            grant: landed,
            taker: None,
        };
        if guest >= self.config.guests.len() {
            drop_unmoved(carried);
            return refuse(Refusal::UnknownGuest);
        }
        if landed.is_none() && carried != Carried::Nothing {
            drop_unmoved(carried);
            return refuse(Refusal::NotAFrame);
        }
        let words = &message.words[..usize::from(message.len).min(4)];
        let request = match Request::decode(words) {
            Ok(request) => request,
            Err(_) => return refuse(Refusal::Malformed),
        };
        // The report is read before anything else uses the IPC buffer
        // (the tmem control client does).
        let pressure: Option<Pressure> = match request {
            Request::Report if landed.is_none() && message.buffer => self.buffer.read().ok(),
            _ => None,
        };
        let now = clock_us();
        if !self.ended && now >= self.next_period_us {
            self.run_period(now);
        }
        if self.pool_due && landed.is_none() && !self.ended {
            self.move_with_pool();
        }
        let stop = Answer {
            reply: Reply::Stop,
            grant: landed,
            taker: None,
        };
        if self.ended {
            return stop;
        }
        match request {
            Request::Report => {
                let Some(pressure) = pressure else {
                    return refuse(Refusal::Malformed);
                };
                let _ = self.ledger.report(guest, pressure);
                if self.ledger.all_idle() {
                    self.run_period(now);
                    self.end();
                    return stop;
                }
                Answer {
                    reply: Reply::Target {
                        frames: self.ledger.guests()[guest].target,
                        period_ms: self.config.period_ms,
                    },
                    grant: None,
                    taker: None,
                }
            }
            Request::Give => {
                let Some(slot) = landed else {
                    return refuse(Refusal::NotAFrame);
                };
                if !one_page(slot) {
                    return refuse(Refusal::NotAFrame);
                }
                match self.ledger.give(guest, slot) {
                    Ok(_) => Answer {
                        reply: Reply::Done,
                        grant: None,
                        taker: None,
                    },
                    Err(why) => refuse(why),
                }
            }
            Request::Take => {
                if landed.is_some() {
                    return refuse(Refusal::Malformed);
                }
                match self.ledger.take(guest) {
                    Ok(slot) => Answer {
                        reply: Reply::Done,
                        grant: Some(slot),
                        taker: Some(guest),
                    },
                    Err(why) => refuse(why),
                }
            }
        }
    }

    /// Ends a period: the tmem server's statistics, the policy's targets,
    /// the period's lines.
    fn run_period(&mut self, now: u64) {
        self.period += 1;
        let period_us = u64::from(self.config.period_ms) * 1000;
        self.next_period_us = (now / period_us + 1) * period_us;
        let pool = self.read_tmem();
        self.pool_movable = pool.movable;
        self.ledger.plan(&mut *self.policy, pool.movable);
        self.pool_due = true;
        let t_ms = now / 1000;
        for (g, account) in self.ledger.guests().iter().enumerate() {
            let p = &account.latest;
            defmt::info!(
                "demo guest=guest{=usize} period={=u32} t_ms={=u64} ram={=u32} target={=u32} committed={=u32} cache={=u32} tmem={=u32} sd={=u32} ins_tmem={=u64} ins_sd={=u64} outs_tmem={=u64} outs_sd={=u64} faults={=u64}",
                g + 1,
                self.period,
                t_ms,
                account.held,
                account.target,
                p.committed,
                p.cache,
                account.frontswap,
                p.sd,
                p.ins_tmem,
                p.ins_sd,
                p.outs_tmem,
                p.outs_sd,
                p.faults
            );
        }
        defmt::info!(
            "demo pool period={=u32} t_ms={=u64} policy={=str} reserve={=u32} tmem_used={=u64} tmem_capacity={=u32} tmem_movable={=u32} from_pool={=i64}",
            self.period,
            t_ms,
            self.policy.name(),
            self.ledger.reserve(),
            pool.used,
            pool.capacity,
            pool.movable,
            self.ledger.from_pool()
        );
    }

    /// The period's move between the reserve and the tmem pool, as the
    /// policy decides it.
    fn move_with_pool(&mut self) {
        self.pool_due = false;
        let decided = self
            .ledger
            .pool_move(&*self.policy, self.keep, self.pool_movable);
        let before = self.ledger.from_pool();
        self.carry_out(decided);
        let moved = self.ledger.from_pool() - before;
        match decided {
            PoolMove::None => {}
            PoolMove::Take(frames) => defmt::info!(
                "memory manager: asks the tmem pool for {=u32} frames; {=i64} came",
                frames,
                moved
            ),
            PoolMove::Give(frames) => defmt::info!(
                "memory manager: gives the tmem pool {=u32} frames; {=i64} went",
                frames,
                -moved
            ),
        }
    }

    /// Carries out `decided`, one frame per call; stops at the first frame
    /// that does not move.
    fn carry_out(&mut self, decided: PoolMove) {
        match decided {
            PoolMove::None => {}
            PoolMove::Take(frames) => {
                for _ in 0..frames {
                    let Some(receive) = self.ledger.receive_slot() else {
                        break;
                    };
                    let PoolCall::Moved { movable } =
                        pool_calls::release(&mut self.control, receive)
                    else {
                        break;
                    };
                    self.pool_movable = movable;
                    if !one_page(receive) {
                        defmt::error!(
                            "memory manager: the pool gave a frame that is not one page; deleted"
                        );
                        let _ = cap_delete(receive);
                        break;
                    }
                    if self.ledger.from_pool_landed(receive).is_err() {
                        // `receive` was an empty slot when the call was
                        // made, and nothing else ran since.
                        defmt::error!(
                            "memory manager: a pool frame landed in a slot the books do not call empty"
                        );
                        break;
                    }
                }
            }
            PoolMove::Give(frames) => {
                for _ in 0..frames {
                    let Some(slot) = self.ledger.to_pool() else {
                        break;
                    };
                    let Some(back) = self.ledger.receive_slot_besides(Some(slot)) else {
                        self.ledger.to_pool_undone(slot, slot);
                        break;
                    };
                    match pool_calls::accept(&mut self.control, slot, back) {
                        PoolCall::Moved { movable } => self.pool_movable = movable,
                        PoolCall::NotMoved if holds(back) => {
                            self.ledger.to_pool_undone(slot, back);
                            break;
                        }
                        PoolCall::NotMoved if holds(slot) => {
                            self.ledger.to_pool_undone(slot, slot);
                            break;
                        }
                        PoolCall::NotMoved => {
                            defmt::error!(
                                "memory manager: a frame sent to the pool neither arrived nor came back"
                            );
                            break;
                        }
                    }
                }
            }
        }
    }

    /// The tmem server's pool and each guest's persistent pages.
    fn read_tmem(&mut self) -> Pool {
        let mut pool = Pool::default();
        if let Ok(ControlResponse::Usage(usage)) = self.control.request(&ControlRequest::Usage) {
            pool.used = usage.ephemeral_pages + usage.persistent_pages;
            pool.capacity = usage.frames_total;
        }
        if let Some((movable, _)) = pool_calls::counts(&mut self.control) {
            pool.movable = movable;
        }
        for g in 0..self.config.guests.len() as u32 {
            let request = ControlRequest::ClientInfo {
                client: ClientId(g + 1),
            };
            if let Ok(ControlResponse::ClientInfo(info)) = self.control.request(&request) {
                let pages = u32::try_from(info.persistent_pages).unwrap_or(u32::MAX);
                self.ledger.set_frontswap(g as usize, pages);
            }
        }
        pool
    }

    /// Every guest is idle: no more moves. Checks the books and logs the
    /// end line.
    fn end(&mut self) {
        self.ended = true;
        // What the reserve no longer needs goes to the pool, as the
        // policy decides.
        self.ledger.settle();
        self.move_with_pool();
        let total = self.ledger.total();
        let expected = self.ledger.expected();
        let kernel = PARTITIONS
            .status(self.config.partition)
            .map(|status| status.frames);
        match kernel {
            Ok(frames) if frames == self.ledger.reserve() => defmt::info!(
                "memory manager: the kernel counts {=u32} frame capabilities here, the reserve's {=u32}",
                frames,
                self.ledger.reserve()
            ),
            Ok(frames) => defmt::error!(
                "memory manager: the kernel counts {=u32} frame capabilities here, the reserve holds {=u32}",
                frames,
                self.ledger.reserve()
            ),
            Err(error) => defmt::error!(
                "memory manager: no kernel count: {=str}",
                error.name()
            ),
        }
        for (g, account) in self.ledger.guests().iter().enumerate() {
            defmt::info!(
                "memory manager: guest{=usize} ends with {=u32} frames",
                g + 1,
                account.held
            );
        }
        // What the tmem pool took in net is what the manager took out.
        let from_pool = self.ledger.from_pool();
        let counts = pool_calls::counts(&mut self.control);
        let pool_agrees = match counts {
            Some((_, net_received)) => i64::from(net_received) == -from_pool,
            None => from_pool == 0,
        };
        let tmem_movable = counts.map_or(0, |(movable, _)| movable);
        if !pool_agrees {
            defmt::error!(
                "memory manager: took {=i64} frames from the tmem pool net; the pool disagrees",
                from_pool
            );
        }
        let conserved = total == expected
            && pool_agrees
            && kernel.is_ok_and(|frames| frames == self.ledger.reserve());
        defmt::info!(
            "demo end periods={=u32} frames_total={=u32} frames_expected={=u32} from_pool={=i64} tmem_movable={=u32} conserved={=str}",
            self.period,
            total,
            expected,
            from_pool,
            tmem_movable,
            if conserved { "yes" } else { "no" }
        );
        if !conserved {
            // The run must fail visibly: a stopped partition sets its exit
            // status, and the guests calling are told the manager is gone.
            panic!("memory manager: frames were not conserved");
        }
    }
}

/// Lets go of a capability that came with a call without moving here: a
/// derived copy is deleted (the guest keeps the original); a lent one the
/// kernel destroys at the reply.
fn drop_unmoved(carried: Carried) {
    if let Carried::Copied(slot) = carried {
        let _ = cap_delete(slot);
    }
}

/// Whether the frame in `slot` is one page (mapped for a moment to see).
fn one_page(slot: u16) -> bool {
    let frame = Frame(slot);
    match frame.map(SCRATCH, false) {
        Ok(pages) => {
            let _ = frame.unmap();
            pages == 1
        }
        Err(_) => false,
    }
}
