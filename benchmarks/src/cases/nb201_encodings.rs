//! Encoding all 15,625 NAS-Bench-201 cells, once per registered encoding.

use std::collections::HashSet;

use oxinas_core::Enumerable;
use oxinas_encodings::{EncodableSpace, Encoding, GraphBuffers};
use oxinas_spaces::Nb201Space;

use crate::{BenchError, Case, CaseReport, Check, Mode, Throughput, time_runs};

/// Cells of NB201.
const NB201_CELLS: usize = 15_625;

/// Encodings documented as invertible: every cell gets its own vector.
const INVERTIBLE: [&str; 3] = ["categorical", "adjacency", "compact"];

/// One case per encoding the NB201 registry offers.
pub fn cases() -> Vec<Case> {
    Nb201Space::new()
        .encodings()
        .names()
        .into_iter()
        .map(|name| {
            Case::new(
                format!("encode/nb201-{name}"),
                format!(
                    "NB201: encode all 15,625 cells with `{name}` (building the encoding excluded)"
                ),
                move |mode| run(mode, name),
            )
        })
        .collect()
}

/// What a run produced, reduced to what the check needs.
#[derive(Clone, Debug, PartialEq)]
struct EncodedSummary {
    all_finite: bool,
    distinct: usize,
}

fn run(mode: Mode, name: &'static str) -> Result<CaseReport, BenchError> {
    let space = Nb201Space::new();
    let archs: Vec<_> = space.enumerate().collect();
    let encoding = space
        .encodings()
        .get(name)
        .map_err(|e| BenchError::setup(format!("building encoding `{name}`"), e))?;
    let runs = mode.runs(20);
    let (samples, summaries) = match &encoding {
        Encoding::Vector(e) => {
            let dim = e.dim();
            let mut matrix = vec![0.0; archs.len() * dim];
            time_runs(runs, || {
                e.encode_batch_into(&archs, &mut matrix)
                    .map_err(|err| BenchError::setup(format!("encoding with `{name}`"), err))?;
                Ok(())
            })
            .map(|(samples, _)| {
                let rows: HashSet<Vec<u64>> = matrix
                    .chunks(dim.max(1))
                    .map(|r| r.iter().map(|v| v.to_bits()).collect())
                    .collect();
                let summary = EncodedSummary {
                    all_finite: matrix.iter().all(|v| v.is_finite()),
                    distinct: rows.len(),
                };
                (samples, vec![summary])
            })?
        }
        Encoding::Graph(e) => {
            let n = e.max_nodes();
            let mut features = vec![0.0; n * e.num_node_features()];
            let mut adjacency = vec![0.0; n * n];
            let mut graph_features = vec![0.0; e.num_graph_features()];
            let mut encode_all = |visit: &mut dyn FnMut(&[f64], &[f64])| {
                for arch in &archs {
                    e.encode_into(
                        arch,
                        GraphBuffers {
                            node_features: &mut features,
                            adjacency: &mut adjacency,
                            graph_features: &mut graph_features,
                        },
                    )
                    .map_err(|err| BenchError::setup(format!("encoding with `{name}`"), err))?;
                    visit(&features, &adjacency);
                }
                Ok(())
            };
            let (samples, _) = time_runs(runs, || {
                encode_all(&mut |f, a| {
                    std::hint::black_box((f, a));
                })
            })?;
            // One more pass, untimed, so the check sees every cell's output.
            let mut seen = HashSet::new();
            let mut all_finite = true;
            encode_all(&mut |f, a| {
                all_finite &= f.iter().chain(a).all(|v| v.is_finite());
                seen.insert(f.iter().chain(a).map(|v| v.to_bits()).collect::<Vec<u64>>());
            })?;
            (
                samples,
                vec![EncodedSummary {
                    all_finite,
                    distinct: seen.len(),
                }],
            )
        }
    };
    let summary = &summaries[0];
    let invertible = INVERTIBLE.contains(&name);
    let check = Check::new(
        summary.all_finite
            && if invertible {
                summary.distinct == NB201_CELLS
            } else {
                summary.distinct > 1 && summary.distinct <= NB201_CELLS
            },
        format!(
            "{} cells encoded, {} distinct outputs{}, all finite: {}",
            archs.len(),
            summary.distinct,
            if invertible {
                " (invertible: must be 15,625)"
            } else {
                ""
            },
            summary.all_finite
        ),
    );
    Ok(CaseReport {
        name: format!("encode/nb201-{name}"),
        samples_s: samples,
        throughput: Some(Throughput {
            items: archs.len() as f64,
            unit: "cell".into(),
        }),
        reference: None,
        check,
        peak_rss_kib: None,
        note: String::new(),
    })
}
