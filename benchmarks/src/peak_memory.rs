//! Peak resident memory of this process, read from `/proc/self/status`.
//!
//! `VmHWM` is the kernel's high-water mark of the resident set; it only grows,
//! so it is honest per case only when each case runs in a fresh process, which
//! is how the `benchmarks` binary runs them.

/// Peak resident set size of this process in KiB; `None` where `/proc` is
/// not available (non-Linux systems).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

/// The `VmHWM:   1234 kB` line's value.
fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_high_water_mark_line() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    4321 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(4321));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
    }

    #[test]
    fn grows_when_memory_is_touched() {
        let Some(before) = peak_rss_kib() else {
            return; // no /proc here
        };
        // 64 MiB, written so the pages are resident.
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let after = peak_rss_kib().expect("read once already");
        assert!(after >= before.max(64 << 10), "{before} -> {after} KiB");
    }
}
