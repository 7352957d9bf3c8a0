//! The operation catalogue answers what the seed problem needed to know.

use genesys_model::catalogue::{
    self, HttpMethod, ParameterLocation, PermissionRequirement, Security,
};

#[test]
fn creating_a_call_needs_a_user_and_says_so() {
    let op = catalogue::operation("postConversationsCalls").expect("postConversationsCalls");
    assert!(op.requires_user_context);
    assert_eq!(
        (op.method, op.path),
        (HttpMethod::Post, "/api/v2/conversations/calls")
    );
    assert_eq!(op.body_type, Some("CreateCallRequest"));
    assert_eq!(op.response_type, Some("CreateCallResponse"));
    let (status, code) = op.error_code("not.a.user").unwrap();
    assert_eq!(status, 400);
    assert_eq!(
        code.message,
        "This request requires a user context. Client credentials cannot be used for requests to this resource."
    );
    assert!(
        op.error_code("conversation.error.no.user.station")
            .is_some()
    );
    assert_eq!(op.scopes(), Some(&["conversations"][..]));
}

#[test]
fn creating_a_call_on_behalf_of_a_user_works_with_client_credentials() {
    let op = catalogue::operation("postConversationsCallsUserUserId").expect("on-behalf operation");
    assert!(!op.requires_user_context);
    assert_eq!(op.path, "/api/v2/conversations/calls/user/{userId}");
    let permissions = op.permissions.expect("permissions are documented");
    assert_eq!(permissions.requirement, PermissionRequirement::Any);
    let mut listed = permissions.permissions.to_vec();
    listed.sort_unstable();
    assert_eq!(
        listed,
        ["conversation:agentlessCall:add", "conversation:call:add"]
    );
    let user_id = op.parameter("userId").unwrap();
    assert_eq!(
        (user_id.location, user_id.required),
        (ParameterLocation::Path, true)
    );
    // The spec gives no scopes for it: unknown, not "none needed".
    assert_eq!(op.security, Security::Unknown);
    assert_eq!(op.scopes(), None);
}

#[test]
fn token_introspection_needs_the_user_basic_info_scope() {
    let op = catalogue::operation("getTokensMe").unwrap();
    assert_eq!(op.scopes(), Some(&["user-basic-info"][..]));
    assert!(!op.requires_user_context);
}

#[test]
fn the_catalogue_covers_the_whole_spec() {
    let spec = genesys_integration_tests::spec();
    let ids: Vec<&str> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId").and_then(|v| v.as_str()))
        .collect();
    assert_eq!(catalogue::operations().len(), ids.len());
    let user_context = catalogue::operations()
        .iter()
        .filter(|op| op.requires_user_context)
        .count();
    assert!(
        user_context >= 20,
        "only {user_context} operations need a user context"
    );
    assert!(
        catalogue::operation("getUsersMe")
            .unwrap()
            .requires_user_context
    );
    let public = catalogue::operations()
        .iter()
        .filter(|op| op.security == Security::Public)
        .count();
    assert_eq!(public, 28);
}
