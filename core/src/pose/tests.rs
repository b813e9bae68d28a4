use super::*;

fn pos(lat: f64, lon: f64, alt: f64) -> AmslPosition {
    AmslPosition::new(lat, lon, alt).unwrap()
}

#[test]
fn interpolates_two_series_at_their_own_rates() {
    let mut tl = PoseTimeline::new(150.0, 500).unwrap();
    // Position at 5 Hz flying north-east, attitude at 20 Hz turning 10 deg/s.
    for k in 0..20 {
        let t = 10_000.0 + 200.0 * k as f64;
        let s = (t - 10_000.0) / 1000.0;
        tl.push_position(t, pos(30.0 + 1e-5 * s, 120.0 + 2e-5 * s, 100.0 + s))
            .unwrap();
    }
    for k in 0..80 {
        let t = 10_025.0 + 50.0 * k as f64;
        let yaw = 10.0 * (t - 10_000.0) / 1000.0;
        tl.push_attitude(t, Quat::from_ypr_deg(yaw, 2.0, -1.0))
            .unwrap();
    }
    let t = 11_337.0;
    let p = tl.at(t).unwrap();
    let s = (t - 10_000.0) / 1000.0;
    assert!((p.position.lat_deg - (30.0 + 1e-5 * s)).abs() < 1e-12);
    assert!((p.position.lon_deg - (120.0 + 2e-5 * s)).abs() < 1e-12);
    assert!((p.position.alt_amsl_m - (100.0 + s)).abs() < 1e-9);
    let truth = Quat::from_ypr_deg(10.0 * s, 2.0, -1.0);
    // Slerp between two attitudes 0.5 deg apart deviates from the Euler path by far less
    // than a thousandth of a degree.
    assert!(
        p.q_ned_body.angle_to(truth).to_degrees() < 1e-3,
        "{}",
        p.q_ned_body.angle_to(truth).to_degrees()
    );
    assert_eq!(tl.covered_until_ms(), Some(13_800.0));
}

