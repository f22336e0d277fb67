//! The kernel's defmt global logger.
//!
//! Each defmt frame is wrapped as a [`kernel_abi::log_stream`] record —
//! source byte, rzCOBS frame, terminator — and written out whole in one go
//! by `arch::debug`. Written here rather than using `defmt-semihosting`
//! because that crate writes untagged frames, and the host must tell the
//! kernel's frames from each partition's (each has its own defmt table).
//!
//! A frame that does not fit the buffer is dropped and counted, never sent
//! truncated. The logger must never be used from two contexts at once; it
//! holds a critical section (interrupts off) from acquire to release.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use kernel_abi::log_stream::Source;

use crate::arch;

/// Largest record the logger buffers.
const RECORD_CAPACITY: usize = 512;

#[defmt::global_logger]
struct KernelLogger;

struct Record {
    bytes: heapless::Vec<u8, RECORD_CAPACITY>,
    overflowed: bool,
}

impl Record {
    fn push(&mut self, data: &[u8]) {
        if self.bytes.extend_from_slice(data).is_err() {
            self.overflowed = true;
        }
    }
}

struct State {
    restore: critical_section::RestoreState,
    encoder: defmt::Encoder,
    record: Record,
}

struct Shared {
    taken: AtomicBool,
    state: UnsafeCell<State>,
}

// SAFETY: `state` is only touched between `acquire` and `release`, which run
// inside a critical section on a single core and are guarded against
// re-entry by `taken`.
unsafe impl Sync for Shared {}

static LOGGER: Shared = Shared {
    taken: AtomicBool::new(false),
    state: UnsafeCell::new(State {
        restore: critical_section::RestoreState::invalid(),
        encoder: defmt::Encoder::new(),
        record: Record {
            bytes: heapless::Vec::new(),
            overflowed: false,
        },
    }),
};

/// Frames dropped because they did not fit [`RECORD_CAPACITY`].
static DROPPED: AtomicU32 = AtomicU32::new(0);

/// How many frames have been dropped for being too large.
pub fn dropped_frames() -> u32 {
    DROPPED.load(Ordering::Relaxed)
}

// SAFETY: acquire/release pair up as defmt requires; the state is touched
// only while the critical section taken in `acquire` is held.
unsafe impl defmt::Logger for KernelLogger {
    fn acquire() {
        // SAFETY: released in `release`, which defmt always calls after
        // `acquire`.
        let restore = unsafe { critical_section::acquire() };
        if LOGGER.taken.swap(true, Ordering::Acquire) {
            // Re-entered (a fault while logging): drop this frame's state
            // untouched. The panic path does not log through here twice.
            arch::debug::halt();
        }
        // SAFETY: we hold the critical section and `taken`.
        let state = unsafe { &mut *LOGGER.state.get() };
        state.restore = restore;
        state.record.bytes.clear();
        state.record.overflowed = false;
        let record = &mut state.record;
        // The encoder's very first frame starts with a lone separator; it
        // goes out before the source byte, as an empty record.
        state.encoder.start_frame(|b| record.push(b));
        record.push(&[Source::Kernel.to_byte()]);
    }

    unsafe fn flush() {}

    unsafe fn release() {
        // SAFETY: called after `acquire`, so we hold the critical section.
        let state = unsafe { &mut *LOGGER.state.get() };
        let record = &mut state.record;
        state.encoder.end_frame(|b| record.push(b));
        if state.record.overflowed {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        } else {
            arch::debug::write_log(&state.record.bytes);
        }
        let restore = state.restore;
        LOGGER.taken.store(false, Ordering::Release);
        // SAFETY: pairs with the acquire in `acquire`.
        unsafe { critical_section::release(restore) };
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: called between `acquire` and `release`.
        let state = unsafe { &mut *LOGGER.state.get() };
        let record = &mut state.record;
        state.encoder.write(bytes, |b| record.push(b));
    }
}

/// Writes one record from another source (a partition): its defmt frame,
/// already encoded and terminated, behind the source byte.
pub fn emit_record(source: Source, frame: &[u8]) {
    critical_section::with(|_| {
        arch::debug::write_log(&[source.to_byte()]);
        arch::debug::write_log(frame);
    });
}

defmt::timestamp!("{=u64:us}", arch::devices::uptime_us());
