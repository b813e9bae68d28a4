//! A progress bar for plans that take a while: shown only when stderr is a terminal and the
//! plan is still running after [`SHOW_AFTER`], so quick plans and scripts see nothing.
//!
//! The planning library reports no fraction done, so this is a spinner with the elapsed time
//! and the estimate of what is being planned: it says the planner is alive and how big the
//! job is, without inventing a percentage.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use planner::bounds::PlanSize;

/// How long a plan runs before the bar appears.
pub const SHOW_AFTER: Duration = Duration::from_secs(2);

/// The bar's thread; dropping it stops and clears the bar.
pub struct Progress {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub fn start(size: &PlanSize) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress {
                stop: None,
                thread: None,
            };
        }
        let (tx, rx) = mpsc::channel::<()>();
        let message = format!("planning about {:.0} photos ({})", size.photos, size.what);
        let thread = std::thread::spawn(move || {
            if rx.recv_timeout(SHOW_AFTER) != Err(mpsc::RecvTimeoutError::Timeout) {
                return;
            }
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(message);
            bar.enable_steady_tick(Duration::from_millis(200));
            let _ = rx.recv();
            bar.finish_and_clear();
        });
        Progress {
            stop: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // Closing the channel wakes the thread whether the bar is showing or not.
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
