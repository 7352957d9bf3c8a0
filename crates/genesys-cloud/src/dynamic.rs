//! Any operation by its id, with untyped parameters and a JSON answer.
//!
//! The generated API ([`crate::api`]) is the typed way to call Genesys
//! Cloud; it compiles only the tags you enable. [`Client::operation`]
//! reaches every operation of the catalogue, whatever the features, from
//! names known only at run time: for tools (the `genesys api` command),
//! scripts and operations of tags you did not enable. It goes through the
//! same client: preflight (scopes, user context), retries, token refresh,
//! typed errors, and the same paging as the typed listings.
//!
//! ```no_run
//! # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::Error> {
//! use futures_util::TryStreamExt as _;
//!
//! let queue = client
//!     .operation("getRoutingQueue")?
//!     .param("queueId", "0f6c1c52-0000-4000-8000-000000000001")?
//!     .send()
//!     .await?;
//! println!("{}", queue["name"]);
//!
//! let users: Vec<serde_json::Value> = client
//!     .operation("getUsers")?
//!     .param("pageSize", "100")?
//!     .items()?
//!     .try_collect()
//!     .await?;
//! # let _ = users; Ok(()) }
//! ```

use std::borrow::Cow;

use bytes::Bytes;
use futures_util::stream::{Stream, TryStreamExt as _};
use genesys_model::catalogue::{self, Operation, ParameterLocation};
use serde_json::Value;

use crate::operation::{OperationRequest, encode_path_segment};
use crate::paging::{self, Listing, Page, PageInfo, PagingOptions, PagingStyle};
use crate::{Client, Error};

impl Client {
    /// A request for the operation `operation_id` of the catalogue (see the
    /// [`dynamic`](crate::dynamic) module). Fails, naming the closest
    /// operation ids, when there is no such operation.
    ///
    /// ```
    /// # fn demo(client: genesys_cloud::Client) {
    /// let err = client.operation("getUsersMee").unwrap_err();
    /// assert!(err.to_string().contains("did you mean getUsersMe"));
    /// # }
    /// ```
    pub fn operation(&self, operation_id: &str) -> Result<OperationCall<'_>, Error> {
        let op = catalogue::operation(operation_id).ok_or_else(|| {
            let near = catalogue::similar_operations(operation_id);
            Error::InvalidRequest {
                operation: "unknown",
                reason: format!(
                    "`{operation_id}` is not an operation of this API version{}",
                    if near.is_empty() {
                        String::new()
                    } else {
                        format!("; did you mean {}?", near.join(", "))
                    }
                ),
            }
        })?;
        Ok(OperationCall {
            client: self,
            op,
            path_params: Vec::new(),
            parts: OperationRequest::for_operation(op, String::new()),
            paging: PagingOptions::default(),
        })
    }
}

/// A request for one operation with untyped parameters, from
/// [`Client::operation`].
#[must_use = "a request does nothing until it is sent"]
pub struct OperationCall<'a> {
    client: &'a Client,
    op: &'static Operation,
    path_params: Vec<(&'static str, String)>,
    parts: OperationRequest,
    paging: PagingOptions,
}

/// Shows the operation and where the request goes, never the body or the
/// header parameters (either may carry a secret).
impl std::fmt::Debug for OperationCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperationCall")
            .field("operation", &self.op.id)
            .field("path_params", &self.path_params)
            .field("query", &self.parts.query)
            .finish_non_exhaustive()
    }
}

