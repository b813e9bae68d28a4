//! Companion throughput: end-to-end frames per second of the photo pipeline (JPEG decode,
//! letterbox, inference, output decoding, NMS, geotag and fusion, journal) against raw
//! `session.run` on a pre-made tensor of the same model with the same thread count, measured
//! side by side (interleaved rounds) in one run.
//!
//! ```text
//! cargo bench -p companion --bench pipeline -- --model M.onnx --frames DIR \
//!     [--threads 1,2] [--rounds 3] [--journal PATH] [--json OUT.json]
//! ```
//! `bench/companion.sh` builds the model and frames and runs this and the Python version.
//! `ORT_DYLIB_PATH` names the ONNX Runtime library (scripts/setup-env.sh sets it).
//!
//! Four ways through the frames, each round in turn:
//! - `raw`: `session.run` on the letterboxed tensor of frame 0, once per frame;
//! - `pipeline`: [`Pipeline::process`] then the journal, one frame after the other;
//! - `sequential`: [`companion::batch::process_overlapped`] without overlap (the batch's
//!   one-pass letterbox), one frame after the other;
//! - `overlapped`: [`companion::batch::process_overlapped`], decoding and letterboxing the next
//!   frame on a second thread while this one is inferred.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use companion::batch::{process_overlapped, FrameJob, FrameResult, JpegSource};
use companion::detect::{decode_jpeg, Detector, DetectorConfig, OnnxRuntime, RuntimeConfig};
use companion::fusion::{Fusion, FusionSettings};
use companion::pipeline::{PhotoIn, Pipeline, StageTimes};
use companion::record::{Record, RecordSink, SinkError};
use companion::Findings;
use ort::value::TensorRef;
use qly_core::geotag::{CameraMount, CameraPose, Uncertainty};
use qly_core::intrinsics::{BrownConrady, CameraIntrinsics};
use qly_core::pose::AmslPosition;
use qly_core::rotation::Quat;
use qly_core::terrain::FlatGround;

/// One JSON line per record, flushed to the file on every append (a `write` per record; no
/// fsync).
///
/// JOURNAL: replace with `companion::journal::Journal` (which implements `RecordSink`) when it
/// lands, so the bench pays the real journal's cost.
struct JsonlSink {
    out: BufWriter<File>,
}

impl RecordSink for JsonlSink {
    fn append(&mut self, record: &Record) -> Result<(), SinkError> {
        serde_json::to_writer(&mut self.out, record)?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        Ok(())
    }
}

struct Args {
    model: PathBuf,
    frames: PathBuf,
    threads: Vec<usize>,
    rounds: usize,
    journal: PathBuf,
    json: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut model = None;
    let mut frames = None;
    let mut threads = vec![1, 2];
    let mut rounds = 3;
    let mut journal = std::env::temp_dir().join("qly_bench_rust.jsonl");
    let mut json = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--model" => model = Some(PathBuf::from(value("--model")?)),
            "--frames" => frames = Some(PathBuf::from(value("--frames")?)),
            "--threads" => {
                threads = value("--threads")?
                    .split(',')
                    .map(|t| t.trim().parse().map_err(|_| format!("--threads {t}")))
                    .collect::<Result<_, _>>()?
            }
            "--rounds" => {
                rounds = value("--rounds")?
                    .parse()
                    .map_err(|_| "--rounds: a count".to_string())?
            }
            "--journal" => journal = PathBuf::from(value("--journal")?),
            "--json" => json = Some(PathBuf::from(value("--json")?)),
            _ => {} // cargo bench's own flags (--bench)
        }
    }
    Ok(Args {
        model: model.ok_or("--model MODEL.onnx is required (bench/companion.sh makes one)")?,
        frames: frames.ok_or("--frames DIR is required (bench/companion.sh makes them)")?,
        threads,
        rounds,
        journal,
        json,
    })
}

/// A frame's name and JPEG bytes.
type Frame = (String, Arc<[u8]>);

fn load_frames(dir: &Path) -> Result<Vec<Frame>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("no .jpg frames in {}", dir.display()));
    }
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok((p.display().to_string(), Arc::from(bytes)))
        })
        .collect()
}

