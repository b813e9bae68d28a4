//! KMZ survey input: a zip archive holding KML, as Google Earth, Ovital (奥维) and DJI
//! Pilot 2 / FlightHub 2 write it.
//!
//! Which KML is read: `doc.kml` (Google Earth's convention), else `wpmz/template.kml` (a DJI
//! route), else the only `.kml` entry. What it is, is decided by its content, not by entry
//! names: KML declaring DJI's WPML namespace with a `wpml:templateType` is a DJI route
//! ([`super::dji_wpml`]); anything else is plain KML ([`super::kml`]).
//!
//! The archive is read whole (at most [`MAX_INPUT_BYTES`]) and the chosen entry is inflated
//! up to the same bound, so a zip bomb costs at most that much memory.

use std::io::Read;
use std::path::Path;

use qly_core::datum::Datum;

use super::{dji_wpml, kml, Ctx, InputError, MAX_INPUT_BYTES};
use crate::survey::SurveyInput;

/// Most entries an archive may list: a KMZ holds a document and a few images or a DSM.
const MAX_ENTRIES: usize = 10_000;

/// Reads a KMZ file.
pub(crate) fn read_file(
    ctx: &Ctx,
    path: &Path,
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    let io = |io| InputError::Io {
        file: ctx.file.clone(),
        io,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(ctx.err(
            "(file)",
            format!(
                "larger than {} MiB: expected a KMZ of survey geometry",
                MAX_INPUT_BYTES >> 20
            ),
        ));
    }
    read(ctx, &bytes, datum_override)
}

/// Reads KMZ bytes; `ctx` names the archive.
pub(crate) fn read(
    ctx: &Ctx,
    bytes: &[u8],
    datum_override: Option<Datum>,
) -> Result<SurveyInput, InputError> {
    let (entry, text) = main_kml(ctx, bytes)?;
    // Errors inside the archive name the entry too: `route.kmz:wpmz/template.kml`.
    let inner = Ctx {
        file: format!("{}:{entry}", ctx.file),
    };
    let mut input = if dji_wpml::is_dji_template(&text) {
        dji_wpml::read_template(&inner, &text, datum_override)?
    } else {
        kml::read(&inner, &text, datum_override)?
    };
    input.source = ctx.file.clone();
    Ok(input)
}

/// The name and text of the KML entry to read.
fn main_kml(ctx: &Ctx, bytes: &[u8]) -> Result<(String, String), InputError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| {
        ctx.err(
            "(zip)",
            format!("not a zip archive ({e}): expected a KMZ (zipped KML)"),
        )
    })?;
    if zip.len() > MAX_ENTRIES {
        return Err(ctx.err(
            "(zip)",
            format!(
                "{} entries: expected a KMZ of at most {MAX_ENTRIES} (a document and its images)",
                zip.len()
            ),
        ));
    }
    let kmls: Vec<String> = zip
        .file_names()
        .filter(|n| n.to_ascii_lowercase().ends_with(".kml"))
        .map(str::to_string)
        .collect();
    let pick = ["doc.kml", "wpmz/template.kml"]
        .iter()
        .find_map(|want| kmls.iter().find(|n| n.eq_ignore_ascii_case(want)))
        .or(if kmls.len() == 1 { kmls.first() } else { None })
        .cloned();
    let Some(name) = pick else {
        return Err(ctx.err(
            "(zip)",
            if kmls.is_empty() {
                "no .kml entry: expected doc.kml (Google Earth) or wpmz/template.kml (DJI)"
                    .to_string()
            } else {
                format!(
                    "{} .kml entries ({}): expected doc.kml, wpmz/template.kml or a single .kml",
                    kmls.len(),
                    kmls.join(", ")
                )
            },
        ));
    };
    let entry = zip.by_name(&name).map_err(|e| {
        ctx.err(
            name.clone(),
            format!("cannot open the entry ({e}): expected a readable KML entry"),
        )
    })?;
    let mut data = Vec::new();
    entry
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|e| {
            ctx.err(
                name.clone(),
                format!("cannot inflate the entry ({e}): expected a readable KML entry"),
            )
        })?;
    if data.len() as u64 > MAX_INPUT_BYTES {
        return Err(ctx.err(
            name,
            format!(
                "inflates to more than {} MiB: expected a KML document of survey geometry",
                MAX_INPUT_BYTES >> 20
            ),
        ));
    }
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&data);
    let text = std::str::from_utf8(data)
        .map_err(|e| ctx.err(name.clone(), format!("not UTF-8 text ({e}): expected KML")))?
        .to_string();
    Ok((name, text))
}
