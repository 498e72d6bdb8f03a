//! Authenticator codes (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as an authenticator app
//! computes them, so tests can answer the console's second-factor prompts.
use hmac::{Hmac, Mac};

/// The secret moto hands out for every software-token enrolment (its `COGNITO_TOTP_MFA_SECRET`).
pub const MOTO_SECRET: &str = "asdfasdfasdf";

/// The code for `secret` (base32, as Cognito hands it out) at `unix` seconds.
pub fn code(secret: &str, unix: u64) -> String {
    let key = base32(secret);
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(&(unix / 30).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[offset] & 0x7f, h[offset + 1], h[offset + 2], h[offset + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// The code now.
pub fn code_now(secret: &str) -> String {
    code(secret, std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}

/// RFC 4648 base32, case-insensitive, padding ignored.
fn base32(s: &str) -> Vec<u8> {
    let (mut bits, mut value, mut out) = (0u32, 0u32, Vec::new());
    for c in s.chars().filter(|c| *c != '=') {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => continue,
        };
        value = (value << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_6238_test_vector() {
        // RFC 6238 appendix B: the SHA-1 key "12345678901234567890", at 59 s, 8 digits 94287082.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(code(secret, 59), "287082");
        assert_eq!(code(secret, 1_111_111_109), "081804");
    }
}
