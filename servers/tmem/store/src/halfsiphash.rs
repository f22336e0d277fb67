//! HalfSipHash: the 32-bit member of the SipHash family (Aumasson and
//! Bernstein), the keyed hash of the store's handle and object indexes.
//!
//! SipHash works on 64-bit words; on a 32-bit core such as the Cortex-A9
//! every addition, rotation and xor of it takes two or more instructions.
//! HalfSipHash has the same structure on 32-bit words with a 64-bit key and
//! a 32-bit output, which is all a table index needs; Linux's `hsiphash`
//! uses it on 32-bit machines for the same purpose. No crate on crates.io
//! implements it (`siphasher` has only SipHash-1-3 and -2-4 on 64-bit
//! words), so it is written here from the specification and checked
//! against the published test vectors of both variants below.
//!
//! The store uses **HalfSipHash-1-3** ([`HalfSip13`]): one compression
//! round per word and three finalisation rounds, as Linux's `hsiphash` does
//! on 32-bit machines. Its job is to keep a client that does not know the
//! key from choosing handles that collide (hash flooding), not to be a
//! MAC, and 1-3 is the variant made for that: half the rounds of -2-4 per
//! word. [`HalfSip24`] exists for the reference test vectors.
//!
//! What it must never be used for: authentication or anything that needs
//! a cryptographic PRF with a 64-bit key's security; and the key must stay
//! in the server — a client that learns it can aim collisions again.

/// One HalfSipHash computation in progress, `C` compression rounds per
/// word and `D` finalisation rounds. Words are absorbed as the
/// little-endian bytes they stand for, so hashing words `w0, w1, ...` is
/// the same as hashing the byte string `w0.to_le_bytes() ++ w1...`.
#[derive(Clone, Copy, Debug)]
pub struct HalfSipHasher<const C: usize, const D: usize> {
    v: [u32; 4],
    /// Bytes absorbed so far (only the low 8 bits matter).
    length: u32,
}

/// HalfSipHash-1-3, the store's index hash.
pub type HalfSip13 = HalfSipHasher<1, 3>;
/// HalfSipHash-2-4, the variant of the reference test vectors.
pub type HalfSip24 = HalfSipHasher<2, 4>;

impl<const C: usize, const D: usize> HalfSipHasher<C, D> {
    /// A fresh hash under the 64-bit `key` (low word first, as the
    /// reference takes the key's first four bytes little-endian).
    #[inline]
    pub fn new(key: u64) -> Self {
        let k0 = key as u32;
        let k1 = (key >> 32) as u32;
        Self {
            // The initialisation constants are the first words of
            // "somepseudorandomlygeneratedbytes", as in SipHash; the
            // 32-bit output leaves v1 = k1 and v0 = k0.
            v: [k0, k1, k0 ^ 0x6c79_6765, k1 ^ 0x7465_6462],
            length: 0,
        }
    }

    #[inline(always)]
    fn round(&mut self) {
        let [mut v0, mut v1, mut v2, mut v3] = self.v;
        v0 = v0.wrapping_add(v1);
        v1 = v1.rotate_left(5) ^ v0;
        v0 = v0.rotate_left(16);
        v2 = v2.wrapping_add(v3);
        v3 = v3.rotate_left(8) ^ v2;
        v0 = v0.wrapping_add(v3);
        v3 = v3.rotate_left(7) ^ v0;
        v2 = v2.wrapping_add(v1);
        v1 = v1.rotate_left(13) ^ v2;
        v2 = v2.rotate_left(16);
        self.v = [v0, v1, v2, v3];
    }

    #[inline(always)]
    fn compress(&mut self, m: u32) {
        self.v[3] ^= m;
        for _ in 0..C {
            self.round();
        }
        self.v[0] ^= m;
    }

    /// Absorbs one 32-bit word (four message bytes).
    #[inline]
    pub fn write_u32(&mut self, word: u32) {
        self.compress(word);
        self.length = self.length.wrapping_add(4);
    }

    /// Absorbs a 64-bit value as two words, low word first.
    #[inline]
    pub fn write_u64(&mut self, value: u64) {
        self.write_u32(value as u32);
        self.write_u32((value >> 32) as u32);
    }

    /// The 32-bit hash of everything absorbed.
    #[inline]
    pub fn finish(self) -> u32 {
        self.finish_with_tail(0, 0)
    }

    /// Finishes with `tail_len` (0 to 3) more bytes, given little-endian
    /// in the low bytes of `tail`.
    fn finish_with_tail(mut self, tail: u32, tail_len: u32) -> u32 {
        let length = self.length.wrapping_add(tail_len);
        let last = (length & 0xff) << 24 | tail;
        self.compress(last);
        self.v[2] ^= 0xff;
        for _ in 0..D {
            self.round();
        }
        self.v[1] ^ self.v[3]
    }

