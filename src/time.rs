//! UTC calendar arithmetic (no time-zone database needed): report timestamps and
//! allowed_signers validity times.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds of a `SystemTime`; instants before 1970 count as negative.
pub fn unix_seconds(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Parses `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, optionally suffixed `Z` or `UTC`.
///
/// Deliberate difference from ssh-keygen: a timestamp without a suffix is read as UTC, not
/// the machine's local zone, so a policy verifies the same on every machine.
pub fn parse_ssh_timestamp(text: &str) -> Result<i64, String> {
    let digits = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix('z'))
        .or_else(|| text.strip_suffix("UTC"))
        .unwrap_or(text);
    let bad = || format!("{text:?} is not a timestamp YYYYMMDD[HHMM[SS]][Z]");
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let field = |range: std::ops::Range<usize>| -> Result<i64, String> {
        digits
            .get(range)
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (year, month, day) = (field(0..4)?, field(4..6)?, field(6..8)?);
    let (hour, minute) = if digits.len() >= 12 {
        (field(8..10)?, field(10..12)?)
    } else {
        (0, 0)
    };
    let second = if digits.len() == 14 {
        field(12..14)?
    } else {
        0
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad());
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// RFC 3339 UTC with milliseconds, for reports: `2026-11-24T02:59:00.123Z`.
pub fn rfc3339_millis(unix_ms: i64) -> String {
    let (date_time, millis) = (rfc3339_seconds(unix_ms), unix_ms.rem_euclid(1000));
    format!("{}.{millis:03}Z", date_time.trim_end_matches('Z'))
}

/// RFC 3339 UTC to the second, for tables: `2026-11-24T02:59:00Z`.
pub fn rfc3339_seconds(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses RFC 3339 (`2026-12-01T06:00:00Z`, optional fraction, `Z` or `±HH:MM`) to unix ms.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not an RFC 3339 time such as 2026-12-01T06:00:00Z");
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !matches!(bytes[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    let digits = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let part = text.get(range).ok_or_else(bad)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse::<i64>().map_err(|_| bad())
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|(at, c)| bytes[*at] != *c) {
        return Err(bad());
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return Err(bad());
        }
        let first3 = format!("{:0<3}", &fraction[..len.min(3)]);
        millis = first3.parse::<i64>().map_err(|_| bad())?;
        rest = &fraction[len..];
    }
    let offset_secs = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(bad()),
            };
            let (h, m) = rest[1..].split_once(':').ok_or_else(bad)?;
            if h.len() != 2 || m.len() != 2 {
                return Err(bad());
            }
            let (h, m) = (
                h.parse::<i64>().map_err(|_| bad())?,
                m.parse::<i64>().map_err(|_| bad())?,
            );
            if h > 23 || m > 59 {
                return Err(bad());
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_secs;
    Ok(secs * 1000 + millis)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date, counting in 400-year eras that
/// start on March 1st so the leap day falls at the end of each year.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_with_offsets_and_fractions() {
        let base = parse_rfc3339("2026-12-01T06:00:00Z").unwrap();
        assert_eq!(rfc3339_seconds(base), "2026-12-01T06:00:00Z");
        assert_eq!(parse_rfc3339("2026-12-01T07:30:00+01:30").unwrap(), base);
        assert_eq!(
            parse_rfc3339("2026-12-01T06:00:00.25Z").unwrap(),
            base + 250
        );
        for bad in [
            "2026-12-01",
            "2026-13-01T00:00:00Z",
            "2026-12-01T06:00:00",
            "x",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_the_three_lengths() {
        assert_eq!(parse_ssh_timestamp("19700101").unwrap(), 0);
        assert_eq!(parse_ssh_timestamp("20250101Z").unwrap(), 1_735_689_600);
        assert_eq!(parse_ssh_timestamp("202501010130").unwrap(), 1_735_695_000);
        assert_eq!(
            parse_ssh_timestamp("20240229235959UTC").unwrap(),
            1_709_251_199
        );
    }

    #[test]
    fn rejects_impossible_dates() {
        for bad in [
            "2025",
            "20230229",
            "20251301",
            "202501012460",
            "2025010a",
            "",
            "Z",
        ] {
            assert!(parse_ssh_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips_through_formatting() {
        for t in [0, 1_709_251_199, 4_102_444_800, -86_400] {
            let text = format_utc(t);
            let compact: String = text.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(
                parse_ssh_timestamp(&compact).unwrap_or(i64::MIN),
                t,
                "{text}"
            );
        }
        assert_eq!(format_utc(1_735_695_000), "2025-01-01 01:30:00 UTC");
    }
}
