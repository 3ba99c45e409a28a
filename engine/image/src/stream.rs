//! The byte pipe of one layer: raw blob -> digest check -> decompression
//! (detected from the first bytes) -> bomb guard. It runs in its own thread
//! and hands bounded chunks to the tar reader, so decompression and hashing
//! overlap on two cores while memory stays a few chunks deep.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::digest::{Expect, Verifier};
use crate::error::{Error, from_io, to_io};

/// How a blob is compressed, told by its first bytes, never by its media type
/// (registries and tools are known to mislabel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

impl Compression {
    pub fn detect(first: &[u8]) -> Compression {
        match first {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            _ => Compression::None,
        }
    }
}

/// Bounds on what decompression may produce.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BombLimits {
    pub max_uncompressed: u64,
    pub max_ratio: u64,
    /// The ratio is judged only past this many output bytes: tiny layers of
    /// zeros compress far better than any real layer and are harmless.
    pub ratio_floor: u64,
}

enum Decoder<R: BufRead> {
    Gzip(Box<flate2::bufread::MultiGzDecoder<R>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, R>>),
    None(R),
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
            Decoder::None(r) => r.read(buf),
        }
    }
}

struct Guard<R> {
    inner: R,
    produced: u64,
    compressed: Arc<AtomicU64>,
    limits: BombLimits,
    blob: String,
    compression: Compression,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.compression == Compression::None {
            return Ok(n);
        }
        let compressed = self.compressed.load(Ordering::Relaxed).max(1);
        let bomb = |reason: String| Error::DecompressionBomb {
            blob: self.blob.clone(),
            compressed,
            uncompressed: self.produced,
            reason,
        };
        if self.produced > self.limits.max_uncompressed {
            return Err(to_io(bomb(format!(
                "more than the limit of {} uncompressed bytes",
                self.limits.max_uncompressed
            ))));
        }
        if self.produced > self.limits.ratio_floor
            && self.produced / compressed > self.limits.max_ratio
        {
            return Err(to_io(bomb(format!(
                "ratio above the limit of {}:1",
                self.limits.max_ratio
            ))));
        }
        Ok(n)
    }
}

const CHUNK: usize = 256 * 1024;
const DEPTH: usize = 8;

/// The result of running a blob through the pipe.
pub(crate) struct Piped<T> {
    pub value: T,
    pub digest: String,
    pub uncompressed: u64,
}

/// A failed pipe: the error, and the blob's digest when all of it could
/// still be read (so a corrupt blob is reported as a digest mismatch, the
/// root cause, rather than as whatever the decoder tripped over).
pub(crate) struct PipeFailure {
    pub error: Error,
    pub digest: Option<String>,
}

/// Streams `raw` through verification and decompression and gives
/// `consume` the uncompressed bytes in a helper thread. Whatever `consume`
/// leaves unread is still read and hashed: a blob counts as verified only
/// when all of it matched.
pub(crate) fn pipe<R, T>(
    raw: R,
    expect: Expect,
    limits: BombLimits,
    consume: impl FnOnce(&mut dyn Read) -> Result<T, Error> + Send,
) -> Result<Piped<T>, PipeFailure>
where
    R: Read,
    T: Send,
{
    let blob = expect.blob.clone();
    let (tx, rx) = sync_channel::<Result<Vec<u8>, Error>>(DEPTH);
    // Used chunks go back to the producer, so the pipe allocates only a
    // handful of them however large the blob.
    let (recycle_tx, recycle_rx) = sync_channel::<Vec<u8>>(DEPTH + 2);
    std::thread::scope(|scope| {
        let consumer = scope.spawn(move || {
            let mut reader = ChannelReader {
                rx,
                cursor: Cursor::default(),
                done: false,
                recycle: recycle_tx,
            };
            let consumed = consume(&mut reader);
            if consumed.is_ok() {
                reader.drain()?;
            }
            consumed
        });
        let produced = produce(raw, expect, limits, &tx, &recycle_rx);
        // Closing the channel ends the consumer's stream.
        drop(tx);
        let consumed = consumer
            .join()
            .unwrap_or_else(|_| Err(Error::invalid(&blob, "the layer reading thread failed")));
        let Produced {
            result,
            digest,
            uncompressed,
        } = produced;
        // The producer's error is the root cause when both failed (the
        // consumer then only saw the stream stop).
        match (result, consumed, digest) {
            (Ok(()), Ok(value), Ok(digest)) => Ok(Piped {
                value,
                digest,
                uncompressed,
            }),
            (Err(error), _, digest) | (Ok(()), Err(error), digest) => Err(PipeFailure {
                error,
                digest: digest.ok(),
            }),
            (Ok(()), Ok(_), Err(error)) => Err(PipeFailure {
                error,
                digest: None,
            }),
        }
    })
}

