//! What can go wrong talking to an SD card. Every driver path ends in
//! success or one of these; none may leave a caller waiting for ever.

/// A failed card operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdError {
    /// No card answers (or the controller says none is inserted).
    NoCard,
    /// Command `index` got no response in time.
    CommandTimeout {
        /// The command's index.
        index: u8,
    },
    /// Command `index`'s response failed its CRC or framing check.
    CommandCrc {
        /// The command's index.
        index: u8,
    },
    /// The data phase did not finish in time.
    DataTimeout,
    /// Received data failed its CRC (or the card refused written data).
    DataCrc,
    /// The controller's FIFO overran or underran.
    Fifo,
    /// The card reported an error in its status (`R1` error bits).
    CardStatus {
        /// The card status word.
        status: u32,
    },
    /// The card answered CMD8 with the wrong check pattern, or is not an
    /// SD memory card this driver can use.
    Unusable,
    /// The controller did not finish resetting or starting its clock.
    Controller,
    /// A buffer whose length is not a whole number of sectors, or larger
    /// than one transfer may move.
    BadLength,
}

impl SdError {
    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            SdError::NoCard => "no card",
            SdError::CommandTimeout { .. } => "command timeout",
            SdError::CommandCrc { .. } => "command CRC error",
            SdError::DataTimeout => "data timeout",
            SdError::DataCrc => "data CRC error",
            SdError::Fifo => "FIFO error",
            SdError::CardStatus { .. } => "card status error",
            SdError::Unusable => "unusable card",
            SdError::Controller => "controller error",
            SdError::BadLength => "bad length",
        }
    }
}
