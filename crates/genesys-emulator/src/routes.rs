//! The route table: which spec path templates the emulator serves.

use http::Method;

use crate::listings::ListingEndpoint;

/// An emulated endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    OAuthToken,
    OAuthAuthorize,
    GetTokensMe,
    HeadTokensMe,
    DeleteTokensMe,
    GetUsersMe,
    GetUsers,
    GetUser,
    PatchUser,
    GetConversationsCalls,
    PostConversationsCalls,
    PostConversationsCallsUserUserId,
    GetConversationsCall,
    PostNotificationsChannels,
    GetNotificationsChannels,
    HeadNotificationsChannel,
    GetNotificationsChannelSubscriptions,
    PostNotificationsChannelSubscriptions,
    PutNotificationsChannelSubscriptions,
    DeleteNotificationsChannelSubscriptions,
    /// The WebSocket at a channel's `connectUri`.
    ChannelSocket,
    /// A listing of [`crate::listings`].
    Listing(ListingEndpoint),
}

struct RouteDef {
    method: Method,
    template: &'static str,
    endpoint: Endpoint,
}

const fn def(method: Method, template: &'static str, endpoint: Endpoint) -> RouteDef {
    RouteDef {
        method,
        template,
        endpoint,
    }
}

/// Literal templates come before templates with parameters of the same
/// shape (`/users/me` before `/users/{userId}`).
const ROUTES: &[RouteDef] = &[
    def(Method::POST, "/oauth/token", Endpoint::OAuthToken),
    def(Method::GET, "/oauth/authorize", Endpoint::OAuthAuthorize),
    def(Method::GET, "/api/v2/tokens/me", Endpoint::GetTokensMe),
    def(Method::HEAD, "/api/v2/tokens/me", Endpoint::HeadTokensMe),
    def(
        Method::DELETE,
        "/api/v2/tokens/me",
        Endpoint::DeleteTokensMe,
    ),
    def(Method::GET, "/api/v2/users", Endpoint::GetUsers),
    def(Method::GET, "/api/v2/users/me", Endpoint::GetUsersMe),
    def(
        Method::GET,
        "/api/v2/users/query",
        Endpoint::Listing(ListingEndpoint::UsersQuery),
    ),
    def(
        Method::GET,
        "/api/v2/users/{userId}/skillgroups",
        Endpoint::Listing(ListingEndpoint::UserSkillgroups),
    ),
    def(
        Method::GET,
        "/api/v2/speechandtextanalytics/programs",
        Endpoint::Listing(ListingEndpoint::SpeechPrograms),
    ),
    def(
        Method::GET,
        "/api/v2/scim/v2/users",
        Endpoint::Listing(ListingEndpoint::ScimUsers),
    ),
    def(
        Method::GET,
        "/api/v2/conversations",
        Endpoint::Listing(ListingEndpoint::Conversations),
    ),
    def(Method::GET, "/api/v2/users/{userId}", Endpoint::GetUser),
    def(Method::PATCH, "/api/v2/users/{userId}", Endpoint::PatchUser),
    def(
        Method::GET,
        "/api/v2/conversations/calls",
        Endpoint::GetConversationsCalls,
    ),
    def(
        Method::POST,
        "/api/v2/conversations/calls",
        Endpoint::PostConversationsCalls,
    ),
    def(
        Method::POST,
        "/api/v2/conversations/calls/user/{userId}",
        Endpoint::PostConversationsCallsUserUserId,
    ),
    def(
        Method::GET,
        "/api/v2/conversations/calls/{conversationId}",
        Endpoint::GetConversationsCall,
    ),
    def(
        Method::POST,
        "/api/v2/notifications/channels",
        Endpoint::PostNotificationsChannels,
    ),
    def(
        Method::GET,
        "/api/v2/notifications/channels",
        Endpoint::GetNotificationsChannels,
    ),
    def(
        Method::HEAD,
        "/api/v2/notifications/channels/{channelId}",
        Endpoint::HeadNotificationsChannel,
    ),
    def(
        Method::GET,
        "/api/v2/notifications/channels/{channelId}/subscriptions",
        Endpoint::GetNotificationsChannelSubscriptions,
    ),
    def(
        Method::POST,
        "/api/v2/notifications/channels/{channelId}/subscriptions",
        Endpoint::PostNotificationsChannelSubscriptions,
    ),
    def(
        Method::PUT,
        "/api/v2/notifications/channels/{channelId}/subscriptions",
        Endpoint::PutNotificationsChannelSubscriptions,
    ),
    def(
        Method::DELETE,
        "/api/v2/notifications/channels/{channelId}/subscriptions",
        Endpoint::DeleteNotificationsChannelSubscriptions,
    ),
    def(
        Method::GET,
        "/channels/{channelId}",
        Endpoint::ChannelSocket,
    ),
];

