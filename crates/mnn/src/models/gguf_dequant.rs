//! Dequantisation of the GGUF block formats that SmolLM2 uses (ggml layout).
//!
//! - Q4_1: blocks of 32 weights in 20 bytes: an f16 scale d, an f16 minimum
//!   m, then 16 bytes of nibbles. Byte j contains element j in its low nibble and
//!   element j + 16 in its high nibble, and w = d·q + m.
//! - Q8_0: blocks of 32 weights in 34 bytes: an f16 scale d, then 32 int8
//!   values q, and w = d·q.
//!
//! Other formats are left to candle's `QTensor::dequantize`.

use candle_core::quantized::GgmlDType;

/// Weights per block in Q4_1 and Q8_0.
pub const BLOCK: usize = 32;

/// Bytes per Q4_1 block.
pub const Q4_1_BYTES: usize = 20;

/// Bytes per Q8_0 block.
pub const Q8_0_BYTES: usize = 34;

fn f16_at(bytes: &[u8], at: usize) -> f32 {
    half_to_f32(u16::from_le_bytes([bytes[at], bytes[at + 1]]))
}

/// Converts IEEE 754 binary16 bits to f32 (exact: every f16 is an f32).
pub fn half_to_f32(bits: u16) -> f32 {
    let sign = if bits & 0x8000 != 0 { -1.0f32 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f32::from(bits & 0x3ff);
    match exponent {
        0 => sign * mantissa * 2f32.powi(-24),
        31 if mantissa == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        _ => sign * (1.0 + mantissa / 1024.0) * 2f32.powi(exponent - 15),
    }
}

/// Dequantises whole Q4_1 blocks, so `bytes.len()` must be a multiple of 20.
pub fn dequantize_q4_1(bytes: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(bytes.len() / Q4_1_BYTES * BLOCK);
    for block in bytes.chunks_exact(Q4_1_BYTES) {
        let scale = f16_at(block, 0);
        let min = f16_at(block, 2);
        let nibbles = &block[4..];
        out.extend(nibbles.iter().map(|b| scale * f32::from(b & 0x0f) + min));
        out.extend(nibbles.iter().map(|b| scale * f32::from(b >> 4) + min));
    }
    out
}

/// Dequantises whole Q8_0 blocks, so `bytes.len()` must be a multiple of 34.
pub fn dequantize_q8_0(bytes: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(bytes.len() / Q8_0_BYTES * BLOCK);
    for block in bytes.chunks_exact(Q8_0_BYTES) {
        let scale = f16_at(block, 0);
        out.extend(block[2..].iter().map(|&q| scale * f32::from(q as i8)));
    }
    out
}

/// Dequantises raw tensor bytes of the formats handled here, or returns
/// `None` for a format left to candle or for a length that is not a whole
/// number of blocks.
pub fn dequantize(dtype: GgmlDType, bytes: &[u8]) -> Option<Vec<f32>> {
    match dtype {
        GgmlDType::Q4_1 if bytes.len().is_multiple_of(Q4_1_BYTES) => Some(dequantize_q4_1(bytes)),
        GgmlDType::Q8_0 if bytes.len().is_multiple_of(Q8_0_BYTES) => Some(dequantize_q8_0(bytes)),
        GgmlDType::F32 if bytes.len().is_multiple_of(4) => Some(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        ),
        GgmlDType::F16 if bytes.len().is_multiple_of(2) => Some(
            bytes
                .chunks_exact(2)
                .map(|b| half_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_core::quantized::{QStorage, QTensor};
    use std::borrow::Cow;

    // f16 bits: 0.5 = 0x3800, -2.0 = 0xc000, 0.25 = 0x3400, 1.0 = 0x3c00.
    fn q4_1_block() -> Vec<u8> {
        let mut block = Vec::new();
        block.extend_from_slice(&0x3800u16.to_le_bytes());
        block.extend_from_slice(&0xc000u16.to_le_bytes());
        for j in 0..16u8 {
            // Low nibble j, high nibble 15 - j.
            block.push(j | ((15 - j) << 4));
        }
        block
    }

    fn q8_0_block() -> Vec<u8> {
        let mut block = Vec::new();
        block.extend_from_slice(&0x3400u16.to_le_bytes());
        for j in 0..32i32 {
            block.push(((j - 16) * 8) as i8 as u8);
        }
        block
    }

    #[test]
    fn half_conversion_known_values() {
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x3555), 0.333_251_95);
        assert_eq!(half_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(half_to_f32(0x7c00), f32::INFINITY);
        assert!(half_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn q4_1_block_formula() {
        let values = dequantize_q4_1(&q4_1_block());
        assert_eq!(values.len(), 32);
        for j in 0..16 {
            assert_eq!(values[j], 0.5 * j as f32 - 2.0, "low nibble {j}");
            assert_eq!(
                values[j + 16],
                0.5 * (15 - j) as f32 - 2.0,
                "high nibble {j}"
            );
        }
    }

    #[test]
    fn q8_0_block_formula() {
        let values = dequantize_q8_0(&q8_0_block());
        assert_eq!(values.len(), 32);
        for (j, value) in values.iter().enumerate() {
            assert_eq!(*value, 0.25 * ((j as i32 - 16) * 8) as f32, "element {j}");
        }
    }

    #[test]
    fn two_blocks_stay_in_order() {
        let mut bytes = q8_0_block();
        let mut second = q8_0_block();
        second[0..2].copy_from_slice(&0x3c00u16.to_le_bytes());
        bytes.extend_from_slice(&second);
        let values = dequantize_q8_0(&bytes);
        assert_eq!(values.len(), 64);
        assert_eq!(values[31], 0.25 * 15.0 * 8.0);
        assert_eq!(values[32], -128.0);
    }

    #[test]
    fn agrees_with_candle() {
        for (dtype, block) in [
            (GgmlDType::Q4_1, q4_1_block()),
            (GgmlDType::Q8_0, q8_0_block()),
        ] {
            let storage = QStorage::from_data(Cow::Borrowed(&block), &Device::Cpu, dtype).unwrap();
            let tensor = QTensor::new(storage, (32,)).unwrap();
            let theirs: Vec<f32> = tensor.dequantize(&Device::Cpu).unwrap().to_vec1().unwrap();
            let ours = dequantize(dtype, &block).unwrap();
            assert_eq!(ours, theirs, "{dtype:?}");
        }
    }

    #[test]
    fn partial_block_is_rejected() {
        assert!(dequantize(GgmlDType::Q4_1, &[0u8; 21]).is_none());
        assert!(dequantize(GgmlDType::Q8_0, &[0u8; 33]).is_none());
        assert!(dequantize(GgmlDType::Q4_0, &[0u8; 18]).is_none());
    }
}
