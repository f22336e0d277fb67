//! The fuzzer at run time: its threads, the loop that makes and checks the
//! calls, and the report at the end.
//!
//! It must never make a call that `generate::sanitize` has not made safe
//! (scenarios choose their arguments by hand, just as carefully), and must
//! report every unexpected result rather than stop at the first.

mod scenarios;
mod svc;
mod threads;

use core::sync::atomic::{AtomicBool, Ordering};

use kernel_abi::syscall::{MessageInfo, Syscall, SyscallError, IPC_BUFFERS};
use test_fuzzer::generate::{self, Call, Prelude, Recent, Targets, LAST_CALL, ZEROS_LEN};
use test_fuzzer::layout::{slot, FEED, FEEDER_BADGE, LEND_CHECK};
use test_fuzzer::rng::Rng;
use test_fuzzer::Plan;
use test_victim::{as_received, echo_reply, FUZZER_BADGE};
use userlib::Start;

use svc::{svc, Returned};

userlib::entry!(main);

/// Set by the fuzz thread when it has made all its calls.
static DONE: AtomicBool = AtomicBool::new(false);

/// The bytes `clock_read` may write into (see `Targets::scratch`).
#[repr(C, align(8))]
struct Scratch([u8; generate::SCRATCH_LEN as usize]);
static mut SCRATCH: Scratch = Scratch([0; generate::SCRATCH_LEN as usize]);
/// Zero bytes nothing writes (see `Targets::zeros`).
static ZEROS: [u8; ZEROS_LEN as usize] = [0; ZEROS_LEN as usize];

/// A crafted scenario runs after every this many random calls.
const SCENARIO_EVERY: u32 = 1024;
/// Progress is logged every this many calls.
const PROGRESS_EVERY: u32 = 250_000;
/// At most this many unexpected results are described one by one.
const DESCRIBED: u32 = 16;
/// The address the wild-pointer phase reads: the kernel's linear map.
const WILD_ADDRESS: u32 = 0xC000_0000;

fn main(start: Start) {
    match start.thread {
        0 => match userlib::config::<Plan>() {
            Ok(plan) => fuzz(plan),
            Err(error) => defmt::error!("fuzz: {=str}", error.name()),
        },
        1 => threads::helper(),
        2 => threads::feeder(),
        other => defmt::error!("fuzz: no job for thread {=u32}", other),
    }
}

/// What the fuzz thread has done so far.
pub struct Fuzzer {
    /// System calls made for fuzzing (random ones, their preludes, and the
    /// scenarios' calls).
    pub calls: u32,
    /// Of those, how many succeeded.
    pub ok: u32,
    /// Calls and successes per call number (index 0: numbers that name no
    /// call).
    per_number: [[u32; 2]; LAST_CALL as usize + 1],
    /// Results that were not what the kernel's contract says.
    pub unexpected: u32,
    targets: Targets,
    recent: Recent,
}

impl Fuzzer {
    fn new() -> Fuzzer {
        Fuzzer {
            calls: 0,
            ok: 0,
            per_number: [[0; 2]; LAST_CALL as usize + 1],
            unexpected: 0,
            targets: Targets {
                scratch: core::ptr::addr_of!(SCRATCH) as u32,
                zeros: ZEROS.as_ptr() as u32,
                text: fuzz as fn(Plan) as usize as u32,
            },
            recent: Recent::default(),
        }
    }

    /// Addresses the kernel may be pointed at.
    fn targets(&self) -> Targets {
        self.targets
    }

    /// Makes one call and counts it. Safe to call only with arguments
    /// `generate::sanitize` would leave alone (see `svc::svc`).
    fn call(&mut self, number: u32, regs: [u32; 7]) -> Returned {
        // SAFETY: every caller passes arguments that never let the kernel
        // write the fuzzer's memory outside the scratch bytes (random
        // calls are sanitized; scenarios pick scratch or foreign
        // addresses by hand).
        let returned = unsafe { svc(number, regs) };
        self.calls += 1;
        let index = if (1..=LAST_CALL).contains(&number) {
            number as usize
        } else {
            0
        };
        self.per_number[index][0] += 1;
        if returned.code() == 0 {
            self.ok += 1;
            self.per_number[index][1] += 1;
        }
        if !returned.preserved {
            self.unexpected("a call changed r7, r9, r10 or r12", number, returned.code());
        }
        if returned.code() != 0 && SyscallError::from_code(returned.code()).is_none() {
            self.unexpected("result code out of range", number, returned.code());
        }
        returned
    }

    /// Counts (and, for the first few, describes) an unexpected result.
    fn unexpected(&mut self, what: &str, number: u32, detail: u32) {
        self.unexpected += 1;
        if self.unexpected <= DESCRIBED {
            defmt::error!(
                "fuzz: unexpected: {=str} (call {=u32}, {=u32:#x}) after {=u32} calls",
                what,
                number,
                detail,
                self.calls
            );
        }
    }

    /// Checks that a call returned exactly `want`.
    fn expect(&mut self, step: &str, returned: Returned, want: Result<(), SyscallError>) {
        let want_code = match want {
            Ok(()) => 0,
            Err(error) => error as u32,
        };
        if returned.code() != want_code {
            self.unexpected += 1;
            if self.unexpected <= DESCRIBED {
                let got = SyscallError::from_code(returned.code()).map_or("Ok", SyscallError::name);
                let wanted = want.err().map_or("Ok", SyscallError::name);
                defmt::error!(
                    "fuzz: unexpected: {=str}: got {=str} ({=u32}), wanted {=str} after {=u32} calls",
                    step,
                    got,
                    returned.code(),
                    wanted,
                    self.calls
                );
            }
        }
    }

