//! Provenance of results lines: source revision, host name and UTC time.
//!
//! The UTC date comes from days since 1970-01-01 by the civil-from-days
//! algorithm of H. Hinnant ("chrono-Compatible Low-Level Date Algorithms").
//!
//! ```
//! use lipnet::uci::utc_timestamp;
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29 00:00:00
//! assert_eq!(utc_timestamp(t), "2000-02-29T00:00:00Z");
//! ```

use std::process::Command;
use std::time::SystemTime;

/// Revision and host, read once per sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// `NORMLAB_REV` if set, else `git describe --always --dirty` in the
    /// source folder this binary was built from (read when the sweep starts,
    /// so "dirty" describes the source at that time), else `unknown`.
    pub rev: String,
    /// The kernel host name, else `$HOSTNAME`, else `unknown`.
    pub host: String,
}

impl Stamp {
    /// Reads the revision and host name.
    pub fn detect() -> Self {
        Self {
            rev: detect_rev(),
            host: detect_host(),
        }
    }
}

fn detect_rev() -> String {
    if let Ok(rev) = std::env::var("NORMLAB_REV") {
        return rev;
    }
    let output = Command::new("git")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if text.is_empty() {
                "unknown".into()
            } else {
                text
            }
        }
        _ => "unknown".into(),
    }
}

fn detect_host() -> String {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    from_kernel
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Formats a time as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds); times
/// before 1970 print as 1970-01-01T00:00:00Z.
pub fn utc_timestamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Converts days since 1970-01-01 to (year, month, day) in the proleptic
/// Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_of_known_dates() {
        let at = |s| utc_timestamp(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(86_399), "1970-01-01T23:59:59Z");
        assert_eq!(at(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(at(1_798_761_599), "2026-12-31T23:59:59Z");
        assert_eq!(at(4_102_444_800), "2100-01-01T00:00:00Z");
    }
}
