//! Paging through listings: one interface whatever the listing's style.
//!
//! The Genesys Cloud API pages its listings in several ways: by
//! `pageNumber` up to `pageCount`; by a `cursor`, `after` or `nextPage`
//! token that the response hands back (in its body or inside its
//! `nextUri`); SCIM's `startIndex` up to `totalResults`; or only by the
//! `nextUri` it returns. The code generator reads each listing operation's
//! style from the spec ([`PagingStyle`], on the operation's marker type
//! through [`Paged`]), so every listing request has the same methods:
//!
//! - [`Request::pages`]: a stream of pages;
//! - [`Request::items`]: a stream of the items of every page;
//! - [`Request::pages_with_next`]: pages with where the next one starts
//!   ([`Page::next`]), to resume a walk later;
//! - [`Request::max_pages`]: at most that many pages;
//! - [`Request::starting_at`]: start at a page a previous walk reported.
//!
//! ```no_run
//! # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::Error> {
//! use futures_util::TryStreamExt as _;
//!
//! // A page-number listing and a cursor listing: the same calls.
//! let users: Vec<genesys_model::User> =
//!     client.users().get_users().page_size(100).items().try_collect().await?;
//! let queried: Vec<genesys_model::User> =
//!     client.users().get_users_query().page_size(100).items().try_collect().await?;
//! # let _ = (users, queried); Ok(()) }
//! ```
//!
//! # Guards against the server's paging bugs
//!
//! A walk stops, rather than loop or fetch forever, when:
//!
//! - a page holds the very same items as the page before it:
//!   [`PagingError::RepeatedPage`] (the repeated page is not delivered);
//! - the next page the server points to is a request the walk already made
//!   (the same cursor, token, `nextUri` or page twice):
//!   [`PagingError::CursorNotAdvancing`], after the page that said so;
//! - three pages in a row are empty while the server still offers a next
//!   page: the walk ends there, with a `tracing::warn!` (empty pages are how
//!   some cursor listings end, so this is not an error).
//!
//! A `nextUri` is followed only on the client's base URL: a relative path
//! (`/api/v2/...?...`, what Genesys sends) or an absolute URL on the same
//! scheme, host and port. One naming another host is refused with
//! [`PagingError::ForeignNextUri`] before anything is sent to it. The
//! next request is this request (its path, body, headers and query
//! parameters) with only the paging parameters (`pageNumber`, `cursor`,
//! `after`, `before`, `nextPage`, `previousPage`, `startIndex`) taken from
//! the `nextUri`; parameters the `nextUri` adds (e.g. a `pageSize` the
//! request did not set) are kept too.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use futures_util::stream::{self, Stream, TryStreamExt as _};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::operation::{ApiOperation, OperationRequest, Request};
use crate::{BaseUrl, Client, Error};

/// How a listing operation pages. The generator reads it from the spec;
/// [`Request::pages`] and [`Request::items`] work the same for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PagingStyle {
    /// `pageNumber` (from 1) until `pageCount` (or, when the response has
    /// no `pageCount`, while it gives a `nextUri`); an empty page ends it.
    PageNumber,
    /// A `cursor` query parameter, from the response's `cursor` (or
    /// `cursors.after`), else from its `nextUri`.
    Cursor,
    /// An `after` query parameter, from `cursors.after`, else the `nextUri`.
    After,
    /// A `nextPage` token, from the response's `nextPage`, else the `nextUri`.
    NextPage,
    /// SCIM: `startIndex` (from 1) advanced by the items received, until
    /// `totalResults`; an empty page ends it.
    StartIndex,
    /// Only the response's `nextUri`.
    NextUri,
}

impl PagingStyle {
    /// The query parameter that names the page, for styles that have one.
    ///
    /// ```
    /// use genesys_cloud::PagingStyle;
    ///
    /// assert_eq!(PagingStyle::After.parameter(), Some("after"));
    /// assert_eq!(PagingStyle::NextUri.parameter(), None);
    /// ```
    pub const fn parameter(self) -> Option<&'static str> {
        match self {
            PagingStyle::PageNumber => Some("pageNumber"),
            PagingStyle::Cursor => Some("cursor"),
            PagingStyle::After => Some("after"),
            PagingStyle::NextPage => Some("nextPage"),
            PagingStyle::StartIndex => Some("startIndex"),
            PagingStyle::NextUri => None,
        }
    }
}

