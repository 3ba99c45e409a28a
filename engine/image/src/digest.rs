//! Content digests and the reader that checks one while bytes stream past.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

use crate::error::{Error, to_io};

/// Checks that `text` is a `sha256:<64 lowercase hex>` digest and returns its hex part.
pub(crate) fn sha256_hex<'a>(text: &'a str, blob: &str) -> Result<&'a str, Error> {
    let hex = text.strip_prefix("sha256:").ok_or_else(|| {
        Error::invalid(
            blob,
            format!("digest `{text}` is not a sha256 digest (`sha256:<64 hex digits>`)"),
        )
    })?;
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Error::invalid(
            blob,
            format!("digest `{text}` is not 64 lowercase hex digits"),
        ));
    }
    Ok(hex)
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// What a blob must be.
#[derive(Debug, Clone)]
pub(crate) struct Expect {
    /// Names the blob in errors, e.g. "layer `sha256:ab..`".
    pub blob: String,
    /// `sha256:<hex>` the bytes must hash to, when known.
    pub digest: Option<String>,
    /// Exact size, when known.
    pub size: Option<u64>,
    /// Refuse more bytes than this.
    pub limit: u64,
}

/// A reader that hashes and counts what passes through it and, at the end
/// of the stream, fails unless the size and digest are the expected ones.
/// Only a reader that reached its end without error has been verified.
pub(crate) struct Verifier<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
    expect: Expect,
    finished: Option<String>,
}

impl<R: Read> Verifier<R> {
    pub fn new(inner: R, expect: Expect) -> Self {
        Verifier {
            inner,
            hasher: Sha256::new(),
            count: 0,
            expect,
            finished: None,
        }
    }

    /// Reads what is left, then returns the verified digest.
    pub fn finish(mut self) -> Result<String, Error> {
        if self.finished.is_none() {
            let mut sink = [0u8; 64 * 1024];
            loop {
                match self.read(&mut sink) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Err(crate::error::from_io(e, &self.expect.blob)),
                }
            }
        }
        self.finished
            .ok_or_else(|| Error::invalid(&self.expect.blob, "stream did not end"))
    }

    fn check_end(&mut self) -> Result<String, Error> {
        let actual = format!("sha256:{}", hex::encode(self.hasher.clone().finalize()));
        if let Some(size) = self.expect.size
            && self.count < size
        {
            return Err(Error::Truncated {
                blob: self.expect.blob.clone(),
                expected: size,
                actual: self.count,
            });
        }
        if let Some(expected) = &self.expect.digest
            && *expected != actual
        {
            return Err(Error::DigestMismatch {
                blob: self.expect.blob.clone(),
                expected: expected.clone(),
                actual,
            });
        }
        Ok(actual)
    }
}

impl<R: Read> Read for Verifier<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.finished.is_some() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            let digest = self.check_end().map_err(to_io)?;
            self.finished = Some(digest);
            return Ok(0);
        }
        let chunk = buf.get(..n).unwrap_or_default();
        self.hasher.update(chunk);
        self.count += n as u64;
        if let Some(size) = self.expect.size
            && self.count > size
        {
            return Err(to_io(Error::DigestMismatch {
                blob: self.expect.blob.clone(),
                expected: format!("{size} bytes"),
                actual: format!("more than {size} bytes"),
            }));
        }
        if self.count > self.expect.limit {
            return Err(to_io(Error::TooLarge {
                blob: self.expect.blob.clone(),
                limit: self.expect.limit,
                what: "blob size",
            }));
        }
        Ok(n)
    }
}

/// Reads a whole small blob (manifest, config, index) into memory, verified.
pub(crate) fn read_verified<R: Read>(reader: R, expect: Expect) -> Result<Vec<u8>, Error> {
    let blob = expect.blob.clone();
    let mut verifier = Verifier::new(reader, expect);
    let mut bytes = Vec::new();
    verifier
        .read_to_end(&mut bytes)
        .map_err(|e| crate::error::from_io(e, &blob))?;
    verifier.finish()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(digest: Option<String>, size: Option<u64>) -> Expect {
        Expect {
            blob: "layer `x`".into(),
            digest,
            size,
            limit: 1 << 20,
        }
    }

    #[test]
    fn verifies_digest_and_size() {
        let data = b"hello".to_vec();
        let d = sha256_digest(&data);
        let got = read_verified(&data[..], expect(Some(d.clone()), Some(5))).unwrap();
        assert_eq!(got, data);
        let err = read_verified(&b"hellO"[..], expect(Some(d.clone()), None)).unwrap_err();
        assert!(
            matches!(err, Error::DigestMismatch { .. }) && err.to_string().contains("layer `x`"),
            "{err}"
        );
        let err = read_verified(&b"hell"[..], expect(Some(d), Some(5))).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Truncated {
                    expected: 5,
                    actual: 4,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn rejects_malformed_digests() {
        assert!(sha256_hex("sha256:abc", "x").is_err());
        assert!(sha256_hex(&format!("sha512:{}", "a".repeat(64)), "x").is_err());
        assert!(sha256_hex(&format!("sha256:{}", "A".repeat(64)), "x").is_err());
        assert!(sha256_hex(&format!("sha256:{}", "a".repeat(64)), "x").is_ok());
    }
}
