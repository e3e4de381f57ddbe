//! Reading the files hover reads besides the stage file: only regular files (never a FIFO, a
//! device or a directory, which could block or never end), each under a size limit checked before
//! a byte is read and again while reading.

use std::io::Read;
use std::path::Path;

/// Largest secrets file read (plain or encrypted): a few hundred variables are a few kilobytes.
pub const SECRETS_MAX: u64 = 1 << 20;

/// Largest saved plan read.
pub const SAVED_PLAN_MAX: u64 = 64 << 20;

/// Why a file was not read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FileRefusal {
    #[error("{path} is not a regular file ({kind}); hover reads only regular files")]
    #[diagnostic(code(hover::file::not_regular))]
    NotRegular { path: String, kind: &'static str },
    #[error("{path} is {size} bytes, over the {max} bytes hover reads for {what}")]
    #[diagnostic(code(hover::file::too_large))]
    TooLarge {
        path: String,
        size: u64,
        max: u64,
        what: &'static str,
    },
}

/// What a path is, named for a message.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a named pipe";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Reads `path` when it is a regular file of at most `max` bytes (`what` names it in the
/// refusal). `Ok(None)` when there is no such file; other I/O errors as they are.
pub fn read_bounded(
    path: &Path,
    max: u64,
    what: &'static str,
) -> Result<Option<Vec<u8>>, ReadError> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReadError::Io(e)),
    };
    let shown = path.display().to_string();
    if !meta.is_file() {
        return Err(ReadError::Refused(FileRefusal::NotRegular {
            path: shown,
            kind: kind_of(&meta),
        }));
    }
    if meta.len() > max {
        return Err(ReadError::Refused(FileRefusal::TooLarge {
            path: shown,
            size: meta.len(),
            max,
            what,
        }));
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow after the check: never more than `max` + 1 bytes are read.
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::Refused(FileRefusal::TooLarge {
            path: shown,
            size: bytes.len() as u64,
            max,
            what,
        }));
    }
    Ok(Some(bytes))
}

/// A file that could not be read.
#[derive(Debug)]
pub enum ReadError {
    Refused(FileRefusal),
    Io(std::io::Error),
}

impl From<ReadError> for crate::error::HoverError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Refused(r) => crate::error::HoverError::File(r),
            ReadError::Io(e) => crate::error::HoverError::Io(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_under_the_limit_are_read() {
        let dir = std::env::temp_dir().join(format!("hover-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.env");
        std::fs::write(&f, b"A=1\n").unwrap();
        assert_eq!(read_bounded(&f, 10, "x").unwrap(), Some(b"A=1\n".to_vec()));
        assert!(matches!(
            read_bounded(&f, 3, "x"),
            Err(ReadError::Refused(FileRefusal::TooLarge { size: 4, .. }))
        ));
        assert!(matches!(read_bounded(&dir.join("none"), 10, "x"), Ok(None)));
        assert!(matches!(
            read_bounded(&dir, 10, "x"),
            Err(ReadError::Refused(FileRefusal::NotRegular { .. }))
        ));
        assert!(matches!(
            read_bounded(Path::new("/dev/zero"), 10, "x"),
            Err(ReadError::Refused(FileRefusal::NotRegular {
                kind: "a device",
                ..
            }))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
