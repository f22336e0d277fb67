//! The checkable part of the victim partitions, tested on the host: what
//! the echo server answers, what the frame worker writes, and what a
//! victim's configuration says.
//!
//! Victims do work whose every result they can check while a hostile
//! partition (`test-fuzzer`) attacks the kernel beside them. Everything
//! here is a pure function of its inputs, so a reply or a word that comes
//! back different is the kernel's doing. Nothing here may depend on
//! timing, on the kernel, or on state shared between calls.
#![no_std]

#[cfg(test)]
extern crate std;

/// The badge on the echo client's capability to the echo server (the
/// system description must give it this one).
pub const ECHO_CLIENT_BADGE: u32 = 0x51;

/// The badge on the fuzzer's capability to the echo server.
pub const FUZZER_BADGE: u32 = 0xF022;

/// A 32-bit mixing function (the MurmurHash3 finaliser): every input bit
/// affects every output bit.
pub const fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x85EB_CA6B);
    x ^= x >> 13;
    x = x.wrapping_mul(0xC2B2_AE35);
    x ^= x >> 16;
    x
}

/// The echo server's reply to a message of `len` words `words` (those past
/// `len` are 0 as received) from a capability badged `badge`: four words,
/// each depending on every input, so a lost, swapped or altered word or a
/// wrong badge or length shows.
pub const fn echo_reply(words: [u32; 4], len: u8, badge: u32) -> [u32; 4] {
    let all =
        words[0] ^ words[1].rotate_left(8) ^ words[2].rotate_left(16) ^ words[3].rotate_left(24);
    let seed = mix(all ^ badge.rotate_left(5) ^ (len as u32).rotate_left(29));
    [
        words[0] ^ seed,
        words[1].wrapping_add(seed),
        words[2] ^ mix(seed),
        words[3].wrapping_sub(badge) ^ len as u32 ^ seed.rotate_left(11),
    ]
}

/// The words a message of `len` (at most 4) words carries: `words` with
/// those past `len` cleared, as the receiver sees them.
pub const fn as_received(words: [u32; 4], len: u8) -> [u32; 4] {
    let mut out = [0; 4];
    let mut i = 0;
    while i < 4 && i < len as usize {
        out[i] = words[i];
        i += 1;
    }
    out
}

/// The word the frame worker writes at word `index` of its frame in round
/// `round`.
pub const fn frame_word(round: u32, index: u32) -> u32 {
    mix(round.wrapping_mul(0x9E37_79B9) ^ index) ^ index
}

/// What a victim does: its typed configuration,
/// `config = { role = "echo-client", watch = 7, min_rounds = 100 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// What to do.
    pub role: Role,
    /// The partition (by index) whose end the victim waits for: it works
    /// until that partition is no longer running ...
    pub watch: u32,
    /// ... and it has done at least this many rounds of work.
    #[serde(default)]
    pub min_rounds: u32,
}

/// A victim's job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A passive server answering every message with [`echo_reply`].
    EchoServer,
    /// Calls the echo server and checks every reply word.
    EchoClient,
    /// Writes its frame through one mapping and checks it through another.
    FrameWorker,
    /// Thread 0 is an echo client, thread 1 a frame worker.
    Both,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_changes_the_echo_reply() {
        let base = echo_reply([1, 2, 3, 4], 4, 7);
        assert_ne!(echo_reply([1, 2, 3, 5], 4, 7), base, "a word");
        assert_ne!(echo_reply([2, 1, 3, 4], 4, 7), base, "swapped words");
        assert_ne!(echo_reply([1, 2, 3, 4], 3, 7), base, "the length");
        assert_ne!(echo_reply([1, 2, 3, 4], 4, 8), base, "the badge");
        for i in 0..4 {
            let mut words = [1, 2, 3, 4];
            words[i] ^= 1 << 31;
            let reply = echo_reply(words, 4, 7);
            assert!(
                (0..4).all(|j| reply[j] != base[j]),
                "word {i}: {reply:x?} vs {base:x?}"
            );
        }
    }

    #[test]
    fn received_words_past_the_length_are_zero() {
        assert_eq!(as_received([1, 2, 3, 4], 2), [1, 2, 0, 0]);
        assert_eq!(as_received([1, 2, 3, 4], 0), [0; 4]);
        assert_eq!(as_received([1, 2, 3, 4], 4), [1, 2, 3, 4]);
        assert_eq!(as_received([1, 2, 3, 4], 9), [1, 2, 3, 4]);
    }

    #[test]
    fn frame_words_differ_by_round_and_index() {
        assert_ne!(frame_word(0, 0), frame_word(1, 0));
        assert_ne!(frame_word(0, 0), frame_word(0, 1));
        let distinct = (0..4096)
            .map(|i| frame_word(3, i))
            .collect::<std::collections::BTreeSet<_>>();
        assert_eq!(distinct.len(), 4096);
    }
}