    /// Makes a random call and checks what can be checked about it.
    fn random(&mut self, rng: &mut Rng) {
        let call = generate::random_call(rng, &self.targets, &self.recent);
        match call.prelude {
            Prelude::None => {}
            Prelude::SignalOwn(bits) => {
                let signalled = self.call(
                    Syscall::Signal as u32,
                    [u32::from(slot::NOTIFICATION), bits, 0, 0, 0, 0, 0],
                );
                self.expect("signal before a wait", signalled, Ok(()));
            }
            Prelude::BufferLength(length) => {
                // SAFETY: thread 0's IPC buffer is mapped read-write for
                // this thread alone; its first word is the payload length.
                unsafe { (IPC_BUFFERS as *mut u32).write_volatile(length) };
            }
        }
        let returned = self.call(call.number, call.regs);
        self.check_random(&call, returned);
    }

    /// What is known about any call's result, whatever its arguments.
    fn check_random(&mut self, call: &Call, returned: Returned) {
        let code = returned.code();
        let number = call.number;
        if !(1..=LAST_CALL).contains(&number) && code != SyscallError::UnknownSyscall as u32 {
            self.unexpected(
                "a call that does not exist did not fail as unknown",
                number,
                code,
            );
        }
        if code != 0 {
            return;
        }
        let r = &returned.r;
        match Syscall::from_number(number) {
            Some(Syscall::PartitionStop) => self.unexpected(
                "partition_stop succeeded without the right",
                number,
                call.regs[1],
            ),
            Some(Syscall::Recv | Syscall::ReplyRecv) => {
                if r[5] != FEEDER_BADGE || r[1] != FEED {
                    self.unexpected("received a message nobody sent", r[5], r[1]);
                }
            }
            Some(Syscall::Call) => self.check_reply(call, r),
            Some(Syscall::CapCopy) => self.recent.push(call.regs[1] as u16),
            Some(Syscall::FrameSplit) => self.recent.push(call.regs[2] as u16),
            _ => {}
        }
    }

    /// A call through one of the description's endpoint capabilities came
    /// back: the reply must be exactly the server's echo of the request.
    fn check_reply(&mut self, call: &Call, r: &[u32; 7]) {
        let badge = match call.regs[0] {
            s if s == u32::from(slot::ENDPOINT) => 0,
            s if s == u32::from(slot::FEEDER) => FEEDER_BADGE,
            s if s == u32::from(slot::VICTIM) => FUZZER_BADGE,
            _ => return,
        };
        if call.regs[1] == LEND_CHECK {
            return;
        }
        let Some(info) = MessageInfo::decode(call.regs[6]) else {
            return self.unexpected(
                "a call with a malformed info word succeeded",
                5,
                call.regs[6],
            );
        };
        let words = [call.regs[1], call.regs[2], call.regs[3], call.regs[4]];
        let want = echo_reply(as_received(words, info.length), info.length, badge);
        let reply_length = MessageInfo::decode(r[6]).map(|i| i.length);
        if [r[1], r[2], r[3], r[4]] != want || reply_length != Some(4) {
            self.unexpected(
                "a reply differs from the server's echo",
                badge,
                r[1] ^ want[0],
            );
        }
    }
}

/// The fuzz thread.
fn fuzz(plan: Plan) {
    defmt::info!(
        "fuzz: seed {=u16:#06x}, {=u32} system calls planned{=str}",
        plan.seed,
        plan.calls,
        if plan.wild {
            ", then a wild pointer"
        } else {
            ""
        }
    );
    let mut fuzzer = Fuzzer::new();
    scenarios::prepare(&mut fuzzer);
    let mut rng = Rng::new(u32::from(plan.seed));
    let started = userlib::syscall::clock_us();
    let mut next_scenario = 0;
    let mut next_progress = PROGRESS_EVERY;
    while fuzzer.calls < plan.calls {
        for _ in 0..SCENARIO_EVERY {
            fuzzer.random(&mut rng);
        }
        scenarios::run(next_scenario, &mut fuzzer);
        next_scenario += 1;
        if fuzzer.calls >= next_progress {
            defmt::info!("fuzz: {=u32} calls", fuzzer.calls);
            next_progress += PROGRESS_EVERY;
        }
    }
    let elapsed_ms = (userlib::syscall::clock_us() - started) / 1000;
    for (number, [calls, ok]) in fuzzer.per_number.iter().enumerate() {
        defmt::info!(
            "fuzz: call {=usize}: {=u32} made, {=u32} succeeded",
            number,
            calls,
            ok
        );
    }
    defmt::info!(
        "fuzz: seed {=u16:#06x}: {=u32} system calls in {=u64} ms ({=u32} succeeded, {=u32} scenarios), {=u32} unexpected",
        plan.seed,
        fuzzer.calls,
        elapsed_ms,
        fuzzer.ok,
        next_scenario,
        fuzzer.unexpected
    );
    DONE.store(true, Ordering::Release);
    if plan.wild {
        defmt::info!(
            "fuzz: wild pointer: reading kernel address {=u32:#x}; the kernel must stop this partition",
            WILD_ADDRESS
        );
        // SAFETY: deliberately not safe: a read of the kernel's memory,
        // which must fault and stop this partition (and nothing else).
        let value = unsafe { (WILD_ADDRESS as *const u32).read_volatile() };
        defmt::error!(
            "fuzz: wild pointer: read {=u32:#x} from the kernel and carried on",
            value
        );
    }
}

/// Whether the fuzz thread is done (the helper and feeder then end).
fn done() -> bool {
    DONE.load(Ordering::Acquire)
}
