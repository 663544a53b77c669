use std::fs;
use std::path::{Path, PathBuf};

use crate::manifest::now_rfc3339 as now;
use crate::{Manifest, RecordError, TrajectoryWriter};

/// The directory that holds one run's records.
#[derive(Clone, Debug)]
pub struct RunDirectory {
    path: PathBuf,
}

impl RunDirectory {
    /// Creates `path` (and its parents) for a new run.
    pub fn create(path: &Path) -> Result<Self, RecordError> {
        fs::create_dir_all(path).map_err(|e| RecordError::new(path, e))?;
        Ok(Self {
            path: path.to_owned(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `manifest.json`.
    pub fn write_manifest(&self, manifest: &Manifest) -> Result<(), RecordError> {
        let path = self.path.join("manifest.json");
        let text = serde_json::to_string_pretty(manifest)
            .map_err(|e| RecordError::new(&path, e.into()))?;
        fs::write(&path, text + "\n").map_err(|e| RecordError::new(&path, e))
    }

    /// Stamps the end time into the manifest and rewrites it.
    pub fn finish_manifest(&self, manifest: &mut Manifest) -> Result<(), RecordError> {
        manifest.finished = Some(now());
        self.write_manifest(manifest)
    }

    /// Opens `trajectories.jsonl` for writing.
    pub fn trajectories(&self) -> Result<TrajectoryWriter, RecordError> {
        TrajectoryWriter::create(&self.path.join("trajectories.jsonl"))
    }

    /// Writes a text file (e.g. `summary.md`) into the run directory.
    pub fn write_text(&self, name: &str, text: &str) -> Result<PathBuf, RecordError> {
        let path = self.path.join(name);
        fs::write(&path, text).map_err(|e| RecordError::new(&path, e))?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{CodeVersion, Host, Seeds, TrajectoryLine};

    #[test]
    fn writes_manifest_and_trajectories() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDirectory::create(&dir.path().join("a/b")).unwrap();
        let mut manifest = Manifest::start(
            "demo",
            "configs/demo.toml",
            "name = \"demo\"\n",
            Seeds {
                experiment: 7,
                trials: vec![1, 2],
            },
            CodeVersion::detect(
                dir.path(),
                BTreeMap::from([("oxinas-record".into(), "0.1.0".into())]),
            ),
            Host::detect(2),
        );
        run.write_manifest(&manifest).unwrap();
        run.finish_manifest(&mut manifest).unwrap();
        let text = fs::read_to_string(run.path().join("manifest.json")).unwrap();
        let back: Manifest = serde_json::from_str(&text).unwrap();
        assert_eq!(back, manifest);
        assert!(back.finished.is_some());
        assert_eq!(back.code.git_commit, None, "a temp dir is no git checkout");
        assert!(back.code.rustc.starts_with("rustc "));

        let mut writer = run.trajectories().unwrap();
        let line = TrajectoryLine {
            optimizer: "RS",
            trial: 0,
            trial_seed: 1,
            query: 0,
            arch: "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
            fidelity: 12,
            validation: Some(10.0),
            cost: 1.5,
            cumulative_cost: 1.5,
            wall_time: None,
            incumbent: 0,
            incumbent_validation: Some(10.0),
        };
        writer.write(&line).unwrap();
        writer.write(&line).unwrap();
        writer.flush().unwrap();
        let text = fs::read_to_string(run.path().join("trajectories.jsonl")).unwrap();
        assert_eq!(text.lines().count(), 2);
        // Sequential searches write no wall time: their lines stay as before.
        assert!(!text.contains("wall_time"));
        let parsed: TrajectoryLine<'_> =
            serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(parsed, line);
    }
}
