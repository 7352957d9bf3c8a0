//! Wire-level cases the emulator does not cover (gzip, TLS failures, the
//! exact request bytes), against a tiny raw TCP server on 127.0.0.1.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::RecordingSleeper;
use genesys_transport::{
    ApiRequest, BaseUrl, BodyProblem, HttpClient, HyperClient, RetryPolicy, StopReason, Transport,
    TransportError,
};
use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `responses` one per connection, in order; records each request head.
async fn serve(responses: Vec<Vec<u8>>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        for response in responses {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            seen.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).into_owned());
            let _ = stream.write_all(&response).await;
            let _ = stream.shutdown().await;
        }
    });
    (format!("http://{addr}"), heads)
}

fn http_response(status: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn transport(base: &str) -> Transport {
    Transport::builder()
        .base_url(BaseUrl::parse(base).unwrap())
        .retry_policy(RetryPolicy::none())
        .max_body_bytes(64 * 1024)
        .max_error_body_bytes(1024)
        .sleeper(RecordingSleeper::default())
        .build()
        .unwrap()
}

#[tokio::test]
async fn gzip_responses_are_decoded_and_advertised() {
    let body = br#"{"id":"abc","name":"gzipped"}"#;
    let (base, heads) = serve(vec![http_response(
        "200 OK",
        &[
            ("content-encoding", "gzip".into()),
            ("content-type", "application/json".into()),
        ],
        &gzip(body),
    )])
    .await;
    let resp = transport(&base)
        .send(ApiRequest::new(Method::GET, "/api/v2/users/me").with_correlation_id("c-42"))
        .await
        .unwrap();
    assert_eq!(&resp.body()[..], body);
    assert!(resp.headers().get("content-encoding").is_none());
    let head = heads.lock().unwrap()[0].to_lowercase();
    assert!(head.starts_with("get /api/v2/users/me http/1.1"), "{head}");
    assert!(head.contains("accept-encoding: gzip"), "{head}");
    assert!(head.contains("inin-correlation-id: c-42"), "{head}");
    assert!(head.contains("accept: application/json"), "{head}");
}

#[tokio::test]
async fn gzip_error_bodies_are_decoded_too() {
    let body =
        br#"{"status":404,"code":"not.found","message":"The requested resource was not found."}"#;
    let (base, _) = serve(vec![http_response(
        "404 Not Found",
        &[
            ("content-encoding", "gzip".into()),
            ("inin-correlation-id", "zz".into()),
        ],
        &gzip(body),
    )])
    .await;
    let err = transport(&base)
        .send(ApiRequest::new(Method::GET, "/x"))
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.code(), Some("not.found"));
    assert_eq!(api.correlation_id(), Some("zz"));
}

#[tokio::test]
async fn gzip_bombs_are_bounded() {
    let zeros = vec![b' '; 16 * 1024 * 1024];
    let packed = gzip(&zeros);
    let (base, _) = serve(vec![
        http_response("200 OK", &[("content-encoding", "gzip".into())], &packed),
        http_response(
            "500 Internal Server Error",
            &[("content-encoding", "gzip".into())],
            &packed,
        ),
    ])
    .await;
    let t = transport(&base);
    let err = t
        .send(ApiRequest::new(Method::GET, "/x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.transport_error(),
            Some(TransportError::BodyTooLarge { limit: 65536 })
        ),
        "{err:?}"
    );
    let err = t
        .send(ApiRequest::new(Method::GET, "/x"))
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(
        api.body_problem(),
        Some(&BodyProblem::TooLarge { limit: 1024 })
    );
}

#[tokio::test]
async fn corrupt_gzip_is_a_decode_error() {
    let (base, _) = serve(vec![http_response(
        "200 OK",
        &[("content-encoding", "gzip".into())],
        b"this is not gzip at all",
    )])
    .await;
    let err = transport(&base)
        .send(ApiRequest::new(Method::GET, "/x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.transport_error(), Some(TransportError::Decode { .. })),
        "{err:?}"
    );
    assert_eq!(err.stop_reason(), StopReason::NotRetryable);
}

#[tokio::test]
async fn declared_oversized_success_body_is_refused_before_reading() {
    // Declares 10 GB and sends nothing: must fail at once, not wait or allocate.
    let (base, _) = serve(vec![
        b"HTTP/1.1 200 OK\r\ncontent-length: 10000000000\r\n\r\n".to_vec(),
    ])
    .await;
    let err = transport(&base)
        .send(ApiRequest::new(Method::GET, "/x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.transport_error(),
            Some(TransportError::BodyTooLarge { .. })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn chunked_error_body_larger_than_limit_is_truncated() {
    let mut raw = b"HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec();
    for _ in 0..100 {
        raw.extend_from_slice(b"400\r\n");
        raw.extend_from_slice(&[b'a'; 0x400]);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let (base, _) = serve(vec![raw]).await;
    let err = transport(&base)
        .send(ApiRequest::new(Method::POST, "/x"))
        .await
        .unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(
        api.body_problem(),
        Some(&BodyProblem::TooLarge { limit: 1024 })
    );
    assert_eq!(err.stop_reason(), StopReason::UnsafeToRetry);
}

#[tokio::test]
async fn silent_server_times_out() {
    // Accepts, reads the request, never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let t = Transport::builder()
        .base_url(BaseUrl::parse(&format!("http://{addr}")).unwrap())
        .request_timeout(Duration::from_millis(150))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = t
        .send(ApiRequest::new(Method::GET, "/x"))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(err.to_string().contains("timed out after 150ms"), "{err}");
}

#[tokio::test]
async fn tls_failure_is_its_own_variant_and_not_retried() {
    // An https request to a server that answers in plain text as soon as it
    // accepts: the TLS handshake fails on 127.0.0.1.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
            let _ = stream.shutdown().await;
        }
    });
    let https = format!("https://{addr}");
    let sleeper = RecordingSleeper::default();
    let t = Transport::builder()
        .base_url(BaseUrl::parse(&https).unwrap())
        .retry_policy(RetryPolicy::default().with_max_attempts(3))
        .request_timeout(Duration::from_secs(5))
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    let err = t
        .send(ApiRequest::new(Method::GET, "/x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.transport_error(), Some(TransportError::Tls { .. })),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.stop_reason(), StopReason::NotRetryable);
    assert!(sleeper.sleeps().is_empty());
}

#[tokio::test]
async fn hyper_client_can_be_used_directly() {
    let (base, _) = serve(vec![http_response("204 No Content", &[], b"")]).await;
    let client = HyperClient::builder().http2(false).build().unwrap();
    let request = http::Request::get(format!("{base}/x"))
        .body(Bytes::new())
        .unwrap();
    let resp = client.send(request).await.unwrap();
    assert_eq!(resp.status(), 204);
}
