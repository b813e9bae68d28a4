//! Child processes in tests: killed when the test ends however it ends, and read line by
//! line with a deadline, so a peer that hangs fails the test instead of hanging it.

use std::io::{BufRead, BufReader, Read};
use std::process::Child;
use std::sync::mpsc::{channel, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// A child process that is killed when dropped (a failing test leaves nothing running).
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of a child's output arriving on a channel, read on a thread (so waiting for one can
/// time out). The thread ends at end of output or when the receiver is dropped.
pub fn lines_of(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits up to `timeout` for a line satisfying `want` and returns it; `None` at the deadline
/// or end of output. Every line read, the wanted one included, is pushed onto `seen`, for
/// the failure message.
pub fn wait_line(
    rx: &Receiver<String>,
    timeout: Duration,
    seen: &mut Vec<String>,
    want: impl Fn(&str) -> bool,
) -> Option<String> {
    let end = Instant::now() + timeout;
    loop {
        let left = end.checked_duration_since(Instant::now())?;
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if want(&line) {
                    return Some(line);
                }
            }
            Err(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn wait_line_returns_the_wanted_line_and_keeps_every_line_read() {
        let rx = lines_of(Cursor::new(
            b"starting\nbound to 127.0.0.1:5760\nmore\n".to_vec(),
        ));
        let mut seen = Vec::new();
        let line = wait_line(&rx, Duration::from_secs(5), &mut seen, |l| {
            l.contains("bound to")
        });
        assert_eq!(line.as_deref(), Some("bound to 127.0.0.1:5760"));
        assert_eq!(seen, ["starting", "bound to 127.0.0.1:5760"]);
        // End of output before the wanted line: `None`, with what came recorded.
        assert_eq!(
            wait_line(&rx, Duration::from_secs(5), &mut seen, |l| l == "never"),
            None
        );
        assert_eq!(seen.last().map(String::as_str), Some("more"));
    }

    #[test]
    fn wait_line_gives_up_at_the_deadline() {
        let (_tx, rx) = channel::<String>();
        let start = Instant::now();
        let mut seen = Vec::new();
        assert_eq!(
            wait_line(&rx, Duration::from_millis(50), &mut seen, |_| true),
            None
        );
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert!(seen.is_empty());
    }
}
