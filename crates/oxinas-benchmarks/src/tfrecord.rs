//! The TFRecord container: a sequence of records, each framed as
//!
//! ```text
//! u64 length (little-endian) | u32 masked CRC-32C of the 8 length bytes
//! length bytes of data       | u32 masked CRC-32C of the data
//! ```
//!
//! Both checksums are verified, so a truncated or corrupted file is reported
//! with the record and the part of it that is wrong.

use std::fs::File;
use std::io::{BufReader, BufWriter, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use oxinas_core::DataError;

use crate::masked_crc32c::masked_crc32c;

/// Reads the records of a TFRecord file one by one.
#[derive(Debug)]
pub struct TfRecordReader {
    reader: BufReader<File>,
    path: PathBuf,
    /// Index of the next record.
    record: u64,
    /// Byte offset of the next record.
    offset: u64,
    /// Set after an error, which ends the iteration.
    failed: bool,
    /// Size of the file, to refuse lengths that run past its end before
    /// allocating for them.
    file_len: u64,
}

impl TfRecordReader {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<Self, DataError> {
        let file = File::open(path).map_err(|e| DataError::io(path, e))?;
        let file_len = file.metadata().map_err(|e| DataError::io(path, e))?.len();
        Ok(Self {
            file_len,
            reader: BufReader::with_capacity(1 << 20, file),
            path: path.to_owned(),
            record: 0,
            offset: 0,
            failed: false,
        })
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn malformed(&self, part: &str, message: String) -> DataError {
        DataError::malformed(
            &self.path,
            format!("record {} (byte {}), {part}", self.record, self.offset),
            message,
        )
    }

    /// Fills `buffer`; `Ok(false)` when the file ends before its first byte.
    fn fill(&mut self, buffer: &mut [u8], part: &str, may_end: bool) -> Result<bool, DataError> {
        let mut filled = 0;
        while filled < buffer.len() {
            match self.reader.read(&mut buffer[filled..]) {
                Ok(0) if filled == 0 && may_end => return Ok(false),
                Ok(0) => {
                    return Err(self.malformed(
                        part,
                        format!(
                            "expected {} bytes, the file ends after {filled} (truncated file?)",
                            buffer.len()
                        ),
                    ));
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(DataError::io(&self.path, e)),
            }
        }
        Ok(true)
    }

    /// The next record's data, `Ok(None)` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<Vec<u8>>, DataError> {
        let mut header = [0u8; 12];
        if !self.fill(&mut header, "length header", true)? {
            return Ok(None);
        }
        let length_bytes: [u8; 8] = header[..8].try_into().unwrap_or_default();
        let stored = u32::from_le_bytes(header[8..].try_into().unwrap_or_default());
        let computed = masked_crc32c(&length_bytes);
        if stored != computed {
            return Err(self.malformed(
                "length checksum",
                format!("expected masked CRC-32C {computed:#010x} of the length, found {stored:#010x} (corrupted file?)"),
            ));
        }
        let length = u64::from_le_bytes(length_bytes);
        let remaining = self.file_len.saturating_sub(self.offset + 12);
        if length.saturating_add(4) > remaining {
            return Err(self.malformed(
                "data",
                format!(
                    "expected {length} bytes of data and a 4-byte checksum, the file has {remaining} bytes left (truncated file?)"
                ),
            ));
        }
        let length = usize::try_from(length).map_err(|_| {
            self.malformed(
                "length",
                format!("expected a length this machine can hold, found {length}"),
            )
        })?;
        let mut data = vec![0u8; length];
        self.fill(&mut data, "data", false)?;
        let mut footer = [0u8; 4];
        self.fill(&mut footer, "data checksum", false)?;
        let stored = u32::from_le_bytes(footer);
        let computed = masked_crc32c(&data);
        if stored != computed {
            return Err(self.malformed(
                "data checksum",
                format!("expected masked CRC-32C {computed:#010x} of the data, found {stored:#010x} (corrupted file?)"),
            ));
        }
        self.record += 1;
        self.offset += 16 + length as u64;
        Ok(Some(data))
    }

    /// Index of the next record (the number of records read so far).
    pub fn records_read(&self) -> u64 {
        self.record
    }
}

impl Iterator for TfRecordReader {
    type Item = Result<Vec<u8>, DataError>;

    /// The records in order; an error ends the iteration.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let result = self.next_record().transpose();
        if matches!(result, Some(Err(_))) {
            self.failed = true;
        }
        result
    }
}

/// Writes records in the TFRecord format (to make small benchmark files, such
/// as test fixtures or extracts of a large file).
#[derive(Debug)]
pub struct TfRecordWriter<W: Write> {
    writer: W,
}

impl TfRecordWriter<BufWriter<File>> {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> Result<Self, DataError> {
        let file = File::create(path).map_err(|e| DataError::io(path, e))?;
        Ok(Self::new(BufWriter::new(file)))
    }
}

impl<W: Write> TfRecordWriter<W> {
    /// A writer onto `writer`.
    pub fn new(writer: W) -> Self {
        Self { writer }
    }

    /// Appends one record.
    pub fn write_record(&mut self, data: &[u8]) -> std::io::Result<()> {
        let length = (data.len() as u64).to_le_bytes();
        self.writer.write_all(&length)?;
        self.writer
            .write_all(&masked_crc32c(&length).to_le_bytes())?;
        self.writer.write_all(data)?;
        self.writer.write_all(&masked_crc32c(data).to_le_bytes())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.writer.flush()?;
        Ok(self.writer)
    }
}
