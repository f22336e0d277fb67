//! Encoding round trips, and that no bytes or words decode to a panic.

use proptest::prelude::*;

use super::*;

/// As `userlib::message` encodes a payload.
fn encode_pressure(pressure: &Pressure, buffer: &mut [u8]) -> usize {
    postcard::to_slice(pressure, buffer).unwrap().len()
}

/// As `userlib::message` decodes a payload: exactly, trailing bytes are
/// malformed.
fn decode_pressure(bytes: &[u8]) -> Result<Pressure, ProtocolError> {
    match postcard::take_from_bytes(bytes) {
        Ok((pressure, [])) => Ok(pressure),
        _ => Err(ProtocolError::BadPayload),
    }
}

fn pressure() -> impl Strategy<Value = Pressure> {
    (
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
        ),
        (
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
        ),
        any::<bool>(),
    )
        .prop_map(
            |(
                (ram, committed, cache, tmem, sd),
                (refaults, ins_tmem, ins_sd, outs_tmem, outs_sd, faults),
                busy,
            )| Pressure {
                ram,
                committed,
                cache,
                tmem,
                sd,
                refaults,
                ins_tmem,
                ins_sd,
                outs_tmem,
                outs_sd,
                faults,
                busy,
            },
        )
}

fn refusal() -> impl Strategy<Value = Refusal> {
    prop_oneof![
        Just(Refusal::Malformed),
        Just(Refusal::NotAFrame),
        Just(Refusal::NotOwed),
        Just(Refusal::ReserveEmpty),
        Just(Refusal::UnknownGuest),
        Just(Refusal::Failed),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        Just(Request::Report),
        Just(Request::Give),
        Just(Request::Take)
    ]
}

proptest! {
    #[test]
    fn pressure_reports_round_trip(p in pressure()) {
        let mut buffer = [0u8; 128];
        let len = encode_pressure(&p, &mut buffer);
        prop_assert_eq!(decode_pressure(&buffer[..len]), Ok(p));
        // A truncated or padded payload is refused, not misread.
        prop_assert_eq!(decode_pressure(&buffer[..len - 1]), Err(ProtocolError::BadPayload));
        prop_assert_eq!(decode_pressure(&buffer[..len + 1]), Err(ProtocolError::BadPayload));
    }

    #[test]
    fn any_bytes_decode_to_a_report_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = decode_pressure(&bytes);
    }

    #[test]
    fn requests_round_trip_and_other_words_are_unknown(r in request(), word in 4u32..) {
        prop_assert_eq!(Request::decode(&[r.word(), 7, 7]), Ok(r));
        prop_assert_eq!(Request::decode(&[word]), Err(ProtocolError::UnknownCode));
        prop_assert_eq!(Request::decode(&[0]), Err(ProtocolError::UnknownCode));
    }

    #[test]
    fn replies_round_trip(frames in any::<u32>(), period_ms in any::<u32>(), why in refusal(), r in request()) {
        let target = Reply::Target { frames, period_ms };
        let (words, len) = target.encode();
        prop_assert_eq!(Reply::decode(Request::Report, &words[..len]), Ok(target));
        for reply in [Reply::Done, Reply::Stop, Reply::Refused(why)] {
            let (words, len) = reply.encode();
            if reply == Reply::Done && r == Request::Report {
                // A report is answered with a target, never a bare done:
                // three words are needed.
                prop_assert_eq!(Reply::decode(r, &words[..len]), Err(ProtocolError::TooShort));
            } else {
                prop_assert_eq!(Reply::decode(r, &words[..len]), Ok(reply));
            }
        }
    }

    #[test]
    fn any_words_decode_to_a_reply_or_an_error(words in proptest::collection::vec(any::<u32>(), 0..4), r in request()) {
        let _ = Reply::decode(r, &words);
    }
}

#[test]
fn short_and_unknown_replies_are_errors() {
    assert_eq!(
        Reply::decode(Request::Take, &[]),
        Err(ProtocolError::TooShort)
    );
    assert_eq!(
        Reply::decode(Request::Take, &[2]),
        Err(ProtocolError::TooShort)
    );
    assert_eq!(
        Reply::decode(Request::Take, &[2, 99]),
        Err(ProtocolError::UnknownCode)
    );
    assert_eq!(
        Reply::decode(Request::Give, &[3]),
        Err(ProtocolError::UnknownCode)
    );
    assert_eq!(Request::decode(&[]), Err(ProtocolError::TooShort));
}
