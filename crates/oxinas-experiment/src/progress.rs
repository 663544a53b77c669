/// Receives progress of a running experiment (a progress bar, a log).
///
/// Libraries do not print; the binary that runs an experiment decides how to
/// show progress by implementing this trait.
pub trait Progress: Sync {
    /// The run is about to execute `total` trials.
    fn start(&self, total: u64);
    /// `done` more trials have finished.
    fn advance(&self, done: u64);
    /// All trials have finished.
    fn finish(&self);
}

/// Shows nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}