/// What a page says about the pages after it: the fields of a listing
/// model that paging reads (those it has; the rest are `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageInfo<'a> {
    /// `pageCount`.
    pub page_count: Option<i64>,
    /// `nextUri`.
    pub next_uri: Option<&'a str>,
    /// The next-page token in the body: `cursor`, `cursors.after` or `nextPage`.
    pub cursor: Option<&'a str>,
    /// SCIM `totalResults`.
    pub total_results: Option<i64>,
    /// SCIM `startIndex` (of this page).
    pub start_index: Option<i64>,
}

/// One page of a listing: a generated model such as
/// `genesys_model::UserEntityListing` (its `entities`), a SCIM list
/// response (its `Resources`) or an analytics job's results (its
/// `results`). Implemented by the generated API for every model a listing
/// operation returns.
pub trait Listing {
    /// What the page lists.
    type Item;
    /// The paging fields of this page.
    fn page_info(&self) -> PageInfo<'_>;
    /// The page's items.
    fn items(&self) -> &[Self::Item];
    /// How many items this page holds.
    fn len(&self) -> usize {
        self.items().len()
    }
    /// Whether this page holds no items.
    fn is_empty(&self) -> bool {
        self.items().is_empty()
    }
    /// The page's items, by value.
    fn into_items(self) -> Vec<Self::Item>;
}

/// Listing operations: their requests have [`Request::pages`],
/// [`Request::items`], [`Request::max_pages`] and [`Request::starting_at`].
/// Implemented by the generated marker types of every operation the
/// generator classified as a listing.
pub trait Paged: ApiOperation<Output: Listing> {
    /// How the operation pages.
    const STYLE: PagingStyle;
}

/// Where a page starts: what a walk reports for the page after each one
/// ([`Page::next`]) and what [`Request::starting_at`] takes.
///
/// ```
/// use genesys_cloud::NextPage;
///
/// assert_eq!(NextPage::PageNumber(3).to_string(), "pageNumber=3");
/// assert_eq!(NextPage::query("cursor", "abc").to_string(), "cursor=abc");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NextPage {
    /// A page number (page-number listings).
    PageNumber(i64),
    /// A paging query parameter and its value: a `cursor`, `after` or
    /// `nextPage` token, or a SCIM `startIndex`.
    Query {
        /// The parameter, e.g. `cursor`.
        name: Cow<'static, str>,
        /// Its value.
        value: String,
    },
    /// A `nextUri` the server gave: a path (`/api/v2/...?...`) or an
    /// absolute URL on the client's base URL.
    NextUri(String),
}

impl NextPage {
    /// A query-parameter position: `NextPage::query("after", token)`.
    pub fn query(name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        NextPage::Query {
            name: name.into(),
            value: value.into(),
        }
    }
}

impl fmt::Display for NextPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NextPage::PageNumber(n) => write!(f, "pageNumber={n}"),
            NextPage::Query { name, value } => write!(f, "{name}={value}"),
            NextPage::NextUri(uri) => write!(f, "nextUri {uri}"),
        }
    }
}

/// A page with where the next one starts, from [`Request::pages_with_next`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page, as the server sent it.
    pub listing: T,
    /// Where the next page starts (pass it to [`Request::starting_at`] to
    /// resume there later); `None` on the last page.
    pub next: Option<NextPage>,
    /// This page's place in the walk: 1 for the first page fetched.
    pub index: usize,
}

