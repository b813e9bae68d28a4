//! `review`: judge's and inspector's tools. `review score` scores a target-discovery contest;
//! `review report` renders a flight's review page, `review export` writes the evidence
//! package of the confirmed candidates and `review verify` checks one; `review serve` is the
//! HTTP service over the store (review and contest hub).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use qly_core::datum::Datum;
use qly_i18n::Lang;
use review::checks::{locate_reports, report_warnings, ReportSource, Warning};
use review::evidence::signature;
use review::input::{parse_features, parse_reports, parse_timestamp, targets_from, ReportFormat};
use review::leaderboard::score_contest;
use review::model::TeamReports;
use review::render;
use review::settings::{RuleOverrides, ScoreSettings};

mod dataset_cmd;
mod decide_cmd;
mod patrol_cmd;
mod serve_cmd;
mod store_cmd;

#[derive(Parser)]
#[command(name = "review", version, about = "Qianliyan review tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Language of the pages, tables, records and messages: zh-CN or en (default: from
    /// LC_ALL / LC_MESSAGES / LANG; Chinese when the locale is zh*).
    #[arg(long, global = true, value_name = "zh-CN|en")]
    lang: Option<Lang>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Preset {
    /// Our contest rules (README: "SUAS vs ours").
    Ours,
    /// The SUAS interop server's object scoring (2020 rules).
    Suas,
}

#[derive(Subcommand)]
enum Command {
    /// Score teams' reported points against the judges' target points.
    Score(Box<ScoreArgs>),
    /// Render a flight folder's review page (one offline HTML file).
    Report(ReportArgs),
    /// Record decisions on candidates by id into the flight's decisions file (or
    /// --confirm-all, for demos: nobody looks).
    Decide(decide_cmd::DecideArgs),
    /// Write the evidence package of the candidates confirmed in the decisions file.
    Export(ExportArgs),
    /// Print the inspection records of an evidence package's findings (one PDF each, one for
    /// the flight) with headless Chromium.
    Record(RecordArgs),
    /// Turn flights' decisions (confirmed findings, rejected ones as hard negatives) and
    /// imported YOLO/COCO datasets into a YOLO-format training dataset, split by flight.
    Dataset(dataset_cmd::DatasetArgs),
    /// Check an evidence package against its manifest (exit 1 on any difference).
    Verify(VerifyArgs),
    /// Create the office's signing key pair: FILE (secret, permissions 0600) and FILE.pub.
    Keygen(KeygenArgs),
    /// Figures of a simulated patrol: candidates against the world's ground truth.
    Patrol(patrol_cmd::PatrolArgs),
    /// Put flight folders into the store (an SQLite file by default, or PostgreSQL/PostGIS):
    /// idempotent, one transaction per flight.
    Ingest(store_cmd::IngestArgs),
    /// The outfall sites across patrols: list, new, not seen, plume again, a site's
    /// timeline; export as GeoJSON, CSV or GeoPackage.
    Sites(store_cmd::SitesArgs),
    /// The HTTP service: the review of the store (flights, sites, decisions) and, with
    /// --contest, a contest hub (uploads with team tokens, live leaderboard, final table).
    Serve(serve_cmd::ServeArgs),
    /// A new random token and its SHA-256 for a contest or inspectors file.
    Token(serve_cmd::TokenArgs),
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The flight folder (its journal, frames, telemetry log and plan).
    flight_dir: PathBuf,
    /// Where to write the page; default: the flight folder's review page. Its images go
    /// into a folder beside it named after it (`report.html` -> `report-files/`).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// An offline basemap (raster MBTiles) drawn under the flight's photos; the tiles
    /// around the flight are copied beside the page.
    #[arg(long, value_name = "FILE")]
    mbtiles: Option<PathBuf>,
    /// Leave the flight's photos off the map's background.
    #[arg(long)]
    no_photo_background: bool,
}

