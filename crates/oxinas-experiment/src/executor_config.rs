use serde::Deserialize;

/// Where trials run, as written in the `[executor]` table (default: local).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ExecutorConfig {
    /// A thread pool in this process.
    #[default]
    Local,
    /// One `sbatch --array` job on a Slurm cluster, one array task per trial.
    Slurm(SlurmConfig),
}

/// Settings of the Slurm executor.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmConfig {
    /// `--partition` (default: the cluster's default partition).
    #[serde(default)]
    pub partition: Option<String>,
    /// `--time` of each array task, in Slurm's format (e.g. `00:10:00`).
    #[serde(default)]
    pub time_limit: Option<String>,
    /// `--cpus-per-task` (default 1).
    #[serde(default = "one")]
    pub cpus_per_task: u32,
    /// Further `sbatch` options, passed as given (e.g. `["--qos=short"]`).
    #[serde(default)]
    pub extra_args: Vec<String>,
    /// How often tasks that finished without a result are resubmitted.
    #[serde(default = "two")]
    pub max_resubmits: u32,
    /// Seconds between two polls of `squeue`.
    #[serde(default = "two_f")]
    pub poll_seconds: f64,
}

fn one() -> u32 {
    1
}

fn two() -> u32 {
    2
}

fn two_f() -> f64 {
    2.0
}

impl ExecutorConfig {
    /// The executor's name in manifests.
    pub fn name(&self) -> &'static str {
        match self {
            ExecutorConfig::Local => "local",
            ExecutorConfig::Slurm(_) => "slurm",
        }
    }
}
