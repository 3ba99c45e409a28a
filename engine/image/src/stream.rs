//! The byte pipe of one layer: raw blob -> digest check -> decompression
//! (detected from the first bytes) -> bomb guard. It runs in its own thread
//! and hands bounded chunks to the tar reader, so decompression and hashing
//! overlap on two cores while memory stays a few chunks deep.

use std::io::{self, BufRead, Read};
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

/// A chunk of a stream, or why the stage before could not go on.
type Message = Result<Vec<u8>, Error>;

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
/// `consume` the uncompressed bytes. Three stages, each in its own thread,
/// linked by bounded channels of recycled chunks: reading and hashing the
/// blob (the calling thread), decompressing it, and `consume`. On two cores
/// the hash of the blob and the work of `consume` then run beside the
/// decompression instead of after it. Whatever a later stage leaves unread
/// is still read and hashed: a blob counts as verified only when all of it
/// matched.
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
    let (raw_tx, raw_rx) = sync_channel::<Message>(DEPTH);
    let (tar_tx, tar_rx) = sync_channel::<Message>(DEPTH);
    // Used chunks go back to the stage that filled them, so the pipe
    // allocates only a handful of them however large the blob.
    let (raw_recycle_tx, raw_recycle_rx) = sync_channel::<Vec<u8>>(DEPTH + 2);
    let (tar_recycle_tx, tar_recycle_rx) = sync_channel::<Vec<u8>>(DEPTH + 2);
    std::thread::scope(|scope| {
        let consumer = scope.spawn(move || {
            let mut reader = ChannelReader::new(tar_rx, tar_recycle_tx);
            let consumed = consume(&mut reader);
            if consumed.is_ok() {
                reader.drain()?;
            }
            consumed
        });
        let decompressor_blob = blob.clone();
        // Owning its sender, the decompressor closes the consumer's input
        // when it ends.
        let decompressor = scope.spawn(move || {
            let input = ChannelReader::new(raw_rx, raw_recycle_tx);
            decompress(input, limits, &decompressor_blob, &tar_tx, &tar_recycle_rx)
        });
        let digest = read_blob(raw, expect, &raw_tx, &raw_recycle_rx);
        // Closing the channel ends the decompressor's input.
        drop(raw_tx);
        let failed = || Error::invalid(&blob, "the layer reading thread failed");
        let uncompressed = decompressor.join().unwrap_or_else(|_| Err(failed()));
        let consumed = consumer.join().unwrap_or_else(|_| Err(failed()));
        // An earlier stage's error is the root cause when several failed
        // (the later ones then only saw their input stop).
        match (digest, uncompressed, consumed) {
            (Ok(digest), Ok(uncompressed), Ok(value)) => Ok(Piped {
                value,
                digest,
                uncompressed,
            }),
            (Err(error), _, _) => Err(PipeFailure {
                error,
                digest: None,
            }),
            (Ok(digest), Err(error), _) | (Ok(digest), Ok(_), Err(error)) => Err(PipeFailure {
                error,
                digest: Some(digest),
            }),
        }
    })
}

/// The first stage: reads all of the blob, verifying it, and passes it on
/// in chunks while the next stage listens.
fn read_blob<R: Read>(
    raw: R,
    expect: Expect,
    tx: &SyncSender<Message>,
    recycled: &Receiver<Vec<u8>>,
) -> Result<String, Error> {
    let blob = expect.blob.clone();
    let mut verifier = Verifier::new(raw, expect);
    let mut listening = true;
    let mut spare = Vec::new();
    loop {
        let mut chunk = if listening {
            recycled.try_recv().unwrap_or_default()
        } else {
            std::mem::take(&mut spare)
        };
        chunk.resize(CHUNK, 0);
        let filled = match fill(&mut verifier, &mut chunk) {
            Ok(filled) => filled,
            Err(e) => {
                let e = from_io(e, &blob);
                if listening {
                    let _ = tx.send(Err(Error::invalid(&blob, e.to_string())));
                }
                return Err(e);
            }
        };
        if filled == 0 {
            break;
        }
        chunk.truncate(filled);
        if !listening {
            spare = chunk;
        } else if tx.send(Ok(chunk)).is_err() {
            // A later stage stopped (it will say why); the rest of the blob
            // is still hashed.
            listening = false;
        }
    }
    verifier.finish()
}

