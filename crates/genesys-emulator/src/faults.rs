//! Scriptable fault injection.

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::Method;

use crate::listings::ListingFault;

/// A fault to inject into matching requests; see [`crate::Emulator::inject`].
///
/// Every fault but [`Fault::Latency`] applies to the next `times` matching
/// requests and is then used up. When several faults match a request, every
/// matching latency is added up and the earliest-injected other fault that
/// still has uses left is applied. Faults apply before authentication, so a
/// faulted request never reaches the emulated service (it creates nothing
/// and mints no token), but it is counted in
/// [`crate::Counters::requests`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// Delay every matching response by this much (until cleared).
    Latency(Duration),
    /// Answer with this status and a Genesys error body whose code fits it
    /// (`internal.server.error`, `service.unavailable`, `request.timeout`, ...).
    Status {
        /// HTTP status, e.g. 500, 502, 503 or 504.
        status: u16,
        /// How many requests to fail.
        times: u32,
    },
    /// Close the connection without reading the request body or answering.
    DropBeforeRead {
        /// How many requests to drop.
        times: u32,
    },
    /// Read the full request, then close the connection without answering.
    DropAfterRead {
        /// How many requests to drop.
        times: u32,
    },
    /// Answer 200 with a `Content-Length` larger than the bytes sent, then
    /// close the connection.
    TruncatedBody {
        /// How many responses to truncate.
        times: u32,
    },
    /// Answer 200 with `Content-Type: application/json` and a body that is
    /// not valid JSON.
    MalformedBody {
        /// How many responses to garble.
        times: u32,
    },
    /// Answer 429 `too.many.requests` (a rate-limit storm), with a
    /// `Retry-After` header of that many seconds when given.
    RateLimited {
        /// Value of the `Retry-After` header; `None` sends no header.
        retry_after: Option<u64>,
        /// How many requests to reject.
        times: u32,
    },
    /// Answer with exactly this status, content type and body.
    Body {
        /// HTTP status.
        status: u16,
        /// `Content-Type` header value.
        content_type: String,
        /// Raw body bytes (may be huge or malformed on purpose).
        body: Bytes,
        /// How many requests to answer this way.
        times: u32,
    },
    /// A listing of [`crate::listings`] answers with the items of the page
    /// before the one asked for (the first page's, for the first page),
    /// while still pointing to the page after the one asked for: a page
    /// that repeats. Other routes ignore it (it is used up all the same).
    RepeatPage {
        /// How many pages to repeat.
        times: u32,
    },
    /// A listing of [`crate::listings`] answers the page asked for, but
    /// points to that same page as the next one (the same cursor, token,
    /// `startIndex` or `nextUri`): a cursor that never advances. Other
    /// routes ignore it (it is used up all the same).
    StuckCursor {
        /// How many pages to answer this way.
        times: u32,
    },
}

impl Fault {
    fn times(&self) -> Option<u32> {
        match self {
            Fault::Latency(_) => None,
            Fault::Status { times, .. }
            | Fault::DropBeforeRead { times }
            | Fault::DropAfterRead { times }
            | Fault::TruncatedBody { times }
            | Fault::MalformedBody { times }
            | Fault::RateLimited { times, .. }
            | Fault::Body { times, .. }
            | Fault::RepeatPage { times }
            | Fault::StuckCursor { times } => Some(*times),
        }
    }
}

/// Which requests a fault applies to: a method (or any) and a path (or any).
///
/// The path may be a route template from the spec
/// (`/api/v2/conversations/calls/{conversationId}`) or a concrete path
/// (`/api/v2/conversations/calls/abc`); the query string is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    method: Option<Method>,
    path: Option<String>,
}

impl RouteMatch {
    /// Requests with this method and path.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        RouteMatch {
            method: Some(method),
            path: Some(path.into()),
        }
    }

    /// Requests with this path and any method.
    pub fn path(path: impl Into<String>) -> Self {
        RouteMatch {
            method: None,
            path: Some(path.into()),
        }
    }

    /// Every request.
    pub fn any() -> Self {
        RouteMatch {
            method: None,
            path: None,
        }
    }

    /// Whether a request with this method, matched route template (if any)
    /// and concrete path matches.
    pub fn matches(&self, method: &Method, template: Option<&str>, path: &str) -> bool {
        if self.method.as_ref().is_some_and(|m| m != method) {
            return false;
        }
        match &self.path {
            None => true,
            Some(p) => p == path || template.is_some_and(|t| t == p),
        }
    }
}

/// What the server must do for a faulted request.
#[derive(Debug, Clone)]
pub(crate) enum FaultAction {
    Status(u16),
    DropBeforeRead,
    DropAfterRead,
    TruncatedBody,
    MalformedBody,
    RateLimited(Option<u64>),
    Body {
        status: u16,
        content_type: String,
        body: Bytes,
    },
    /// Not a response: the listing handler misbehaves this way.
    Listing(ListingFault),
}

struct Entry {
    route: RouteMatch,
    fault: Fault,
    remaining: Option<u32>,
}

/// The injected faults.
#[derive(Default)]
pub(crate) struct FaultRegistry {
    entries: Mutex<Vec<Entry>>,
}

impl FaultRegistry {
    pub(crate) fn inject(&self, route: RouteMatch, fault: Fault) {
        let remaining = fault.times();
        if remaining == Some(0) {
            return;
        }
        self.lock().push(Entry {
            route,
            fault,
            remaining,
        });
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Total latency and the (consumed) action for a request.
    pub(crate) fn take(
        &self,
        method: &Method,
        template: Option<&str>,
        path: &str,
    ) -> (Duration, Option<FaultAction>) {
        let mut entries = self.lock();
        let mut latency = Duration::ZERO;
        let mut action = None;
        for entry in entries.iter_mut() {
            if !entry.route.matches(method, template, path) {
                continue;
            }
            if let Fault::Latency(d) = &entry.fault {
                latency = latency.saturating_add(*d);
                continue;
            }
            if action.is_some() {
                continue;
            }
            if let Some(remaining) = entry.remaining.as_mut()
                && *remaining > 0
            {
                *remaining -= 1;
                action = to_action(&entry.fault);
            }
        }
        entries.retain(|e| e.remaining != Some(0));
        (latency, action)
    }
}

fn to_action(fault: &Fault) -> Option<FaultAction> {
    Some(match fault {
        Fault::Latency(_) => return None,
        Fault::Status { status, .. } => FaultAction::Status(*status),
        Fault::DropBeforeRead { .. } => FaultAction::DropBeforeRead,
        Fault::DropAfterRead { .. } => FaultAction::DropAfterRead,
        Fault::TruncatedBody { .. } => FaultAction::TruncatedBody,
        Fault::MalformedBody { .. } => FaultAction::MalformedBody,
        Fault::RateLimited { retry_after, .. } => FaultAction::RateLimited(*retry_after),
        Fault::Body {
            status,
            content_type,
            body,
            ..
        } => FaultAction::Body {
            status: *status,
            content_type: content_type.clone(),
            body: body.clone(),
        },
        Fault::RepeatPage { .. } => FaultAction::Listing(ListingFault::RepeatPage),
        Fault::StuckCursor { .. } => FaultAction::Listing(ListingFault::StuckCursor),
    })
}
