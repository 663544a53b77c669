//! A description of the machine a run was measured on, for the results file.

use std::process::Command;

/// What the machine was and how busy it was when the run started.
#[derive(Clone, Debug, PartialEq)]
pub struct Machine {
    /// CPU model name (`/proc/cpuinfo`).
    pub cpu: String,
    /// Logical CPUs this process may use.
    pub threads: usize,
    /// Total memory, GiB (`/proc/meminfo`).
    pub memory_gib: Option<f64>,
    /// 1, 5 and 15-minute load averages at the start of the run.
    pub load_average: Option<String>,
    /// Operating system kernel release.
    pub kernel: Option<String>,
    /// `rustc --version`.
    pub rustc: Option<String>,
    /// `python3 --version`.
    pub python: Option<String>,
}

impl Machine {
    /// Describes this machine (fields that cannot be read are `None`).
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(
                || std::env::consts::ARCH.to_owned(),
                |(_, v)| v.trim().to_owned(),
            );
        let memory_gib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_owned();
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib / (1024.0 * 1024.0))
        });
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|k| format!("{} {}", std::env::consts::OS, k.trim()));
        Self {
            cpu,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib,
            load_average,
            kernel,
            rustc: version_of("rustc"),
            python: version_of("python3"),
        }
    }

    /// Markdown bullet lines.
    pub fn markdown(&self) -> String {
        let unknown = || "unknown".to_owned();
        format!(
            "- CPU: {} ({} threads available)\n- memory: {}\n- load average at start (1/5/15 min): {}\n- OS: {}\n- {}\n- {}\n",
            self.cpu,
            self.threads,
            self.memory_gib
                .map_or_else(unknown, |g| format!("{g:.1} GiB")),
            self.load_average.clone().unwrap_or_else(unknown),
            self.kernel.clone().unwrap_or_else(unknown),
            self.rustc
                .clone()
                .unwrap_or_else(|| "rustc: unknown".into()),
            self.python
                .clone()
                .unwrap_or_else(|| "python3: not found".into()),
        )
    }
}

/// The first line of `program --version`, if it runs.
fn version_of(program: &str) -> Option<String> {
    let output = Command::new(program).arg("--version").output().ok()?;
    if !output.status.success() {
        return None;
    }
    // Older Pythons print the version on stderr.
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map(str::to_owned)
}
