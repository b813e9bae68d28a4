//! Mutations: byte-level (flips, interesting values, chunk deletion, duplication and long
//! repetition, splicing) and text-aware (numbers replaced by edge values, tokens of the
//! target's format inserted). Repeating a chunk is what makes deep nesting, huge lines and
//! long coordinate lists, the inputs that found this project's hangs.

use crate::rng::Rng;

const INTERESTING_BYTES: &[u8] = &[
    0, 1, 0x7f, 0x80, 0xff, 0xfd, 0xfe, b'\n', b'"', b'<', b'>', b'{', b'}', b'[', b']', b',',
    b'-', b'.', b'e', b' ', b'\\',
];
const INTERESTING_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e-320",
    "180",
    "-180",
    "180.0000001",
    "90",
    "-90.5",
    "360",
    "13.0",
    "-169",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999",
    "0.000000001",
    "65535",
    "255",
];
const INTERESTING_U32: &[u32] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0xffff_ffff,
];

/// One mutated input from `base` (and sometimes `other`, for splicing), at most `max_len`.
pub fn mutate(rng: &mut Rng, base: &[u8], other: &[u8], dict: &[&[u8]], max_len: usize) -> Vec<u8> {
    let mut data = base.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        step(rng, &mut data, other, dict, max_len);
    }
    data.truncate(max_len);
    data
}

fn step(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8], dict: &[&[u8]], max_len: usize) {
    if data.is_empty() {
        data.push(b'0');
    }
    let len = data.len();
    match rng.below(12) {
        0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 => {
            let i = rng.below(len);
            data[i] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
        }
        2 => {
            let i = rng.below(len);
            data[i] = data[i].wrapping_add((rng.below(33) as u8).wrapping_sub(16));
        }
        3 => {
            // Delete a chunk.
            let i = rng.below(len);
            let n = 1 + rng.below(64.min(len - i));
            data.drain(i..i + n);
        }
        4 => {
            // Duplicate a chunk somewhere.
            let (i, n) = chunk(rng, len);
            let piece = data[i..i + n].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, piece);
        }
        5 => {
            // Repeat a chunk many times in place: deep nesting, long lines, long lists.
            let (i, n) = chunk(rng, len);
            let piece = data[i..i + n].to_vec();
            let room = max_len.saturating_sub(len) / n.max(1);
            let times = 1 + rng.below(room.clamp(1, 20_000));
            let mut rep = Vec::with_capacity(piece.len() * times);
            for _ in 0..times {
                rep.extend_from_slice(&piece);
            }
            data.splice(i..i, rep);
        }
        6 if !dict.is_empty() => {
            let token = dict[rng.below(dict.len())];
            let at = rng.below(len + 1);
            data.splice(at..at, token.iter().copied());
        }
        7 if !other.is_empty() => {
            // Splice: a prefix of this input, a suffix of another.
            let cut = rng.below(len + 1);
            let from = rng.below(other.len());
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        8 => replace_number(rng, data),
        9 if len >= 4 => {
            let i = rng.below(len - 3);
            let v = INTERESTING_U32[rng.below(INTERESTING_U32.len())];
            let bytes = if rng.chance(2) {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            };
            let n = if rng.chance(2) { 4 } else { 2 };
            data[i..i + n].copy_from_slice(&bytes[..n]);
        }
        10 => {
            let at = rng.below(len + 1);
            data.truncate(at);
        }
        _ => {
            // Swap two chunks' first bytes (reorders tokens in text).
            let a = rng.below(len);
            let b = rng.below(len);
            data.swap(a, b);
        }
    }
    data.truncate(max_len);
}

fn chunk(rng: &mut Rng, len: usize) -> (usize, usize) {
    let i = rng.below(len);
    let n = 1 + rng.below(256.min(len - i));
    (i, n)
}

/// Replaces a run of ASCII number characters with an edge value.
fn replace_number(rng: &mut Rng, data: &mut Vec<u8>) {
    let is_num = |b: u8| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'e' || b == b'+';
    let starts: Vec<usize> = (0..data.len())
        .filter(|&i| data[i].is_ascii_digit() && (i == 0 || !is_num(data[i - 1])))
        .collect();
    if starts.is_empty() {
        return;
    }
    let s = starts[rng.below(starts.len())];
    let mut e = s;
    while e < data.len() && is_num(data[e]) {
        e += 1;
    }
    let value = INTERESTING_NUMBERS[rng.below(INTERESTING_NUMBERS.len())];
    data.splice(s..e, value.bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_reproducible_and_bounded() {
        let base = br#"{"a": [1.5, 2, 3]}"#;
        for i in 0..500 {
            let a = mutate(&mut Rng::for_input(7, i), base, b"<x/>", &[b"<y>"], 4096);
            let b = mutate(&mut Rng::for_input(7, i), base, b"<x/>", &[b"<y>"], 4096);
            assert_eq!(a, b);
            assert!(a.len() <= 4096);
        }
        let differ = (0..100)
            .filter(|&i| mutate(&mut Rng::for_input(7, i), base, b"", &[], 4096) != base)
            .count();
        assert!(differ > 80, "{differ} of 100 inputs changed");
    }
}
