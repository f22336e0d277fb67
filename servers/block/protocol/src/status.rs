//! The status a reply carries.

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Status {
    /// Done.
    Ok = 0,
    /// Unknown opcode, wrong length, non-zero reserved bits or an empty run.
    Malformed = 1,
    /// The run does not lie inside the client's region.
    OutOfRange = 2,
    /// The run's buffer is not there: beyond the window (copy), or no
    /// frame, a frame too small, or one not writable for a read
    /// (grant-map).
    BadBuffer = 3,
    /// The caller is not a client of this disk.
    UnknownClient = 4,
    /// There is no card in the slot.
    NoCard = 5,
    /// The card or controller failed the operation.
    DeviceError = 6,
    /// The card did not answer in time.
    Timeout = 7,
}

impl Status {
    /// Decodes a reply's word 0.
    pub const fn from_word(word: u32) -> Option<Status> {
        Some(match word {
            0 => Status::Ok,
            1 => Status::Malformed,
            2 => Status::OutOfRange,
            3 => Status::BadBuffer,
            4 => Status::UnknownClient,
            5 => Status::NoCard,
            6 => Status::DeviceError,
            7 => Status::Timeout,
            _ => return None,
        })
    }

    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Malformed => "malformed request",
            Status::OutOfRange => "out of range",
            Status::BadBuffer => "bad buffer",
            Status::UnknownClient => "unknown client",
            Status::NoCard => "no card",
            Status::DeviceError => "device error",
            Status::Timeout => "timeout",
        }
    }
}