/// The bench camera: nadir, 100 m over flat ground, f = 1500 px.
fn camera(width_px: u32, height_px: u32) -> (CameraPose, CameraIntrinsics) {
    let pose = CameraPose {
        position: AmslPosition::new(30.55, 114.31, 125.0).expect("valid position"),
        q_ned_body: Quat::from_ypr_deg(0.0, 0.0, 0.0),
        mount: CameraMount::EarthFrame(Quat::from_ypr_deg(0.0, -90.0, 0.0)),
    };
    let k = CameraIntrinsics::new(
        width_px,
        height_px,
        1500.0,
        1500.0,
        width_px as f64 / 2.0,
        height_px as f64 / 2.0,
        BrownConrady::NONE,
    )
    .expect("valid intrinsics");
    (pose, k)
}

fn pipeline(model: &Path, threads: usize) -> Result<Pipeline, Box<dyn std::error::Error>> {
    let detector = Detector::new(&DetectorConfig {
        runtime: RuntimeConfig {
            library_path: None,
            intra_op_threads: threads,
        },
        ..DetectorConfig::new(model)
    })?;
    let findings = Findings::new(
        Fusion::new(FusionSettings::default(), None)?,
        Box::new(FlatGround {
            height_amsl_m: 25.0,
        }),
        Uncertainty {
            horizontal_position_sigma_m: 1.0,
            altitude_sigma_m: 1.0,
            roll_pitch_sigma_deg: 0.5,
            heading_sigma_deg: 1.0,
            pixel_sigma_px: 2.0,
        },
    );
    Ok(Pipeline::new(detector, findings))
}

#[derive(Default)]
struct Figures {
    raw: Duration,
    pipeline: Duration,
    sequential: Duration,
    overlapped: Duration,
    pipe_stages: StageTimes,
    seq_stages: StageTimes,
    ovl_stages: StageTimes,
    frames: usize,
    /// Letterbox of frame 0: the detector's two-pass path and the batch's one-pass one.
    letterbox_two_pass: Duration,
    letterbox_one_pass: Duration,
    /// CPU time of the thread calling `session.run` in the raw runs.
    raw_thread_cpu: Duration,
    /// Overlapped runs: CPU time of the calling (inference) thread, and of all other threads
    /// of the process (the decode thread, and ONNX Runtime's pool above one thread).
    ovl_main_cpu: Duration,
    ovl_other_cpu: Duration,
    /// Sequential runs: CPU time of the calling thread (all the work at one intra-op thread).
    seq_thread_cpu: Duration,
    /// Per round: raw, pipeline, sequential, overlapped wall times.
    rounds: Vec<[Duration; 4]>,
}

