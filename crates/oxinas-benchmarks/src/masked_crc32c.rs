//! TFRecord's masked CRC-32C (Castagnoli). The checksum itself comes from the
//! `crc32c` crate, which uses the CPU's CRC instruction where there is one: a
//! full NAS-Bench-101 TFRecord is 2 GB.

/// TFRecord's masked CRC-32C of `data`: rotated right by 15 bits plus a
/// constant, so that a CRC stored in the data does not checksum to itself.
pub(crate) fn masked_crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
        .rotate_right(15)
        .wrapping_add(0xa282_ead8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_check_values() {
        // The CRC catalogue's check value for CRC-32/ISCSI (= CRC-32C), and
        // RFC 3720's test vectors of 32 zero and 32 0xff bytes.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(crc32c::crc32c(&[0u8; 32]), 0x8a91_36aa);
        assert_eq!(crc32c::crc32c(&[0xffu8; 32]), 0x62a8_ab43);
        assert_eq!(crc32c::crc32c(b""), 0);
    }

    #[test]
    fn masking_rotates_and_offsets() {
        // 0xe3069283 rotated right by 15 bits is 0x2507c60d; plus 0xa282ead8.
        assert_eq!(masked_crc32c(b"123456789"), 0xc78a_b0e5);
    }
}
