//! The `date_time` fact, following Ansible's `facts/system/date_time.py`.

use super::sys::LocalTime;
use crate::json::{obj, Value};
use crate::time::civil_from_days;

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Broken-down UTC time of `secs`, for hosts without `localtime_r`.
pub(crate) fn utc_time(secs: i64) -> LocalTime {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let yearday = days - days_from_civil(year, 1, 1);
    LocalTime {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        minute: (rem % 3600 / 60) as u32,
        second: (rem % 60) as u32,
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7) as u32,
        yearday: u32::try_from(yearday).unwrap_or(0),
        gmtoff: 0,
        zone: "UTC".to_string(),
    }
}

/// `strftime("%z")`: `+0100`, `-0530`.
fn utc_offset(gmtoff: i64) -> String {
    let sign = if gmtoff < 0 { '-' } else { '+' };
    let minutes = gmtoff.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

/// The `date_time` object for the instant `secs.micros`, given its local
/// broken-down time and the C library's daylight-saving zone name
/// (`time.tzname[1]`). Keys are sorted as Ansible prints them; every value
/// is a string.
pub(crate) fn date_time_value(secs: i64, micros: u32, local: &LocalTime, tz_dst: &str) -> Value {
    let utc = utc_time(secs);
    let date = format!("{:04}-{:02}-{:02}", local.year, local.month, local.day);
    let time = format!("{:02}:{:02}:{:02}", local.hour, local.minute, local.second);
    let basic_short = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        local.year, local.month, local.day, local.hour, local.minute, local.second
    );
    let utc_base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second
    );
    // %W: week of the year with Monday as its first day.
    let monday_based = (local.weekday + 6) % 7;
    let weeknumber = (local.yearday + 7 - monday_based) / 7;
    let s = Value::str;
    obj([
        ("date", s(date)),
        ("day", s(format!("{:02}", local.day))),
        ("epoch", s(secs.to_string())),
        ("epoch_int", s(secs.to_string())),
        ("hour", s(format!("{:02}", local.hour))),
        ("iso8601", s(format!("{utc_base}Z"))),
        ("iso8601_basic", s(format!("{basic_short}{micros:06}"))),
        ("iso8601_basic_short", s(basic_short)),
        ("iso8601_micro", s(format!("{utc_base}.{micros:06}Z"))),
        ("minute", s(format!("{:02}", local.minute))),
        ("month", s(format!("{:02}", local.month))),
        ("second", s(format!("{:02}", local.second))),
        ("time", s(time)),
        ("tz", s(local.zone.clone())),
        ("tz_dst", s(tz_dst.to_string())),
        ("tz_offset", s(utc_offset(local.gmtoff))),
        (
            "weekday",
            s(WEEKDAYS[(local.weekday % 7) as usize].to_string()),
        ),
        ("weekday_number", s(local.weekday.to_string())),
        ("weeknumber", s(format!("{weeknumber:02}"))),
        ("year", s(format!("{:04}", local.year))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_instant() {
        // 2023-11-14T22:13:20.123456Z, a Tuesday in week 46.
        let local = utc_time(1_700_000_000);
        assert_eq!((local.weekday, local.yearday), (2, 317));
        let v = date_time_value(1_700_000_000, 123_456, &local, "UTC");
        assert_eq!(
            v.to_compact(),
            concat!(
                "{\"date\":\"2023-11-14\",\"day\":\"14\",\"epoch\":\"1700000000\",",
                "\"epoch_int\":\"1700000000\",\"hour\":\"22\",\"iso8601\":\"2023-11-14T22:13:20Z\",",
                "\"iso8601_basic\":\"20231114T221320123456\",\"iso8601_basic_short\":\"20231114T221320\",",
                "\"iso8601_micro\":\"2023-11-14T22:13:20.123456Z\",\"minute\":\"13\",\"month\":\"11\",",
                "\"second\":\"20\",\"time\":\"22:13:20\",\"tz\":\"UTC\",\"tz_dst\":\"UTC\",",
                "\"tz_offset\":\"+0000\",\"weekday\":\"Tuesday\",\"weekday_number\":\"2\",",
                "\"weeknumber\":\"46\",\"year\":\"2023\"}"
            )
        );
    }

    #[test]
    fn local_fields_come_from_local_time() {
        // The same instant in UTC+01:00 (CET): 23:13:20 on the 14th.
        let mut local = utc_time(1_700_000_000 + 3600);
        local.gmtoff = 3600;
        local.zone = "CET".to_string();
        let v = date_time_value(1_700_000_000, 5, &local, "CEST");
        assert_eq!(v.get("hour"), Some(&Value::str("23")));
        assert_eq!(v.get("iso8601"), Some(&Value::str("2023-11-14T22:13:20Z")));
        assert_eq!(
            v.get("iso8601_basic"),
            Some(&Value::str("20231114T231320000005"))
        );
        assert_eq!(v.get("tz"), Some(&Value::str("CET")));
        assert_eq!(v.get("tz_dst"), Some(&Value::str("CEST")));
        assert_eq!(v.get("tz_offset"), Some(&Value::str("+0100")));
        assert_eq!(utc_offset(-19_800), "-0530");
    }

    #[test]
    fn week_numbers() {
        // 2023-01-01 was a Sunday: week 00 under %W; Monday the 2nd is week 01.
        let sunday = utc_time(1_672_531_200);
        assert_eq!((sunday.weekday, sunday.yearday), (0, 0));
        let v = date_time_value(1_672_531_200, 0, &sunday, "UTC");
        assert_eq!(v.get("weeknumber"), Some(&Value::str("00")));
        assert_eq!(v.get("weekday"), Some(&Value::str("Sunday")));
        let monday = utc_time(1_672_531_200 + 86_400);
        let v = date_time_value(1_672_531_200 + 86_400, 0, &monday, "UTC");
        assert_eq!(v.get("weeknumber"), Some(&Value::str("01")));
        // 2024-12-31 (leap year, Tuesday): yday 365, week 53.
        let t = utc_time(1_735_603_200);
        assert_eq!((t.month, t.day, t.yearday, t.weekday), (12, 31, 365, 2));
        let v = date_time_value(1_735_603_200, 0, &t, "UTC");
        assert_eq!(v.get("weeknumber"), Some(&Value::str("53")));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let _ = utc_time(i64::MIN / 2);
    }
}