/// Why a walk through a listing's pages stopped with an error (see the
/// [`paging`](crate::paging) module for the guards). Every page before the one
/// named was delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PagingError {
    /// Page `page` held the very same items as page `page - 1`; it was not
    /// delivered.
    #[error(
        "{operation}: page {page} of the walk repeats the items of the page before it; \
         stopped so the walk cannot loop (the server's paging went wrong: retry, or narrow the listing)"
    )]
    RepeatedPage {
        /// The operation id.
        operation: &'static str,
        /// The repeated page's place in the walk (from 1).
        page: usize,
    },
    /// After page `page`, the server pointed to a page the walk had
    /// already requested: the cursor does not advance.
    #[error(
        "{operation}: after page {page} the server's next page ({next}) is one already fetched: \
         its cursor does not advance; stopped so the walk cannot loop"
    )]
    CursorNotAdvancing {
        /// The operation id.
        operation: &'static str,
        /// The last page delivered (from 1).
        page: usize,
        /// The next page the server gave.
        next: NextPage,
    },
    /// A `nextUri` names another host (or scheme, port or base path) than
    /// the client's base URL; nothing was sent to it.
    #[error(
        "{operation}: refused to follow nextUri `{next_uri}`: it is not on the client's base URL {base_url}"
    )]
    ForeignNextUri {
        /// The operation id.
        operation: &'static str,
        /// The `nextUri` refused.
        next_uri: String,
        /// The client's base URL.
        base_url: String,
    },
    /// A `nextUri` that is neither a path nor an absolute URL.
    #[error("{operation}: cannot follow nextUri `{next_uri}`: {reason}")]
    InvalidNextUri {
        /// The operation id.
        operation: &'static str,
        /// The `nextUri`.
        next_uri: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl From<PagingError> for Error {
    fn from(e: PagingError) -> Self {
        Error::Paging(Box::new(e))
    }
}

/// The paging options of a request.
#[derive(Debug, Clone, Default)]
pub(crate) struct PagingOptions {
    pub(crate) max_pages: Option<usize>,
    pub(crate) start: Option<NextPage>,
}

/// Query parameters that say which page to get. The next page's request
/// drops this request's and takes the position's.
const POSITION_PARAMS: [&str; 7] = [
    "pageNumber",
    "cursor",
    "after",
    "before",
    "nextPage",
    "previousPage",
    "startIndex",
];

/// Empty pages in a row after which a walk that is still offered a next
/// page ends (with a warning).
const MAX_EMPTY_PAGES: usize = 3;

fn is_position(name: &str) -> bool {
    POSITION_PARAMS.contains(&name)
}

impl<'a, O> Request<'a, O>
where
    O: Paged + 'a,
    <O::Output as Listing>::Item: Serialize + Send + 'static,
{
    /// Fetches at most `pages` pages (`0` fetches none). The last page
    /// delivered still reports where the next one starts
    /// ([`Page::next`]), to resume later with [`starting_at`](Self::starting_at).
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.paging.max_pages = Some(pages);
        self
    }

    /// Starts the walk at `next`: a [`Page::next`] of an earlier walk, or
    /// a position you know (`NextPage::PageNumber(3)`,
    /// `NextPage::query("cursor", token)`). The first request is this
    /// request with that position's paging parameters.
    ///
    /// ```no_run
    /// # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::Error> {
    /// use futures_util::TryStreamExt as _;
    ///
    /// // Read two pages now...
    /// let users = client.users();
    /// let pages: Vec<_> = users.get_users_query().max_pages(2).pages_with_next().try_collect().await?;
    /// // ...and the rest later, from where the walk stopped.
    /// if let Some(next) = pages.last().and_then(|p| p.next.clone()) {
    ///     let rest: Vec<_> = users.get_users_query().starting_at(next).items().try_collect().await?;
    /// #   let _ = rest;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn starting_at(mut self, next: NextPage) -> Self {
        self.paging.start = Some(next);
        self
    }

    /// Every page, each with where the next one starts. See
    /// [`pages`](Self::pages).
    pub fn pages_with_next(self) -> impl Stream<Item = Result<Page<O::Output>, Error>> + Send + 'a {
        walk::<O::Output>(self.client, O::ID, O::STYLE, self.parts, self.paging)
    }

    /// Every page, fetched one after another as the stream is read, in the
    /// operation's paging style (see the [`paging`](crate::paging) module):
    /// page numbers up to `pageCount`, cursors and tokens from the
    /// response, SCIM start indexes up to `totalResults`, or the `nextUri`.
    /// The walk ends on the last page, after [`max_pages`](Self::max_pages),
    /// or with a [`PagingError`] when the server's paging goes wrong (a
    /// repeated page, a cursor that does not advance, a `nextUri` off the
    /// client's base URL).
    ///
    /// ```no_run
    /// # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::Error> {
    /// use futures_util::TryStreamExt as _;
    ///
    /// let mut pages = std::pin::pin!(client.users().get_users().page_size(100).max_pages(3).pages());
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} users on page {:?}", page.entities.map_or(0, |e| e.len()), page.page_number);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(self) -> impl Stream<Item = Result<O::Output, Error>> + Send + 'a {
        self.pages_with_next().map_ok(|page| page.listing)
    }

    /// Every item of every page (see [`pages`](Self::pages)), each once:
    /// `entities`, SCIM `Resources`, or the listing's item array.
    ///
    /// ```no_run
    /// # async fn demo(client: genesys_cloud::Client) -> Result<(), genesys_cloud::Error> {
    /// use futures_util::TryStreamExt as _;
    ///
    /// let users: Vec<genesys_model::User> =
    ///     client.users().get_users().page_size(100).items().try_collect().await?;
    /// # let _ = users; Ok(()) }
    /// ```
    pub fn items(
        self,
    ) -> impl Stream<Item = Result<<O::Output as Listing>::Item, Error>> + Send + 'a {
        self.pages()
            .map_ok(|page| stream::iter(page.into_items().into_iter().map(Ok)))
            .try_flatten()
    }
}