#[derive(clap::Args)]
struct ExportArgs {
    /// The flight folder.
    flight_dir: PathBuf,
    /// The decisions file (the review page's download); default: the flight folder's.
    #[arg(long, value_name = "FILE")]
    decisions: Option<PathBuf>,
    /// The evidence folder to create (must be new or empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Who makes the package (name and badge number); also who confirmed the decisions that
    /// name nobody. Default: the inspectors the decisions name.
    #[arg(long)]
    inspector: Option<String>,
    /// The aircraft (model and registration / serial number).
    #[arg(long)]
    aircraft: String,
    /// Sign the manifest head with the office's secret key file (from `review keygen`).
    #[arg(long, value_name = "FILE")]
    signing_key: Option<PathBuf>,
}

#[derive(clap::Args)]
struct RecordArgs {
    /// The flight folder (its track draws the map insets).
    flight_dir: PathBuf,
    /// The evidence package (`review export`) whose confirmed findings get a record; it must
    /// verify.
    #[arg(long, value_name = "DIR")]
    evidence: PathBuf,
    /// Where to write record-candidate-<id>.pdf, record-flight.pdf and their HTML.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The Chromium to print with (default: QLY_CHROMIUM, else chromium on PATH).
    #[arg(long, value_name = "PATH")]
    chromium: Option<PathBuf>,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The evidence folder (with manifest.json).
    evidence_dir: PathBuf,
    /// Require a valid signature by this public key file (repeat for several trusted keys);
    /// without it a signature is reported but not checked against a trusted key.
    #[arg(long = "public-key", value_name = "FILE")]
    public_keys: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct KeygenArgs {
    /// The secret key file to create; the public key goes beside it with extension .pub.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Whose key it is (the office), stored with both keys and named by `review verify`.
    #[arg(long)]
    signer: String,
}

#[derive(clap::Args)]
struct ScoreArgs {
    /// The judges' targets: GeoJSON Points (WGS-84), properties id, class (optional).
    #[arg(long, value_name = "TARGETS.geojson")]
    targets: PathBuf,
    /// A team and its reports: GeoJSON Points, properties id, class, time (optional); or CSV
    /// (`.csv`: a header line with lat, lon and optional id, class, time columns).
    #[arg(
        long = "team",
        value_name = "NAME=REPORTS.geojson|csv",
        required_unless_present = "flights"
    )]
    teams: Vec<String>,
    /// One of our own flights as a team: its journal's confirmed candidates (no times).
    #[arg(long = "flight", value_name = "NAME=FLIGHT_DIR")]
    flights: Vec<String>,
    /// The datum a team's reports are in (default WGS84): e.g. `--datum blue=gcj02`.
    #[arg(long = "datum", value_name = "NAME=DATUM")]
    datums: Vec<String>,
    /// Contest start (ISO 8601 with offset); needed when report times are date-times.
    #[arg(long, value_name = "ISO8601")]
    start: Option<String>,
    /// Time limit in seconds after the start (speed credit; SUAS: end of the flight window).
    #[arg(long, default_value_t = 1800.0)]
    time_limit_s: f64,
    /// Rule set to start from; the options below override it.
    #[arg(long, value_enum, default_value = "ours")]
    preset: Preset,
    /// A report farther than this from a target cannot find it.
    #[arg(long)]
    eligible_within_m: Option<f64>,
    /// Let a report find a target of another class.
    #[arg(long)]
    ignore_classes: bool,
    /// Location credit is 1 within this distance...
    #[arg(long)]
    location_full_within_m: Option<f64>,
    /// ...and falls linearly to 0 at this distance.
    #[arg(long)]
    location_zero_at_m: Option<f64>,
    #[arg(long)]
    discovery_weight: Option<f64>,
    #[arg(long)]
    location_weight: Option<f64>,
    #[arg(long)]
    speed_weight: Option<f64>,
    /// Weight of the fraction of a target's `attributes` a report repeats.
    #[arg(long)]
    classification_weight: Option<f64>,
    /// Weight of a report marked `"autonomous": true`.
    #[arg(long)]
    autonomy_weight: Option<f64>,
    /// Cost of each report that finds nothing.
    #[arg(long)]
    false_report_penalty: Option<f64>,
    /// At most this many reports per target count (later ones are ignored).
    #[arg(long)]
    max_reports_per_target: Option<f64>,
    /// Write the leaderboard as CSV here.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Write a self-contained HTML page here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Title of the HTML page (default: "Target discovery contest" in the page's language).
    #[arg(long)]
    title: Option<String>,
}