struct Produced {
    result: Result<(), Error>,
    digest: Result<String, Error>,
    uncompressed: u64,
}

fn produce<R: Read>(
    raw: R,
    expect: Expect,
    limits: BombLimits,
    tx: &SyncSender<Result<Vec<u8>, Error>>,
    recycled: &Receiver<Vec<u8>>,
) -> Produced {
    let blob = expect.blob.clone();
    let verifier = Verifier::new(raw, expect);
    let counter = verifier.counter();
    let mut buffered = BufReader::with_capacity(CHUNK, verifier);
    let first = match buffered.fill_buf() {
        Ok(first) => first,
        Err(e) => {
            return Produced {
                result: Err(from_io(e, &blob)),
                digest: buffered.into_inner().finish(),
                uncompressed: 0,
            };
        }
    };
    let compression = Compression::detect(first);
    let decoder = match compression {
        Compression::Gzip => {
            Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(buffered)))
        }
        Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(buffered) {
            Ok(d) => Decoder::Zstd(Box::new(d)),
            Err(e) => {
                return Produced {
                    result: Err(from_io(e, &blob)),
                    digest: Err(Error::invalid(&blob, "no zstd decoder")),
                    uncompressed: 0,
                };
            }
        },
        Compression::None => Decoder::None(buffered),
    };
    let mut guard = Guard {
        inner: decoder,
        produced: 0,
        compressed: counter,
        limits,
        blob: blob.clone(),
        compression,
    };
    let result = (|| {
        loop {
            let mut chunk = recycled.try_recv().unwrap_or_default();
            chunk.resize(CHUNK, 0);
            let mut filled = 0;
            while filled < CHUNK {
                let space = chunk.get_mut(filled..).unwrap_or_default();
                match guard.read(space) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(from_io(e, &blob)),
                }
            }
            if filled == 0 {
                break;
            }
            chunk.truncate(filled);
            if tx.send(Ok(chunk)).is_err() {
                // The consumer failed and will say why.
                break;
            }
        }
        Ok(())
    })();
    if let Err(e) = &result {
        let _ = tx.send(Err(Error::invalid(&blob, e.to_string())));
    }
    let uncompressed = guard.produced;
    let buffered = match guard.inner {
        Decoder::Gzip(d) => d.into_inner(),
        Decoder::Zstd(d) => d.finish(),
        Decoder::None(r) => r,
    };
    // Bytes after the end of the compressed stream (or after a failure)
    // still belong to the blob and are hashed by `finish`.
    let digest = buffered.into_inner().finish();
    Produced {
        result,
        digest,
        uncompressed,
    }
}
/// The unread rest of one chunk of a stream.
#[derive(Default)]
pub(crate) struct Cursor {
    chunk: Vec<u8>,
    pos: usize,
}

impl Cursor {
    pub fn new(chunk: Vec<u8>) -> Cursor {
        Cursor { chunk, pos: 0 }
    }

    /// Copies what it can into `buf`; `None` when the chunk is used up.
    pub fn copy_to(&mut self, buf: &mut [u8]) -> Option<usize> {
        let rest = self.chunk.get(self.pos..).filter(|r| !r.is_empty())?;
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n;
        Some(n)
    }
}

struct ChannelReader {
    rx: Receiver<Result<Vec<u8>, Error>>,
    cursor: Cursor,
    done: bool,
    recycle: SyncSender<Vec<u8>>,
}

impl ChannelReader {
    fn drain(&mut self) -> Result<(), Error> {
        while !self.done {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let _ = self.recycle.try_send(chunk);
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => self.done = true,
            }
        }
        Ok(())
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(n) = self.cursor.copy_to(buf) {
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.cursor, Cursor::new(chunk));
                    let _ = self.recycle.try_send(used.chunk);
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(to_io(e));
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
    }
}
