//! The card's capacity from its CSD register (CMD9's long response), for
//! both CSD versions: 1.0 (standard capacity) and 2.0 (SDHC/SDXC).

use crate::command::Response;

/// The card's size in 512-byte sectors, or `None` for a CSD structure
/// this driver does not know.
pub fn sectors(csd: Response) -> Option<u64> {
    match csd.bits(127, 126) {
        0 => {
            // CSD 1.0: (C_SIZE + 1) * 2^(C_SIZE_MULT + 2) blocks of
            // 2^READ_BL_LEN bytes.
            let read_bl_len = csd.bits(83, 80);
            let c_size = u64::from(csd.bits(73, 62));
            let c_size_mult = csd.bits(49, 47);
            let bytes = (c_size + 1) << (c_size_mult + 2 + read_bl_len);
            Some(bytes / 512)
        }
        // CSD 2.0: (C_SIZE + 1) * 512 KiB.
        1 => Some((u64::from(csd.bits(69, 48)) + 1) * 1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_bits(fields: &[(u32, u32, u32)]) -> Response {
        let mut words = [0u32; 4];
        for &(high, low, value) in fields {
            for bit in low..=high {
                if (value >> (bit - low)) & 1 == 1 {
                    words[3 - (bit as usize / 32)] |= 1 << (bit % 32);
                }
            }
        }
        Response { words }
    }

    #[test]
    fn version_2_counts_half_megabytes() {
        // 16 GiB card: C_SIZE = 32767.
        let csd = with_bits(&[(127, 126, 1), (69, 48, 32767)]);
        assert_eq!(sectors(csd), Some(16 << 21));
    }

    #[test]
    fn version_1_multiplies_its_fields() {
        // 8 MiB: 512-byte blocks (READ_BL_LEN 9), MULT 2^(3+2) = 32, C_SIZE 511.
        let csd = with_bits(&[(83, 80, 9), (73, 62, 511), (49, 47, 3)]);
        assert_eq!(sectors(csd), Some(8 << 11));
    }

    #[test]
    fn unknown_structures_are_refused() {
        assert_eq!(sectors(with_bits(&[(127, 126, 2)])), None);
    }
}
