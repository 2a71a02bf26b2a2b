//! Finding every delimiter and line break of delimited text. Fields are a few bytes
//! long, so a search per match (memchr) spends most of its time starting
//! and stopping; here each 64-byte block is compared once into bit masks
//! and the matches are read off their set bits, about three times faster on
//! the benchmark's CSV. Where only counts matter (the framer's fields per
//! record) a mask's bits are counted, not visited.

/// Each 64-byte block of some bytes, as one bit mask per group of targets:
/// bit `i` of mask `g` is set where the block's byte `i` is one of group
/// `g`'s targets. The last, short block is padded and the padding's bits
/// dropped.
pub struct Blocks<'a, const N: usize> {
    bytes: &'a [u8],
    groups: [[u8; 3]; N],
    next: usize,
}

impl<'a, const N: usize> Blocks<'a, N> {
    /// A target may be repeated in its group, to find fewer than three.
    pub fn new(bytes: &'a [u8], groups: [[u8; 3]; N]) -> Self {
        Self {
            bytes,
            groups,
            next: 0,
        }
    }
}

impl<const N: usize> Iterator for Blocks<'_, N> {
    /// Where the block starts, and its masks.
    type Item = (usize, [u64; N]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let base = self.next;
        let rest = self.bytes.get(base..).filter(|r| !r.is_empty())?;
        self.next += 64;
        Some(match rest.first_chunk::<64>() {
            Some(block) => (base, masks(block, self.groups)),
            None => {
                let mut block = [0u8; 64];
                block[..rest.len()].copy_from_slice(rest);
                let mut masks = masks(&block, self.groups);
                for m in &mut masks {
                    *m &= (1u64 << rest.len()) - 1;
                }
                (base, masks)
            }
        })
    }
}

/// The positions of the bytes equal to any of three targets, in order.
pub struct Positions<'a> {
    blocks: Blocks<'a, 1>,
    /// Where the block of `mask` starts.
    base: usize,
    /// The matches of the current block not yet handed out.
    mask: u64,
}

impl<'a> Positions<'a> {
    /// A target may be given twice, to find only two.
    pub fn new(bytes: &'a [u8], targets: [u8; 3]) -> Self {
        Self {
            blocks: Blocks::new(bytes, [targets]),
            base: 0,
            mask: 0,
        }
    }
}

impl Iterator for Positions<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            let (base, [mask]) = self.blocks.next()?;
            (self.base, self.mask) = (base, mask);
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// Bit `i` of mask `g` is set where `block[i]` is one of `groups[g]`:
/// SSE2, part of every x86_64 target, 16 bytes at a compare. Plain loops:
/// it runs for every 64 bytes of a file and must inline whole.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks<const N: usize>(block: &[u8; 64], groups: [[u8; 3]; N]) -> [u64; N] {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut m = [0u64; N];
    // SAFETY: SSE2 is enabled on every x86_64 target, and each load reads
    // the 16 bytes of `part`, unaligned.
    unsafe {
        for (i, part) in block.chunks_exact(16).enumerate() {
            let v = _mm_loadu_si128(part.as_ptr().cast());
            for (m, &[a, b, c]) in m.iter_mut().zip(&groups) {
                let eq = _mm_or_si128(
                    _mm_or_si128(
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(a as i8)),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)),
                    ),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8)),
                );
                *m |= u64::from(_mm_movemask_epi8(eq) as u16) << (i * 16);
            }
        }
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn masks<const N: usize>(block: &[u8; 64], groups: [[u8; 3]; N]) -> [u64; N] {
    let mut m = [0u64; N];
    for (m, &targets) in m.iter_mut().zip(&groups) {
        *m = swar(block, targets);
    }
    m
}

/// The same mask eight bytes at a time in plain integers, for other
/// targets.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn swar(block: &[u8; 64], targets: [u8; 3]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // The high bit of each byte set exactly where the byte is zero.
    let zero = |v: u64| !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7);
    let [a, b, c] = targets.map(|t| u64::from(t) * ONES);
    let mut m = 0u64;
    for (i, word) in block.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let high = zero(w ^ a) | zero(w ^ b) | zero(w ^ c);
        // Gathers the eight high bits into one byte.
        let byte = ((high >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        m |= byte << (i * 8);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes where the targets sit at every offset of a block, in runs and
    /// alone, with every other byte value between them.
    fn sample(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                match state % 7 {
                    0 => b',',
                    1 => b'\n',
                    2 => b'\r',
                    _ => (state >> 8) as u8,
                }
            })
            .collect()
    }

    #[test]
    fn positions_are_every_match_in_order() {
        for len in [0, 1, 63, 64, 65, 127, 128, 1000, 4099] {
            let bytes = sample(len);
            for targets in [[b',', b'\n', b'\r'], [b',', b'\n', b'\n']] {
                let expected: Vec<usize> =
                    (0..len).filter(|&i| targets.contains(&bytes[i])).collect();
                let found: Vec<usize> = Positions::new(&bytes, targets).collect();
                assert_eq!(found, expected, "length {len}, targets {targets:?}");
            }
        }
    }

    #[test]
    fn blocks_mask_each_group_apart() {
        for len in [0, 1, 63, 64, 65, 200] {
            let bytes = sample(len);
            let got: Vec<_> = Blocks::new(&bytes, [[b','; 3], [b'\n', b'\r', b'\r']]).collect();
            let want: Vec<_> = bytes
                .chunks(64)
                .enumerate()
                .map(|(i, block)| {
                    let bits = |targets: &[u8]| {
                        (block.iter().enumerate())
                            .filter(|(_, b)| targets.contains(b))
                            .fold(0u64, |m, (j, _)| m | 1 << j)
                    };
                    (i * 64, [bits(b","), bits(b"\n\r")])
                })
                .collect();
            assert_eq!(got, want, "length {len}");
        }
    }

    #[test]
    fn a_target_of_zero_is_not_found_in_the_padding() {
        let bytes = [1u8, 0, 2, 0, 3];
        assert_eq!(
            Positions::new(&bytes, [0, 9, 9]).collect::<Vec<_>>(),
            [1, 3]
        );
    }

    #[test]
    fn the_portable_mask_is_the_same() {
        let bytes = sample(64 * 50);
        for block in bytes.chunks_exact(64) {
            let block = block.try_into().expect("64 bytes");
            for targets in [[b',', b'\n', b'\r'], [b'\t', 0, 0], [0x80, 0xff, 0x7f]] {
                assert_eq!(swar(block, targets), masks(block, [targets])[0]);
            }
        }
    }
}
