//! Ground reports as STATUSTEXT: short enough for one message, rate-limited so a burst of
//! detections cannot flood the telemetry radio, and never blocking the detector.
//!
//! STATUSTEXT holds 50 bytes. A report reads `QLY outfall 0.87 27.054712,106.952713`:
//! prefix, class, confidence with two decimals, WGS-84 latitude and longitude with six
//! decimals (~0.1 m). Ground stations (MAVProxy, QGC, Mission Planner) show STATUSTEXT from
//! any component, so the report is broadcast.

use std::collections::VecDeque;
use std::time::Duration;

/// STATUSTEXT's text field length.
pub const STATUSTEXT_LEN: usize = 50;

/// What happened to a report handed to [`ReportQueue::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    /// Waiting to be sent.
    Queued,
    /// Waiting; the queue was full, so the oldest waiting report was dropped.
    DroppedOldest,
    /// Not queued: latitude/longitude out of range or not finite.
    Invalid,
}

/// Formats one report; `None` when the coordinates are not a position. The class is cut
/// (at a character boundary) so the whole text fits in [`STATUSTEXT_LEN`] bytes.
pub fn format_report(
    prefix: &str,
    class: &str,
    confidence: f32,
    lat_deg: f64,
    lon_deg: f64,
) -> Option<String> {
    if !(lat_deg.is_finite()
        && lon_deg.is_finite()
        && (-90.0..=90.0).contains(&lat_deg)
        && (-180.0..=180.0).contains(&lon_deg))
    {
        return None;
    }
    let conf = if confidence.is_finite() {
        confidence.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let tail = format!(" {conf:.2} {lat_deg:.6},{lon_deg:.6}");
    let class: String = class
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    let room = STATUSTEXT_LEN.saturating_sub(prefix.len() + 1 + tail.len());
    let mut cut = class.len().min(room);
    while !class.is_char_boundary(cut) {
        cut -= 1;
    }
    Some(format!("{prefix} {}{tail}", &class[..cut]))
}

/// Waiting reports and a token bucket that lets at most `max_per_s` through per second
/// (bursts of one).
#[derive(Debug, Clone)]
pub struct ReportQueue {
    queue: VecDeque<String>,
    capacity: usize,
    interval: Duration,
    next_send: Option<Duration>,
    /// Reports dropped because the queue was full.
    pub dropped: u64,
    /// Reports handed out for sending.
    pub sent: u64,
}

impl ReportQueue {
    pub fn new(capacity: usize, max_per_s: f64) -> Self {
        ReportQueue {
            queue: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
            interval: Duration::from_secs_f64(1.0 / max_per_s.max(1e-3)),
            next_send: None,
            dropped: 0,
            sent: 0,
        }
    }

    pub fn push(&mut self, text: String) -> Queued {
        let mut outcome = Queued::Queued;
        while self.queue.len() >= self.capacity {
            self.queue.pop_front();
            self.dropped += 1;
            outcome = Queued::DroppedOldest;
        }
        self.queue.push_back(text);
        outcome
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The next report to send at `now` (any monotonic time base), if the rate allows.
    pub fn pop_due(&mut self, now: Duration) -> Option<String> {
        if self.next_send.is_some_and(|t| now < t) {
            return None;
        }
        let text = self.queue.pop_front()?;
        self.next_send = Some(now + self.interval);
        self.sent += 1;
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_documented_and_fits() {
        let t = format_report("QLY", "outfall", 0.871, 27.054712, 106.952713).unwrap();
        assert_eq!(t, "QLY outfall 0.87 27.054712,106.952713");
        let long = format_report("QLY", "very long class name here", 1.0, -89.5, -179.25).unwrap();
        assert!(long.len() <= STATUSTEXT_LEN, "{long} {}", long.len());
        assert!(long.ends_with(" 1.00 -89.500000,-179.250000"), "{long}");
        let cjk = format_report("QLY", "排污口排污口排污口", 0.5, -89.5, -179.25).unwrap();
        assert!(cjk.len() <= STATUSTEXT_LEN);
        assert!(format_report("QLY", "x", 0.5, 91.0, 0.0).is_none());
        assert!(format_report("QLY", "x", 0.5, f64::NAN, 0.0).is_none());
    }

    #[test]
    fn rate_limit_and_drop_oldest() {
        let mut q = ReportQueue::new(2, 2.0);
        assert_eq!(q.push("a".into()), Queued::Queued);
        assert_eq!(q.push("b".into()), Queued::Queued);
        assert_eq!(q.push("c".into()), Queued::DroppedOldest);
        assert_eq!(q.dropped, 1);
        let t0 = Duration::from_secs(10);
        assert_eq!(q.pop_due(t0).as_deref(), Some("b"));
        assert_eq!(q.pop_due(t0 + Duration::from_millis(499)), None);
        assert_eq!(
            q.pop_due(t0 + Duration::from_millis(500)).as_deref(),
            Some("c")
        );
        assert_eq!(q.pop_due(t0 + Duration::from_secs(5)), None);
        assert_eq!(q.sent, 2);
    }
}