/// Reads until `chunk` is full or the stream ends; how much was read.
fn fill(reader: &mut impl Read, chunk: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while let Some(space) = chunk.get_mut(filled..).filter(|s| !s.is_empty()) {
        match reader.read(space) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The second stage: tells the compression from the first bytes, and
/// passes the uncompressed bytes on in chunks. Returns their count.
fn decompress(
    mut input: ChannelReader,
    limits: BombLimits,
    blob: &str,
    tx: &SyncSender<Message>,
    recycled: &Receiver<Vec<u8>>,
) -> Result<u64, Error> {
    let compressed = input.counter();
    let result = (|| -> Result<u64, Error> {
        let first = input.fill_buf().map_err(|e| from_io(e, blob))?;
        let compression = Compression::detect(first);
        let decoder = match compression {
            Compression::Gzip => {
                Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(input)))
            }
            Compression::Zstd => Decoder::Zstd(Box::new(
                zstd::stream::read::Decoder::with_buffer(input).map_err(|e| from_io(e, blob))?,
            )),
            Compression::None => Decoder::None(input),
        };
        let mut guard = Guard {
            inner: decoder,
            produced: 0,
            compressed,
            limits,
            blob: blob.to_owned(),
            compression,
        };
        loop {
            let mut chunk = recycled.try_recv().unwrap_or_default();
            chunk.resize(CHUNK, 0);
            let filled = fill(&mut guard, &mut chunk).map_err(|e| from_io(e, blob))?;
            if filled == 0 {
                break;
            }
            chunk.truncate(filled);
            if tx.send(Ok(chunk)).is_err() {
                // The consumer failed and will say why.
                break;
            }
        }
        Ok(guard.produced)
    })();
    if let Err(e) = &result {
        let _ = tx.send(Err(Error::invalid(blob, e.to_string())));
    }
    result
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

/// The receiving end of a stage: its chunks as one stream.
struct ChannelReader {
    rx: Receiver<Message>,
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
    recycle: SyncSender<Vec<u8>>,
    /// Bytes consumed so far, for the decompression ratio check.
    consumed: Arc<AtomicU64>,
}

impl ChannelReader {
    fn new(rx: Receiver<Message>, recycle: SyncSender<Vec<u8>>) -> ChannelReader {
        ChannelReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
            done: false,
            recycle,
            consumed: Arc::new(AtomicU64::new(0)),
        }
    }

    fn counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.consumed)
    }

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

