//! The take-off point as people type it (`--home` of `planner plan` and `sim`):
//! `LAT,LON[,AMSL_M]`, WGS-84 degrees and metres above mean sea level, e.g.
//! `27.035,106.94` or `-35.363262,149.165237,584`.
//!
//! One grammar for every program, parsed by [`HomeSpec`]'s `FromStr`. A negative latitude
//! starts with `-`: command-line parsers must be told it is a value (clap:
//! `allow_hyphen_values`), as `planner` and `sim` do.

use std::str::FromStr;

use thiserror::Error;

use crate::geodesy::{CoordError, GeoPoint};
use crate::mission::Home;

/// A take-off point as given: where, and its height above mean sea level when stated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HomeSpec {
    /// WGS-84.
    pub point: GeoPoint,
    /// Metres above mean sea level (EGM96), when the text gave a third number.
    pub alt_amsl_m: Option<f64>,
}

impl HomeSpec {
    /// The home position, at `default_amsl_m` when no height was given.
    pub fn home_or(self, default_amsl_m: f64) -> Home {
        Home {
            point: self.point,
            alt_amsl_m: self.alt_amsl_m.unwrap_or(default_amsl_m),
        }
    }
}

/// Why a `LAT,LON[,AMSL_M]` text was refused; each message quotes the text and says what was
/// expected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum HomeSpecError {
    #[error("'{text}': {count} number(s): expected LAT,LON or LAT,LON,AMSL_M (WGS-84 degrees, metres above mean sea level)")]
    Count { text: String, count: usize },
    #[error("'{text}': {what} '{value}' is not a number: expected LAT,LON or LAT,LON,AMSL_M")]
    NotANumber {
        text: String,
        what: &'static str,
        value: String,
    },
    #[error("'{text}': {source}")]
    Point { text: String, source: CoordError },
    #[error("'{text}': altitude {alt} is not finite: expected metres above mean sea level")]
    Altitude { text: String, alt: f64 },
}

impl FromStr for HomeSpec {
    type Err = HomeSpecError;

    fn from_str(text: &str) -> Result<HomeSpec, HomeSpecError> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(HomeSpecError::Count {
                text: text.to_string(),
                count: parts.len(),
            });
        }
        let num = |i: usize, what: &'static str| -> Result<f64, HomeSpecError> {
            parts[i]
                .parse::<f64>()
                .map_err(|_| HomeSpecError::NotANumber {
                    text: text.to_string(),
                    what,
                    value: parts[i].to_string(),
                })
        };
        let (lat, lon) = (num(0, "latitude")?, num(1, "longitude")?);
        let point = GeoPoint::new(lat, lon).map_err(|source| HomeSpecError::Point {
            text: text.to_string(),
            source,
        })?;
        let alt_amsl_m = match parts.get(2) {
            Some(_) => {
                let alt = num(2, "altitude")?;
                if !alt.is_finite() {
                    return Err(HomeSpecError::Altitude {
                        text: text.to_string(),
                        alt,
                    });
                }
                Some(alt)
            }
            None => None,
        };
        Ok(HomeSpec { point, alt_amsl_m })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_or_three_numbers() {
        let h: HomeSpec = "-35.363262, 149.165237, 584".parse().unwrap();
        assert_eq!(h.point, GeoPoint::new(-35.363262, 149.165237).unwrap());
        assert_eq!(h.alt_amsl_m, Some(584.0));
        assert_eq!(h.home_or(0.0).alt_amsl_m, 584.0);
        let h: HomeSpec = "27.035,106.94".parse().unwrap();
        assert_eq!(h.alt_amsl_m, None);
        assert_eq!(h.home_or(812.0).alt_amsl_m, 812.0);
        // Below the sea (the Dead Sea shore) is a height like any other.
        let h: HomeSpec = "31.5,35.5,-430".parse().unwrap();
        assert_eq!(h.alt_amsl_m, Some(-430.0));
    }

    #[test]
    fn refusals_quote_the_text_and_say_what_was_expected() {
        let e = |t: &str| t.parse::<HomeSpec>().unwrap_err().to_string();
        assert!(e("27.0").contains("1 number(s): expected LAT,LON or LAT,LON,AMSL_M"));
        assert!(e("1,2,3,4").contains("4 number(s)"));
        assert!(e("27.0,east").contains("'27.0,east': longitude 'east' is not a number"));
        assert!(e("95,106.9,1000").starts_with("'95,106.9,1000': "));
        assert!(e("27,106,inf").contains("not finite"));
        assert!(e("27,106,x").contains("altitude 'x'"));
    }
}
