//! The writer against a disk that fails on demand (the integration tests use a real file
//! size limit; here the failure is exactly ENOSPC, with a partial write before it).

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::record::{CameraRecord, FrameRecord};

fn frame(i: u64) -> Record {
    Record::Frame(FrameRecord {
        boot: 0,
        image_index: i,
        file: format!("DJI_{i:04}.JPG"),
        t_utc_us: 1_800_000_000_000_000 + i as i64 * 2_000_000,
        t_boot_ms: Some(i as f64 * 2000.0),
        width_px: 4000,
        height_px: 3000,
        camera: CameraRecord {
            lat_deg: 27.0,
            lon_deg: 107.0,
            alt_amsl_m: 1100.0,
            height_above_ground_m: Some(80.0),
            roll_deg: 0.0,
            pitch_deg: 0.0,
            yaw_deg: 0.0,
            camera_pitch_deg: -90.0,
            camera_yaw_deg: 0.0,
        },
        detections: 0,
        sightings: 0,
    })
}

/// A file whose disk is "full" while the flag is set: a write then stores half its bytes and
/// fails with ENOSPC, as a real full disk does mid-write.
struct FullableFile {
    file: File,
    full: Arc<AtomicBool>,
}

/// A file whose next fdatasync fails with EIO while the flag is set (the data was written;
/// whether it is durable is unknown, so the journal must rewrite it, not duplicate it).
struct FlakySync {
    file: File,
    fail_sync: Arc<AtomicBool>,
}

