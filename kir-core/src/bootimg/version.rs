//! The `os_version` header word: Android version A.B.C in the upper 21 bits
//! (7 bits each), security patch level in the lower 11 (years since 2000 in
//! 7 bits, month in 4).

use std::fmt;

use crate::{Error, Result};

/// Android version `major.minor.patch`, each below 128.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OsVersion {
    /// A.
    pub major: u8,
    /// B.
    pub minor: u8,
    /// C.
    pub patch: u8,
}

/// Security patch level `year-month`: year 2000–2127, month 1–12 (0–15 as read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PatchLevel {
    /// Full year, e.g. 2024.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
}

impl OsVersion {
    /// Parses mkbootimg's `--os_version`: one to three dot-separated groups
    /// of up to three digits at the start of `text`, anything after ignored.
    /// Text that does not start that way means "no version" (`Ok(None)`),
    /// as in mkbootimg; a group of 128 or more is refused.
    pub fn parse_mkbootimg(text: &str) -> Result<Option<OsVersion>> {
        let mut rest = text;
        let mut groups = [0u32; 3];
        let mut found = 0;
        while found < 3 {
            if found > 0 {
                match rest.strip_prefix('.') {
                    Some(after) if after.starts_with(|c: char| c.is_ascii_digit()) => rest = after,
                    _ => break,
                }
            }
            let digits = rest.bytes().take(3).take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                break;
            }
            let (number, after) = rest.split_at(digits);
            groups[found] = number.parse().unwrap_or(0);
            rest = after;
            found += 1;
        }
        if found == 0 {
            return Ok(None);
        }

        let part = |value: u32| {
            u8::try_from(value)
                .ok()
                .filter(|v| *v < 128)
                .ok_or_else(|| {
                    Error::invalid_argument(
                        "--os_version",
                        format!("{text:?}: each part must be below 128 (7 bits in the header)"),
                    )
                })
        };
        Ok(Some(OsVersion {
            major: part(groups[0])?,
            minor: part(groups[1])?,
            patch: part(groups[2])?,
        }))
    }

    /// The 21-bit value stored above the patch level.
    fn bits(self) -> Result<u32> {
        if self.major >= 128 || self.minor >= 128 || self.patch >= 128 {
            return Err(Error::invalid_argument(
                "os_version",
                format!("{self}: each part must be below 128 (7 bits in the header)"),
            ));
        }
        Ok((u32::from(self.major) << 14) | (u32::from(self.minor) << 7) | u32::from(self.patch))
    }
}

impl PatchLevel {
    /// Parses mkbootimg's `--os_patch_level`: `YYYY-MM` or `YYYY-MM-DD` at the
    /// start of `text` (the day is ignored). Text that does not start that
    /// way means "no patch level" (`Ok(None)`), as in mkbootimg; a year outside
    /// 2000–2127 or a month outside 1–12 is refused.
    pub fn parse_mkbootimg(text: &str) -> Result<Option<PatchLevel>> {
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| {
            bytes
                .get(range)
                .filter(|b| b.iter().all(u8::is_ascii_digit))
                .map(|b| b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
        };
        let (Some(year), Some(b'-'), Some(month)) = (digits(0..4), bytes.get(4), digits(5..7))
        else {
            return Ok(None);
        };

        let refuse =
            |why: &str| Error::invalid_argument("--os_patch_level", format!("{text:?}: {why}"));
        if !(2000..2128).contains(&year) {
            return Err(refuse(
                "year must be 2000–2127 (7 bits after 2000 in the header)",
            ));
        }
        if !(1..=12).contains(&month) {
            return Err(refuse("month must be 1–12"));
        }
        Ok(Some(PatchLevel {
            year: year as u16,
            month: month as u8,
        }))
    }

    /// The 11-bit value stored below the version.
    fn bits(self) -> Result<u32> {
        let years = self.year.checked_sub(2000).filter(|y| *y < 128);
        match years {
            Some(years) if self.month < 16 => Ok((u32::from(years) << 4) | u32::from(self.month)),
            _ => Err(Error::invalid_argument(
                "os_patch_level",
                format!("{self}: year must be 2000–2127 and month below 16"),
            )),
        }
    }
}

impl fmt::Display for OsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl fmt::Display for PatchLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Packs version and patch level into the `os_version` header word (absent = 0).
pub(crate) fn encode(version: Option<OsVersion>, patch: Option<PatchLevel>) -> Result<u32> {
    let version = version.map(OsVersion::bits).transpose()?.unwrap_or(0);
    let patch = patch.map(PatchLevel::bits).transpose()?.unwrap_or(0);
    Ok((version << 11) | patch)
}

/// Splits the `os_version` header word; a zero half is absent.
pub(crate) fn decode(word: u32) -> (Option<OsVersion>, Option<PatchLevel>) {
    let version = word >> 11;
    let patch = word & 0x7ff;
    let version = (version != 0).then_some(OsVersion {
        major: (version >> 14) as u8,
        minor: ((version >> 7) & 0x7f) as u8,
        patch: (version & 0x7f) as u8,
    });
    let patch = (patch != 0).then_some(PatchLevel {
        year: 2000 + (patch >> 4) as u16,
        month: (patch & 0xf) as u8,
    });
    (version, patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_version_parses_like_mkbootimg() {
        let v = |s| OsVersion::parse_mkbootimg(s).unwrap();
        assert_eq!(
            v("10"),
            Some(OsVersion {
                major: 10,
                minor: 0,
                patch: 0
            })
        );
        assert_eq!(
            v("12.1"),
            Some(OsVersion {
                major: 12,
                minor: 1,
                patch: 0
            })
        );
        assert_eq!(
            v("14.0.3-beta"),
            Some(OsVersion {
                major: 14,
                minor: 0,
                patch: 3
            })
        );
        assert_eq!(
            v("1234"),
            Some(OsVersion {
                major: 123,
                minor: 0,
                patch: 0
            })
        );
        assert_eq!(
            v("11."),
            Some(OsVersion {
                major: 11,
                minor: 0,
                patch: 0
            })
        );
        assert_eq!(v("abc"), None);
        assert!(OsVersion::parse_mkbootimg("128.0.0").is_err());
    }

    #[test]
    fn patch_level_parses_like_mkbootimg() {
        let p = |s| PatchLevel::parse_mkbootimg(s).unwrap();
        assert_eq!(
            p("2019-12-01"),
            Some(PatchLevel {
                year: 2019,
                month: 12
            })
        );
        assert_eq!(
            p("2024-03"),
            Some(PatchLevel {
                year: 2024,
                month: 3
            })
        );
        assert_eq!(p("24-03"), None);
        assert!(PatchLevel::parse_mkbootimg("2024-13").is_err());
        assert!(PatchLevel::parse_mkbootimg("1999-01").is_err());
    }

    #[test]
    fn os_version_word_round_trips() {
        let version = Some(OsVersion {
            major: 13,
            minor: 2,
            patch: 1,
        });
        let patch = Some(PatchLevel {
            year: 2023,
            month: 7,
        });
        let word = encode(version, patch).unwrap();
        assert_eq!(word, (13 << 25) | (2 << 18) | (1 << 11) | (23 << 4) | 7);
        assert_eq!(decode(word), (version, patch));
        assert_eq!(decode(0), (None, None));
    }
}
