//! `review dataset FLIGHT... --out DIR`: the inspectors' decisions on flights, and labelled
//! datasets a bureau already holds (`--yolo DIR`, `--coco FILE`), as one YOLO-format training
//! dataset split by flight (`review::dataset`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use review::dataset::from_flight::{read_flight_decisions, samples_from_flight};
use review::dataset::import_coco::import_coco;
use review::dataset::import_yolo::import_yolo;
use review::dataset::write::write_dataset;
use review::dataset::ClassMap;

#[derive(clap::Args)]
pub struct DatasetArgs {
    /// Flight folders with their decisions (`review decide` or the review page's download).
    pub flights: Vec<PathBuf>,
    /// The dataset folder to create (must be new or empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also import a labelled dataset in YOLO txt format (images/, labels/, and classes.txt
    /// or data.yaml `names`); repeatable.
    #[arg(long, value_name = "DIR")]
    pub yolo: Vec<PathBuf>,
    /// Also import a labelled dataset in COCO json; repeatable. Image files are taken
    /// relative to the json's folder, or to --coco-images.
    #[arg(long, value_name = "FILE")]
    pub coco: Vec<PathBuf>,
    /// The folder the COCO files' `file_name`s are relative to.
    #[arg(long, value_name = "DIR")]
    pub coco_images: Option<PathBuf>,
    /// An imported class name and what it is: NAME=outfall, NAME=plume or NAME=ignore;
    /// repeatable. `outfall` and `plume` map onto themselves.
    #[arg(long, value_name = "NAME=CLASS")]
    pub map: Vec<String>,
    /// Flights or imported datasets (by folder or file name) for validation; repeatable.
    /// Default: --val-fraction of them, chosen by a hash of their names.
    #[arg(long, value_name = "NAME")]
    pub val: Vec<String>,
    /// The fraction of flights and datasets held out for validation (whole flights, never
    /// single photos).
    #[arg(long, default_value_t = 0.25)]
    pub val_fraction: f64,
}

pub fn dataset(a: &DatasetArgs) -> Result<()> {
    if a.flights.is_empty() && a.yolo.is_empty() && a.coco.is_empty() {
        bail!("nothing to build from: give flight folders, --yolo DIR or --coco FILE");
    }
    let map = ClassMap::parse(&a.map).map_err(anyhow::Error::msg)?;
    let mut samples = Vec::new();
    for dir in &a.flights {
        let flight = review::flight::read_flight(dir)
            .with_context(|| format!("flight folder {}", dir.display()))?;
        let decisions = read_flight_decisions(&flight)?;
        let got = samples_from_flight(&flight, &decisions);
        let positives = got.samples.iter().filter(|s| !s.boxes.is_empty()).count();
        println!(
            "{}: {} photos with findings, {} hard negatives, {} left out",
            dir.display(),
            positives,
            got.samples.len() - positives,
            got.left_out.len()
        );
        for (photo, why) in &got.left_out {
            println!("  left out {photo}: {why}");
        }
        samples.extend(got.samples);
    }
    for dir in &a.yolo {
        let got = import_yolo(dir, &map)?;
        println!("{}: {} photos imported (YOLO)", dir.display(), got.len());
        samples.extend(got);
    }
    for json in &a.coco {
        let images = match &a.coco_images {
            Some(d) => d.clone(),
            None => json
                .parent()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".")),
        };
        let got = import_coco(json, &images, &map)?;
        println!("{}: {} photos imported (COCO)", json.display(), got.len());
        samples.extend(got);
    }
    if samples.is_empty() {
        bail!("no labelled photos: no decided findings in the flights and nothing imported");
    }
    let written = write_dataset(&a.out, &samples, &a.val, a.val_fraction)?;
    for (split, (pos, neg)) in &written.photos {
        let boxes: Vec<String> = written
            .boxes
            .iter()
            .filter(|((s, _), _)| s == split)
            .map(|((_, c), n)| format!("{n} {c}"))
            .collect();
        println!(
            "{split}: {pos} photos with boxes ({}), {neg} hard negatives",
            if boxes.is_empty() {
                "none".into()
            } else {
                boxes.join(", ")
            }
        );
    }
    if written.val_groups.is_empty() {
        eprintln!(
            "WARNING: no validation split (one flight or dataset only): add flights or name one with --val"
        );
    } else {
        println!(
            "validation: {}",
            written
                .val_groups
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "{}: data.yaml, images/, labels/, provenance.csv",
        a.out.display()
    );
    Ok(())
}
