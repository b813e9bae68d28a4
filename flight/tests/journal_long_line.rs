//! A journal with one intact but huge line (issue 15: `companion export` grew to 2.2 GB on
//! one): the line is reported as damage at its offset and skipped without being read whole,
//! and the records after it are kept. Alone in its test binary, so the process's peak memory
//! is this test's.

use std::io::Write;

use qly_flight::journal::frame::{encode, MAX_LINE_BYTES, MAX_PAYLOAD_BYTES};
use qly_flight::journal::{read_journal, DamageReason};
use qly_flight::record::Record;

mod journal_support;

/// A frame record (the journal tests' shared fixture).
fn frame(i: u64) -> Record {
    Record::Frame(journal_support::frame(i))
}

/// Peak resident memory of this process so far, bytes (Linux).
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

#[test]
fn a_100_mb_line_is_damage_at_its_offset_and_is_never_held_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.qlj");
    let first = encode(&frame(1)).unwrap();
    let last = encode(&frame(2)).unwrap();
    // An intact-looking record line of 100 MB of JSON: a header and one huge array, written
    // in 1 MiB pieces so the test itself never holds it.
    let huge_len: usize = 100 << 20;
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(&first).unwrap();
        f.write_all(format!("qj1 {:08x} 00000000 ", huge_len).as_bytes())
            .unwrap();
        let piece = "0,".repeat(1 << 19);
        let mut written = 0;
        f.write_all(b"[").unwrap();
        written += 1;
        while written + piece.len() < huge_len - 2 {
            f.write_all(piece.as_bytes()).unwrap();
            written += piece.len();
        }
        f.write_all(&vec![b'0'; huge_len - 1 - written]).unwrap();
        f.write_all(b"]\n").unwrap();
        f.write_all(&last).unwrap();
    }
    let before = peak_rss_bytes();
    let contents = read_journal(&path).unwrap();
    let grown = peak_rss_bytes().saturating_sub(before);

    assert_eq!(contents.records, vec![frame(1), frame(2)]);
    assert_eq!(contents.damage.len(), 1, "{:?}", contents.damage);
    let d = &contents.damage[0];
    assert_eq!(d.offset, first.len() as u64);
    let line_len = 22 + huge_len as u64 + 1;
    assert_eq!(d.len, line_len);
    assert_eq!(
        d.reason,
        DamageReason::TooLong {
            len: line_len,
            limit: MAX_LINE_BYTES as u64
        }
    );
    assert!(d.reason.to_string().contains("longer than a record may be"));
    assert_eq!(contents.torn_tail_bytes(), 0);
    // One line buffer of at most MAX_LINE_BYTES (1 MiB) and the reader's 64 KiB, not 100 MB
    // (16 MiB leaves room for the other test of this binary running alongside).
    assert!(
        grown < 16 << 20,
        "reading grew the peak memory by {grown} bytes"
    );
}

#[test]
fn a_record_over_the_payload_bound_is_refused_at_encoding() {
    let mut r = frame(3);
    if let Record::Frame(f) = &mut r {
        f.file = "x".repeat(MAX_PAYLOAD_BYTES);
    }
    let e = encode(&r).unwrap_err().to_string();
    assert!(e.contains("more than a journal record may hold"), "{e}");
}
