//! Bounded body reading and gzip decoding.

/// Default limit for a success response body: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Default limit for an error response body: 64 KiB. Only this much of an
/// error body is read; the rest is discarded with the connection.
pub const DEFAULT_MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Whether a response body was read completely.
///
/// An [`HttpClient`](crate::HttpClient) may insert this into the response's
/// extensions when it stopped reading an (error) body early; the transport
/// uses it to describe the body in [`ApiError`](crate::ApiError). A response
/// without it is treated as complete.
///
/// ```
/// use bytes::Bytes;
/// use genesys_transport::BodyCompleteness;
///
/// let mut response = http::Response::new(Bytes::from_static(b"{\"code\":"));
/// response.extensions_mut().insert(BodyCompleteness::Incomplete { reason: "connection reset".into() });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyCompleteness {
    /// The whole body was read.
    #[default]
    Complete,
    /// Reading stopped at `limit` bytes; the body is a prefix.
    Truncated {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection failed while reading; the body is what arrived.
    Incomplete {
        /// What happened.
        reason: String,
    },
}

#[cfg(feature = "hyper-client")]
pub(crate) use reading::*;

#[cfg(feature = "hyper-client")]
mod reading {
    use bytes::{Bytes, BytesMut};
    use http_body_util::BodyExt;
    use hyper::body::Body;

    /// The result of [`read_bounded`].
    pub(crate) enum BoundedRead<E> {
        /// The whole body, within the limit.
        Complete(Bytes),
        /// The body was longer than the limit; this is the first `limit` bytes.
        OverLimit(Bytes),
        /// Reading failed; this is what arrived before the failure.
        Failed(Bytes, E),
    }

    /// Reads at most `limit` bytes of `body`; never buffers more than
    /// `limit` bytes plus one frame.
    pub(crate) async fn read_bounded<B>(mut body: B, limit: usize) -> BoundedRead<B::Error>
    where
        B: Body<Data = Bytes> + Unpin,
    {
        let mut buf = BytesMut::new();
        loop {
            match body.frame().await {
                None => return BoundedRead::Complete(buf.freeze()),
                Some(Err(e)) => return BoundedRead::Failed(buf.freeze(), e),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let room = limit - buf.len();
                        if data.len() > room {
                            buf.extend_from_slice(&data[..room]);
                            return BoundedRead::OverLimit(buf.freeze());
                        }
                        buf.extend_from_slice(&data);
                    }
                }
            }
        }
    }
}

/// Decodes a gzip body, producing at most `limit` bytes.
///
/// Returns `Ok((bytes, over_limit))`: when the decoded body would exceed
/// `limit`, `bytes` is its first `limit` bytes and `over_limit` is true.
#[cfg(feature = "gzip")]
pub(crate) fn gunzip_bounded(input: &[u8], limit: usize) -> std::io::Result<(bytes::Bytes, bool)> {
    use std::io::Read;
    let decoder = flate2::read::MultiGzDecoder::new(input);
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    decoder.take(cap).read_to_end(&mut out)?;
    let over = out.len() > limit;
    out.truncate(limit);
    Ok((bytes::Bytes::from(out), over))
}

#[cfg(all(test, feature = "gzip"))]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gunzip_roundtrip() {
        let (out, over) = gunzip_bounded(&gzip(b"hello world"), 100).unwrap();
        assert_eq!(&out[..], b"hello world");
        assert!(!over);
    }

    #[test]
    fn gunzip_bomb_is_bounded() {
        let zeros = vec![0u8; 10 * 1024 * 1024];
        let packed = gzip(&zeros);
        assert!(packed.len() < 64 * 1024);
        let (out, over) = gunzip_bounded(&packed, 1024).unwrap();
        assert_eq!(out.len(), 1024);
        assert!(over);
    }

    #[test]
    fn gunzip_garbage_is_an_error() {
        assert!(gunzip_bounded(b"definitely not gzip", 100).is_err());
        let mut packed = gzip(b"hello world hello world");
        packed.truncate(packed.len() - 6);
        assert!(gunzip_bounded(&packed, 100).is_err());
    }
}
