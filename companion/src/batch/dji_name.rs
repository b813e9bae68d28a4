//! What a DJI photo's file name says: when it was taken, its capture number and which camera
//! of the payload took it.
//!
//! DJI enterprise aircraft (Mavic 3E/3T, M30/M30T, M300/M350 with Zenmuse H20/H30, Matrice
//! 4E/4T, Matrice 3D/3TD) name photos `DJI_YYYYMMDDhhmmss_NNNN_L.JPG`: the camera's local
//! time, a capture number, and the lens, `W` wide, `Z` zoom, `T` thermal (an R-JPEG, whose
//! pixels are a false-colour rendering of radiometric data), `V` visible (what some aircraft
//! call their only visible camera). The photos one shutter press makes share the time and
//! the number. Older aircraft write `DJI_NNNN.JPG`.
//!
//! ```
//! use companion::batch::dji_name::{DjiLens, DjiName};
//! let n = DjiName::parse("DJI_20240512140327_0042_Z.JPG").unwrap();
//! assert_eq!((n.taken_local.as_deref(), n.capture_number, n.lens),
//!            (Some("20240512140327"), 42, DjiLens::Zoom));
//! assert_eq!(DjiName::parse("DJI_0042.JPG").unwrap().lens, DjiLens::Unnamed);
//! assert_eq!(DjiName::parse("IMG_0042.JPG"), None);
//! ```

/// The camera a DJI file name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DjiLens {
    /// `W`: the wide camera.
    Wide,
    /// `V`: the visible camera (aircraft that call their wide camera so).
    Visible,
    /// `Z`: the zoom camera.
    Zoom,
    /// `T`: the thermal camera (R-JPEG).
    Thermal,
    /// No lens letter (`DJI_NNNN.JPG`, `DJI_<time>_<NNNN>.JPG`).
    Unnamed,
    /// A suffix other than the above (`D`, `S`, `MS_G`, ...): processed if its tags say it is
    /// a visible photo.
    Other,
}

impl DjiLens {
    /// Whether the photos of this lens are processed (the detector takes visible photos).
    pub fn processed(self) -> bool {
        self != DjiLens::Thermal
    }

    /// The lens letter, or `-` for none.
    pub fn letter(self) -> &'static str {
        match self {
            DjiLens::Wide => "W",
            DjiLens::Visible => "V",
            DjiLens::Zoom => "Z",
            DjiLens::Thermal => "T",
            DjiLens::Unnamed => "-",
            DjiLens::Other => "?",
        }
    }
}

/// A parsed DJI photo name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DjiName {
    /// `YYYYMMDDhhmmss`, the camera's local time, when the name has it.
    pub taken_local: Option<String>,
    /// `NNNN`.
    pub capture_number: u32,
    pub lens: DjiLens,
}

impl DjiName {
    /// Parses `DJI_YYYYMMDDhhmmss_NNNN[_L...].JPG` or `DJI_NNNN.JPG` (`.JPG`/`.JPEG`, any
    /// case); `None` for any other name.
    pub fn parse(file_name: &str) -> Option<DjiName> {
        let (stem, ext) = file_name.rsplit_once('.')?;
        if !(ext.eq_ignore_ascii_case("jpg") || ext.eq_ignore_ascii_case("jpeg")) {
            return None;
        }
        let rest = stem
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("DJI_"))
            .map(|_| &stem[4..])?;
        let digits = |s: &str, n: Option<usize>| {
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && n.is_none_or(|n| s.len() == n)
        };
        let parts: Vec<&str> = rest.split('_').collect();
        match parts.as_slice() {
            [number] if digits(number, None) => Some(DjiName {
                taken_local: None,
                capture_number: number.parse().ok()?,
                lens: DjiLens::Unnamed,
            }),
            [time, number, lens @ ..] if digits(time, Some(14)) && digits(number, None) => {
                let lens = match lens {
                    [] => DjiLens::Unnamed,
                    [l] if l.eq_ignore_ascii_case("W") => DjiLens::Wide,
                    [l] if l.eq_ignore_ascii_case("V") => DjiLens::Visible,
                    [l] if l.eq_ignore_ascii_case("Z") => DjiLens::Zoom,
                    [l] if l.eq_ignore_ascii_case("T") => DjiLens::Thermal,
                    _ => DjiLens::Other,
                };
                Some(DjiName {
                    taken_local: Some(time.to_string()),
                    capture_number: number.parse().ok()?,
                    lens,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lens_letter_and_both_name_forms() {
        for (name, lens) in [
            ("DJI_20241207093012_0001_W.JPG", DjiLens::Wide),
            ("DJI_20241207093012_0001_Z.jpg", DjiLens::Zoom),
            ("DJI_20241207093012_0001_T.JPG", DjiLens::Thermal),
            ("DJI_20241207093012_0001_V.jpeg", DjiLens::Visible),
            ("DJI_20241207093012_0001_MS_G.JPG", DjiLens::Other),
            ("DJI_20241207093012_0001.JPG", DjiLens::Unnamed),
        ] {
            let n = DjiName::parse(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(n.lens, lens, "{name}");
            assert_eq!(n.capture_number, 1);
            assert_eq!(n.taken_local.as_deref(), Some("20241207093012"));
        }
        let old = DjiName::parse("dji_0815.JPG").unwrap();
        assert_eq!(
            (old.taken_local, old.capture_number, old.lens),
            (None, 815, DjiLens::Unnamed)
        );
        assert!(!DjiLens::Thermal.processed());
        assert!(DjiLens::Wide.processed() && DjiLens::Zoom.processed());
        assert!(DjiLens::Visible.processed());
    }

    #[test]
    fn other_names_are_not_dji_names() {
        for name in [
            "IMG_0001.JPG",
            "DJI_0001.PNG",
            "DJI_.JPG",
            "DJI_2024120709301_0001_W.JPG",
            "DJI_20241207093012_W.JPG",
            "DJI_00x1.JPG",
            "DJI",
            "12.jpg",
        ] {
            assert_eq!(DjiName::parse(name), None, "{name}");
        }
    }
}
