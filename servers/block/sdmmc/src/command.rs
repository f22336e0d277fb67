//! SD commands as the card protocol names them: an index, an argument,
//! the response the card sends back, and whether data follows. Plain data;
//! controllers turn a [`Command`] into register writes.

/// What the card answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseKind {
    /// Nothing (CMD0).
    None,
    /// 48 bits: the card status (R1), also R6 and R7, with CRC.
    Short,
    /// 48 bits and the card may hold DAT0 low while busy (R1b).
    ShortBusy,
    /// 48 bits without a valid CRC (R3: the OCR).
    ShortNoCrc,
    /// 136 bits (R2: CID or CSD).
    Long,
}

/// Which way a command's data goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Card to host.
    Read,
    /// Host to card.
    Write,
}

/// One command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    /// CMDn (or ACMDn after CMD55).
    pub index: u8,
    /// The 32-bit argument.
    pub argument: u32,
    /// The response expected.
    pub response: ResponseKind,
    /// The data phase, if any.
    pub data: Option<Direction>,
}

/// A response as 128 bits, most significant word first: a short
/// response's 32 payload bits are `words[0]`; a long response's bits
/// 127..0 (CRC byte cleared) are `words[0..4]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The words.
    pub words: [u32; 4],
}

impl Response {
    /// A short response's payload (card status, OCR, RCA word, ...).
    pub const fn short(self) -> u32 {
        self.words[0]
    }

    /// Bits `high..=low` of a long response (`high - low < 32`).
    pub const fn bits(self, high: u32, low: u32) -> u32 {
        let mut value: u64 = 0;
        let mut bit = high as i32;
        while bit >= low as i32 {
            let word = self.words[3 - (bit as usize / 32)];
            value = (value << 1) | ((word >> (bit as u32 % 32)) & 1) as u64;
            bit -= 1;
        }
        value as u32
    }
}

const fn command(index: u8, argument: u32, response: ResponseKind) -> Command {
    Command {
        index,
        argument,
        response,
        data: None,
    }
}

/// The check pattern and voltage range CMD8 sends (2.7-3.6 V, 0xAA).
pub const CMD8_PATTERN: u32 = 0x1AA;
/// ACMD41's voltage window: 2.7-3.6 V.
pub const OCR_VOLTAGE_WINDOW: u32 = 0x00FF_8000;
/// ACMD41/OCR: host supports / card is high capacity (SDHC/SDXC).
pub const OCR_HIGH_CAPACITY: u32 = 1 << 30;
/// OCR: the card has finished powering up.
pub const OCR_POWERED_UP: u32 = 1 << 31;

/// R1 bits that report an error (out of range, address, block length,
/// erase, write protect, lock, CRC, illegal command, ECC, controller,
/// general error).
pub const R1_ERRORS: u32 = 0xFDF8_0000;
/// R1: the card is ready for data.
pub const R1_READY_FOR_DATA: u32 = 1 << 8;
/// The card's state in R1 bits 12..9.
pub const fn r1_state(status: u32) -> u32 {
    (status >> 9) & 0xF
}
/// The `tran` state: selected and idle.
pub const STATE_TRANSFER: u32 = 4;

/// CMD0: every card to idle.
pub const GO_IDLE: Command = command(0, 0, ResponseKind::None);
/// CMD2: send the CID (the one card on the bus answers).
pub const ALL_SEND_CID: Command = command(2, 0, ResponseKind::Long);
/// CMD3: the card publishes its relative address.
pub const SEND_RELATIVE_ADDRESS: Command = command(3, 0, ResponseKind::Short);

/// CMD8: interface condition, with the check pattern.
pub const fn send_if_cond() -> Command {
    command(8, CMD8_PATTERN, ResponseKind::Short)
}

/// CMD55: the next command is application-specific.
pub const fn app_cmd(rca: u16) -> Command {
    command(55, (rca as u32) << 16, ResponseKind::Short)
}

/// ACMD41: start power-up, saying whether the host takes high capacity.
pub const fn sd_send_op_cond(high_capacity: bool) -> Command {
    let hcs = if high_capacity { OCR_HIGH_CAPACITY } else { 0 };
    command(41, OCR_VOLTAGE_WINDOW | hcs, ResponseKind::ShortNoCrc)
}

/// CMD9: send the CSD.
pub const fn send_csd(rca: u16) -> Command {
    command(9, (rca as u32) << 16, ResponseKind::Long)
}

/// CMD7: select the card.
pub const fn select_card(rca: u16) -> Command {
    command(7, (rca as u32) << 16, ResponseKind::ShortBusy)
}

/// ACMD6: bus width (`2` = four data lines).
pub const fn set_bus_width_4() -> Command {
    command(6, 2, ResponseKind::Short)
}

/// CMD16: block length for a standard-capacity card.
pub const fn set_block_length(bytes: u32) -> Command {
    command(16, bytes, ResponseKind::Short)
}

/// CMD13: the card's status.
pub const fn send_status(rca: u16) -> Command {
    command(13, (rca as u32) << 16, ResponseKind::Short)
}

/// CMD12: end a multi-block transfer.
pub const STOP_TRANSMISSION: Command = command(12, 0, ResponseKind::ShortBusy);

/// CMD17 (one sector) or CMD18 (several) at card address `address`.
pub const fn read_blocks(address: u32, multiple: bool) -> Command {
    Command {
        index: if multiple { 18 } else { 17 },
        argument: address,
        response: ResponseKind::Short,
        data: Some(Direction::Read),
    }
}

/// CMD24 (one sector) or CMD25 (several) at card address `address`.
pub const fn write_blocks(address: u32, multiple: bool) -> Command {
    Command {
        index: if multiple { 25 } else { 24 },
        argument: address,
        response: ResponseKind::Short,
        data: Some(Direction::Write),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_response_bits_count_from_the_top_word() {
        let response = Response {
            words: [0x4000_0000, 0x0000_0012, 0x3456_0000, 0],
        };
        assert_eq!(response.bits(127, 126), 1);
        // bits 69..48 straddle words 1 and 2.
        assert_eq!(response.bits(69, 48), 0x12_3456);
        assert_eq!(response.bits(31, 0), 0);
    }
}
