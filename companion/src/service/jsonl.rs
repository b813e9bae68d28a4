//! A journal as JSON lines: one [`Record`] per line, appended and flushed to the disk
//! (`fsync`) before `append` returns, so a record the service acted on (a STATUSTEXT sent)
//! survives a power cut. Reopening reads the records back; a last line cut short by a crash
//! is dropped with a warning (it was never acknowledged), any other bad line is an error.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::record::{Record, RecordSink, SinkError};

#[derive(Debug, thiserror::Error)]
pub enum JsonlError {
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal {path} line {line}: {source}")]
    Line {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
}

/// An open JSON-lines journal.
#[derive(Debug)]
pub struct JsonlJournal {
    path: PathBuf,
    file: File,
}

impl JsonlJournal {
    /// Opens (creating) `path` for appending; returns the records already in it.
    pub fn open(path: &Path) -> Result<(JsonlJournal, Vec<Record>), JsonlError> {
        let io = |source| JsonlError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut records = Vec::new();
        let mut valid_len = 0u64;
        if path.exists() {
            let reader = BufReader::new(File::open(path).map_err(io)?);
            let lines: Vec<String> = reader.lines().collect::<Result<_, _>>().map_err(io)?;
            let n = lines.len();
            for (i, line) in lines.iter().enumerate() {
                if line.trim().is_empty() {
                    valid_len += line.len() as u64 + 1;
                    continue;
                }
                match serde_json::from_str::<Record>(line) {
                    Ok(r) => {
                        records.push(r);
                        valid_len += line.len() as u64 + 1;
                    }
                    Err(e) if i + 1 == n => {
                        tracing::warn!(journal = %path.display(), line = i + 1, "last journal line is incomplete and is dropped: {e}");
                    }
                    Err(source) => {
                        return Err(JsonlError::Line {
                            path: path.to_path_buf(),
                            line: i + 1,
                            source,
                        })
                    }
                }
            }
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        // Cut a torn last line, or end a whole last line without its newline, so the next
        // record starts on a line of its own.
        let len = file.metadata().map_err(io)?.len();
        if valid_len < len {
            file.set_len(valid_len).map_err(io)?;
        } else if valid_len > len {
            file.write_all(b"\n").map_err(io)?;
        }
        Ok((
            JsonlJournal {
                path: path.to_path_buf(),
                file,
            },
            records,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl RecordSink for JsonlJournal {
    fn append(&mut self, record: &Record) -> Result<(), SinkError> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()?;
        Ok(())
    }
}
