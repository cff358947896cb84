//! The container: a gzip-compressed tar file. Writing to a file goes to `<output>.partial`,
//! renamed into place at the end, so an interrupted backup never leaves a file that looks like
//! a finished archive. `-` writes to standard output instead (to pipe it elsewhere).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

/// The output name that means standard output.
pub const STDOUT: &str = "-";

/// An archive being written.
pub struct ArchiveWriter {
    builder: tar::Builder<GzEncoder<BufWriter<Target>>>,
    /// The partial file and its final name; `None` for standard output.
    rename: Option<(PathBuf, PathBuf)>,
    mtime: u64,
}

/// Where the compressed bytes go.
enum Target {
    File(File),
    Stdout(std::io::Stdout),
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Target::File(file) => file.write(buf),
            Target::Stdout(stdout) => stdout.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Target::File(file) => file.flush(),
            Target::Stdout(stdout) => stdout.flush(),
        }
    }
}

impl ArchiveWriter {
    pub fn create(output: &Path, mtime: u64) -> anyhow::Result<ArchiveWriter> {
        let (target, rename) = if output == Path::new(STDOUT) {
            (Target::Stdout(std::io::stdout()), None)
        } else {
            let partial = partial_path(output);
            let file = File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
            (Target::File(file), Some((partial, output.to_owned())))
        };
        // Level 6 (gzip's default): table files shrink several times; media is already
        // compressed and passes through nearly as it is.
        let encoder = GzEncoder::new(BufWriter::new(target), Compression::default());
        Ok(ArchiveWriter {
            builder: tar::Builder::new(encoder),
            rename,
            mtime,
        })
    }

    /// Appends a file of `size` bytes read from `data` at `path` inside the archive.
    pub fn append(&mut self, path: &str, size: u64, data: impl Read) -> anyhow::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        self.builder
            .append_data(&mut header, path, data)
            .with_context(|| format!("writing {path} into the archive"))
    }

    /// Ends the tar stream and the gzip stream; a file is synced and moved into place.
    pub fn finish(self) -> anyhow::Result<()> {
        let encoder = self.builder.into_inner().context("finishing the archive")?;
        let buffered = encoder.finish().context("finishing the archive's compression")?;
        let target = buffered
            .into_inner()
            .map_err(|err| err.into_error())
            .context("writing the archive")?;
        match (target, self.rename) {
            (Target::File(file), Some((partial, output))) => {
                file.sync_all().context("syncing the archive to disk")?;
                std::fs::rename(&partial, &output)
                    .with_context(|| format!("moving the archive to {}", output.display()))
            }
            (mut target, _) => target.flush().context("writing the archive to standard output"),
        }
    }

    /// Removes the partial file after a failure (best effort: the error being reported
    /// matters more than this one). On standard output the reader sees a cut-off archive,
    /// which restore refuses.
    pub fn abandon(self) {
        drop(self.builder);
        if let Some((partial, _)) = self.rename {
            let _ = std::fs::remove_file(partial);
        }
    }
}

fn partial_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Opens an archive for reading entry by entry.
pub fn open(path: &Path) -> anyhow::Result<tar::Archive<GzDecoder<BufReader<File>>>> {
    let file = File::open(path).with_context(|| format!("opening the archive {}", path.display()))?;
    Ok(tar::Archive::new(GzDecoder::new(BufReader::new(file))))
}

/// Reads what is left of the gzip stream after the tar end marker, so that its trailer (CRC
/// and length of everything) is checked: a damaged or cut-off end is refused too.
pub fn read_to_end(archive: tar::Archive<GzDecoder<BufReader<File>>>) -> anyhow::Result<()> {
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink()).context("reading the end of the archive")?;
    Ok(())
}

/// SHA-256 as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A writer that hashes and counts what goes through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner writer, the hex SHA-256 and the byte count of everything written.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