/// What a walk does next.
enum Step {
    Fetch(OperationRequest),
    Fail(Error),
    Done,
}

/// A walk through the pages of `operation`'s listing (of style `style`)
/// from the request `base`, each page decoded as `L`.
pub(crate) fn walk<'a, L>(
    client: &'a Client,
    operation: &'static str,
    style: PagingStyle,
    base: OperationRequest,
    options: PagingOptions,
) -> impl Stream<Item = Result<Page<L>, Error>> + Send + 'a
where
    L: Listing + DeserializeOwned + Send + 'static,
    L::Item: Serialize,
{
    let PagingOptions { max_pages, start } = options;
    let first = match start {
        None => Ok(base.clone()),
        Some(start) => apply(operation, &base, &start, client.base_url()),
    };
    let walk = Walk {
        client,
        operation,
        style,
        base,
        step: match first {
            Ok(parts) => Step::Fetch(parts),
            Err(e) => Step::Fail(e.into()),
        },
        max_pages,
        fetched: 0,
        empty_run: 0,
        last_items: None,
        sent: HashSet::new(),
        _listing: std::marker::PhantomData,
    };
    stream::try_unfold(walk, Walk::<L>::next_page)
}

/// The state of one walk through a listing.
struct Walk<'a, L> {
    client: &'a Client,
    operation: &'static str,
    style: PagingStyle,
    /// The request as built, before any paging parameter was changed.
    base: OperationRequest,
    step: Step,
    max_pages: Option<usize>,
    fetched: usize,
    empty_run: usize,
    /// A fingerprint of the last page's items, when it had any.
    last_items: Option<u64>,
    /// Fingerprints of every request sent (path and query).
    sent: HashSet<u64>,
    _listing: std::marker::PhantomData<fn() -> L>,
}

impl<L> Walk<'_, L>
where
    L: Listing + DeserializeOwned + Send + 'static,
    L::Item: Serialize,
{
    async fn next_page(mut self) -> Result<Option<(Page<L>, Self)>, Error> {
        let parts = match std::mem::replace(&mut self.step, Step::Done) {
            Step::Fetch(parts) => parts,
            Step::Fail(e) => return Err(e),
            Step::Done => return Ok(None),
        };
        if self.max_pages.is_some_and(|max| self.fetched >= max) {
            return Ok(None);
        }
        self.sent.insert(fingerprint(&parts.path_and_query()));
        let page: L = self.client.execute(parts.clone()).await?;
        self.fetched += 1;
        let index = self.fetched;
        let items = page.items();
        let this = (!items.is_empty()).then(|| fingerprint_items(items));
        if this.is_some() && this == self.last_items {
            return Err(PagingError::RepeatedPage {
                operation: self.operation,
                page: index,
            }
            .into());
        }
        self.last_items = this;
        let mut next = next_position(self.style, &parts, &page.page_info(), items.len());
        if items.is_empty() {
            self.empty_run += 1;
            if self.empty_run >= MAX_EMPTY_PAGES && next.is_some() {
                tracing::warn!(
                    operation = self.operation,
                    page = index,
                    "{MAX_EMPTY_PAGES} empty pages in a row while the server still offers a next page; \
                     ending the walk here"
                );
                next = None;
            }
        } else {
            self.empty_run = 0;
        }
        self.step = match &next {
            None => Step::Done,
            Some(_) if self.max_pages.is_some_and(|max| self.fetched >= max) => Step::Done,
            Some(position) => {
                match apply(self.operation, &self.base, position, self.client.base_url()) {
                    Err(e) => Step::Fail(e.into()),
                    Ok(parts) if self.sent.contains(&fingerprint(&parts.path_and_query())) => {
                        Step::Fail(
                            PagingError::CursorNotAdvancing {
                                operation: self.operation,
                                page: index,
                                next: position.clone(),
                            }
                            .into(),
                        )
                    }
                    Ok(parts) => Step::Fetch(parts),
                }
            }
        };
        Ok(Some((
            Page {
                listing: page,
                next,
                index,
            },
            self,
        )))
    }
}