impl<'a> OperationCall<'a> {
    /// What the catalogue says about the operation.
    pub fn operation(&self) -> &'static Operation {
        self.op
    }

    /// Sets a path, query or header parameter by its name in the spec
    /// (`queueId`, `pageSize`); given again, a query parameter of array
    /// type repeats (`expand=a&expand=b`), any other replaces its value.
    /// Fails, listing the operation's parameters, for a name it does not
    /// have (the body is set with [`body`](Self::body)).
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        let op = self.op;
        let Some(param) = op
            .parameters
            .iter()
            .find(|p| p.name == name && p.location != ParameterLocation::Body)
        else {
            let known: Vec<&str> = op
                .parameters
                .iter()
                .filter(|p| p.location != ParameterLocation::Body)
                .map(|p| p.name)
                .collect();
            return Err(Error::InvalidRequest {
                operation: op.id,
                reason: format!(
                    "`{name}` is not a parameter of {}; its parameters are: {}",
                    op.id,
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            });
        };
        match param.location {
            ParameterLocation::Path => {
                self.path_params.retain(|(n, _)| *n != param.name);
                self.path_params.push((param.name, value));
            }
            ParameterLocation::Query if param.schema.starts_with("array") => {
                self.parts.query.push((Cow::Borrowed(param.name), value));
            }
            ParameterLocation::Query => self.parts.query(param.name, value),
            ParameterLocation::Header => self.parts.header(param.name, value),
            // Form parameters are sent by hand-written code paths only.
            _ => {
                return Err(Error::InvalidRequest {
                    operation: op.id,
                    reason: format!(
                        "`{name}` is a {:?} parameter, which this call cannot send",
                        param.location
                    ),
                });
            }
        }
        Ok(self)
    }

    /// The JSON request body. It is checked to be JSON before anything is
    /// sent; the server checks it against the operation's body type.
    pub fn body(mut self, json: impl Into<Bytes>) -> Self {
        let json = json.into();
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&json) {
            self.parts.problem = Some(format!("the request body is not JSON: {e}"));
        }
        self.parts.body = Some(json);
        self
    }

    /// Sends the request; the answer's JSON (`null` for an empty body).
    pub async fn send(self) -> Result<Value, Error> {
        let parts = self.finish()?;
        self.client.execute(parts).await
    }

    /// How the operation pages, read from its parameters: `None` for an
    /// operation that is not a listing the client can page.
    pub fn paging_style(&self) -> Option<PagingStyle> {
        paging_style(self.op)
    }

    /// Fetches at most `pages` pages in [`pages`](Self::pages) and
    /// [`items`](Self::items).
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.paging.max_pages = Some(pages);
        self
    }

    /// Every page of the listing, in its paging style, with the same
    /// guards as the typed listings (see [`crate::paging`]). Fails at once
    /// for an operation that does not page.
    pub fn pages(self) -> Result<impl Stream<Item = Result<Value, Error>> + Send + 'a, Error> {
        Ok(self.pages_with_next()?.map_ok(|page| page.listing.0))
    }

    /// Every item of every page: the `entities` (or SCIM `Resources`, or
    /// `results`) of each page.
    pub fn items(self) -> Result<impl Stream<Item = Result<Value, Error>> + Send + 'a, Error> {
        Ok(self
            .pages_with_next()?
            .map_ok(|page| {
                futures_util::stream::iter(page.listing.into_items().into_iter().map(Ok))
            })
            .try_flatten())
    }

    fn pages_with_next(
        self,
    ) -> Result<impl Stream<Item = Result<Page<JsonPage>, Error>> + Send + 'a, Error> {
        let Some(style) = paging_style(self.op) else {
            return Err(Error::InvalidRequest {
                operation: self.op.id,
                reason: format!(
                    "{} is not a listing this client can page (no pageNumber, cursor, after, \
                     nextPage or startIndex parameter, and no nextUri in its answer)",
                    self.op.id
                ),
            });
        };
        let parts = self.finish()?;
        Ok(paging::walk::<JsonPage>(
            self.client,
            self.op.id,
            style,
            parts,
            self.paging,
        ))
    }

    /// The request with its path filled in, or why it cannot be sent.
    fn finish(&self) -> Result<OperationRequest, Error> {
        let op = self.op;
        let mut path = String::with_capacity(op.path.len() + 32);
        let mut rest = op.path;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let name = &rest[open + 1..open + close];
            let value = self
                .path_params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .ok_or_else(|| Error::InvalidRequest {
                    operation: op.id,
                    reason: format!("the path parameter `{name}` is missing ({})", op.path),
                })?;
            path.push_str(&rest[..open]);
            path.push_str(&encode_path_segment(value));
            rest = &rest[open + close + 1..];
        }
        path.push_str(rest);
        let missing: Vec<&str> = op
            .parameters
            .iter()
            .filter(|p| p.required && p.location == ParameterLocation::Query)
            .filter(|p| !self.parts.query.iter().any(|(n, _)| n == p.name))
            .map(|p| p.name)
            .collect();
        if !missing.is_empty() {
            return Err(Error::InvalidRequest {
                operation: op.id,
                reason: format!(
                    "required query parameter(s) missing: {}",
                    missing.join(", ")
                ),
            });
        }
        if self.parts.body.is_none()
            && op
                .parameters
                .iter()
                .any(|p| p.required && p.location == ParameterLocation::Body)
        {
            return Err(Error::InvalidRequest {
                operation: op.id,
                reason: format!(
                    "{} needs a request body ({})",
                    op.id,
                    op.body_type.unwrap_or("JSON")
                ),
            });
        }
        let mut parts = self.parts.clone();
        parts.path = path;
        Ok(parts)
    }
}

/// How `op` pages, from its query parameters (the same names the code
/// generator classifies typed listings by); a `GET` without any of them
/// pages by `nextUri` when its answer is a listing (has `nextUri`).
fn paging_style(op: &Operation) -> Option<PagingStyle> {
    let has = |name: &str| {
        op.parameters
            .iter()
            .any(|p| p.name == name && p.location == ParameterLocation::Query)
    };
    [
        ("pageNumber", PagingStyle::PageNumber),
        ("cursor", PagingStyle::Cursor),
        ("after", PagingStyle::After),
        ("nextPage", PagingStyle::NextPage),
        ("startIndex", PagingStyle::StartIndex),
    ]
    .into_iter()
    .find(|(name, _)| has(name))
    .map(|(_, style)| style)
    .or_else(|| {
        let listing = op
            .response_type
            .is_some_and(|t| t.ends_with("Listing") || t.ends_with("EntityListing"));
        (op.method == catalogue::HttpMethod::Get && listing).then_some(PagingStyle::NextUri)
    })
}