/// The result of matching a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Matched {
    /// The path template, when the path has one (whatever the method).
    pub(crate) template: Option<&'static str>,
    /// The endpoint, when the method matches too.
    pub(crate) endpoint: Option<Endpoint>,
    /// Values of the template's parameters, in order.
    pub(crate) params: Vec<String>,
}

/// Splits a template or path into segments (ignoring one trailing slash).
fn segments(path: &str) -> Vec<&str> {
    let path = path.strip_suffix('/').unwrap_or(path);
    path.split('/').skip(1).collect()
}

fn match_template(template: &str, path: &[&str]) -> Option<Vec<String>> {
    // Every request is matched against every route: check without
    // allocating, and decode parameters only for the route that fits.
    let template = template.strip_suffix('/').unwrap_or(template);
    let mut t = template.split('/').skip(1);
    for ps in path {
        let ts = t.next()?;
        let fits = if ts.starts_with('{') {
            !ps.is_empty()
        } else {
            ts == *ps
        };
        if !fits {
            return None;
        }
    }
    if t.next().is_some() {
        return None;
    }
    Some(
        template
            .split('/')
            .skip(1)
            .zip(path)
            .filter(|(ts, _)| ts.starts_with('{'))
            .map(|(_, ps)| percent_decode(ps))
            .collect(),
    )
}

/// Decodes `%XX` escapes in a path segment (invalid escapes stay as they are).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Matches a request. A path that fits a template with a different method
/// still reports the template (for the counters).
pub(crate) fn match_route(method: &Method, path: &str) -> Matched {
    let path_segments = segments(path);
    let mut template = None;
    let mut first_params = Vec::new();
    for route in ROUTES {
        let Some(params) = match_template(route.template, &path_segments) else {
            continue;
        };
        if route.method == *method {
            return Matched {
                template: Some(route.template),
                endpoint: Some(route.endpoint),
                params,
            };
        }
        if template.is_none() {
            template = Some(route.template);
            first_params = params;
        }
    }
    Matched {
        template,
        endpoint: None,
        params: first_params,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_beats_parameter() {
        let m = match_route(&Method::GET, "/api/v2/users/me");
        assert_eq!(m.endpoint, Some(Endpoint::GetUsersMe));
        let m = match_route(&Method::GET, "/api/v2/users/abc");
        assert_eq!(m.endpoint, Some(Endpoint::GetUser));
        assert_eq!(m.params, ["abc"]);
    }

    #[test]
    fn on_behalf_and_by_id_do_not_clash() {
        let m = match_route(&Method::POST, "/api/v2/conversations/calls/user/u1");
        assert_eq!(m.endpoint, Some(Endpoint::PostConversationsCallsUserUserId));
        let m = match_route(&Method::GET, "/api/v2/conversations/calls/c%2D1");
        assert_eq!(m.endpoint, Some(Endpoint::GetConversationsCall));
        assert_eq!(m.params, ["c-1"]);
    }

    #[test]
    fn notification_routes() {
        let m = match_route(
            &Method::HEAD,
            "/api/v2/notifications/channels/streaming-0-ab",
        );
        assert_eq!(m.endpoint, Some(Endpoint::HeadNotificationsChannel));
        assert_eq!(m.params, ["streaming-0-ab"]);
        let m = match_route(
            &Method::PUT,
            "/api/v2/notifications/channels/c1/subscriptions",
        );
        assert_eq!(
            m.endpoint,
            Some(Endpoint::PutNotificationsChannelSubscriptions)
        );
        let m = match_route(&Method::GET, "/channels/c1");
        assert_eq!(m.endpoint, Some(Endpoint::ChannelSocket));
        assert_eq!(m.template, Some("/channels/{channelId}"));
    }

    #[test]
    fn wrong_method_keeps_template() {
        let m = match_route(&Method::PUT, "/api/v2/conversations/calls");
        assert_eq!(m.template, Some("/api/v2/conversations/calls"));
        assert_eq!(m.endpoint, None);
        let m = match_route(&Method::GET, "/nope");
        assert_eq!(m.template, None);
    }
}
