use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::RecordError;

/// A crash-safe, append-only file of lines.
///
/// Each [`AppendLog::append`] writes one whole line with a single write on a
/// file opened in append mode and then syncs it to disk, so a line that was
/// appended survives a crash of the process or the machine, and processes
/// appending to the same file at once (array tasks of a cluster job) never
/// interleave their lines. A crash can at worst leave one torn last line,
/// which [`AppendLog::read_lines`] drops.
pub struct AppendLog {
    path: PathBuf,
    file: File,
}

impl AppendLog {
    /// Opens (creating when absent) the log at `path` for appending. A torn
    /// last line (no final newline) is cut off first, so that the next line
    /// starts on its own.
    pub fn open(path: &Path) -> Result<Self, RecordError> {
        let error = |e| RecordError::new(path, e);
        if let Ok(bytes) = std::fs::read(path)
            && !bytes.is_empty()
            && bytes.last() != Some(&b'\n')
        {
            let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let file = OpenOptions::new().write(true).open(path).map_err(error)?;
            file.set_len(keep as u64).map_err(error)?;
            file.sync_all().map_err(error)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(error)?;
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    /// Appends `line` (a newline is added) and syncs it to disk.
    pub fn append(&mut self, line: &[u8]) -> Result<(), RecordError> {
        self.append_unsynced(line)?;
        self.sync()
    }

    /// Appends `line` (a newline is added) with one write, without waiting
    /// for the disk: the line survives the process being killed (it is in
    /// the operating system's hands), and a crash of the machine once the
    /// next [`AppendLog::sync`] has returned.
    pub fn append_unsynced(&mut self, line: &[u8]) -> Result<(), RecordError> {
        let mut whole = Vec::with_capacity(line.len() + 1);
        whole.extend_from_slice(line);
        whole.push(b'\n');
        self.file
            .write_all(&whole)
            .map_err(|e| RecordError::new(&self.path, e))
    }

    /// Waits until every line appended so far is on disk.
    pub fn sync(&mut self) -> Result<(), RecordError> {
        self.file
            .sync_data()
            .map_err(|e| RecordError::new(&self.path, e))
    }

    /// The complete lines of the log at `path` (none when it does not exist);
    /// a torn last line is left out.
    pub fn read_lines(path: &Path) -> Result<Vec<String>, RecordError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(RecordError::new(path, e)),
        };
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        Ok(String::from_utf8_lossy(&bytes[..complete])
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_survive_reopening_and_torn_lines_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        assert!(AppendLog::read_lines(&path).unwrap().is_empty());
        let mut log = AppendLog::open(&path).unwrap();
        log.append(b"{\"a\":1}").unwrap();
        log.append(b"{\"a\":2}").unwrap();
        drop(log);
        // A crash in the middle of a line.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"a\":3").unwrap();
        drop(file);
        assert_eq!(
            AppendLog::read_lines(&path).unwrap(),
            ["{\"a\":1}", "{\"a\":2}"]
        );
        let mut log = AppendLog::open(&path).unwrap();
        log.append(b"{\"a\":4}").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"a\":2}\n{\"a\":4}\n"
        );
    }
}
