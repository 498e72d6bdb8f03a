//! Time-based one-time codes (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps, 6 digits, as
//! every authenticator app computes them from a base32 secret. The console checks a code against
//! the step it is in and one step either side (a clock a little off, a code typed as it turned),
//! and the caller keeps the step of the last code accepted so no code is used twice.
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Steps of drift accepted either side of now.
pub const DRIFT_STEPS: i64 = 1;

/// The step `unix` falls in.
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECONDS)
}

/// The 6-digit code of `secret` for `step`.
pub fn code(secret: &[u8], step: i64) -> String {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret) else { return String::new() };
    mac.update(&(step.max(0) as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// The step, within the drift of `now`'s, whose code `typed` is (the latest if several), if any.
/// Every candidate is compared in constant time.
pub fn matching_step(secret: &[u8], typed: &str, now: i64) -> Option<i64> {
    let typed = typed.trim();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let here = step_of(now);
    let mut found = None;
    for step in here - DRIFT_STEPS..=here + DRIFT_STEPS {
        if bool::from(code(secret, step).as_bytes().ct_eq(typed.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (what authenticator apps take).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The bytes of a base32 secret (case and spaces ignored); `None` for anything else.
pub fn from_base32(s: &str) -> Option<Vec<u8>> {
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET.iter().position(|a| *a as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 test vectors (its 20-byte ASCII secret), 8 digits there: the last 6 here.
    #[test]
    fn the_rfc_vectors_hold() {
        let secret = b"12345678901234567890";
        for (unix, eight) in [(59, "94287082"), (1_111_111_109, "07081804"), (1_234_567_890, "89005924"), (2_000_000_000, "69279037")] {
            assert_eq!(code(secret, step_of(unix)), eight[2..], "{unix}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        let here = step_of(now);
        for (step, accepted) in [(here - 2, false), (here - 1, true), (here, true), (here + 1, true), (here + 2, false)] {
            assert_eq!(matching_step(secret, &code(secret, step), now), accepted.then_some(step), "{step}");
        }
        assert_eq!(matching_step(secret, "12345", now), None);
        assert_eq!(matching_step(secret, "12a456", now), None);
    }

    #[test]
    fn base32_round_trips_and_refuses_other_letters() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar", &[0xff; 20]] {
            assert_eq!(from_base32(&base32(bytes)).unwrap(), bytes);
        }
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(from_base32("mzxw 6ytb oi").unwrap(), b"foobar");
        assert_eq!(from_base32("MZXW1"), None);
    }
}
