//! The partition's defmt logger: encodes each frame into a buffer and
//! sends it whole with the `log` system call. The kernel adds the
//! partition's source tag, so a partition cannot log as anyone else.
//!
//! A frame that does not fit is dropped, never sent truncated.

use core::cell::UnsafeCell;

use kernel_abi::log_stream::TERMINATOR;

/// Largest frame (the kernel accepts up to 256 bytes per call).
const FRAME_CAPACITY: usize = 256;

#[defmt::global_logger]
struct PartitionLogger;

struct Buffer {
    bytes: [u8; FRAME_CAPACITY],
    len: usize,
    overflowed: bool,
}

/// A cell touched only between acquire and release.
struct Locked<T>(UnsafeCell<T>);

// SAFETY: only touched between acquire and release, inside the critical
// section they hold.
unsafe impl<T> Sync for Locked<T> {}

static RESTORE: Locked<critical_section::RestoreState> =
    Locked(UnsafeCell::new(critical_section::RestoreState::invalid()));
static ENCODER: Locked<defmt::Encoder> = Locked(UnsafeCell::new(defmt::Encoder::new()));
static BUFFER: Locked<Buffer> = Locked(UnsafeCell::new(Buffer {
    bytes: [0; FRAME_CAPACITY],
    len: 0,
    overflowed: false,
}));

impl Buffer {
    fn push(&mut self, bytes: &[u8]) {
        // The encoder's first frame opens with a lone separator; the kernel
        // wants exactly one terminator per frame, so drop leading zeros.
        let bytes = if self.len == 0 {
            let start = bytes
                .iter()
                .position(|&b| b != TERMINATOR)
                .unwrap_or(bytes.len());
            &bytes[start..]
        } else {
            bytes
        };
        match self.bytes.get_mut(self.len..self.len + bytes.len()) {
            Some(dest) => {
                dest.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflowed = true,
        }
    }
}

/// The encoder and the buffer it writes to.
///
/// # Safety
///
/// Only between `acquire` and `release`.
unsafe fn parts() -> (&'static mut defmt::Encoder, &'static mut Buffer) {
    // SAFETY: the caller holds the critical section; the two cells are
    // distinct, so the references do not alias.
    unsafe { (&mut *ENCODER.0.get(), &mut *BUFFER.0.get()) }
}

// SAFETY: acquire/release pair as defmt requires, with the state touched
// only inside the critical section they hold.
unsafe impl defmt::Logger for PartitionLogger {
    fn acquire() {
        // SAFETY: released in `release`.
        let restore = unsafe { critical_section::acquire() };
        // SAFETY: we now hold the critical section.
        unsafe { *RESTORE.0.get() = restore };
        // SAFETY: inside the critical section.
        let (encoder, buffer) = unsafe { parts() };
        buffer.len = 0;
        buffer.overflowed = false;
        encoder.start_frame(|b| buffer.push(b));
    }

    unsafe fn flush() {}

    unsafe fn release() {
        // SAFETY: between acquire and release.
        let (encoder, buffer) = unsafe { parts() };
        encoder.end_frame(|b| buffer.push(b));
        if !buffer.overflowed && buffer.len > 0 {
            let _ = crate::syscall::log(&buffer.bytes[..buffer.len]);
        }
        // SAFETY: between acquire and release; pairs with `acquire`.
        unsafe { critical_section::release(*RESTORE.0.get()) };
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: between acquire and release.
        let (encoder, buffer) = unsafe { parts() };
        encoder.write(bytes, |b| buffer.push(b));
    }
}

defmt::timestamp!("{=u64:us}", crate::syscall::clock_us());