impl BufRead for ChannelReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.chunk.len() && !self.done {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.chunk, chunk);
                    self.pos = 0;
                    let _ = self.recycle.try_send(used);
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(to_io(e));
                }
                Err(_) => self.done = true,
            }
        }
        Ok(self.chunk.get(self.pos..).unwrap_or_default())
    }

    fn consume(&mut self, amount: usize) {
        let amount = amount.min(self.chunk.len().saturating_sub(self.pos));
        self.pos += amount;
        self.consumed.fetch_add(amount as u64, Ordering::Relaxed);
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::digest::sha256_digest;

    const LIMITS: BombLimits = BombLimits {
        max_uncompressed: 1 << 30,
        max_ratio: 1000,
        ratio_floor: 1 << 20,
    };

    /// Several chunks' worth of bytes that compress, but not to nothing.
    fn data() -> Vec<u8> {
        let mut state: u32 = 1;
        (0..3 * CHUNK + 123)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                if i % 4 == 0 {
                    (state >> 24) as u8
                } else {
                    b'a'
                }
            })
            .collect()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn expect() -> Expect {
        Expect {
            blob: "layer `x`".into(),
            digest: None,
            size: None,
            limit: 1 << 30,
        }
    }

    fn read_all(tar: &mut dyn Read) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        tar.read_to_end(&mut out).map_err(|e| from_io(e, "tar"))?;
        Ok(out)
    }

    #[test]
    fn every_compression_comes_out_whole_and_the_blob_is_hashed() {
        let data = data();
        let blobs = [
            gzip(&data),
            zstd::stream::encode_all(data.as_slice(), 3).unwrap(),
            data.clone(),
        ];
        for blob in blobs {
            let piped = pipe(blob.as_slice(), expect(), LIMITS, read_all)
                .ok()
                .unwrap();
            assert_eq!(piped.value, data);
            assert_eq!(piped.uncompressed, data.len() as u64);
            assert_eq!(piped.digest, sha256_digest(&blob));
        }
    }

    #[test]
    fn what_the_consumer_leaves_or_fails_on_is_still_hashed() {
        let data = data();
        let blob = gzip(&data);
        let first_bytes = |tar: &mut dyn Read| {
            let mut start = [0u8; 10];
            tar.read_exact(&mut start).map_err(|e| from_io(e, "tar"))?;
            Ok(start)
        };
        let piped = pipe(blob.as_slice(), expect(), LIMITS, first_bytes)
            .ok()
            .unwrap();
        assert_eq!(piped.value.as_slice(), data.get(..10).unwrap());
        assert_eq!(piped.digest, sha256_digest(&blob));
        assert_eq!(piped.uncompressed, data.len() as u64);

        let fails = |tar: &mut dyn Read| -> Result<(), Error> {
            let mut start = [0u8; 10];
            tar.read_exact(&mut start).map_err(|e| from_io(e, "tar"))?;
            Err(Error::invalid("layer `x`", "not a tar"))
        };
        let failure = pipe(blob.as_slice(), expect(), LIMITS, fails)
            .err()
            .unwrap();
        assert!(
            failure.error.to_string().contains("not a tar"),
            "{}",
            failure.error
        );
        assert_eq!(failure.digest, Some(sha256_digest(&blob)));
    }

    #[test]
    fn a_corrupt_stream_fails_with_the_digest_of_what_was_there() {
        let mut blob = gzip(&data());
        let middle = blob.len() / 2;
        blob[middle] ^= 0xff;
        let failure = pipe(blob.as_slice(), expect(), LIMITS, read_all)
            .err()
            .unwrap();
        assert_eq!(failure.digest, Some(sha256_digest(&blob)));
    }

    #[test]
    fn a_failing_source_is_the_root_cause() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("connection reset"));
                }
                let n = buf.len().min(self.0);
                buf[..n].fill(b'a');
                self.0 -= n;
                Ok(n)
            }
        }
        let failure = pipe(Failing(CHUNK + 5), expect(), LIMITS, read_all)
            .err()
            .unwrap();
        let message = failure.error.to_string();
        assert!(
            message.contains("connection reset") && message.contains("layer `x`"),
            "{message}"
        );
        assert_eq!(failure.digest, None);
    }

    #[test]
    fn the_ratio_is_judged_on_the_compressed_bytes_consumed() {
        let zeros = vec![0u8; 8 << 20];
        let blob = gzip(&zeros);
        let tight = BombLimits {
            max_uncompressed: 1 << 30,
            max_ratio: 100,
            ratio_floor: 1 << 20,
        };
        let failure = pipe(blob.as_slice(), expect(), tight, read_all)
            .err()
            .unwrap();
        assert!(
            matches!(failure.error, Error::DecompressionBomb { .. }),
            "{}",
            failure.error
        );
        assert_eq!(failure.digest, Some(sha256_digest(&blob)));
    }
}
