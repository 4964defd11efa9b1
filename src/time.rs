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
    let secs = unix_ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_ms.rem_euclid(1000)
    )
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

/// Parses a point in time given on the command line, as unix milliseconds: RFC 3339
/// (`2026-11-24T02:59:00Z`, fractional seconds and `±HH:MM` offsets allowed), a date
/// (`2026-11-24`, midnight UTC), or an age (`90s`, `30m`, `2h`, `7d`, `2w`) meaning that long
/// before `now_ms`.
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "{text:?} is not a time: use RFC 3339 (2026-11-24T02:59:00Z), a date (2026-11-24) \
             or an age (30m, 2h, 7d, 2w)"
        )
    };
    if let Some(age) = parse_age_ms(text) {
        return now_ms.checked_sub(age).ok_or_else(bad);
    }
    parse_rfc3339_or_date(text).ok_or_else(bad)
}

/// Parses a fixed instant (no age), as unix milliseconds: RFC 3339 or a date (midnight UTC).
pub fn parse_instant(text: &str) -> Result<i64, String> {
    let text = text.trim();
    parse_rfc3339_or_date(text).ok_or_else(|| {
        format!("{text:?} is not a date (2027-03-31) or an RFC 3339 time (2027-03-31T18:00:00Z)")
    })
}

/// `30m`, `2h`, `7d`, `2w`, `90s` in milliseconds.
fn parse_age_ms(text: &str) -> Option<i64> {
    let unit_at = text.len().checked_sub(1)?;
    let (digits, unit) = text.split_at(unit_at);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds_per_unit: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    digits
        .parse::<i64>()
        .ok()?
        .checked_mul(seconds_per_unit)?
        .checked_mul(1000)
}

fn parse_rfc3339_or_date(text: &str) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let sep = |at: usize, expected: &[u8]| {
        text.as_bytes()
            .get(at)
            .is_some_and(|b| expected.contains(b))
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !sep(4, b"-")
        || !sep(7, b"-")
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
    {
        return None;
    }
    let midnight_ms = days_from_civil(year, month, day) * 86_400_000;
    if text.len() == 10 {
        return Some(midnight_ms);
    }
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !sep(10, b"Tt ")
        || !sep(13, b":")
        || !sep(16, b":")
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = text.get(19..)?;
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Milliseconds are the store's resolution; finer digits are dropped.
        let kept = &fraction[..digits.min(3)];
        millis = kept.parse::<i64>().ok()? * 10_i64.pow(3 - kept.len() as u32);
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (hours, colon, minutes) = (rest.get(1..3)?, rest.get(3..4)?, rest.get(4..)?);
            if colon != ":"
                || minutes.len() != 2
                || !(hours.bytes().chain(minutes.bytes())).all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let (h, m): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 60 + m)
        }
    };
    let seconds = hour * 3600 + minute * 60 + second.min(59) - offset_minutes * 60;
    Some(midnight_ms + seconds * 1000 + millis)
}

/// Serialises unix milliseconds as RFC 3339 UTC with milliseconds (for `serialize_with`).
pub fn serialize_rfc3339<S: serde::Serializer>(unix_ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339_millis(*unix_ms))
}

/// [`serialize_rfc3339`] of an optional time (`null` when absent).
pub fn serialize_opt_rfc3339<S: serde::Serializer>(
    unix_ms: &Option<i64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match unix_ms {
        Some(ms) => s.serialize_str(&rfc3339_millis(*ms)),
        None => s.serialize_none(),
    }
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
    #[test]
    fn command_line_times() {
        let now = 1_735_689_600_000; // 2025-01-01T00:00:00Z
        assert_eq!(parse_time("2025-01-01", now), Ok(now));
        assert_eq!(parse_time("2025-01-01T00:00:00Z", now), Ok(now));
        assert_eq!(parse_time("2025-01-01T01:30:00+01:30", now), Ok(now));
        assert_eq!(
            parse_time("2024-12-31T23:00:00.5-01:00", now),
            Ok(now + 500)
        );
        assert_eq!(
            parse_time("2025-01-01T00:00:00.123456Z", now),
            Ok(now + 123)
        );
        assert_eq!(parse_time("30m", now), Ok(now - 1_800_000));
        assert_eq!(parse_time("2h", now), Ok(now - 7_200_000));
        assert_eq!(parse_time("7d", now), Ok(now - 604_800_000));
        assert_eq!(parse_time("2w", now), Ok(now - 1_209_600_000));
        for bad in [
            "",
            "yesterday",
            "2025-02-30",
            "2025-01-01T25:00:00Z",
            "2025-01-01T00:00:00",
            "3y",
            "d",
            "-2h",
            "2025-01-01T00:00:00+0100",
            "99999999999999999999w",
        ] {
            assert!(parse_time(bad, now).is_err(), "{bad}");
        }
        assert_eq!(
            rfc3339_millis(parse_time("2026-11-24T02:59:00.123Z", now).unwrap()),
            "2026-11-24T02:59:00.123Z"
        );
    }
}