#[test]
fn refuses_captures_far_from_samples() {
    let mut tl = PoseTimeline::new(100.0, 10).unwrap();
    assert!(matches!(
        tl.at(5.0),
        Err(PoseError::Empty {
            series: Series::Position
        })
    ));
    tl.push_position(1000.0, pos(30.0, 120.0, 50.0)).unwrap();
    tl.push_position(1500.0, pos(30.0, 120.0, 60.0)).unwrap();
    assert!(matches!(
        tl.at(1000.0),
        Err(PoseError::Empty {
            series: Series::Attitude
        })
    ));
    tl.push_attitude(1000.0, Quat::IDENTITY).unwrap();
    tl.push_attitude(1500.0, Quat::IDENTITY).unwrap();
    // In the 500 ms dropout: 1090 is 90 ms from a sample, 1250 is 250 ms.
    assert!((tl.at(1090.0).unwrap().position.alt_amsl_m - 51.8).abs() < 1e-9);
    let e = tl.at(1250.0).unwrap_err();
    assert!(
        matches!(
            e,
            PoseError::Gap {
                series: Series::Position,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("250"), "{e}");
    // After the last sample: held within the gap, refused beyond it.
    assert_eq!(tl.at(1550.0).unwrap().position.alt_amsl_m, 60.0);
    assert!(tl.at(1601.0).is_err());
    assert!(tl.at(f64::NAN).is_err());
    assert!(tl.push_position(-1.0, pos(30.0, 120.0, 1.0)).is_err());
    assert!(AmslPosition::new(95.0, 0.0, 0.0).is_err());
    assert!(PoseTimeline::new(-1.0, 10).is_err());
}

#[test]
fn late_samples_and_capacity() {
    let mut tl = PoseTimeline::new(1000.0, 3).unwrap();
    for t in [100.0, 300.0, 200.0, 400.0] {
        tl.push_position(t, pos(30.0, 120.0, t)).unwrap();
    }
    // The oldest (100) was dropped; 200 was put in its place.
    assert_eq!(tl.position_at(250.0).unwrap().alt_amsl_m, 250.0);
    assert_eq!(tl.position_at(50.0).unwrap().alt_amsl_m, 200.0);
    // A repeat replaces.
    tl.push_position(300.0, pos(30.0, 120.0, 0.0)).unwrap();
    assert_eq!(tl.position_at(300.0).unwrap().alt_amsl_m, 0.0);
}

#[test]
fn longitude_interpolates_across_the_antimeridian() {
    let p = AmslPosition::lerp(pos(0.0, 179.9, 0.0), pos(0.0, -179.9, 0.0), 0.25);
    assert!((p.lon_deg - 179.95).abs() < 1e-9, "{}", p.lon_deg);
    let q = AmslPosition::lerp(pos(0.0, 179.9, 0.0), pos(0.0, -179.9, 0.0), 0.75);
    assert!((q.lon_deg + 179.95).abs() < 1e-9, "{}", q.lon_deg);
    let g = AmslPosition::from_global_position_int(300_000_000, 1_200_000_000, 123_456).unwrap();
    assert_eq!((g.lat_deg, g.lon_deg, g.alt_amsl_m), (30.0, 120.0, 123.456));
}

/// Deterministic pseudo-random numbers for the jitter tests (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn utc_offset_is_robust_to_jitter_and_outliers() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut clock = BootClock::new(15, 500_000_000).unwrap();
    let true_offset_us: i64 = 1_764_379_000_000_000; // UTC at boot
    assert!(matches!(
        clock.boot_ms_to_utc_us(0.0),
        Err(PoseError::NoUtc)
    ));
    assert_eq!(clock.push_system_time(0, 500), Ok(false)); // no GPS time yet
    for k in 0..40 {
        let boot_ms = 1_000 + 1_000 * k as u32;
        // The UTC field is sampled 0..20 ms after the boot field; every 7th one 400 ms late.
        let mut lag_us = (rng.next_f64() * 20_000.0) as i64;
        if k % 7 == 3 {
            lag_us += 400_000;
        }
        let unix = true_offset_us + 1000 * i64::from(boot_ms) + lag_us;
        assert_eq!(clock.push_system_time(unix as u64, boot_ms), Ok(true));
    }
    let utc = clock.boot_ms_to_utc_us(30_000.0).unwrap();
    let expected = true_offset_us + 30_000_000;
    // Median of uniform 0..20 ms lag: ~10 ms, outliers ignored.
    let err_ms = (utc - expected) as f64 / 1000.0;
    assert!((err_ms - 10.0).abs() < 6.0, "{err_ms} ms");
    let back = clock.utc_us_to_boot_ms(utc).unwrap();
    assert!((back - 30_000.0).abs() < 1e-9);
    // A reboot (boot time jumps back) forgets the old offset.
    clock.push_system_time(0, 200).unwrap();
    assert!(matches!(clock.utc_offset_us(), Err(PoseError::NoUtc)));
}

#[test]
fn timesync_uses_the_minimum_rtt_sample() {
    let mut rng = Rng(42);
    let mut clock = BootClock::new(32, 200_000_000).unwrap();
    // FC boot time = companion time - 3.2 s.
    let true_offset_ns: i64 = -3_200_000_000;
    for k in 0..32 {
        let ts1 = 10_000_000_000 + k * 1_000_000_000i64;
        // Asymmetric legs: uplink 1..40 ms, downlink 1..5 ms, except one quiet exchange.
        let (up, down) = if k == 17 {
            (1_000_000, 1_000_000)
        } else {
            (
                1_000_000 + (rng.next_f64() * 39e6) as i64,
                1_000_000 + (rng.next_f64() * 4e6) as i64,
            )
        };
        let tc1 = ts1 + up + true_offset_ns;
        clock.push_timesync(tc1, ts1, ts1 + up + down).unwrap();
    }
    let best = clock.best_timesync().unwrap();
    assert_eq!(best.rtt_ns, 2_000_000);
    assert_eq!(best.offset_ns, true_offset_ns);
    let t = clock.companion_ns_to_boot_ms(20_000_000_000).unwrap();
    assert!((t - 16_800.0).abs() < 1e-6, "{t}");
    assert_eq!(
        clock.boot_ms_to_companion_ns(16_800.0).unwrap(),
        20_000_000_000
    );
    // Requests and stale replies are refused.
    assert_eq!(
        clock.push_timesync(0, 5, 6),
        Err(PoseError::TimesyncRequest)
    );
    assert!(matches!(
        clock.push_timesync(1, 0, 900_000_000),
        Err(PoseError::TimesyncRtt { .. })
    ));
    assert!(matches!(
        BootClock::new(32, 1).unwrap().companion_ns_to_boot_ms(0),
        Err(PoseError::NoTimesync)
    ));
}
