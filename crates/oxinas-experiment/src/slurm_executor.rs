//! The Slurm executor: one `sbatch --array` job whose tasks each run one trial
//! of the plan through the project's own binary and append the result to the
//! run's results log; failed tasks are resubmitted, then the submitting
//! process merges the log exactly as after a local run.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{ExperimentError, SlurmConfig};

/// Returns those of the given tasks that have no result in the log yet.
pub(crate) type StillMissing<'a> = dyn Fn(&[usize]) -> Result<Vec<usize>, ExperimentError> + 'a;

/// Submits and follows the array jobs of one run.
pub(crate) struct SlurmExecutor<'a> {
    dir: &'a Path,
    settings: &'a SlurmConfig,
    command: &'a [String],
}

fn slurm_error(message: String) -> ExperimentError {
    ExperimentError::Slurm { message }
}

/// Runs `program args`, returning its stdout, or an error with its stderr.
fn call(program: &str, args: &[String]) -> Result<String, ExperimentError> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| slurm_error(format!("cannot run `{program}` (is Slurm installed?): {e}")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(slurm_error(format!(
            "`{program} {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// `0-3,7,9-10`: Slurm's array index list of sorted `tasks`.
pub(crate) fn array_spec(tasks: &[usize]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < tasks.len() {
        let mut j = i;
        while j + 1 < tasks.len() && tasks[j + 1] == tasks[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if j == i {
            let _ = write!(out, "{}", tasks[i]);
        } else {
            let _ = write!(out, "{}-{}", tasks[i], tasks[j]);
        }
        i = j + 1;
    }
    out
}

/// Quotes `word` for a POSIX shell.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

impl<'a> SlurmExecutor<'a> {
    /// An executor for the run in `dir`; `command` runs one planned trial when
    /// given `--run-dir DIR --task N`.
    pub(crate) fn new(dir: &'a Path, settings: &'a SlurmConfig, command: &'a [String]) -> Self {
        Self {
            dir,
            settings,
            command,
        }
    }

    /// Runs the planned jobs `tasks` and returns when each has a result;
    /// `still_missing` reads the results log and returns those of the given
    /// tasks that have none.
    pub(crate) fn run(
        &self,
        tasks: &[usize],
        still_missing: &StillMissing<'_>,
    ) -> Result<(), ExperimentError> {
        if tasks.is_empty() {
            return Ok(());
        }
        if self.command.is_empty() {
            return Err(slurm_error(
                "no command to run a trial was given (RunOptions::trial_command)".into(),
            ));
        }
        let dir = std::fs::canonicalize(self.dir)
            .map_err(|e| slurm_error(format!("cannot resolve {}: {e}", self.dir.display())))?;
        let slurm_dir = dir.join("slurm");
        std::fs::create_dir_all(&slurm_dir)
            .map_err(|e| slurm_error(format!("cannot create {}: {e}", slurm_dir.display())))?;
        let script = self.write_script(&dir, &slurm_dir)?;
        let mut pending = tasks.to_vec();
        for attempt in 0..=self.settings.max_resubmits {
            self.write_plan(&slurm_dir, attempt, &pending)?;
            let job = self.submit(&script, &slurm_dir, &pending)?;
            self.wait(&job)?;
            pending = still_missing(&pending)?;
            if pending.is_empty() {
                return Ok(());
            }
        }
        Err(slurm_error(format!(
            "tasks {} have no result after {} resubmission(s); see {}/*.out",
            array_spec(&pending),
            self.settings.max_resubmits,
            slurm_dir.display()
        )))
    }

    /// `slurm/plan-<attempt>.json`: the tasks of one submission.
    fn write_plan(
        &self,
        slurm_dir: &Path,
        attempt: u32,
        tasks: &[usize],
    ) -> Result<(), ExperimentError> {
        let path = slurm_dir.join(format!("plan-{attempt}.json"));
        let text = serde_json::json!({
            "attempt": attempt,
            "tasks": tasks,
            "array": array_spec(tasks),
            "command": self.command,
        });
        std::fs::write(&path, format!("{text:#}\n"))
            .map_err(|e| slurm_error(format!("cannot write {}: {e}", path.display())))
    }

    /// The batch script every array task runs.
    fn write_script(&self, dir: &Path, slurm_dir: &Path) -> Result<PathBuf, ExperimentError> {
        let path = slurm_dir.join("trial.sbatch");
        let command: Vec<String> = self.command.iter().map(|w| shell_quote(w)).collect();
        let text = format!(
            "#!/bin/sh\n\
             # One trial of the plan per array task; the result is appended to results.jsonl.\n\
             exec {} --run-dir {} --task \"$SLURM_ARRAY_TASK_ID\"\n",
            command.join(" "),
            shell_quote(&dir.display().to_string())
        );
        std::fs::write(&path, text)
            .map_err(|e| slurm_error(format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    }

    /// Submits one array job over `tasks`; returns its job id.
    fn submit(
        &self,
        script: &Path,
        slurm_dir: &Path,
        tasks: &[usize],
    ) -> Result<String, ExperimentError> {
        let mut args = vec![
            "--parsable".to_owned(),
            format!("--array={}", array_spec(tasks)),
            "--job-name=oxinas-trial".to_owned(),
            format!("--output={}/%A_%a.out", slurm_dir.display()),
            format!("--cpus-per-task={}", self.settings.cpus_per_task),
            // The tasks read the data through the same OXINAS_* variables.
            "--export=ALL".to_owned(),
        ];
        if let Some(partition) = &self.settings.partition {
            args.push(format!("--partition={partition}"));
        }
        if let Some(time) = &self.settings.time_limit {
            args.push(format!("--time={time}"));
        }
        args.extend(self.settings.extra_args.iter().cloned());
        args.push(script.display().to_string());
        let out = call("sbatch", &args)?;
        // `--parsable` prints `jobid` or `jobid;cluster`.
        let job = out.trim().split(';').next().unwrap_or("").to_owned();
        if job.is_empty() || !job.chars().all(|c| c.is_ascii_digit()) {
            return Err(slurm_error(format!(
                "sbatch printed no job id: `{}`",
                out.trim()
            )));
        }
        Ok(job)
    }

    /// Polls `squeue` until no task of `job` is pending or running.
    fn wait(&self, job: &str) -> Result<(), ExperimentError> {
        let poll = Duration::from_secs_f64(self.settings.poll_seconds.max(0.1));
        loop {
            let args = [
                "-h".to_owned(),
                "-j".to_owned(),
                job.to_owned(),
                "-o".to_owned(),
                "%T".to_owned(),
            ];
            match call("squeue", &args) {
                Ok(out) if out.trim().is_empty() => return Ok(()),
                Ok(_) => {}
                // A job that left the controller's memory is finished.
                Err(ExperimentError::Slurm { message }) if message.contains("Invalid job id") => {
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
            std::thread::sleep(poll);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_specs_compress_runs() {
        assert_eq!(array_spec(&[0, 1, 2, 3, 7, 9, 10]), "0-3,7,9-10");
        assert_eq!(array_spec(&[5]), "5");
        assert_eq!(array_spec(&[]), "");
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
