//! Calendar dates in the inventory: install dates, image creation.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date. Written as `YYYY-MM-DD`; read from that, from an RFC 3339
/// timestamp (its UTC date, as image configs carry) or from `YYYYMMDD` (as
/// Windows writes `InstallDate` in Uninstall keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(jiff::civil::Date);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date: expected YYYY-MM-DD, YYYYMMDD or an RFC 3339 timestamp")]
pub struct DateError(pub String);

impl Date {
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let text = text.trim();
        let fail = || DateError(text.to_owned());
        if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
            let year = text
                .get(0..4)
                .and_then(|s| s.parse().ok())
                .ok_or_else(fail)?;
            let month = text
                .get(4..6)
                .and_then(|s| s.parse().ok())
                .ok_or_else(fail)?;
            let day = text
                .get(6..8)
                .and_then(|s| s.parse().ok())
                .ok_or_else(fail)?;
            return jiff::civil::Date::new(year, month, day)
                .map(Date)
                .map_err(|_| fail());
        }
        if text.len() == 10 {
            return text
                .parse::<jiff::civil::Date>()
                .map(Date)
                .map_err(|_| fail());
        }
        text.parse::<jiff::Timestamp>()
            .map(|ts| Date(ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()))
            .map_err(|_| fail())
    }

    pub fn from_civil(date: jiff::civil::Date) -> Date {
        Date(date)
    }

    pub fn civil(self) -> jiff::civil::Date {
        self.0
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        self.0.duration_until(later.0).as_secs() / 86_400
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Date {
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date",
            "description": "A calendar date, YYYY-MM-DD",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_forms_windows_and_oci_use() {
        let d = Date::parse("2021-06-09").unwrap();
        assert_eq!(Date::parse("20210609").unwrap(), d);
        assert_eq!(Date::parse("2021-06-09T23:30:00Z").unwrap(), d);
        assert_eq!(Date::parse("2021-06-10T01:30:00+02:00").unwrap(), d);
        assert_eq!(d.to_string(), "2021-06-09");
        assert!(Date::parse("2021-02-30").is_err());
        assert!(Date::parse("yesterday").is_err());
    }

    #[test]
    fn counts_days_across_leap_years() {
        let a = Date::parse("2024-02-28").unwrap();
        let b = Date::parse("2024-03-01").unwrap();
        assert_eq!(a.days_until(b), 2);
        assert_eq!(b.days_until(a), -2);
        let epoch = Date::parse("1970-01-01").unwrap();
        assert_eq!(epoch.days_until(Date::parse("2000-01-01").unwrap()), 10_957);
    }
}
