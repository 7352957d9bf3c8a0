//! The error-body decoder and the header parsers never panic, and stay
//! bounded, whatever the bytes.

use std::collections::BTreeMap;

use std::time::{Duration, UNIX_EPOCH};

use genesys_transport::{
    ApiError, BaseUrl, Environment, ErrorBody, RateLimitStatus, Region, parse_retry_after,
    parse_retry_after_at, render_message,
};
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;

fn headers(correlation: &str, retry_after: &str) -> HeaderMap {
    let mut map = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(correlation) {
        map.insert("inin-correlation-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(retry_after) {
        map.insert("retry-after", v);
    }
    map
}

/// JSON-looking inputs, to get past the parser more often than random bytes do.
fn jsonish() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[a-z{}\\[\\]\"]{0,12}".prop_map(|s| format!("{s:?}")),
    ];
    let value = leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("status"),
                        Just("code"),
                        Just("message"),
                        Just("messageWithParams"),
                        Just("messageParams"),
                        Just("contextId"),
                        Just("details"),
                        Just("errors"),
                        Just("entityId"),
                        Just("limit"),
                        Just("other"),
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| {
                let fields: Vec<String> = kv
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    });
    (value, 0usize..64).prop_map(|(v, cut)| {
        // Sometimes truncate, as a cut connection would.
        if cut < 8 && !v.is_empty() {
            let mut end = v.len() * cut / 8;
            while !v.is_char_boundary(end) {
                end -= 1;
            }
            v[..end].to_string()
        } else {
            v
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..2048),
        status in 100u16..600,
        limit in 0usize..4096,
        correlation in "\\PC{0,20}",
        retry_after in "\\PC{0,12}",
    ) {
        let _ = ErrorBody::decode(&body);
        let status = StatusCode::from_u16(status).unwrap();
        let err = ApiError::from_response(status, &headers(&correlation, &retry_after), &body, limit);
        prop_assert!(err.raw_body().len() <= limit);
        if err.body_problem().is_some() {
            // The fallback quotes only a short snippet (200 characters) after
            // the status reason and the problem.
            prop_assert!(err.message().chars().count() <= 450, "message too long: {}", err.message().len());
        }
        let _ = err.to_string();
        let _ = format!("{err:?}");
    }

    #[test]
    fn jsonish_bodies_never_panic(body in jsonish(), status in 400u16..600) {
        let decoded = ErrorBody::decode(body.as_bytes());
        if let Ok(b) = &decoded {
            let _ = b.rendered_message();
        }
        let err = ApiError::from_response(StatusCode::from_u16(status).unwrap(), &HeaderMap::new(), body.as_bytes(), 64 * 1024);
        // Either decoded, or the problem is named.
        prop_assert!(err.body().is_some() || err.body_problem().is_some());
        let _ = err.to_string();
    }

    #[test]
    fn render_message_never_panics(
        template in "\\PC{0,64}",
        params in prop::collection::btree_map("\\PC{0,8}", "\\PC{0,8}", 0..6),
    ) {
        let params: BTreeMap<String, String> = params;
        let out = render_message(&template, &params);
        // Without placeholders, the template comes back unchanged.
        if !template.contains('{') {
            prop_assert_eq!(out, template);
        }
    }

    #[test]
    fn retry_after_and_rate_limit_parsing_never_panics(
        value in prop_oneof![
            "\\PC{0,40}",
            "[0-9]{0,24}",
            "(Mon|Sun|Fri|Sunday|Xyz)[,]? [0-9]{1,2}[ -](Jan|Feb|Nov|Dec|Foo)[ -][0-9]{2,4} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}( GMT| [0-9]{4})?",
        ],
        now in any::<u64>(),
        before_epoch in any::<bool>(),
    ) {
        let offset = Duration::from_secs(now % (400 * 365 * 86_400));
        let now = if before_epoch { UNIX_EPOCH - offset } else { UNIX_EPOCH + offset };
        let wait = parse_retry_after_at(&value, now);
        // Seconds mean the same in both parsers.
        if let Some(seconds) = parse_retry_after(&value) {
            prop_assert_eq!(wait, Some(seconds));
        }
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert("retry-after", v.clone());
            headers.insert("inin-ratelimit-allowed", v.clone());
            headers.insert("inin-ratelimit-count", v.clone());
            headers.insert("inin-ratelimit-reset", v);
        }
        if let Some(status) = RateLimitStatus::from_headers(&headers, now) {
            let _ = (status.remaining(), status.resets_at());
        }
        let err = ApiError::from_response(StatusCode::TOO_MANY_REQUESTS, &headers, b"{}", 1024);
        let _ = (err.retry_at(), err.retry_notice(), err.to_string());
    }

    #[test]
    fn url_and_region_parsing_never_panics(
        input in prop_oneof![
            "\\PC{0,40}",
            "(https?|ftp|HTTP)://(127\\.0\\.0\\.1|localhost|\\[::1\\]|[a-z0-9.:@-]{0,20})(:[0-9]{1,5})?(/[a-z?#=]{0,6})?",
        ]
    ) {
        let _ = input.parse::<Region>();
        let _ = input.parse::<Environment>();
        let _ = Environment::from_domain(&input);
        if let Ok(base) = BaseUrl::parse(&input) {
            // Whatever parses is https, or plain http to a loopback host.
            prop_assert!(base.scheme() == "https" || base.is_loopback());
            let _ = base.join(&input);
        }
    }
}
