//! Loader of NAS-Bench-360's FSD50K files (multi-label sound events, 200
//! labels), as the reference's `load_audio` reads them.
//!
//! Layout under the task directory:
//!
//! * `data/chunks/tr.csv`, `val.csv`, `eval.csv`: pandas CSV manifests with
//!   columns `files` (a WAV file per row), `labels` (comma-separated label
//!   names, quoted because of the commas) and `ext` (the clip the chunk was
//!   cut from). The benchmark's preprocessing cut every clip into 1-second
//!   chunks overlapping by half a second (`{clip}_{index:04}.wav`, 16-bit PCM
//!   at 22050 Hz), so one row is one chunk. A manifest without `ext` takes the
//!   clip from the file name (the part before the first `_`), as the
//!   preprocessing derived it. Relative paths are resolved against the task
//!   directory (the reference passes them unchanged to `soundfile`, i.e.
//!   relative to its working directory); the published manifests hold
//!   absolute paths, which are used as they are.
//! * `data/chunks/lbl_map.json`: label name -> index, 200 labels.
//!
//! Each chunk is read mono (16-bit or other integer PCM scaled to [-1, 1) as
//! `soundfile` does, or 32-bit float), tiled to at least one second as
//! `load_audio(min_duration=1)` does for short clips, and turned into 96
//! log-mel bands x 101 frames with [`MelSpectrogram::fsd50k_features`]. A
//! 1-second chunk gives exactly 101 frames; a longer one is cropped (training:
//! at an offset drawn from `options.seed`, the reference's `RandomCrop`;
//! validation and test: the centre) and a shorter one, which tiling rules out,
//! would be padded with its minimum, centred (the reference's `PadToSize`).
//!
//! Samples are ordered by clip (clip ids sorted as `np.unique` sorts them:
//! numerically when all are integers), chunks of a clip in manifest order,
//! and `groups` holds each chunk's clip index. The reference evaluates a clip
//! by averaging its chunks' logits, which [`crate::metrics::one_minus_map`]
//! does from these groups. Training keeps every chunk as a sample, whereas
//! the reference draws one random chunk per clip each epoch. Left out: the
//! training augmentations (background noise from `data/noise_22050` mixed in
//! with probability 0.75, SpecAugment masking, wrap padding), which are
//! random per epoch and belong to a trainer, not to a loader.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use oxinas_core::seed::rng_from_seed;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

use crate::error::Nb360Error;
use crate::mel_spectrogram::{MelConfig, MelSpectrogram};
use crate::task::Nb360Task;
use crate::task_data::{LoadOptions, TaskData, TaskSplit};

/// Sample rate of the benchmark's resampled FSD50K audio.
pub const SAMPLE_RATE: u32 = 22_050;
/// Number of labels (the FSD50K vocabulary).
pub const LABELS: usize = 200;
/// Mel bands of a network input.
pub const MEL_BANDS: usize = 96;
/// Frames of a network input (one second at a 220-sample hop).
pub const CHUNK_FRAMES: usize = 101;
/// Shortest audio after tiling: `load_audio(min_duration=1)`.
pub const MIN_SAMPLES: usize = SAMPLE_RATE as usize;

/// Where the manifests and the label map live, relative to the task directory.
pub const META_DIR: &str = "data/chunks";

/// The tone (Hz) that marks label `i` in [`write_fixture`]'s synthetic clips;
/// clips there only carry these first labels.
pub const FIXTURE_TONES_HZ: [f64; 4] = [300.0, 900.0, 2500.0, 6000.0];

const TASK: &str = "fsd50k";

/// Which published split a manifest holds; training crops at random.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Train,
    Evaluate,
}

/// One manifest row.
#[derive(Clone, Debug, PartialEq)]
struct ManifestRow {
    /// 1-based line of the row in the CSV file.
    line: usize,
    /// The WAV file as written in the manifest.
    file: String,
    /// Label indices.
    labels: Vec<usize>,
    /// The clip the chunk belongs to.
    clip: String,
}

/// Loads the task from `dir` (the published layout, see the module docs).
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let meta = dir.join(META_DIR);
    let map_path = meta.join("lbl_map.json");
    let label_map = read_label_map(&map_path)?;
    let mel = MelSpectrogram::new(MelConfig::FSD50K)?;
    // All manifests are checked before any audio is decoded.
    let manifests = ["tr.csv", "val.csv", "eval.csv"].map(|name| {
        let path = meta.join(name);
        read_manifest(&path, &label_map).map(|rows| (path, rows))
    });
    let [train, valid, test] = manifests;
    let (train, valid, test) = (train?, valid?, test?);
    let split = |(csv, rows): &(PathBuf, Vec<ManifestRow>), role, seed_stream: u64| {
        build_split(dir, csv, rows, &mel, options, role, seed_stream)
    };
    Ok(TaskData {
        spec: Nb360Task::Fsd50k.spec(),
        train: split(&train, Role::Train, 0)?,
        valid: split(&valid, Role::Evaluate, 1)?,
        test: split(&test, Role::Evaluate, 2)?,
        target_normalizer: None,
    })
}

