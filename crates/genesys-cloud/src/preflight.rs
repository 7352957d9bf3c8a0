//! Checks made from the operation catalogue before a request leaves the
//! process, so a wrong token/operation pairing fails fast with the fix named.

use genesys_auth::{AccessToken, Principal};
use genesys_model::catalogue::{self, Operation, Security};

use crate::error::{Error, MissingScopes, UserContextRequired};

/// Refuses `op` for `token` when the catalogue says it cannot work.
///
/// * The operation documents `not.a.user` and the token is an OAuth
///   client's → [`Error::UserContextRequired`], naming the alternatives.
/// * The token's scopes are known and include none of the operation's (when
///   the spec names them) → [`Error::MissingScopes`].
///
/// Unknown principals and unknown scopes pass: the server decides.
pub(crate) fn check(op: &'static Operation, token: &AccessToken) -> Result<(), Error> {
    if let (true, Principal::Client { client_id }) = (op.requires_user_context, token.principal()) {
        return Err(Error::UserContextRequired(Box::new(UserContextRequired {
            operation: op,
            client_id: Some(client_id.clone()),
            alternatives: alternatives(op),
        })));
    }
    if let (Security::OAuth { scopes: required }, Some(granted)) = (op.security, token.scopes())
        && !required.is_empty()
        && !required.iter().any(|r| scope_granted(r, granted))
    {
        return Err(Error::MissingScopes(Box::new(MissingScopes {
            operation: op,
            required_any: required,
            granted: granted.to_vec(),
        })));
    }
    Ok(())
}

/// Whether `granted` satisfies `required`: the same scope, or the full
/// scope when only its `:readonly` form is required.
fn scope_granted(required: &str, granted: &[String]) -> bool {
    granted
        .iter()
        .any(|g| g == required || required.strip_suffix(":readonly") == Some(g.as_str()))
}

/// Operations that do the job of a user-context operation without a user:
/// the same method on the path with `/user/{userId}` appended
/// (`POST /conversations/calls` → `POST /conversations/calls/user/{userId}`),
/// or with a `me` segment replaced by a user id (`GET /users/me` →
/// `GET /users/{userId}`).
pub(crate) fn alternatives(op: &Operation) -> Vec<&'static Operation> {
    let on_behalf = format!("{}/user/", op.path);
    catalogue::operations()
        .iter()
        .filter(|candidate| candidate.method == op.method && !candidate.requires_user_context)
        .filter(|candidate| {
            let p = candidate.path;
            let behalf = p.strip_prefix(&on_behalf).is_some_and(|rest| {
                rest.starts_with('{') && rest.ends_with('}') && !rest.contains('/')
            });
            behalf || replaces_me(op.path, p)
        })
        .collect()
}

fn replaces_me(original: &str, candidate: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (
        original.split('/').collect(),
        candidate.split('/').collect(),
    );
    a.len() == b.len()
        && a.contains(&"me")
        && a.iter().zip(&b).all(|(x, y)| {
            x == y || (*x == "me" && y.starts_with('{') && y.to_ascii_lowercase().contains("user"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(id: &str) -> &'static Operation {
        catalogue::operation(id).unwrap()
    }

    #[test]
    fn placing_a_call_points_to_the_on_behalf_operation() {
        let alts: Vec<&str> = alternatives(op("postConversationsCalls"))
            .iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(alts, ["postConversationsCallsUserUserId"]);
    }

    #[test]
    fn me_paths_point_to_the_user_id_form() {
        let alts: Vec<&str> = alternatives(op("getUsersMe"))
            .iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(alts, ["getUser"]);
    }

    #[test]
    fn client_tokens_are_refused_for_user_context_operations_only() {
        let client = AccessToken::new("t").with_principal(Principal::client("cid"));
        let err = check(op("postConversationsCalls"), &client).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("postConversationsCallsUserUserId"), "{text}");
        assert!(text.contains("conversation:call:add"), "{text}");
        assert!(text.contains("Nothing was sent"), "{text}");
        assert!(check(op("postConversationsCallsUserUserId"), &client).is_ok());
        let user = AccessToken::new("t").with_principal(Principal::user("u"));
        assert!(check(op("postConversationsCalls"), &user).is_ok());
        let unknown = AccessToken::new("t");
        assert!(check(op("postConversationsCalls"), &unknown).is_ok());
    }

    #[test]
    fn known_scopes_must_include_one_of_the_operations() {
        let token = AccessToken::new("t").with_scopes(["users"]);
        let err = check(op("postConversationsCalls"), &token).unwrap_err();
        assert!(matches!(err, Error::MissingScopes(_)));
        assert!(err.to_string().contains("[conversations]"), "{err}");
        let ok = AccessToken::new("t").with_scopes(["conversations"]);
        assert!(check(op("postConversationsCalls"), &ok).is_ok());
        // The full scope covers its read-only form.
        assert!(scope_granted("users:readonly", &["users".to_owned()]));
        assert!(!scope_granted("users", &["users:readonly".to_owned()]));
        // Unknown scopes pass.
        assert!(check(op("postConversationsCalls"), &AccessToken::new("t")).is_ok());
    }
}
