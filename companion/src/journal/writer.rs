//! The journal's writer thread: group commit, and retry of a disk that refused.

use std::io;
use std::time::{Duration, Instant};

use super::{Shared, Storage};

/// Runs until the journal is dropped and nothing is left to try.
pub(crate) fn run(shared: &Shared, mut storage: Box<dyn Storage>, mut end: u64) {
    // The group being written: taken from the queue, kept until it is synced.
    let mut group: Vec<u8> = Vec::new();
    let mut group_records = 0u64;
    let mut retry_at: Option<Instant> = None;
    // Failed attempts in the current episode, for the recovery message.
    let mut episode_failures = 0u64;
    loop {
        let mut st = shared.lock();
        // Wait for something to do.
        loop {
            let urgent = st.shutdown || st.flush_asked > st.flush_taken;
            let work = !st.queue.is_empty() || group_records > 0;
            if !work {
                if st.shutdown {
                    st.writer_stopped = true;
                    drop(st);
                    shared.progress.notify_all();
                    return;
                }
                // A flush with nothing to write is answered at once.
                if urgent {
                    st.flush_taken = st.flush_asked;
                    st.flush_done = st.flush_asked;
                    shared.progress.notify_all();
                }
                st = wait(shared, st, None);
                continue;
            }
            if let Some(at) = retry_at {
                let now = Instant::now();
                if !urgent && now < at {
                    st = wait(shared, st, Some(at - now));
                    continue;
                }
            }
            break;
        }
        let window = shared.options.group_window;
        let urgent = st.shutdown || st.flush_asked > st.flush_taken;
        if retry_at.is_none() && group_records == 0 && !urgent && !window.is_zero() {
            // Let the rest of this burst arrive. A flush or shutdown ends the wait early.
            st = wait(shared, st, Some(window));
        }
        let flush_ticket = st.flush_asked;
        st.flush_taken = flush_ticket;
        let shutting_down = st.shutdown;
        group.append(&mut st.queue);
        group_records += std::mem::take(&mut st.queue_records);
        st.inflight_bytes = group.len();
        drop(st);

        let result = write_group(storage.as_mut(), end, &group);

        let mut st = shared.lock();
        match result {
            Ok(()) => {
                end += group.len() as u64;
                st.stats.synced += group_records;
                st.stats.syncs += 1;
                if st.last_error.take().is_some() {
                    tracing::warn!(
                        file = %shared.path.display(),
                        failed_attempts = episode_failures,
                        records = group_records,
                        "journal: the disk takes writes again; records held in memory are now on disk"
                    );
                    st.queue_full_logged = false;
                }
                episode_failures = 0;
                group.clear();
                group_records = 0;
                st.inflight_bytes = 0;
                retry_at = None;
            }
            Err(e) => {
                st.stats.write_errors += 1;
                episode_failures += 1;
                if st.last_error.is_none() {
                    tracing::error!(
                        file = %shared.path.display(),
                        offset = end,
                        error = %e,
                        pending_records = st.stats.appended - st.stats.synced,
                        retry_every_s = shared.options.retry_interval.as_secs_f64(),
                        "journal: write failed; records are kept in memory and retried \
                         (further failures are counted, not logged)"
                    );
                }
                st.last_error = Some(e.to_string());
                // Cut off whatever part of the group reached the file, so that the next
                // attempt rewrites it whole from the same place. If even that fails, the
                // next attempt overwrites it from `end` anyway.
                let _ = storage.truncate(end);
                retry_at = Some(Instant::now() + shared.options.retry_interval);
                if shutting_down {
                    tracing::error!(
                        file = %shared.path.display(),
                        lost_records = group_records + st.queue_records,
                        error = %e,
                        "journal: closed with records that never reached the disk"
                    );
                    st.writer_stopped = true;
                    st.flush_done = flush_ticket;
                    drop(st);
                    shared.progress.notify_all();
                    return;
                }
            }
        }
        st.flush_done = flush_ticket;
        drop(st);
        shared.progress.notify_all();
    }
}

fn write_group(storage: &mut dyn Storage, end: u64, group: &[u8]) -> io::Result<()> {
    storage.write_at(end, group)?;
    storage.sync()
}

fn wait<'a>(
    shared: &'a Shared,
    st: std::sync::MutexGuard<'a, super::State>,
    timeout: Option<Duration>,
) -> std::sync::MutexGuard<'a, super::State> {
    match timeout {
        None => shared
            .wake_writer
            .wait(st)
            .unwrap_or_else(|e| e.into_inner()),
        Some(t) => {
            shared
                .wake_writer
                .wait_timeout(st, t)
                .unwrap_or_else(|e| e.into_inner())
                .0
        }
    }
}
