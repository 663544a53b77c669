//! Petridish end to end: the CI config grows a gallery on the digits fixture
//! and the run directory holds the report, the gallery and the Pareto plot.

use std::path::{Path, PathBuf};

use oxinas_experiment::{NoProgress, PetridishConfig, PetridishRunReport, run_petridish_config};

fn tiny_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/oneshot/petridish_tiny.toml")
}

#[test]
fn tiny_config_writes_a_gallery_of_at_least_three_hull_models_and_a_plot() {
    let out = tempfile::tempdir().unwrap();
    let summary =
        run_petridish_config(&tiny_config(), Some(out.path()), None, &NoProgress).unwrap();
    assert!(summary.contains("in the gallery"));

    let text = std::fs::read_to_string(out.path().join("report.json")).unwrap();
    let run: PetridishRunReport = serde_json::from_str(&text).unwrap();
    let report = &run.report;
    let gallery: Vec<_> = report.gallery_models().collect();
    assert!(
        gallery.len() >= 3,
        "gallery of {}: {summary}",
        gallery.len()
    );
    for pair in gallery.windows(2) {
        assert!(pair[0].cost < pair[1].cost, "{summary}");
        assert!(
            pair[0].validation_error > pair[1].validation_error,
            "{summary}"
        );
    }
    // Every model is on or above the gallery's hull (validation error).
    for m in &report.models {
        let below = gallery
            .windows(2)
            .filter(|p| p[0].cost <= m.cost && m.cost <= p[1].cost)
            .any(|p| {
                let t = (m.cost - p[0].cost) / (p[1].cost - p[0].cost);
                let hull =
                    p[0].validation_error + t * (p[1].validation_error - p[0].validation_error);
                m.validation_error < hull - 1e-12
            });
        assert!(!below, "model {} lies below the hull", m.id);
    }
    // Children grew from models trained before them.
    assert!(
        report
            .models
            .iter()
            .skip(1)
            .all(|m| m.parent.is_some_and(|p| p < m.id))
    );

    let csv = std::fs::read_to_string(out.path().join("gallery.csv")).unwrap();
    assert_eq!(csv.lines().count(), gallery.len() + 1);
    for ext in ["png", "svg"] {
        let plot = out.path().join("plots").join(format!("pareto.{ext}"));
        assert!(
            std::fs::metadata(&plot).unwrap().len() > 1000,
            "{}",
            plot.display()
        );
    }
}

#[test]
fn config_errors_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(tiny_config()).unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text.replace("epsilon = 0.2", "epsilon = -1.0")).unwrap();
    let error = PetridishConfig::load(&path).unwrap_err().to_string();
    assert!(error.contains("petridish.epsilon"), "{error}");
    std::fs::write(
        &path,
        text.replace("[petridish]\n", "[petridish]\nspeed = 2\n"),
    )
    .unwrap();
    let error = PetridishConfig::load(&path).unwrap_err().to_string();
    assert!(error.contains("speed") && error.contains("line"), "{error}");
    assert!(PetridishConfig::load(&tiny_config()).is_ok());
}
