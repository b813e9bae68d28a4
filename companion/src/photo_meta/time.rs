//! EXIF date-time strings to microseconds since the Unix epoch (proleptic Gregorian, no leap
//! seconds), without a calendar crate: one civil-date formula.

/// Days from 1970-01-01 to the civil date `y-m-d` (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY:MM:DD HH:MM:SS` plus the `SubSecTime` digits (a decimal fraction of a second) as
/// microseconds since the epoch of the same clock (no offset applied). The error is what was
/// expected.
pub fn parse_exif_datetime_us(text: &str, sub_sec: Option<&str>) -> Result<i64, String> {
    const EXPECTED: &str = "`YYYY:MM:DD HH:MM:SS` with a valid date and time";
    let b = text.trim().as_bytes();
    if b.len() < 19
        || b[4] != b':'
        || b[7] != b':'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(EXPECTED.into());
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32, String> {
        let s = std::str::from_utf8(&b[r]).map_err(|_| EXPECTED.to_string())?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return Err(EXPECTED.into());
        }
        s.parse::<u32>().map_err(|_| EXPECTED.to_string())
    };
    let (y, mo, d) = (num(0..4)? as i64, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60
    {
        return Err(EXPECTED.into());
    }
    let mut us = (days_from_civil(y, mo, d) * 86_400 + (h * 3600 + mi * 60 + s) as i64) * 1_000_000;
    if let Some(sub) = sub_sec.map(str::trim).filter(|s| !s.is_empty()) {
        if !sub.bytes().all(|c| c.is_ascii_digit()) {
            return Err("SubSecTimeOriginal of decimal digits".into());
        }
        // Digits are a decimal fraction: "5" is 0.5 s, "123" is 0.123 s; beyond 6 digits cut.
        let digits: String = sub.chars().take(6).collect();
        let frac: i64 = digits
            .parse()
            .map_err(|_| "SubSecTimeOriginal of decimal digits".to_string())?;
        us += frac * 10_i64.pow(6 - digits.len() as u32);
    }
    Ok(us)
}

/// `+HH:MM` / `-HH:MM` (EXIF `OffsetTime*`) as minutes east of UTC.
pub fn parse_utc_offset_min(text: &str) -> Result<i32, String> {
    const EXPECTED: &str = "`+HH:MM` or `-HH:MM` within 14 hours";
    let b = text.trim().as_bytes();
    let sign = match b.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(EXPECTED.into()),
    };
    if b.len() != 6 || b[3] != b':' {
        return Err(EXPECTED.into());
    }
    let two = |i: usize| -> Result<i32, String> {
        match (b[i], b[i + 1]) {
            (x @ b'0'..=b'9', y @ b'0'..=b'9') => Ok(((x - b'0') * 10 + (y - b'0')) as i32),
            _ => Err(EXPECTED.into()),
        }
    };
    let (h, m) = (two(1)?, two(4)?);
    if h > 14 || m > 59 {
        return Err(EXPECTED.into());
    }
    Ok(sign * (h * 60 + m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }

    #[test]
    fn exif_datetimes_with_subseconds() {
        // 2024-05-12T14:03:27Z = 1715522607 s.
        assert_eq!(
            parse_exif_datetime_us("2024:05:12 14:03:27", Some("123")),
            Ok(1_715_522_607_123_000)
        );
        assert_eq!(
            parse_exif_datetime_us("2024:05:12 14:03:27", Some("5")),
            Ok(1_715_522_607_500_000)
        );
        assert!(parse_exif_datetime_us("2024:02:30 10:00:00", None).is_err());
        assert!(parse_exif_datetime_us("    :  :     :  :  ", None).is_err());
        assert!(parse_exif_datetime_us("2024-05-12 14:03:27", None).is_err());
        assert!(parse_exif_datetime_us("2024:05:12 14:03:27", Some("1a")).is_err());
    }

    #[test]
    fn utc_offsets() {
        assert_eq!(parse_utc_offset_min("+08:00"), Ok(480));
        assert_eq!(parse_utc_offset_min("-03:30"), Ok(-210));
        assert!(parse_utc_offset_min("08:00").is_err());
        assert!(parse_utc_offset_min("+8:00").is_err());
    }
}