fn fingerprint(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// A fingerprint of a page's items, from their JSON.
fn fingerprint_items<T: Serialize>(items: &[T]) -> u64 {
    struct HashWriter(DefaultHasher);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = HashWriter(DefaultHasher::new());
    // Generated models always serialize; a failure only weakens the guard.
    let _ = serde_json::to_writer(&mut writer, items);
    writer.0.finish()
}

/// The value of a query parameter of a request.
fn query_value<'r>(parts: &'r OperationRequest, name: &str) -> Option<&'r str> {
    parts
        .query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

/// Where the page after this one starts, in `style`, given the request
/// that fetched it, what it says and how many items it held.
fn next_position(
    style: PagingStyle,
    sent: &OperationRequest,
    info: &PageInfo<'_>,
    items: usize,
) -> Option<NextPage> {
    let next_uri = non_empty(info.next_uri);
    match style {
        PagingStyle::PageNumber => {
            let current = query_value(sent, "pageNumber")
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(1);
            let more = match info.page_count {
                Some(count) => current < count,
                None => next_uri.is_some(),
            };
            (items > 0 && more).then(|| NextPage::PageNumber(current.saturating_add(1)))
        }
        PagingStyle::StartIndex => {
            let start = info
                .start_index
                .or_else(|| query_value(sent, "startIndex").and_then(|v| v.parse().ok()))
                .unwrap_or(1);
            let next = start.saturating_add(i64::try_from(items).unwrap_or(i64::MAX));
            let more = match info.total_results {
                Some(total) => next <= total,
                None => next_uri.is_some(),
            };
            (items > 0 && more).then(|| NextPage::query("startIndex", next.to_string()))
        }
        PagingStyle::Cursor | PagingStyle::After | PagingStyle::NextPage => {
            let name = style.parameter().unwrap_or("cursor");
            match non_empty(info.cursor) {
                Some(token) => Some(NextPage::query(name, token)),
                None => next_uri.map(|uri| NextPage::NextUri(uri.to_owned())),
            }
        }
        PagingStyle::NextUri => next_uri.map(|uri| NextPage::NextUri(uri.to_owned())),
    }
}

/// The request for the page at `position`: `base` with its paging
/// parameters replaced.
fn apply(
    operation: &'static str,
    base: &OperationRequest,
    position: &NextPage,
    base_url: &BaseUrl,
) -> Result<OperationRequest, PagingError> {
    let mut parts = base.clone();
    parts.query.retain(|(name, _)| !is_position(name));
    match position {
        NextPage::PageNumber(n) => parts.query("pageNumber", n.to_string()),
        NextPage::Query { name, value } => parts.query(name.clone(), value.clone()),
        NextPage::NextUri(uri) => {
            let query = next_uri_query(operation, uri, base_url)?;
            let own: HashSet<String> = parts.query.iter().map(|(n, _)| n.to_string()).collect();
            for (name, value) in form_urlencoded::parse(query.as_bytes()) {
                if is_position(&name) || !own.contains(name.as_ref()) {
                    parts
                        .query
                        .push((Cow::Owned(name.into_owned()), value.into_owned()));
                }
            }
        }
    }
    Ok(parts)
}

