//! DICOM dates and times (DA, TM, DT) as seconds, and the time elapsed between two of
//! them (the SUV decay time).

/// Days since 1970-01-01 of a DICOM date `YYYYMMDD`.
pub(crate) fn parse_da(s: &str) -> Option<i64> {
    let s = s.trim();
    let s: String = s.chars().filter(|c| *c != '.' && *c != '-').collect();
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: i64 = s[4..6].parse().ok()?;
    let d: i64 = s[6..8].parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // days from civil (proleptic Gregorian)
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146097 + doe - 719468)
}

/// Seconds since midnight of a DICOM time `HH[MM[SS[.F+]]]` (or the old `HH:MM:SS.F`).
pub(crate) fn parse_tm(s: &str) -> Option<f64> {
    let s: String = s.trim().chars().filter(|c| *c != ':').collect();
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w.to_string(), f.to_string()),
        None => (s.clone(), String::new()),
    };
    if whole.is_empty()
        || whole.len() % 2 == 1
        || whole.len() > 6
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let h: f64 = whole[0..2].parse().ok()?;
    let m: f64 = if whole.len() >= 4 {
        whole[2..4].parse().ok()?
    } else {
        0.0
    };
    let sec: f64 = if whole.len() >= 6 {
        whole[4..6].parse().ok()?
    } else {
        0.0
    };
    let f: f64 = if frac.is_empty() {
        0.0
    } else {
        format!("0.{frac}").parse().ok()?
    };
    if h >= 24.0 || m >= 60.0 || sec >= 61.0 {
        return None;
    }
    Some(h * 3600.0 + m * 60.0 + sec + f)
}

/// Seconds since 1970-01-01 of a DICOM date-time `YYYYMMDDHHMMSS.F[&ZZXX]` (offset ignored:
/// every time compared comes from one file set).
pub(crate) fn parse_dt(s: &str) -> Option<f64> {
    let s = s.trim();
    let s = s.split(['+', '-']).next()?;
    if s.len() < 8 {
        return None;
    }
    let day = parse_da(&s[..8])?;
    let t = if s.len() > 8 { parse_tm(&s[8..])? } else { 0.0 };
    Some(day as f64 * 86400.0 + t)
}

/// A point in time: seconds since 1970 when the date is known, else seconds since an
/// unknown midnight.
#[derive(Clone, Copy, Debug)]
pub(crate) struct When {
    pub secs: f64,
    pub dated: bool,
}

pub(crate) fn when(
    date: Option<String>,
    time: Option<String>,
    datetime: Option<String>,
) -> Option<When> {
    if let Some(dt) = datetime.as_deref().and_then(parse_dt) {
        return Some(When {
            secs: dt,
            dated: true,
        });
    }
    let t = parse_tm(time.as_deref()?)?;
    match date.as_deref().and_then(parse_da) {
        Some(d) => Some(When {
            secs: d as f64 * 86400.0 + t,
            dated: true,
        }),
        None => Some(When {
            secs: t,
            dated: false,
        }),
    }
}

pub(crate) fn elapsed(from: When, to: When) -> f64 {
    if from.dated && to.dated {
        to.secs - from.secs
    } else {
        // Times of day only: the scan is taken to follow the injection within 24 h.
        (to.secs.rem_euclid(86400.0) - from.secs.rem_euclid(86400.0)).rem_euclid(86400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_da("19700101"), Some(0));
        assert_eq!(parse_da("20000907"), Some(11207));
        assert_eq!(parse_tm("103500.00"), Some(38_100.0));
        assert_eq!(parse_tm("10:35:00.5"), Some(38_100.5));
        assert_eq!(parse_tm("1035"), Some(38_100.0));
        assert_eq!(parse_tm("1x"), None);
        assert_eq!(parse_tm("253500"), None);
        assert_eq!(
            parse_dt("20000907103500"),
            Some(11207.0 * 86400.0 + 38_100.0)
        );
        assert_eq!(
            parse_dt("20000907103500.25+0100"),
            Some(11207.0 * 86400.0 + 38_100.25)
        );
    }

    #[test]
    fn elapsed_across_midnight_without_dates() {
        let a = When {
            secs: 23.0 * 3600.0,
            dated: false,
        };
        let b = When {
            secs: 3600.0,
            dated: false,
        };
        assert_eq!(elapsed(a, b), 2.0 * 3600.0);
    }
}
