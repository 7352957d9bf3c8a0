//! The SDK side: the `genesys-cloud` facade with a cached, single-flight
//! client-credentials token source, as an application would use it.

use anyhow::Context;
use genesys_auth::{ClientCredentials, Environment, TokenEndpoint, TokenSourceExt};
use genesys_cloud::{BaseUrl, Client};
use genesys_model::CreateCallRequest;

/// A facade client for the emulator at `base_url`, authenticating as the
/// seeded client-credentials client through a fresh token cache (so its
/// first call fetches a token). With `pool_max_idle`, its HTTP client keeps
/// that many idle connections per host instead of the SDK's default (a
/// diagnostic knob; the benchmark runs the defaults).
pub fn client(
    base_url: &str,
    client_id: &str,
    client_secret: &str,
    pool_max_idle: Option<usize>,
) -> anyhow::Result<Client> {
    let base = BaseUrl::parse(base_url).context("emulator base URL")?;
    let endpoint = TokenEndpoint::builder()
        .environment(Environment::single(base.clone()))
        .build()
        .context("token endpoint")?;
    let source = ClientCredentials::new(endpoint, client_id, client_secret.to_owned()).cached();
    let mut builder = Client::builder().base_url(base).token_source(source);
    if let Some(max) = pool_max_idle {
        let http = genesys_transport::HyperClient::builder()
            .pool_max_idle_per_host(max)
            .build()?;
        builder = builder.http_client(genesys_transport::SharedHttpClient::new(http));
    }
    builder.build().context("building the SDK client")
}

/// The uncached grant: every `token()` is one request to `/oauth/token`.
pub fn uncached_grant(
    base_url: &str,
    client_id: &str,
    client_secret: &str,
) -> anyhow::Result<ClientCredentials> {
    let base = BaseUrl::parse(base_url).context("emulator base URL")?;
    let endpoint = TokenEndpoint::builder()
        .environment(Environment::single(base))
        .build()
        .context("token endpoint")?;
    Ok(ClientCredentials::new(
        endpoint,
        client_id,
        client_secret.to_owned(),
    ))
}

/// Places one call on behalf of `user_id` through the facade.
pub async fn call(client: &Client, user_id: &str, body: &CreateCallRequest) -> anyhow::Result<()> {
    let created = client
        .conversations()
        .post_conversations_calls_user_user_id(user_id, body)
        .await?;
    anyhow::ensure!(created.id.is_some(), "no conversation id in {created:?}");
    Ok(())
}

/// The request the SDK sends for one create-call, as it arrived on the
/// wire: its header fields (without `host` and `content-length`, which
/// hyper writes) and its body.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    /// Header fields in the order they were sent.
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// The JSON body.
    pub body: bytes::Bytes,
}

/// Captures the SDK's create-call request with `token` as its bearer
/// token: a one-shot HTTP/1.1 listener on `127.0.0.1` answers it with a
/// canned `CreateCallResponse`, so the raw client can send the same bytes.
pub async fn capture_create_call(
    token: &str,
    user_id: &str,
    body: &CreateCallRequest,
) -> anyhow::Result<CapturedRequest> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = async {
        let (mut socket, _) = listener.accept().await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head_end, length) = loop {
            let n = socket.read(&mut chunk).await?;
            anyhow::ensure!(n > 0, "the SDK closed the connection before a full request");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&buf[..end])?;
                let length = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                    .map_or(Ok(0), |(_, v)| v.trim().parse::<usize>())?;
                break (end + 4, length);
            }
        };
        while buf.len() < head_end + length {
            let n = socket.read(&mut chunk).await?;
            anyhow::ensure!(n > 0, "the SDK closed the connection mid-body");
            buf.extend_from_slice(&chunk[..n]);
        }
        let answer = br#"{"id":"00000000-0000-4000-8000-00000000cafe"}"#;
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            answer.len()
        );
        socket.write_all(response.as_bytes()).await?;
        socket.write_all(answer).await?;
        socket.shutdown().await?;
        let head = std::str::from_utf8(&buf[..head_end - 4])?.to_owned();
        let body = bytes::Bytes::copy_from_slice(&buf[head_end..head_end + length]);
        anyhow::Ok((head, body))
    };
    let base_url = BaseUrl::parse(&base)?;
    let client = Client::builder()
        .base_url(base_url)
        .token_source(genesys_auth::AccessToken::new(token.to_owned()))
        .build()?;
    let (captured, sent) = tokio::join!(server, call(&client, user_id, body));
    sent.context("the SDK's request to the capture listener")?;
    let (head, body) = captured?;
    let mut headers = Vec::new();
    for line in head.lines().skip(1) {
        let (name, value) = line
            .split_once(':')
            .with_context(|| format!("header line {line:?}"))?;
        let name = http::HeaderName::from_bytes(name.trim().as_bytes())?;
        if name == http::header::HOST || name == http::header::CONTENT_LENGTH {
            continue;
        }
        headers.push((name, http::HeaderValue::from_str(value.trim())?));
    }
    Ok(CapturedRequest { headers, body })
}