/// The query of a `nextUri`, once it is known to be on the client's base
/// URL: a path (`/api/v2/...`) or an absolute URL with the base URL's
/// scheme, host, port and path prefix.
fn next_uri_query(
    operation: &'static str,
    next_uri: &str,
    base_url: &BaseUrl,
) -> Result<String, PagingError> {
    let invalid = |reason: String| PagingError::InvalidNextUri {
        operation,
        next_uri: next_uri.to_owned(),
        reason,
    };
    let foreign = || PagingError::ForeignNextUri {
        operation,
        next_uri: next_uri.to_owned(),
        base_url: base_url.to_string(),
    };
    let text = next_uri.trim();
    let text = text.split_once('#').map_or(text, |(before, _)| before);
    if text.starts_with('/') && !text.starts_with("//") {
        return Ok(text
            .split_once('?')
            .map(|(_, q)| q.to_owned())
            .unwrap_or_default());
    }
    if text.starts_with("//") {
        // Scheme-relative: another authority, whatever the scheme.
        return Err(foreign());
    }
    let uri: http::Uri = text
        .parse()
        .map_err(|e| invalid(format!("not a URL: {e}")))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(invalid(
            "neither a path (`/api/v2/...`) nor an absolute URL".to_owned(),
        ));
    };
    let base: http::Uri = base_url
        .as_str()
        .parse()
        .map_err(|e| invalid(format!("the base URL does not parse: {e}")))?;
    let port = |uri: &http::Uri, scheme: &str| {
        uri.port_u16()
            .or(match scheme.to_ascii_lowercase().as_str() {
                "https" => Some(443),
                "http" => Some(80),
                _ => None,
            })
    };
    let prefix = base.path().trim_end_matches('/');
    let path = uri.path();
    let same = scheme.eq_ignore_ascii_case(base_url.scheme())
        && authority.host().eq_ignore_ascii_case(base_url.host())
        && port(&uri, scheme) == port(&base, base_url.scheme())
        && path.starts_with(prefix)
        && (path.len() == prefix.len() || path[prefix.len()..].starts_with('/'));
    if !same {
        return Err(foreign());
    }
    Ok(uri.query().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &[(&'static str, &str)]) -> OperationRequest {
        let mut r = OperationRequest::new("getThings", "/api/v2/things".into());
        for (k, v) in query {
            r.query(*k, (*v).to_owned());
        }
        r
    }

    fn base() -> BaseUrl {
        BaseUrl::parse("https://api.mypurecloud.ie").unwrap()
    }

    fn info<'a>() -> PageInfo<'a> {
        PageInfo::default()
    }

    #[test]
    fn page_numbers_advance_until_the_page_count_or_an_empty_page() {
        let sent = request(&[("pageNumber", "2")]);
        let counted = PageInfo {
            page_count: Some(3),
            ..info()
        };
        assert_eq!(
            next_position(PagingStyle::PageNumber, &sent, &counted, 5),
            Some(NextPage::PageNumber(3))
        );
        let last = request(&[("pageNumber", "3")]);
        assert_eq!(
            next_position(PagingStyle::PageNumber, &last, &counted, 5),
            None
        );
        assert_eq!(
            next_position(PagingStyle::PageNumber, &sent, &counted, 0),
            None
        );
        // No pageCount: a nextUri says there is more.
        let uri_only = PageInfo {
            next_uri: Some("/api/v2/things?pageNumber=3"),
            ..info()
        };
        assert_eq!(
            next_position(PagingStyle::PageNumber, &sent, &uri_only, 5),
            Some(NextPage::PageNumber(3))
        );
        assert_eq!(
            next_position(PagingStyle::PageNumber, &request(&[]), &info(), 5),
            None
        );
    }

    #[test]
    fn tokens_come_from_the_body_else_the_next_uri() {
        let sent = request(&[]);
        let body = PageInfo {
            cursor: Some("c2"),
            next_uri: Some("/api/v2/things?cursor=other"),
            ..info()
        };
        assert_eq!(
            next_position(PagingStyle::Cursor, &sent, &body, 1),
            Some(NextPage::query("cursor", "c2"))
        );
        assert_eq!(
            next_position(PagingStyle::After, &sent, &body, 0),
            Some(NextPage::query("after", "c2"))
        );
        let uri = PageInfo {
            cursor: Some(""),
            next_uri: Some("/api/v2/things?nextPage=t2"),
            ..info()
        };
        assert_eq!(
            next_position(PagingStyle::NextPage, &sent, &uri, 1),
            Some(NextPage::NextUri("/api/v2/things?nextPage=t2".into()))
        );
        assert_eq!(next_position(PagingStyle::After, &sent, &info(), 1), None);
    }

    #[test]
    fn start_indexes_advance_by_the_items_received_until_the_total() {
        let sent = request(&[("startIndex", "1"), ("count", "2")]);
        let page = PageInfo {
            total_results: Some(5),
            start_index: Some(3),
            ..info()
        };
        assert_eq!(
            next_position(PagingStyle::StartIndex, &sent, &page, 2),
            Some(NextPage::query("startIndex", "5"))
        );
        let end = PageInfo {
            start_index: Some(5),
            ..page
        };
        assert_eq!(next_position(PagingStyle::StartIndex, &sent, &end, 1), None);
    }

    #[test]
    fn a_next_uri_replaces_only_the_paging_parameters() {
        let base_request = request(&[
            ("pageSize", "2"),
            ("state", "active"),
            ("after", "old"),
            ("before", "x"),
        ]);
        let next = NextPage::NextUri(
            "/api/v2/things?state=deleted&after=a%2Bb&expand=groups&pageSize=25".into(),
        );
        let parts = apply("getThings", &base_request, &next, &base()).unwrap();
        assert_eq!(
            parts.path_and_query(),
            "/api/v2/things?pageSize=2&state=active&after=a%2Bb&expand=groups"
        );
        let token = apply(
            "getThings",
            &base_request,
            &NextPage::query("after", "t"),
            &base(),
        )
        .unwrap();
        assert_eq!(
            token.path_and_query(),
            "/api/v2/things?pageSize=2&state=active&after=t"
        );
    }

    #[test]
    fn next_uris_stay_on_the_base_url() {
        let ok = |uri: &str| next_uri_query("op", uri, &base());
        assert_eq!(ok("/api/v2/things?cursor=c").unwrap(), "cursor=c");
        assert_eq!(ok("/api/v2/things").unwrap(), "");
        assert_eq!(
            ok("https://API.mypurecloud.ie:443/api/v2/things?after=a#frag").unwrap(),
            "after=a"
        );
        for foreign in [
            "https://evil.example/api/v2/things?cursor=c",
            "http://api.mypurecloud.ie/api/v2/things",
            "https://api.mypurecloud.ie:8443/api/v2/things",
            "//evil.example/api/v2/things",
            "https://api.mypurecloud.ie.evil.example/api/v2/things",
        ] {
            assert!(
                matches!(ok(foreign), Err(PagingError::ForeignNextUri { .. })),
                "{foreign}: {:?}",
                ok(foreign)
            );
        }
        assert!(matches!(
            ok("api/v2/things?cursor=c"),
            Err(PagingError::InvalidNextUri { .. })
        ));
        // A gateway base URL: absolute nextUris must stay under its prefix.
        let gateway = BaseUrl::parse("https://gw.example.com/genesys").unwrap();
        assert_eq!(
            next_uri_query(
                "op",
                "https://gw.example.com/genesys/api/v2/x?a=1",
                &gateway
            )
            .unwrap(),
            "a=1"
        );
        assert!(matches!(
            next_uri_query("op", "https://gw.example.com/other/api/v2/x", &gateway),
            Err(PagingError::ForeignNextUri { .. })
        ));
        assert!(matches!(
            next_uri_query("op", "https://gw.example.com/genesysx/api", &gateway),
            Err(PagingError::ForeignNextUri { .. })
        ));
    }

    #[test]
    fn item_fingerprints_tell_pages_apart() {
        assert_eq!(
            fingerprint_items(&["a", "b"]),
            fingerprint_items(&["a", "b"])
        );
        assert_ne!(
            fingerprint_items(&["a", "b"]),
            fingerprint_items(&["a", "c"])
        );
        assert_ne!(fingerprint_items(&["ab"]), fingerprint_items(&["a", "b"]));
    }
}