/// A page as JSON: its items are the first of `entities`, `Resources`
/// (SCIM) or `results` that is an array.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct JsonPage(Value);

const ITEM_ARRAYS: [&str; 3] = ["entities", "Resources", "results"];

impl Listing for JsonPage {
    type Item = Value;

    fn page_info(&self) -> PageInfo<'_> {
        let v = &self.0;
        PageInfo {
            page_count: v.get("pageCount").and_then(Value::as_i64),
            next_uri: v.get("nextUri").and_then(Value::as_str),
            cursor: v
                .get("cursor")
                .and_then(Value::as_str)
                .or_else(|| v.pointer("/cursors/after").and_then(Value::as_str))
                .or_else(|| v.get("nextPage").and_then(Value::as_str)),
            total_results: v.get("totalResults").and_then(Value::as_i64),
            start_index: v.get("startIndex").and_then(Value::as_i64),
        }
    }

    fn items(&self) -> &[Value] {
        ITEM_ARRAYS
            .iter()
            .find_map(|k| self.0.get(*k).and_then(Value::as_array))
            .map_or(&[], Vec::as_slice)
    }

    fn into_items(self) -> Vec<Value> {
        let Value::Object(mut map) = self.0 else {
            return Vec::new();
        };
        for key in ITEM_ARRAYS {
            if let Some(Value::Array(items)) = map.remove(key) {
                return items;
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_auth::AccessToken;

    fn client() -> Client {
        Client::builder()
            .base_url(crate::BaseUrl::parse("http://127.0.0.1:9").unwrap())
            .token_source(AccessToken::new("token"))
            .build()
            .unwrap()
    }

    #[test]
    fn the_path_is_filled_and_each_parameter_goes_where_the_spec_says() {
        let client = client();
        let call = client
            .operation("getRoutingQueue")
            .unwrap()
            .param("queueId", "a/b c")
            .unwrap()
            .param("expand", "identityresolution")
            .unwrap();
        let parts = call.finish().unwrap();
        assert_eq!(
            parts.path_and_query(),
            "/api/v2/routing/queues/a%2Fb%20c?expand=identityresolution"
        );
        let err = client
            .operation("getRoutingQueue")
            .unwrap()
            .finish()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("path parameter `queueId` is missing"),
            "{err}"
        );
        let err = client
            .operation("getRoutingQueue")
            .unwrap()
            .param("queue", "x")
            .unwrap_err();
        assert!(err.to_string().contains("queueId, expand"), "{err}");
    }

    #[test]
    fn debug_shows_neither_body_nor_headers() {
        let client = client();
        let call = client
            .operation("postConversationsCallsUserUserId")
            .unwrap()
            .param("userId", "u-1")
            .unwrap()
            .body(&br#"{"phoneNumber":"SENTINEL-BODY"}"#[..]);
        let text = format!("{call:?}");
        assert!(text.contains("postConversationsCallsUserUserId"), "{text}");
        assert!(!text.contains("SENTINEL"), "{text}");
    }

    #[test]
    fn bodies_are_json_and_required_ones_are_present() {
        let client = client();
        let err = client
            .operation("postConversationsCallsUserUserId")
            .unwrap()
            .param("userId", "u-1")
            .unwrap()
            .finish()
            .unwrap_err();
        assert!(err.to_string().contains("needs a request body"), "{err}");
        let call = client
            .operation("postConversationsCallsUserUserId")
            .unwrap()
            .param("userId", "u-1")
            .unwrap()
            .body(&b"{not json"[..]);
        assert!(call.parts.problem.as_deref().unwrap().contains("not JSON"));
    }

    #[test]
    fn paging_style_comes_from_the_parameters() {
        let style = |id: &str| paging_style(catalogue::operation(id).unwrap());
        assert_eq!(style("getUsers"), Some(PagingStyle::PageNumber));
        assert_eq!(style("getScimV2Users"), Some(PagingStyle::StartIndex));
        assert_eq!(style("postConversationsCalls"), None);
        assert_eq!(style("getUsersMe"), None);
    }

    #[test]
    fn a_json_page_reads_items_and_paging_fields() {
        let page: JsonPage = serde_json::from_value(serde_json::json!({
            "entities": [{"id": "a"}, {"id": "b"}],
            "pageCount": 3,
            "nextUri": "/api/v2/users?pageNumber=2",
            "cursors": {"after": "t-2"}
        }))
        .unwrap();
        assert_eq!(page.items().len(), 2);
        let info = page.page_info();
        assert_eq!(info.page_count, Some(3));
        assert_eq!(info.cursor, Some("t-2"));
        assert_eq!(info.next_uri, Some("/api/v2/users?pageNumber=2"));
        assert_eq!(page.into_items()[1]["id"], "b");
        let scim: JsonPage =
            serde_json::from_value(serde_json::json!({"Resources": [{}], "totalResults": 1}))
                .unwrap();
        assert_eq!(scim.items().len(), 1);
        assert_eq!(scim.page_info().total_results, Some(1));
    }
}
