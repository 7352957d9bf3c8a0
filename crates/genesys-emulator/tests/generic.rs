//! The operations without a hand-written route, answered from the spec:
//! the catalogue's rules, request checks, collections that keep state, and
//! schema-valid answers.

mod common;

use bytes::Bytes;
use common::{Http, Resp, seed};
use genesys_emulator::{Emulator, EmulatorConfig};
use http::Method;
use serde_json::{Value, json};

async fn start() -> (Emulator, Http, String) {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let http = Http::new(&emu.base_url());
    let token = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    (emu, http, token)
}

async fn send_json(http: &Http, method: Method, path: &str, token: &str, body: &Value) -> Resp {
    let auth = format!("Bearer {token}");
    http.send(
        method,
        path,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        body.to_string(),
    )
    .await
}

async fn delete(http: &Http, path: &str, token: &str) -> Resp {
    let auth = format!("Bearer {token}");
    http.send(
        Method::DELETE,
        path,
        &[("authorization", &auth)],
        Bytes::new(),
    )
    .await
}

fn ok(r: &Resp) -> Value {
    assert!(
        r.status.is_success(),
        "{}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

#[tokio::test]
async fn a_queue_is_created_read_listed_replaced_and_deleted() {
    let (_emu, http, token) = start().await;
    let mut ids = Vec::new();
    for name in ["Support", "Sales", "Billing"] {
        let body = json!({"name": name, "description": format!("{name} queue"),
                          "queueFlow": {"id": "flow-1"}, "notAQueueField": true});
        let created =
            ok(&send_json(&http, Method::POST, "/api/v2/routing/queues", &token, &body).await);
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["name"], name);
        assert_eq!(created["queueFlow"]["id"], "flow-1", "carried over by name");
        assert!(created.get("notAQueueField").is_none(), "not a Queue field");
        assert_eq!(created["selfUri"], format!("/api/v2/routing/queues/{id}"));
        ids.push(id);
    }
    let path = format!("/api/v2/routing/queues/{}", ids[1]);
    let read = ok(&http.get(&path, &token).await);
    assert_eq!(read["name"], "Sales");
    assert_eq!(read["description"], "Sales queue");

    // Listing pages by pageNumber/pageSize, in creation order.
    let page = ok(&http
        .get("/api/v2/routing/queues?pageSize=2&pageNumber=2", &token)
        .await);
    assert_eq!(page["total"], 3);
    assert_eq!(page["pageCount"], 2);
    assert_eq!(page["entities"].as_array().unwrap().len(), 1);
    assert_eq!(page["entities"][0]["name"], "Billing");
    let first = ok(&http.get("/api/v2/routing/queues?pageSize=2", &token).await);
    assert_eq!(
        first["nextUri"],
        "/api/v2/routing/queues?pageSize=2&pageNumber=2"
    );

    // PUT replaces the fields: a field left out is gone, the id stays.
    let replaced = ok(&send_json(
        &http,
        Method::PUT,
        &path,
        &token,
        &json!({"name": "Sales EU"}),
    )
    .await);
    assert_eq!(replaced["name"], "Sales EU");
    assert_eq!(replaced["id"], ids[1].as_str());
    assert!(replaced.get("description").is_none(), "{replaced}");
    assert_eq!(ok(&http.get(&path, &token).await)["name"], "Sales EU");

    let r = delete(&http, &path, &token).await;
    assert!(r.status.is_success(), "{}", r.status);
    http.get(&path, &token).await.assert_error(404, "not.found");
    delete(&http, &path, &token)
        .await
        .assert_error(404, "not.found");
    let all = ok(&http.get("/api/v2/routing/queues", &token).await);
    assert_eq!(all["total"], 2);
}

#[tokio::test]
async fn patch_sets_given_fields_and_null_clears_one() {
    let (_emu, http, token) = start().await;
    let created = ok(&send_json(
        &http,
        Method::POST,
        "/api/v2/routing/skillgroups",
        &token,
        &json!({"name": "Tier 2", "description": "second line", "skillConditions": []}),
    )
    .await);
    let path = format!(
        "/api/v2/routing/skillgroups/{}",
        created["id"].as_str().unwrap()
    );
    let patched = ok(&send_json(
        &http,
        Method::PATCH,
        &path,
        &token,
        &json!({"name": "Tier 3", "description": null, "skillConditions": []}),
    )
    .await);
    assert_eq!(patched["name"], "Tier 3");
    assert!(patched.get("description").is_none(), "{patched}");
    let read = ok(&http.get(&path, &token).await);
    assert_eq!(read["name"], "Tier 3");
    assert!(read.get("description").is_none(), "{read}");
    // Nested collections are per parent, and go with it.
    let list = ok(&send_json(
        &http,
        Method::POST,
        "/api/v2/outbound/contactlists",
        &token,
        &json!({"name": "Leads", "columnNames": ["phone"],
                "phoneColumns": [{"columnName": "phone", "type": "cell"}]}),
    )
    .await);
    let list_path = format!(
        "/api/v2/outbound/contactlists/{}",
        list["id"].as_str().unwrap()
    );
    assert_eq!(
        ok(&http.get(&list_path, &token).await)["columnNames"],
        json!(["phone"])
    );
}

#[tokio::test]
async fn the_catalogue_rules_apply_to_generic_operations() {
    let (emu, http, _) = start().await;
    // Missing permission: named, with Genesys's code.
    let viewer = emu.client_credentials_token(seed::NO_PERMISSION_CLIENT_ID);
    let r = send_json(
        &http,
        Method::POST,
        "/api/v2/routing/queues",
        &viewer,
        &json!({"name": "Q"}),
    )
    .await;
    let e = r.assert_error(403, "missing.any.permissions");
    assert!(e.message.unwrap().contains("routing:queue:add"));
    // A client's token on an operation that needs a user.
    let client = emu.client_credentials_token(seed::DEFAULT_CLIENT_ID);
    let r = http.get("/api/v2/voicemail/me/mailbox", &client).await;
    r.assert_error(400, "not.a.user");
    // No token, or an unknown one.
    let r = http
        .send(Method::GET, "/api/v2/routing/queues", &[], Bytes::new())
        .await;
    r.assert_error(401, "authentication.required");
    http.get("/api/v2/routing/queues", "nope")
        .await
        .assert_error(401, "bad.credentials");
}

#[tokio::test]
async fn an_invalid_body_or_parameter_names_the_field() {
    let (_emu, http, token) = start().await;
    let queues = "/api/v2/routing/queues";
    let r = send_json(
        &http,
        Method::POST,
        queues,
        &token,
        &json!({"name": "Q", "queueFlow": {"id": 7}}),
    )
    .await;
    let e = r.assert_error(400, "bad.request");
    assert_eq!(
        e.details.unwrap()[0].field_name.as_deref(),
        Some("queueFlow.id")
    );
    let r = send_json(
        &http,
        Method::POST,
        queues,
        &token,
        &json!({"description": "no name"}),
    )
    .await;
    let e = r.assert_error(400, "bad.request");
    let detail = &e.details.unwrap()[0];
    assert_eq!(detail.field_name.as_deref(), Some("name"));
    assert_eq!(detail.error_code.as_deref(), Some("missing.required.field"));
    let r = send_json(
        &http,
        Method::POST,
        "/api/v2/routing/wrapupcodes",
        &token,
        &json!({"name": "W", "division": {"id": ["not", "a", "string"]}}),
    )
    .await;
    assert_eq!(
        r.assert_error(400, "bad.request").details.unwrap()[0]
            .field_name
            .as_deref(),
        Some("division.id")
    );
    // Malformed JSON, a wrong media type, a non-integer query parameter.
    let auth = format!("Bearer {token}");
    let r = http
        .send(
            Method::POST,
            queues,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            "{\"name\": ",
        )
        .await;
    r.assert_error(400, "bad.request");
    let r = http
        .send(
            Method::POST,
            queues,
            &[("authorization", &auth), ("content-type", "text/plain")],
            "{}",
        )
        .await;
    r.assert_error(415, "unsupported.media.type");
    let r = http
        .get("/api/v2/routing/queues?pageSize=many", &token)
        .await;
    let e = r.assert_error(400, "bad.request");
    assert_eq!(
        e.details.unwrap()[0].field_name.as_deref(),
        Some("pageSize")
    );
    // Nothing was created by the refused requests.
    let all = ok(&http.get(queues, &token).await);
    assert_eq!(all["total"], 0);
}

#[tokio::test]
async fn actions_answer_a_schema_shaped_deterministic_body() {
    let (_emu, http, token) = start().await;
    let query = json!({"interval": "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"});
    let path = "/api/v2/analytics/conversations/details/query";
    let a = ok(&send_json(&http, Method::POST, path, &token, &query).await);
    let b = ok(&send_json(&http, Method::POST, path, &token, &query).await);
    assert_eq!(a, b, "deterministic");
    assert!(a.is_object());
    // A read of something never created is not found; a singleton answers.
    http.get(
        "/api/v2/routing/skills/00000000-0000-4000-8000-00000000dead",
        &token,
    )
    .await
    .assert_error(404, "not.found");
    let settings = ok(&http.get("/api/v2/routing/settings", &token).await);
    assert!(settings.is_object());
}

#[tokio::test]
async fn public_operations_need_no_token() {
    let (_emu, http, _) = start().await;
    let r = http
        .send(
            Method::POST,
            "/api/v2/webdeployments/token/refresh",
            &[("content-type", "application/json")],
            json!({"deploymentId": "d", "refreshToken": "r"}).to_string(),
        )
        .await;
    assert!(
        r.status.is_success(),
        "{}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
}
