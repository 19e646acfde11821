//! CRC32C (Castagnoli), as Google Cloud Storage reports it in `x-goog-hash`, and the base64
//! decoding of that header's values.

/// Incremental CRC32C (reflected polynomial 0x82F63B78), table-driven.
pub(crate) struct Crc32c {
    table: [u32; 256],
    state: u32,
}

impl Crc32c {
    pub(crate) fn new() -> Crc32c {
        let mut table = [0u32; 256];
        for (i, slot) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0x82F6_3B78
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        Crc32c { table, state: !0 }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        let mut c = self.state;
        for &b in data {
            c = self.table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
        }
        self.state = c;
    }

    pub(crate) fn finish(&self) -> u32 {
        !self.state
    }
}

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// Standard base64 with or without padding (and lenient about trailing bits).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes standard base64 (with or without padding); `None` on any other character.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    BASE64.decode(s.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // RFC 3720 B.4 test vector: 32 bytes of zeros
        let mut c = Crc32c::new();
        c.update(&[0u8; 32]);
        assert_eq!(c.finish(), 0x8A91_36AA);
        let mut c = Crc32c::new();
        c.update(b"123456789");
        assert_eq!(c.finish(), 0xE306_9283);
        assert_eq!(
            base64_decode("4waSgw==").unwrap(),
            vec![0xe3, 0x06, 0x92, 0x83]
        );
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert!(base64_decode("a$b").is_none());
    }
}