    /// The hash of a byte string under `key`.
    pub fn hash_bytes(key: u64, bytes: &[u8]) -> u32 {
        let mut hasher = Self::new(key);
        let mut words = bytes.chunks_exact(4);
        for word in &mut words {
            hasher.write_u32(u32::from_le_bytes([word[0], word[1], word[2], word[3]]));
        }
        let rest = words.remainder();
        let tail = rest
            .iter()
            .enumerate()
            .fold(0u32, |tail, (i, &byte)| tail | u32::from(byte) << (8 * i));
        hasher.finish_with_tail(tail, rest.len() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// The key of both vector sets: bytes 00 01 .. 07.
    const KEY: u64 = 0x0706_0504_0302_0100;

    /// HalfSipHash-2-4 with 32-bit output of the messages 00, 00 01, ...,
    /// 00 .. 3e (lengths 0 to 63), from the reference implementation's
    /// `vectors_hsip32` (given there as little-endian bytes).
    const HSIP24_32: [u32; 64] = [
        0x5b9f35a9, 0xb85a4727, 0x03a662fa, 0x04e7fe8a, 0x89466e2a, 0x69b6fac5, 0x23fc6358,
        0xc563cf8b, 0x8f84b8d0, 0x79e706f8, 0x3479b094, 0x50300808, 0x2f87f057, 0xff63e677,
        0x7cf8ffd6, 0x972bfe74, 0x84acb5d9, 0x5b6474c4, 0x9b8d5b46, 0x87e3ef7b, 0x45104de3,
        0xb3623f61, 0xfe67f370, 0xbdb8ade6, 0x630c4027, 0x75787826, 0x5f7b564f, 0x69e6b03a,
        0x004064b0, 0xb40f67ff, 0x8b339e50, 0x1a9f585d, 0x1221e7fe, 0x59327533, 0x8c4f436a,
        0x29b728fe, 0xecc65ce7, 0x548d7e69, 0x0f8b6863, 0xb4620b65, 0x4018bcb6, 0x0545075d,
        0x2efd4224, 0x3a86b77b, 0x48d50577, 0xb10852d7, 0xc899d4b6, 0x2e209208, 0xe32ce169,
        0xe580b58d, 0xc6649736, 0x04026e01, 0xd4f3853b, 0xbe66dbfe, 0x3a2a691e, 0xc08489c6,
        0x40b9c5a5, 0x8ce8e99b, 0x4081bc7d, 0xc58e077c, 0x736ce7d4, 0xb9cb8f42, 0x7a9983bd,
        0x744aea59,
    ];

    /// HalfSipHash-1-3 with 32-bit output of the same messages under the
    /// same key: the 32-bit `hsiphash` vectors of Linux's SipHash tests.
    const HSIP13_32: [u32; 64] = [
        0x5814c896, 0xe7e864ca, 0xbc4b0e30, 0x01539939, 0x7e059ea6, 0x88e3d89b, 0xa0080b65,
        0x9d38d9d6, 0x577999b1, 0xc839caed, 0xe4fa32cf, 0x959246ee, 0x6b28096c, 0x66dd9cd6,
        0x16658a7c, 0xd0257b04, 0x8b31d501, 0x2b1cd04b, 0x06712339, 0x522aca67, 0x911bb605,
        0x90a65f0e, 0xf826ef7b, 0x62512deb, 0x57150ad7, 0x5d473507, 0x1ec47442, 0xab64afd3,
        0x0a4100d0, 0x6d2ce652, 0x2331b6a3, 0x08d8791a, 0xbc6dda8d, 0xe0f6c934, 0xb0652033,
        0x9b9851cc, 0x7c46fb7f, 0x732ba8cb, 0xf142997a, 0xfcc9aa1b, 0x05327eb2, 0xe110131c,
        0xf9e5e7c0, 0xa7d708a6, 0x11795ab1, 0x65671619, 0x9f5fff91, 0xd89c5267, 0x007783eb,
        0x95766243, 0xab639262, 0x9c7e1390, 0xc368dda6, 0x38ddc455, 0xfa13d379, 0x979ea4e8,
        0x53ecd77e, 0x2ee80657, 0x33dbb66a, 0xae3f0577, 0x88b4c4cc, 0x3e7f480b, 0x74c1ebf8,
        0x87178304,
    ];

    fn message(len: usize) -> Vec<u8> {
        (0..len as u8).collect()
    }

    #[test]
    fn halfsiphash_2_4_matches_the_reference_vectors() {
        for (len, &want) in HSIP24_32.iter().enumerate() {
            assert_eq!(
                HalfSip24::hash_bytes(KEY, &message(len)),
                want,
                "length {len}"
            );
        }
    }

    #[test]
    fn halfsiphash_1_3_matches_the_hsiphash_vectors() {
        for (len, &want) in HSIP13_32.iter().enumerate() {
            assert_eq!(
                HalfSip13::hash_bytes(KEY, &message(len)),
                want,
                "length {len}"
            );
        }
    }

    #[test]
    fn words_hash_as_their_little_endian_bytes() {
        // Lengths 4, 8, 12, 16 through the word interface.
        let words = [0x0302_0100u32, 0x0706_0504, 0x0b0a_0908, 0x0f0e_0d0c];
        for n in 1..=4 {
            let mut hasher = HalfSip13::new(KEY);
            for &word in &words[..n] {
                hasher.write_u32(word);
            }
            assert_eq!(hasher.finish(), HSIP13_32[4 * n], "{n} words");
        }
        let mut hasher = HalfSip24::new(KEY);
        hasher.write_u64(0x0706_0504_0302_0100);
        assert_eq!(hasher.finish(), HSIP24_32[8]);
    }

    #[test]
    fn a_cloned_prefix_continues_like_the_original() {
        let mut prefix = HalfSip13::new(KEY);
        prefix.write_u32(0x0302_0100);
        let mut longer = prefix;
        longer.write_u32(0x0706_0504);
        assert_eq!(prefix.finish(), HSIP13_32[4]);
        assert_eq!(longer.finish(), HSIP13_32[8]);
    }
}
