//! The time drift runs at: now, or `DRIFT_NOW` (RFC 3339) when set — so expiry dates and the
//! history's ages are testable with a fixed clock. The one place drift reads the time.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The current time in UTC (`DRIFT_NOW` when set and valid).
pub fn now() -> OffsetDateTime {
    std::env::var("DRIFT_NOW")
        .ok()
        .and_then(|s| OffsetDateTime::parse(s.trim(), &Rfc3339).ok())
        .unwrap_or_else(OffsetDateTime::now_utc)
        .to_offset(time::UtcOffset::UTC)
}

/// Today's date in UTC.
pub fn today() -> time::Date {
    now().date()
}