fn split_pair<'a>(flag: &str, s: &'a str) -> Result<(&'a str, &'a str)> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => Ok((k.trim(), v.trim())),
        _ => bail!("--{flag} '{s}': expected NAME=VALUE"),
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))
}

fn settings(a: &ScoreArgs) -> ScoreSettings {
    let preset = match a.preset {
        Preset::Ours => review::settings::Preset::Ours,
        Preset::Suas => review::settings::Preset::Suas,
    };
    RuleOverrides {
        eligible_within_m: a.eligible_within_m,
        ignore_classes: a.ignore_classes,
        location_full_within_m: a.location_full_within_m,
        location_zero_at_m: a.location_zero_at_m,
        discovery_weight: a.discovery_weight,
        location_weight: a.location_weight,
        speed_weight: a.speed_weight,
        classification_weight: a.classification_weight,
        autonomy_weight: a.autonomy_weight,
        false_report_penalty: a.false_report_penalty,
        max_reports_per_target: a.max_reports_per_target,
    }
    .apply(preset.settings(a.time_limit_s))
}

fn score(a: &ScoreArgs, lang: Lang) -> Result<()> {
    let s = settings(a);
    s.validate()
        .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
    let start = a
        .start
        .as_deref()
        .map(parse_timestamp)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--start {e}"))?;

    let targets_file = a.targets.display().to_string();
    let raw_targets = parse_features(&targets_file, &read(&a.targets)?, start)?;
    let targets = targets_from(&targets_file, &raw_targets)?;

    let mut datums = std::collections::BTreeMap::new();
    for d in &a.datums {
        let (team, datum) = split_pair("datum", d)?;
        let datum: Datum = datum
            .parse()
            .map_err(|e| anyhow::anyhow!("--datum {d}: {e}"))?;
        datums.insert(team.to_string(), datum);
    }
    let mut teams = Vec::new();
    let mut warnings: Vec<Warning> = Vec::new();
    for t in &a.teams {
        let (name, path) = split_pair("team", t)?;
        let path = PathBuf::from(path);
        let file = path.display().to_string();
        let datum = datums.remove(name).unwrap_or_default();
        let text = read(&path)?;
        let raw = parse_reports(&file, &text, ReportFormat::guess(&file, &text), start)?;
        let reports = locate_reports(&file, &raw, &targets, datum)?;
        let labels: Vec<String> = raw.iter().map(|f| f.label.clone()).collect();
        let source = ReportSource {
            team: name,
            file: &file,
            labels: &labels,
            datum,
        };
        warnings.extend(report_warnings(source, &reports, &targets, &s, lang));
        teams.push(TeamReports {
            team: name.to_string(),
            reports,
        });
    }
    for f in &a.flights {
        let (name, dir) = split_pair("flight", f)?;
        let flight = qly_flight::folder::FlightFolder::new(dir).read_records()?;
        let (team, _) = review::patrol::flight_reports(name, &flight.view);
        let file = flight.folder.journal().display().to_string();
        let labels: Vec<String> = team
            .reports
            .iter()
            .map(|r| lang.t_args("card-candidate", &[("id", r.id.as_str().into())]))
            .collect();
        let source = ReportSource {
            team: name,
            file: &file,
            labels: &labels,
            datum: Datum::Wgs84,
        };
        warnings.extend(report_warnings(source, &team.reports, &targets, &s, lang));
        teams.push(team);
    }
    if let Some(team) = datums.keys().next() {
        bail!("--datum names team '{team}', which no --team gives");
    }

    let board = score_contest(&targets, &teams, &s)?;
    print!("{}", render::terminal(&board, &s, &warnings, lang));
    if let Some(path) = &a.csv {
        std::fs::write(path, render::csv(&board, lang))
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    if let Some(path) = &a.html {
        let title = a
            .title
            .clone()
            .unwrap_or_else(|| lang.t("board-default-title"));
        std::fs::write(path, render::html(&title, &board, &s, &warnings, lang))
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(())
}

/// A warning line on stderr, in `lang`.
fn warn(lang: Lang, w: &dyn std::fmt::Display) {
    eprintln!(
        "{}",
        lang.t_args("warning-line", &[("warning", w.to_string().into())])
    );
}

fn report(a: &ReportArgs, lang: Lang) -> Result<()> {
    let flight = review::flight::read_flight(&a.flight_dir)?;
    let out = a.out.clone().unwrap_or_else(|| flight.folder.report());
    let basemap = match &a.mbtiles {
        Some(path) => {
            let area = review::report::map::extent(&flight)
                .with_context(|| {
                    format!(
                        "{}: no positions in the flight to cut the basemap around",
                        a.flight_dir.display()
                    )
                })?
                // Some context around the river.
                .grown_m(1000.0);
            Some(review::report::mbtiles::read(path, &area)?)
        }
        None => None,
    };
    let options = review::report::ReportOptions {
        assets_dir: review::report::assets_dir_for(&out),
        photo_background: !a.no_photo_background,
        basemap,
        lang,
    };
    let page = review::report::render_report(&flight, &options);
    for w in &page.warnings {
        warn(lang, w);
    }
    page.write(&out)?;
    let confirmed = flight.confirmed().count();
    println!(
        "{}",
        lang.t_args(
            "cli-report-written",
            &[
                ("file", out.display().to_string().into()),
                ("confirmed", confirmed.into()),
                (
                    "unconfirmed",
                    (flight.candidates().len() - confirmed).into()
                ),
                ("photos", flight.view.frames.len().into()),
                ("warnings", page.warnings.len().into()),
            ],
        )
    );
    Ok(())
}

fn export(a: &ExportArgs, lang: Lang) -> Result<()> {
    let flight = review::flight::read_flight(&a.flight_dir)?;
    for w in &flight.warnings {
        warn(lang, w);
    }
    let ids = flight.candidates().iter().map(|c| c.id).collect();
    let decisions_path = a
        .decisions
        .clone()
        .unwrap_or_else(|| flight.folder.decisions());
    let flight_id = flight.view.header.as_ref().map(|h| &h.flight_id);
    let decisions = qly_flight::decisions::read_decisions(&decisions_path, &ids, flight_id)?;
    // Read before anything is written: a bad key file stops the export.
    let signing_key = match &a.signing_key {
        Some(p) => Some(signature::read_secret_key(p).context("--signing-key")?),
        None => None,
    };
    let signed_by = signing_key.as_ref().map(|k| k.public());
    let outcome = review::evidence::export_evidence(
        &flight,
        &decisions,
        &decisions_path,
        &a.out,
        &review::evidence::ExportOptions {
            inspector: a.inspector.clone(),
            aircraft: a.aircraft.clone(),
            signing_key,
            lang,
        },
    )?;
    for w in &outcome.warnings {
        warn(lang, w);
    }
    println!(
        "{}",
        lang.t_args(
            "cli-export-written",
            &[
                ("dir", a.out.display().to_string().into()),
                ("confirmed", outcome.records.len().into()),
                ("files", outcome.files.len().into()),
                ("head", outcome.head_sha256.as_str().into()),
            ],
        )
    );
    if let Some(k) = signed_by {
        println!(
            "{}",
            lang.t_args(
                "cli-export-signed",
                &[
                    ("signer", k.signer.as_str().into()),
                    ("key", k.hex().into())
                ],
            )
        );
    }
    Ok(())
}

fn record(a: &RecordArgs, lang: Lang) -> Result<()> {
    // The package first: a broken one is refused before anything else is asked for.
    let pkg = review::record::read_package(&a.evidence)?;
    let flight = review::flight::read_flight(&a.flight_dir)?;
    let chromium = review::record::print::find_chromium(a.chromium.as_deref())
        .ok_or(review::record::print::PrintError::NoChromium)?;
    let written = review::record::write_records(&pkg, &flight, &a.out, &chromium, lang)?;
    for p in &written.findings {
        println!("{}", p.display());
    }
    println!(
        "{}",
        lang.t_args(
            "cli-record-written",
            &[
                ("file", written.flight.display().to_string().into()),
                ("count", written.findings.len().into()),
                ("head", pkg.head_sha256.as_str().into()),
            ],
        )
    );
    Ok(())
}

fn keygen(a: &KeygenArgs, lang: Lang) -> Result<()> {
    let public = signature::generate(&a.out, &a.signer)?;
    println!(
        "{}",
        lang.t_args(
            "cli-keygen-secret",
            &[
                ("file", a.out.display().to_string().into()),
                ("signer", public.signer.as_str().into()),
            ],
        )
    );
    println!(
        "{}",
        lang.t_args(
            "cli-keygen-public",
            &[
                (
                    "file",
                    signature::public_key_path(&a.out)
                        .display()
                        .to_string()
                        .into()
                ),
                ("key", public.hex().into()),
            ],
        )
    );
    Ok(())
}

fn verify(a: &VerifyArgs, lang: Lang) -> Result<bool> {
    let trusted = a
        .public_keys
        .iter()
        .map(|p| signature::read_public_key(p).context("--public-key"))
        .collect::<Result<Vec<_>>>()?;
    let v = review::evidence::manifest::verify_with_keys(&a.evidence_dir, &trusted);
    for p in &v.problems {
        println!("{p}");
    }
    if !matches!(v.signature, signature::SignatureCheck::Invalid(_)) {
        println!("{}", v.signature);
    }
    if v.ok() {
        println!(
            "{}",
            lang.t_args(
                "cli-verify-ok",
                &[
                    ("dir", a.evidence_dir.display().to_string().into()),
                    ("files", v.files_checked.into()),
                    ("entries", v.entries_checked.into()),
                    ("head", v.head_sha256.as_deref().unwrap_or("").into()),
                ],
            )
        );
    } else {
        println!(
            "{}",
            lang.t_args(
                "cli-verify-failed",
                &[
                    ("dir", a.evidence_dir.display().to_string().into()),
                    ("problems", v.problems.len().into()),
                ],
            )
        );
    }
    Ok(v.ok())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli.lang.unwrap_or_else(Lang::from_locale);
    let result = match &cli.command {
        Command::Score(a) => score(a, lang),
        Command::Report(a) => report(a, lang),
        Command::Decide(a) => decide_cmd::decide(a, lang),
        Command::Export(a) => export(a, lang),
        Command::Keygen(a) => keygen(a, lang),
        Command::Record(a) => record(a, lang),
        Command::Dataset(a) => dataset_cmd::dataset(a),
        Command::Patrol(a) => patrol_cmd::patrol(a, lang),
        Command::Ingest(a) => store_cmd::ingest(a),
        Command::Sites(a) => store_cmd::sites(a),
        Command::Serve(a) => serve_cmd::serve(a, lang),
        Command::Token(a) => serve_cmd::token(a),
        Command::Verify(a) => match verify(a, lang) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
    };
    qly_cli::exit(result)
}