impl Storage for FlakySync {
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.file.write_at(offset, bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        if self.fail_sync.swap(false, Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
}

impl Storage for FullableFile {
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        if self.full.load(Ordering::SeqCst) {
            let half = &bytes[..bytes.len() / 2];
            self.file.write_at(offset, half)?;
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        self.file.write_at(offset, bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn capture() -> (Captured, tracing::Dispatch) {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    (captured, tracing::Dispatch::new(subscriber))
}

#[test]
fn a_full_disk_is_logged_once_retried_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(JOURNAL_FILE_NAME);
    let (logs, dispatch) = capture();
    tracing::dispatcher::with_default(&dispatch, || {
        let full = Arc::new(AtomicBool::new(false));
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .unwrap();
        let options = JournalOptions {
            group_window: Duration::ZERO,
            retry_interval: Duration::from_millis(20),
            ..JournalOptions::default()
        };
        let storage = FullableFile {
            file,
            full: Arc::clone(&full),
        };
        let journal = Journal::start(
            &path,
            options,
            Box::new(storage),
            0,
            JournalStats::default(),
        )
        .unwrap();
        for i in 0..5 {
            journal.append(&frame(i)).unwrap();
        }
        journal.flush().unwrap();
        let on_disk_before = std::fs::read(&path).unwrap();

        full.store(true, Ordering::SeqCst);
        for i in 5..50 {
            // The caller is not blocked and not refused.
            journal.append(&frame(i)).unwrap();
        }
        let err = journal.flush().unwrap_err();
        assert!(
            matches!(err, JournalError::NotSynced { pending: 45, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("No space left on device"), "{err}");
        std::thread::sleep(Duration::from_millis(150));
        let stats = journal.stats();
        assert!(stats.write_errors >= 3, "{stats:?}");
        assert_eq!((stats.synced, stats.pending), (5, 45));
        assert!(stats.failing);
        // The partial writes were cut off: the file is exactly what was synced before.
        assert_eq!(std::fs::read(&path).unwrap(), on_disk_before);

        full.store(false, Ordering::SeqCst);
        journal.append(&frame(50)).unwrap();
        journal.flush().unwrap();
        let stats = journal.stats();
        assert_eq!((stats.synced, stats.pending), (51, 0));
        assert!(!stats.failing);
        drop(journal);

        let back = read_journal(&path).unwrap();
        assert_eq!(back.records, (0..51).map(frame).collect::<Vec<_>>());
        assert!(back.damage.is_empty(), "{:?}", back.damage);
    });
    let text = logs.text();
    assert_eq!(
        text.matches("journal: write failed").count(),
        1,
        "one error line per episode:\n{text}"
    );
    assert!(text.contains("No space left on device"), "{text}");
    assert!(text.contains("the disk takes writes again"), "{text}");
}

#[test]
fn a_full_queue_refuses_records_without_blocking() {
    // Every test that makes the journal log runs under a subscriber: a callsite first hit
    // with none can be cached as uninteresting while another test is capturing.
    let (logs, dispatch) = capture();
    tracing::dispatcher::with_default(&dispatch, full_queue_refuses);
    let text = logs.text();
    assert_eq!(text.matches("pending queue full").count(), 1, "{text}");
}

fn full_queue_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(JOURNAL_FILE_NAME);
    let full = Arc::new(AtomicBool::new(true));
    let file = File::create(&path).unwrap();
    // Room for exactly the first ten records (later lines are as long or longer).
    let room: usize = (0..10)
        .map(|i| frame::encode(&frame(i)).unwrap().len())
        .sum();
    let options = JournalOptions {
        group_window: Duration::ZERO,
        retry_interval: Duration::from_secs(60),
        max_pending_bytes: room,
    };
    let journal = Journal::start(
        &path,
        options,
        Box::new(FullableFile {
            file,
            full: Arc::clone(&full),
        }),
        0,
        JournalStats::default(),
    )
    .unwrap();
    let mut refused = 0;
    for i in 0..15 {
        match journal.append(&frame(i)) {
            Ok(_) => {}
            Err(JournalError::QueueFull { .. }) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(refused, 5);
    assert_eq!(journal.stats().refused, 5);
    assert_eq!(journal.stats().appended, 10);
    // The disk comes back; the flush retries at once despite the 60 s retry interval.
    full.store(false, Ordering::SeqCst);
    journal.flush().unwrap();
    assert_eq!(journal.stats().synced, 10);
    drop(journal);
    assert_eq!(read_journal(&path).unwrap().records.len(), 10);
}

#[test]
fn a_record_that_json_cannot_carry_is_refused_with_the_file_named() {
    let (_logs, dispatch) = capture();
    let _guard = tracing::dispatcher::set_default(&dispatch);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(JOURNAL_FILE_NAME);
    let (journal, _) = Journal::open(&path, JournalOptions::default()).unwrap();
    let mut r = frame(0);
    if let Record::Frame(f) = &mut r {
        f.camera.alt_amsl_m = f64::INFINITY;
    }
    let err = journal.append(&r).unwrap_err();
    assert!(matches!(err, JournalError::Encode { .. }), "{err}");
    assert!(err.to_string().contains(JOURNAL_FILE_NAME), "{err}");
    assert_eq!(journal.stats().appended, 0);
}

#[test]
fn a_second_writer_on_the_same_file_is_refused() {
    let (_logs, dispatch) = capture();
    let _guard = tracing::dispatcher::set_default(&dispatch);
    let dir = tempfile::tempdir().unwrap();
    let (_first, _) = Journal::open_in(dir.path()).unwrap();
    let err = Journal::open_in(dir.path()).unwrap_err();
    assert!(matches!(err, JournalError::Locked { .. }), "{err}");
}

#[test]
fn a_failed_fdatasync_rewrites_the_group_once_without_duplicates() {
    let (logs, dispatch) = capture();
    tracing::dispatcher::with_default(&dispatch, || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE_NAME);
        let fail_sync = Arc::new(AtomicBool::new(false));
        let options = JournalOptions {
            group_window: Duration::ZERO,
            retry_interval: Duration::from_millis(10),
            ..JournalOptions::default()
        };
        let storage = FlakySync {
            file: File::create(&path).unwrap(),
            fail_sync: Arc::clone(&fail_sync),
        };
        let journal = Journal::start(
            &path,
            options,
            Box::new(storage),
            0,
            JournalStats::default(),
        )
        .unwrap();
        journal.append(&frame(0)).unwrap();
        journal.flush().unwrap();
        fail_sync.store(true, Ordering::SeqCst);
        let seq = journal.append(&frame(1)).unwrap();
        journal.append(&frame(2)).unwrap();
        // The failed sync is retried after 10 ms and succeeds.
        assert!(journal.wait_synced(seq + 1, Duration::from_secs(2)));
        let stats = journal.stats();
        assert_eq!((stats.write_errors, stats.synced, stats.pending), (1, 3, 0));
        drop(journal);
        let back = read_journal(&path).unwrap();
        assert_eq!(back.records, vec![frame(0), frame(1), frame(2)]);
        assert!(back.damage.is_empty());
    });
    let text = logs.text();
    assert!(text.contains("Input/output error"), "{text}");
}

#[test]
fn the_journal_is_a_record_sink() {
    let (_logs, dispatch) = capture();
    let _guard = tracing::dispatcher::set_default(&dispatch);
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open_in(dir.path()).unwrap();
    let mut sink: Box<dyn RecordSink> = Box::new(journal);
    for i in 0..3 {
        sink.append(&frame(i)).unwrap();
    }
    // Dropping the journal writes what is queued.
    drop(sink);
    let back = read_journal(&dir.path().join(JOURNAL_FILE_NAME)).unwrap();
    assert_eq!(back.records, vec![frame(0), frame(1), frame(2)]);
}