fn missing(path: &Path, hint: impl Into<String>) -> Nb360Error {
    Nb360Error::MissingFile {
        task: TASK,
        path: path.to_path_buf(),
        hint: hint.into(),
    }
}

fn read_text(path: &Path) -> Result<String, Nb360Error> {
    if !path.is_file() {
        return Err(missing(
            path,
            "the NAS-Bench-360 FSD50K download puts manifests and lbl_map.json under data/chunks/",
        ));
    }
    let bytes = fs::read(path).map_err(|e| Nb360Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        Nb360Error::format(
            path,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// Reads `lbl_map.json`: an object of [`LABELS`] label names, each mapped to
/// a distinct index below [`LABELS`].
fn read_label_map(path: &Path) -> Result<HashMap<String, usize>, Nb360Error> {
    let text = read_text(path)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Nb360Error::format(path, format!("not JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| Nb360Error::format(path, "expected a JSON object of label name -> index"))?;
    if object.len() != LABELS {
        return Err(Nb360Error::format(
            path,
            format!("{} labels, expected {LABELS}", object.len()),
        ));
    }
    let mut seen = [false; LABELS];
    let mut map = HashMap::with_capacity(LABELS);
    for (name, index) in object {
        let i = index
            .as_u64()
            .filter(|&i| (i as usize) < LABELS)
            .ok_or_else(|| {
                Nb360Error::format(
                    path,
                    format!("label `{name}`: index {index} is not an integer below {LABELS}"),
                )
            })? as usize;
        if std::mem::replace(&mut seen[i], true) {
            return Err(Nb360Error::format(
                path,
                format!("label `{name}`: index {i} is used twice"),
            ));
        }
        map.insert(name.clone(), i);
    }
    Ok(map)
}

/// One CSV record and the line it starts on.
#[derive(Clone, Debug, PartialEq)]
struct CsvRecord {
    line: usize,
    fields: Vec<String>,
}

/// Parses CSV as pandas writes it (with the `csv` crate): comma-separated,
/// fields containing commas, quotes or line breaks enclosed in double quotes
/// with `""` for a quote, `\n` or `\r\n` line ends; blank lines are skipped
/// (as `read_csv` does).
fn parse_csv(text: &str, path: &Path) -> Result<Vec<CsvRecord>, Nb360Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(line) = unclosed_quote_line(text) {
        return Err(Nb360Error::format(
            path,
            format!("line {line}: a quoted field is never closed"),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // Lines are counted here from the byte where each record starts: the
    // csv crate's own count lags by one after a `\r\n` line end.
    let bytes = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, 1usize);
    let mut line_at = |byte: usize| {
        let mut start = byte.min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        line += bytes[counted_to.min(start)..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = counted_to.max(start);
        line
    };
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            Nb360Error::format(path, format!("line {line}: {e}"))
        })?;
        let start = record.position().map_or(0, |p| p.byte() as usize);
        records.push(CsvRecord {
            line: line_at(start),
            fields: record.iter().map(str::to_owned).collect(),
        });
    }
    Ok(records)
}

/// The line where a quoted field opens that the text never closes. The `csv`
/// crate ends such a field silently at the end of the input; pandas refuses
/// the file, and so does this reader.
fn unclosed_quote_line(text: &str) -> Option<usize> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut state, mut line, mut opened) = (State::FieldStart, 1, 0);
    for c in text.chars() {
        state = match (state, c) {
            (State::Quoted, '"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, '"') => State::Quoted,
            (State::FieldStart, '"') => {
                opened = line;
                State::Quoted
            }
            (_, ',' | '\n') => State::FieldStart,
            _ => State::Unquoted,
        };
        if c == '\n' {
            line += 1;
        }
    }
    (state == State::Quoted).then_some(opened)
}

/// Reads a manifest and resolves its label names.
fn read_manifest(
    path: &Path,
    label_map: &HashMap<String, usize>,
) -> Result<Vec<ManifestRow>, Nb360Error> {
    let text = read_text(path)?;
    let mut records = parse_csv(&text, path)?.into_iter();
    let header = records
        .next()
        .ok_or_else(|| Nb360Error::format(path, "empty; expected a header `files,labels,ext`"))?;
    let column = |name: &str| header.fields.iter().position(|f| f.trim() == name);
    let (Some(files_col), Some(labels_col)) = (column("files"), column("labels")) else {
        return Err(Nb360Error::format(
            path,
            format!(
                "line {}: header {:?} lacks the `files` and `labels` columns",
                header.line, header.fields
            ),
        ));
    };
    let ext_col = column("ext");
    let mut rows = Vec::new();
    for record in records {
        let line = record.line;
        if record.fields.len() != header.fields.len() {
            return Err(Nb360Error::format(
                path,
                format!(
                    "line {line}: {} fields, the header has {}",
                    record.fields.len(),
                    header.fields.len()
                ),
            ));
        }
        let file = record.fields[files_col].clone();
        if file.is_empty() {
            return Err(Nb360Error::format(
                path,
                format!("line {line}: empty `files` value"),
            ));
        }
        let names = &record.fields[labels_col];
        if names.is_empty() {
            return Err(Nb360Error::format(
                path,
                format!("line {line}: no labels (expected comma-separated label names)"),
            ));
        }
        let labels = names
            .split(',')
            .map(|name| {
                label_map.get(name).copied().ok_or_else(|| {
                    Nb360Error::format(
                        path,
                        format!("line {line}: label `{name}` is not in lbl_map.json"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let clip = match ext_col {
            Some(c) => record.fields[c].clone(),
            None => clip_from_file_name(&file),
        };
        rows.push(ManifestRow {
            line,
            file,
            labels,
            clip,
        });
    }
    Ok(rows)
}

/// The clip of a chunk file as the preprocessing named it: the file name up
/// to its first `.`, then up to its first `_` (`{clip}_{index:04}.wav`).
fn clip_from_file_name(file: &str) -> String {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = name.split('.').next().unwrap_or(name);
    stem.split('_').next().unwrap_or(stem).to_owned()
}

/// Row indices grouped by clip, clips sorted as `np.unique` sorts the `ext`
/// column (numerically when every id is an integer, else as text), rows of
/// a clip in manifest order.
fn clips_in_order(rows: &[ManifestRow]) -> Vec<Vec<usize>> {
    let mut by_clip: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_clip.entry(row.clip.as_str()).or_default().push(i);
    }
    let mut clips: Vec<(&str, Vec<usize>)> = by_clip.into_iter().collect();
    let numeric: Option<Vec<i64>> = clips.iter().map(|(c, _)| c.trim().parse().ok()).collect();
    match numeric {
        Some(keys) => {
            let mut keyed: Vec<_> = keys.into_iter().zip(clips).collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.0.cmp(b.1.0)));
            keyed.into_iter().map(|(_, (_, rows))| rows).collect()
        }
        None => {
            clips.sort_by(|a, b| a.0.cmp(b.0));
            clips.into_iter().map(|(_, rows)| rows).collect()
        }
    }
}

/// How a spectrogram longer than [`CHUNK_FRAMES`] is cut.
#[derive(Clone, Copy)]
enum Cut {
    /// At `draw % (extra frames + 1)` (training).
    Random(u64),
    /// In the middle (evaluation).
    Centre,
}

/// Features, targets and clip groups of one manifest's rows.
fn build_split(
    dir: &Path,
    csv: &Path,
    rows: &[ManifestRow],
    mel: &MelSpectrogram,
    options: &LoadOptions,
    role: Role,
    seed_stream: u64,
) -> Result<TaskSplit, Nb360Error> {
    let mut order: Vec<(usize, u32)> = Vec::with_capacity(rows.len());
    for (clip, members) in clips_in_order(rows).into_iter().enumerate() {
        order.extend(members.into_iter().map(|r| (r, clip as u32)));
    }
    if let Some(limit) = options.limit {
        order.truncate(limit);
    }
    // Crop offsets are drawn up front, in sample order, so that they do not
    // depend on how many threads compute the features.
    let mut rng = rng_from_seed(oxinas_core::seed::derive_seed(options.seed, &[seed_stream]));
    let jobs: Vec<(&ManifestRow, Cut)> = order
        .iter()
        .map(|&(r, _)| {
            let cut = match role {
                Role::Train => Cut::Random(rng.next_u64()),
                Role::Evaluate => Cut::Centre,
            };
            (&rows[r], cut)
        })
        .collect();
    let features = chunk_features_parallel(dir, csv, &jobs, mel)?;
    let mut targets = vec![0f32; jobs.len() * LABELS];
    for ((row, _), target) in jobs.iter().zip(targets.chunks_exact_mut(LABELS)) {
        for &label in &row.labels {
            target[label] = 1.0;
        }
    }
    Ok(TaskSplit {
        inputs: features,
        input_shape: [1, MEL_BANDS, CHUNK_FRAMES],
        targets,
        target_len: LABELS,
        groups: Some(order.iter().map(|&(_, clip)| clip).collect()),
    })
}

/// Features of every job, computed on the available cores in contiguous
/// blocks; the first failing row (in order) is reported.
fn chunk_features_parallel(
    dir: &Path,
    csv: &Path,
    jobs: &[(&ManifestRow, Cut)],
    mel: &MelSpectrogram,
) -> Result<Vec<f32>, Nb360Error> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len())
        .max(1);
    let block = jobs.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<f32>, Nb360Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(block)
            .map(|part| {
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(part.len() * MEL_BANDS * CHUNK_FRAMES);
                    for &(row, cut) in part {
                        out.extend(chunk_features(dir, csv, row, cut, mel)?);
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Nb360Error::Setting {
                        field: "fsd50k features".into(),
                        message: "a feature thread panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut features = Vec::with_capacity(jobs.len() * MEL_BANDS * CHUNK_FRAMES);
    for part in results {
        features.extend(part?);
    }
    Ok(features)
}

/// The resolved path of a manifest's `files` value.
fn resolve(dir: &Path, file: &str) -> PathBuf {
    let path = Path::new(file);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        dir.join(path)
    }
}

fn chunk_features(
    dir: &Path,
    csv: &Path,
    row: &ManifestRow,
    cut: Cut,
    mel: &MelSpectrogram,
) -> Result<Vec<f32>, Nb360Error> {
    let path = resolve(dir, &row.file);
    if !path.is_file() {
        return Err(missing(
            &path,
            format!("named by {} line {}", csv.display(), row.line),
        ));
    }
    let audio = tile_to_min_samples(&read_wav(&path)?, MIN_SAMPLES)
        .ok_or_else(|| Nb360Error::format(&path, "no samples"))?;
    let features = mel.fsd50k_features(&audio)?;
    let frames = features.len() / MEL_BANDS;
    Ok(fit_frames(&features, frames, cut))
}

/// Reads a mono WAV file at [`SAMPLE_RATE`] as floats: integer PCM divided by
/// `2^(bits-1)` (as `soundfile` returns it), 32-bit float as stored.
pub fn read_wav(path: &Path) -> Result<Vec<f32>, Nb360Error> {
    let wav_error = |e: hound::Error| match e {
        hound::Error::IoError(io) => Nb360Error::format(path, format!("unreadable WAV: {io}")),
        other => Nb360Error::format(path, format!("not a readable WAV file: {other}")),
    };
    let file = fs::File::open(path).map_err(|e| Nb360Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Nb360Error::io(path, e))?.len();
    let mut reader = hound::WavReader::new(std::io::BufReader::new(file)).map_err(wav_error)?;
    let spec = reader.spec();
    if spec.channels != 1 {
        return Err(Nb360Error::format(
            path,
            format!("{} channels; mono expected", spec.channels),
        ));
    }
    if spec.sample_rate != SAMPLE_RATE {
        return Err(Nb360Error::format(
            path,
            format!(
                "sample rate {} Hz; {SAMPLE_RATE} Hz expected (the benchmark's resampled FSD50K)",
                spec.sample_rate
            ),
        ));
    }
    let expected = reader.len() as usize;
    // The header's sample count is only trusted as far as the file can hold
    // it, so a corrupt count is an error before anything is reserved for it.
    let declared_bytes =
        u64::from(reader.len()).saturating_mul(u64::from(spec.bits_per_sample.div_ceil(8)));
    if declared_bytes > file_len {
        return Err(Nb360Error::format(
            path,
            format!(
                "truncated or corrupt: the header promises {expected} samples ({declared_bytes} bytes), the file has {file_len} bytes"
            ),
        ));
    }
    let truncated = |read: usize, e: hound::Error| {
        Nb360Error::format(
            path,
            format!(
                "truncated or corrupt: the header promises {expected} samples, reading stopped after {read}: {e}"
            ),
        )
    };
    let mut samples = Vec::with_capacity(expected);
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => {
            for s in reader.samples::<f32>() {
                samples.push(s.map_err(|e| truncated(samples.len(), e))?);
            }
        }
        (hound::SampleFormat::Int, bits @ 8..=32) => {
            let scale = 1.0 / f64::from(1u32 << (bits - 1));
            for s in reader.samples::<i32>() {
                let v = s.map_err(|e| truncated(samples.len(), e))?;
                samples.push((f64::from(v) * scale) as f32);
            }
        }
        (format, bits) => {
            return Err(Nb360Error::format(
                path,
                format!("{bits}-bit {format:?} samples; 8-32 bit integer or 32-bit float expected"),
            ));
        }
    }
    if samples.len() != expected {
        return Err(Nb360Error::format(
            path,
            format!(
                "truncated: the header promises {expected} samples, the file holds {}",
                samples.len()
            ),
        ));
    }
    Ok(samples)
}

/// `load_audio`'s padding of short clips: a clip shorter than `min` samples
/// is repeated `min / len + 1` times and cut to `min`; longer clips are kept.
/// `None` for an empty clip.
pub fn tile_to_min_samples(audio: &[f32], min: usize) -> Option<Vec<f32>> {
    if audio.is_empty() {
        return None;
    }
    if audio.len() >= min {
        return Some(audio.to_vec());
    }
    Some(audio.iter().copied().cycle().take(min).collect())
}

/// Cuts or pads a `[MEL_BANDS][frames]` spectrogram to [`CHUNK_FRAMES`].
fn fit_frames(features: &[f32], frames: usize, cut: Cut) -> Vec<f32> {
    let mut out = Vec::with_capacity(MEL_BANDS * CHUNK_FRAMES);
    if frames >= CHUNK_FRAMES {
        let extra = frames - CHUNK_FRAMES;
        let start = match cut {
            Cut::Random(draw) => (draw % (extra as u64 + 1)) as usize,
            Cut::Centre => extra / 2,
        };
        for band in features.chunks_exact(frames) {
            out.extend_from_slice(&band[start..start + CHUNK_FRAMES]);
        }
    } else {
        let floor = features.iter().copied().fold(f32::INFINITY, f32::min);
        let left = (CHUNK_FRAMES - frames) / 2;
        for band in features.chunks_exact(frames) {
            out.extend(std::iter::repeat_n(floor, left));
            out.extend_from_slice(band);
            out.extend(std::iter::repeat_n(floor, CHUNK_FRAMES - frames - left));
        }
    }
    out
}

/// The label names [`write_fixture`] writes: `Sound_000` .. `Sound_199`.
pub fn fixture_label_name(index: usize) -> String {
    format!("Sound_{index:03}")
}

/// Writes a 16-bit mono WAV at [`SAMPLE_RATE`] (as the preprocessing's
/// `sf.write(..., "PCM_16")`), samples clipped to [-1, 1].
fn write_wav16(path: &Path, samples: &[f32]) -> Result<(), Nb360Error> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let wav_error = |e: hound::Error| match e {
        hound::Error::IoError(io) => Nb360Error::io(path, io),
        other => Nb360Error::format(path, format!("cannot write WAV: {other}")),
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(wav_error)?;
    for &s in samples {
        let v = (f64::from(s).clamp(-1.0, 1.0) * 32767.0).round() as i16;
        writer.write_sample(v).map_err(wav_error)?;
    }
    writer.finalize().map_err(wav_error)
}

/// A CSV field as pandas writes it (quoted when it holds a comma or quote).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Writes a small learnable FSD50K data set in the published layout under
/// `dir`: `data/chunks/lbl_map.json` (200 names, [`fixture_label_name`]),
/// `data/chunks/{tr,val,eval}.csv` with `samples_per_split` chunk rows each
/// (columns `files,labels,ext`; training rows shuffled as the published
/// `tr.csv` is), and 1-second 16-bit WAV chunks under
/// `data/dev_22050_chunks/` and `data/eval_22050_chunks/` named
/// `{clip}_{index:04}.wav` (paths in the manifests relative to `dir`).
///
/// Each clip carries a random non-empty subset of the first four labels, and
/// its audio is the sum of those labels' tones ([`FIXTURE_TONES_HZ`], random
/// phases) plus a little noise, so the labels can be heard in the mel bands.
/// Validation and test clips alternate between one and two chunks, so
/// chunks share clips there.
pub fn write_fixture(dir: &Path, samples_per_split: usize, seed: u64) -> Result<(), Nb360Error> {
    let meta = dir.join(META_DIR);
    fs::create_dir_all(&meta).map_err(|e| Nb360Error::io(&meta, e))?;
    let names: Vec<String> = (0..LABELS).map(fixture_label_name).collect();
    let map: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), serde_json::Value::from(i)))
        .collect();
    let map_path = meta.join("lbl_map.json");
    fs::write(&map_path, serde_json::Value::Object(map).to_string())
        .map_err(|e| Nb360Error::io(&map_path, e))?;
    let mut rng = rng_from_seed(seed);
    for (csv, first_clip, audio_dir, shuffle) in [
        ("tr.csv", 1000, "data/dev_22050_chunks", true),
        ("val.csv", 2000, "data/dev_22050_chunks", false),
        ("eval.csv", 3000, "data/eval_22050_chunks", false),
    ] {
        let audio_path = dir.join(audio_dir);
        fs::create_dir_all(&audio_path).map_err(|e| Nb360Error::io(&audio_path, e))?;
        let mut rows: Vec<(String, String, u32)> = Vec::with_capacity(samples_per_split);
        let mut clip = first_clip;
        while rows.len() < samples_per_split {
            let chunks = if !shuffle && clip % 2 == 1 { 2 } else { 1 };
            let chunks = chunks.min(samples_per_split - rows.len());
            let subset: u32 = rng.random_range(1..16);
            let labels: Vec<usize> = (0..FIXTURE_TONES_HZ.len())
                .filter(|&i| subset & (1 << i) != 0)
                .collect();
            let label_text = labels
                .iter()
                .map(|&i| names[i].as_str())
                .collect::<Vec<_>>()
                .join(",");
            let phases: Vec<f64> = labels
                .iter()
                .map(|_| rng.random::<f64>() * std::f64::consts::TAU)
                .collect();
            for index in 0..chunks {
                let offset = index * MIN_SAMPLES / 2;
                let audio: Vec<f32> = (0..MIN_SAMPLES)
                    .map(|n| {
                        let t = (n + offset) as f64 / f64::from(SAMPLE_RATE);
                        let tones: f64 = labels
                            .iter()
                            .zip(&phases)
                            .map(|(&l, &p)| {
                                0.2 * (std::f64::consts::TAU * FIXTURE_TONES_HZ[l] * t + p).sin()
                            })
                            .sum();
                        (tones + 0.02 * (rng.random::<f64>() * 2.0 - 1.0)) as f32
                    })
                    .collect();
                let file = format!("{audio_dir}/{clip}_{index:04}.wav");
                write_wav16(&dir.join(&file), &audio)?;
                rows.push((file, label_text.clone(), clip));
            }
            clip += 1;
        }
        if shuffle {
            rows.shuffle(&mut rng);
        }
        let mut text = String::from("files,labels,ext\n");
        for (file, labels, clip) in &rows {
            let _ = writeln!(text, "{},{},{clip}", csv_field(file), csv_field(labels));
        }
        let path = meta.join(csv);
        fs::write(&path, text).map_err(|e| Nb360Error::io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label_map_json() -> String {
        let map: serde_json::Map<String, serde_json::Value> = (0..LABELS)
            .map(|i| (fixture_label_name(i), serde_json::Value::from(i)))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    /// Writes `wav/<name>` under `root` as a 16-bit chunk.
    fn put_wav(root: &Path, name: &str, samples: &[f32]) -> Result<(), Nb360Error> {
        fs::create_dir_all(root.join("wav")).unwrap();
        write_wav16(&root.join("wav").join(name), samples)
    }

    fn tone(hz: f64, samples: usize) -> Vec<f32> {
        (0..samples)
            .map(|n| {
                (0.3 * (std::f64::consts::TAU * hz * n as f64 / f64::from(SAMPLE_RATE)).sin())
                    as f32
            })
            .collect()
    }

    /// Writes the published layout by hand: label map, three manifests and
    /// the WAV chunks they name.
    fn write_layout(dir: &Path, train_csv: &str, val_csv: &str, eval_csv: &str) {
        let meta = dir.join(META_DIR);
        fs::create_dir_all(&meta).unwrap();
        fs::create_dir_all(dir.join("wav")).unwrap();
        fs::write(meta.join("lbl_map.json"), label_map_json()).unwrap();
        fs::write(meta.join("tr.csv"), train_csv).unwrap();
        fs::write(meta.join("val.csv"), val_csv).unwrap();
        fs::write(meta.join("eval.csv"), eval_csv).unwrap();
    }

    #[test]
    fn csv_parser_handles_quotes_escapes_crlf_and_blank_lines() {
        let text = "files,labels,ext\r\na.wav,\"Sound_001,Sound_002\",7\r\n\r\n\"b \"\"x\"\".wav\",Sound_000,8\n\"multi\nline\",Sound_003,9";
        let records = parse_csv(text, Path::new("m.csv")).unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[1].line, 2);
        assert_eq!(records[1].fields, ["a.wav", "Sound_001,Sound_002", "7"]);
        assert_eq!(records[2].line, 4);
        assert_eq!(records[2].fields[0], "b \"x\".wav");
        assert_eq!(records[3].line, 5);
        assert_eq!(records[3].fields[0], "multi\nline");
        let err = parse_csv("files\n\"open", Path::new("m.csv")).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn hand_written_layout_loads_with_labels_groups_and_tiling() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mel = MelSpectrogram::new(MelConfig::FSD50K).unwrap();
        // Clip 12: two 1-s chunks (900 Hz, 2500 Hz); clip 5: one 0.3-s chunk
        // (tiled to 1 s by load_audio) at an absolute path.
        let a = tone(900.0, 22_050);
        let b = tone(2500.0, 22_050);
        let short = tone(300.0, 6_615);
        put_wav(root, "12_0000.wav", &a).unwrap();
        put_wav(root, "12_0001.wav", &b).unwrap();
        put_wav(root, "5_0000.wav", &short).unwrap();
        let abs = root.join("wav/5_0000.wav");
        let manifest = format!(
            "files,labels,ext\nwav/12_0000.wav,\"Sound_007,Sound_199\",12\n{},Sound_042,5\nwav/12_0001.wav,\"Sound_007,Sound_199\",12\n",
            abs.display()
        );
        write_layout(root, &manifest, &manifest, &manifest);
        let data = crate::load_task(Nb360Task::Fsd50k, root, &LoadOptions::default()).unwrap();
        for split in [&data.train, &data.valid, &data.test] {
            assert_eq!(split.len(), 3);
            assert_eq!(split.input_shape, [1, 96, 101]);
            // np.unique order of ext: clip 5 before clip 12 (numeric).
            assert_eq!(split.groups.as_deref(), Some(&[0, 1, 1][..]));
            let labels_of = |i: usize| -> Vec<usize> {
                (0..LABELS).filter(|&l| split.target(i)[l] == 1.0).collect()
            };
            assert_eq!(labels_of(0), [42]);
            assert_eq!(labels_of(1), [7, 199]);
            assert_eq!(labels_of(2), [7, 199]);
            assert_eq!(split.targets.iter().filter(|&&v| v != 0.0).count(), 5);
        }
        // 16-bit PCM is read as v / 32768, then featurised; the short chunk
        // equals its explicit tiling (0.3 s repeated 4 times, cut to 1 s).
        let quantised = |x: &[f32]| -> Vec<f32> {
            x.iter()
                .map(|&s| ((f64::from(s) * 32767.0).round() / 32768.0) as f32)
                .collect()
        };
        let qs = quantised(&short);
        let tiled: Vec<f32> = qs
            .iter()
            .chain(&qs)
            .chain(&qs)
            .chain(&qs)
            .copied()
            .take(22_050)
            .collect();
        assert_eq!(data.valid.input(0), mel.fsd50k_features(&tiled).unwrap());
        assert_eq!(
            data.valid.input(1),
            mel.fsd50k_features(&quantised(&a)).unwrap()
        );
        assert_eq!(
            data.test.input(2),
            mel.fsd50k_features(&quantised(&b)).unwrap()
        );
        // The limit keeps the first samples in clip order.
        let options = LoadOptions {
            limit: Some(2),
            seed: 0,
        };
        let limited = load(root, &options).unwrap();
        assert_eq!(limited.test.len(), 2);
        assert_eq!(limited.test.groups.as_deref(), Some(&[0, 1][..]));
        assert_eq!(limited.test.input(1), data.test.input(1));
    }

    #[test]
    fn longer_chunks_are_cut_at_seeded_offsets_in_training_and_centred_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mel = MelSpectrogram::new(MelConfig::FSD50K).unwrap();
        // 2 s of a rising chirp: 1 + 44100/220 = 201 frames, every frame
        // different, so the offset of a crop can be recovered.
        let audio: Vec<f32> = (0..44_100)
            .map(|n| {
                let t = n as f64 / 22_050.0;
                (0.3 * (std::f64::consts::TAU * (200.0 * t + 1500.0 * t * t)).sin()) as f32
            })
            .collect();
        put_wav(root, "1_0000.wav", &audio).unwrap();
        let manifest = "files,labels,ext\nwav/1_0000.wav,Sound_000,1\n";
        let rows = "wav/1_0000.wav,Sound_000,1\n".repeat(7);
        let train = format!("{manifest}{rows}");
        write_layout(root, &train, manifest, manifest);
        let pcm: Vec<f32> = audio
            .iter()
            .map(|&s| ((f64::from(s) * 32767.0).round() / 32768.0) as f32)
            .collect();
        let full = mel.fsd50k_features(&pcm).unwrap();
        let frames = 201;
        let window = |start: usize| -> Vec<f32> {
            full.chunks_exact(frames)
                .flat_map(|band| band[start..start + CHUNK_FRAMES].to_vec())
                .collect()
        };
        let offset_of = |x: &[f32]| (0..=100).find(|&s| window(s) == x);
        let seeded = |seed| load(root, &LoadOptions { limit: None, seed }).unwrap();
        let first = seeded(3);
        assert_eq!(first.test.input(0), window(50));
        let offsets: Vec<usize> = (0..8)
            .map(|i| offset_of(first.train.input(i)).expect("a crop of the full spectrogram"))
            .collect();
        // Eight draws over 101 offsets are not all equal.
        assert!(offsets.iter().any(|&o| o != offsets[0]), "{offsets:?}");
        assert_eq!(seeded(3).train, first.train);
        assert_ne!(seeded(4).train, first.train);
    }

    #[test]
    fn unknown_label_names_the_manifest_line_and_the_label() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        put_wav(root, "1_0000.wav", &tone(300.0, 22_050)).unwrap();
        let good = "files,labels,ext\nwav/1_0000.wav,Sound_000,1\n";
        let bad = "files,labels,ext\nwav/1_0000.wav,Sound_000,1\nwav/1_0000.wav,\"Sound_001,Dog_bark\",1\n";
        write_layout(root, good, bad, good);
        let err = load(root, &LoadOptions::default()).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Nb360Error::Format { .. }), "{text}");
        assert!(text.contains("val.csv"), "{text}");
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("`Dog_bark`"), "{text}");
    }

    #[test]
    fn broken_audio_files_are_errors_that_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let good = "files,labels,ext\nwav/1_0000.wav,Sound_000,1\n";
        write_layout(root, good, good, good);
        let wav = root.join("wav/1_0000.wav");
        // Truncated: the header promises 22050 samples, half the data is gone.
        write_wav16(&wav, &tone(300.0, 22_050)).unwrap();
        let bytes = fs::read(&wav).unwrap();
        fs::write(&wav, &bytes[..bytes.len() / 2]).unwrap();
        let err = load(root, &LoadOptions::default()).unwrap_err().to_string();
        assert!(
            err.contains("1_0000.wav") && err.contains("truncated"),
            "{err}"
        );
        // Wrong sample rate.
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 44_100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&wav, spec).unwrap();
        for _ in 0..100 {
            w.write_sample(0i16).unwrap();
        }
        w.finalize().unwrap();
        let err = load(root, &LoadOptions::default()).unwrap_err().to_string();
        assert!(
            err.contains("1_0000.wav") && err.contains("22050 Hz expected"),
            "{err}"
        );
        // Not a WAV at all, and a missing one.
        fs::write(&wav, b"RIFF?").unwrap();
        let err = load(root, &LoadOptions::default()).unwrap_err().to_string();
        assert!(err.contains("1_0000.wav"), "{err}");
        fs::remove_file(&wav).unwrap();
        let err = load(root, &LoadOptions::default()).unwrap_err();
        assert!(matches!(err, Nb360Error::MissingFile { .. }), "{err}");
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn bad_label_maps_and_missing_manifests_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let err = load(root, &LoadOptions::default()).unwrap_err();
        assert!(matches!(err, Nb360Error::MissingFile { .. }), "{err}");
        let good = "files,labels,ext\nwav/1_0000.wav,Sound_000,1\n";
        write_layout(root, good, good, good);
        let map = root.join(META_DIR).join("lbl_map.json");
        fs::write(&map, r#"{"a": 0, "b": 1}"#).unwrap();
        let err = load(root, &LoadOptions::default()).unwrap_err().to_string();
        assert!(err.contains("2 labels, expected 200"), "{err}");
        let dup = label_map_json().replace("\"Sound_001\":1", "\"Sound_001\":0");
        fs::write(&map, dup).unwrap();
        let err = load(root, &LoadOptions::default()).unwrap_err().to_string();
        assert!(err.contains("used twice"), "{err}");
        fs::write(&map, label_map_json()).unwrap();
        fs::remove_file(root.join(META_DIR).join("eval.csv")).unwrap();
        let err = load(root, &LoadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("eval.csv"), "{err}");
    }

    #[test]
    fn manifest_without_ext_takes_the_clip_from_the_file_name() {
        assert_eq!(clip_from_file_name("/x/y/4242_0003.wav"), "4242");
        assert_eq!(clip_from_file_name("77.wav"), "77");
        let map: HashMap<String, usize> = [("Sound_000".to_owned(), 0)].into();
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("m.csv");
        fs::write(&csv, "files,labels\nc/9_0001.wav,Sound_000\n").unwrap();
        let rows = read_manifest(&csv, &map).unwrap();
        assert_eq!(rows[0].clip, "9");
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn fixture_round_trips_with_learnable_labels() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 6, 11).unwrap();
        let data =
            crate::load_task(Nb360Task::Fsd50k, dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(
            (data.train.len(), data.valid.len(), data.test.len()),
            (6, 6, 6)
        );
        // Validation clips alternate one and two chunks: 2000 (1), 2001 (2),
        // 2002 (1), 2003 (2) -> groups 0 1 1 2 3 3.
        assert_eq!(data.valid.groups.as_deref(), Some(&[0, 1, 1, 2, 3, 3][..]));
        let mel_band_of = |hz: f64| {
            // The band whose centre is nearest in mel (97 spacings to 11025 Hz).
            let spacing = crate::mel_spectrogram::hz_to_mel(11_025.0) / 97.0;
            (crate::mel_spectrogram::hz_to_mel(hz) / spacing).round() as usize - 1
        };
        for split in [&data.train, &data.valid, &data.test] {
            for i in 0..split.len() {
                let target = split.target(i);
                let labels: Vec<usize> = (0..LABELS).filter(|&l| target[l] == 1.0).collect();
                assert!(
                    !labels.is_empty() && labels.iter().all(|&l| l < 4),
                    "{labels:?}"
                );
                let input = split.input(i);
                // A label's tone band is loud exactly when the label is set.
                for (l, &hz) in FIXTURE_TONES_HZ.iter().enumerate() {
                    let band = mel_band_of(hz);
                    let level: f32 =
                        input[band * 101..(band + 1) * 101].iter().sum::<f32>() / 101.0;
                    assert_eq!(level > 15.0, target[l] == 1.0, "label {l} level {level}");
                }
            }
        }
        // Chunks of one clip share their labels.
        let v = &data.valid;
        assert_eq!(v.target(1), v.target(2));
        // Same seed, same files.
        let again = tempfile::tempdir().unwrap();
        write_fixture(again.path(), 6, 11).unwrap();
        let tr = |d: &Path| fs::read_to_string(d.join("data/chunks/tr.csv")).unwrap();
        assert_eq!(tr(dir.path()), tr(again.path()));
        assert!(tr(dir.path()).starts_with("files,labels,ext\n"));
    }
}