/// CPU time of this thread or process (`CLOCK_THREAD_CPUTIME_ID`/`CLOCK_PROCESS_CPUTIME_ID`):
/// unlike wall time it does not count time spent waiting for a core taken by other programs.
fn cpu_time(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock ids are the two POSIX CPU clocks.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn ms(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1000.0 / n as f64
}

fn run(
    args: &Args,
    threads: usize,
    frames: &[Frame],
) -> Result<Figures, Box<dyn std::error::Error>> {
    let mut pipe = pipeline(&args.model, threads)?;
    let first = decode_jpeg(&frames[0].1, &frames[0].0)?;
    let (pose, k) = camera(first.width(), first.height());
    let (input, _) = pipe.detector().preprocess(&first);
    let runtime = OnnxRuntime::load(&RuntimeConfig {
        library_path: None,
        intra_op_threads: threads,
    })?;
    let mut session = runtime.open_session(&args.model)?;
    let input_name = session.inputs()[0].name().to_string();
    let raw_run = |session: &mut ort::session::Session| -> Result<(), Box<dyn std::error::Error>> {
        let outputs = session
            .run(ort::inputs![input_name.as_str() => TensorRef::from_array_view(&input)?])?;
        drop(outputs);
        Ok(())
    };
    let mut sink = JsonlSink {
        out: BufWriter::new(File::create(&args.journal)?),
    };
    let jobs: Vec<FrameJob> = frames
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| FrameJob {
            image_index: i as u64,
            file: name.clone(),
            jpeg: JpegSource::Bytes(bytes.clone()),
            t_utc_us: 1_715_493_807_000_000 + i as i64 * 2_000_000,
            pose,
            intrinsics: k,
            uncertainty: None,
        })
        .collect();
    // Warm-up: the first runs allocate ONNX Runtime's arenas.
    for _ in 0..3 {
        raw_run(&mut session)?;
    }
    let photo = |i: usize| PhotoIn {
        boot: 0,
        image_index: i as u64,
        file: &frames[i].0,
        jpeg: &frames[i].1,
        t_utc_us: 0,
        t_boot_ms: None,
        pose: &pose,
        intrinsics: &k,
    };
    pipe.process(&photo(0))?;

    let mut f = Figures {
        frames: frames.len() * args.rounds,
        ..Figures::default()
    };
    for _ in 0..args.rounds {
        let mut round = [Duration::ZERO; 4];
        let t = Instant::now();
        let c = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
        for _ in frames {
            raw_run(&mut session)?;
        }
        f.raw_thread_cpu += cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - c;
        round[0] = t.elapsed();
        f.raw += round[0];

        let t = Instant::now();
        for i in 0..frames.len() {
            let (outcome, mut times) = pipe.process(&photo(i))?;
            let tj = Instant::now();
            for r in outcome.records() {
                sink.append(&r).map_err(|e| e.to_string())?;
            }
            times.findings += tj.elapsed();
            f.pipe_stages.add(&times);
        }
        round[1] = t.elapsed();
        f.pipeline += round[1];

        for overlap in [false, true] {
            let t = Instant::now();
            let (c_thread, c_process) = (
                cpu_time(libc::CLOCK_THREAD_CPUTIME_ID),
                cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID),
            );
            let mut skipped = Vec::new();
            let stages = process_overlapped(&jobs, overlap, &mut pipe, &mut sink, |_, r| {
                if let FrameResult::Skipped(s) = r {
                    skipped.push(s);
                }
            })?;
            let wall = t.elapsed();
            if !skipped.is_empty() {
                return Err(format!("frames skipped: {skipped:?}").into());
            }
            if overlap {
                let main = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - c_thread;
                f.ovl_main_cpu += main;
                f.ovl_other_cpu +=
                    (cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID) - c_process).saturating_sub(main);
                f.overlapped += wall;
                round[3] = wall;
                f.ovl_stages.add(&stages);
            } else {
                f.seq_thread_cpu += cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - c_thread;
                f.sequential += wall;
                round[2] = wall;
                f.seq_stages.add(&stages);
            }
        }
        f.rounds.push(round);
    }
    let meta = pipe.detector().metadata().clone();
    let g = companion::detect::Letterbox::new(
        first.width(),
        first.height(),
        meta.input_width_px,
        meta.input_height_px,
    );
    let reps = 20;
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(pipe.detector().preprocess(&first));
    }
    f.letterbox_two_pass = t.elapsed() / reps;
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(companion::detect::letterbox::letterbox_nchw(
            &first,
            &g,
            &meta.normalisation,
        ));
    }
    f.letterbox_one_pass = t.elapsed() / reps;
    Ok(f)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("pipeline bench: {e}");
            std::process::exit(2);
        }
    };
    let frames = match load_frames(&args.frames) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("pipeline bench: {e}");
            std::process::exit(2);
        }
    };
    let mut report = serde_json::Map::new();
    println!(
        "model {}, {} frames x {} rounds",
        args.model.display(),
        frames.len(),
        args.rounds
    );
    println!(
        "{:>7} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}",
        "threads",
        "mode",
        "decode",
        "lbox",
        "infer",
        "post",
        "find+jnl",
        "total",
        "wall",
        "fps",
        "raw",
        "ratio"
    );
    for &threads in &args.threads {
        let f = match run(&args, threads, &frames) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("pipeline bench at {threads} threads: {e}");
                std::process::exit(1);
            }
        };
        let n = f.frames;
        let raw_fps = n as f64 / f.raw.as_secs_f64();
        let mut per = serde_json::Map::new();
        per.insert("raw_fps".into(), raw_fps.into());
        per.insert("raw_ms".into(), ms(f.raw, n).into());
        for (mode, wall, s) in [
            ("pipeline", f.pipeline, f.pipe_stages),
            ("sequential", f.sequential, f.seq_stages),
            ("overlapped", f.overlapped, f.ovl_stages),
        ] {
            let fps = n as f64 / wall.as_secs_f64();
            println!(
                "{:>7} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7.2} {:>7.3}",
                threads,
                mode,
                ms(s.jpeg_decode, n),
                ms(s.preprocess, n),
                ms(s.inference, n),
                ms(s.postprocess, n),
                ms(s.findings, n),
                ms(s.total(), n),
                ms(wall, n),
                fps,
                raw_fps,
                fps / raw_fps
            );
            per.insert(
                mode.into(),
                serde_json::json!({
                    "fps": fps,
                    "ratio": fps / raw_fps,
                    "wall_ms": ms(wall, n),
                    "stage_ms": {
                        "jpeg_decode": ms(s.jpeg_decode, n),
                        "preprocess": ms(s.preprocess, n),
                        "inference": ms(s.inference, n),
                        "postprocess": ms(s.postprocess, n),
                        "findings_and_journal": ms(s.findings, n),
                    }
                }),
            );
        }
        let median_ratio = |mode: usize| {
            let mut r: Vec<f64> = f
                .rounds
                .iter()
                .map(|x| x[0].as_secs_f64() / x[mode].as_secs_f64())
                .collect();
            companion::batch::median(&mut r).unwrap_or(f64::NAN)
        };
        let medians = [median_ratio(1), median_ratio(2), median_ratio(3)];
        // Contention-free view of the overlap: with a core each, the inference thread's CPU
        // per frame bounds the frame rate (if the decode thread needs less). Only at one
        // intra-op thread is the raw run's CPU all on the calling thread.
        if threads == 1 {
            let (raw_cpu, main_cpu, other_cpu) = (
                ms(f.raw_thread_cpu, n),
                ms(f.ovl_main_cpu, n),
                ms(f.ovl_other_cpu, n),
            );
            println!(
                "{:>7} cpu ms/frame: sequential, all stages on one thread {:.2}",
                threads,
                ms(f.seq_thread_cpu, n)
            );
            println!(
                "{:>7} cpu ms/frame: raw session.run {:.2}; overlapped: inference thread {:.2}, decode thread {:.2}; cpu ratio raw/inference-thread {:.3}",
                threads, raw_cpu, main_cpu, other_cpu, raw_cpu / main_cpu
            );
            per.insert(
                "cpu_ms_per_frame".into(),
                serde_json::json!({
                    "raw_thread": raw_cpu,
                    "overlapped_inference_thread": main_cpu,
                    "overlapped_decode_thread": other_cpu,
                    "cpu_ratio": raw_cpu / main_cpu,
                    "sequential_thread": ms(f.seq_thread_cpu, n),
                }),
            );
        }
        println!(
            "{:>7} median of per-round ratios: pipeline {:.3}, sequential {:.3}, overlapped {:.3}",
            threads, medians[0], medians[1], medians[2]
        );
        per.insert(
            "median_round_ratio".into(),
            serde_json::json!({
                "pipeline": medians[0],
                "sequential": medians[1],
                "overlapped": medians[2],
            }),
        );
        println!(
            "{:>7} letterbox of one frame: detector two-pass {:.2} ms, batch one-pass {:.2} ms",
            threads,
            f.letterbox_two_pass.as_secs_f64() * 1000.0,
            f.letterbox_one_pass.as_secs_f64() * 1000.0
        );
        per.insert(
            "letterbox_ms".into(),
            serde_json::json!({
                "two_pass": f.letterbox_two_pass.as_secs_f64() * 1000.0,
                "one_pass": f.letterbox_one_pass.as_secs_f64() * 1000.0,
            }),
        );
        report.insert(threads.to_string(), per.into());
    }
    if let Some(path) = &args.json {
        let text = serde_json::Value::Object(report).to_string();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("pipeline bench: {}: {e}", path.display());
            std::process::exit(1);
        }
    }
}
