//! Create, read, update, list and delete through the typed SDK, against
//! operations the emulator answers from the spec (no hand-written route):
//! routing queues, outbound contact lists and response-management
//! libraries, three tags. Also the catalogue's rules and body checks as a
//! typed error.

use futures_util::TryStreamExt as _;
use genesys_auth::{AccessToken, BaseUrl};
use genesys_cloud::Client;
use genesys_emulator::{Emulator, EmulatorConfig, seed};
use genesys_model::{
    ContactList, ContactPhoneNumberColumn, CreateQueueRequest, DomainEntityRef, Library,
    QueueRequest,
};

async fn start() -> (Emulator, Client) {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = client_for(&emu, seed::DEFAULT_CLIENT_ID);
    (emu, client)
}

fn client_for(emu: &Emulator, client_id: &str) -> Client {
    Client::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .token_source(AccessToken::new(emu.client_credentials_token(client_id)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn routing_queues_round_trip() {
    let (_emu, client) = start().await;
    let routing = client.routing();
    let mut ids = Vec::new();
    for name in ["Support", "Sales", "Billing"] {
        let body = CreateQueueRequest {
            name: Some(name.into()),
            description: Some(format!("{name} queue")),
            queue_flow: Some(Box::new(DomainEntityRef {
                id: Some("flow-1".into()),
                ..Default::default()
            })),
            ..Default::default()
        };
        let queue = routing.post_routing_queues(&body).await.unwrap();
        assert_eq!(queue.name.as_deref(), Some(name));
        assert_eq!(
            queue.queue_flow.as_deref().and_then(|f| f.id.as_deref()),
            Some("flow-1"),
            "fields carried from the create request to the queue by name"
        );
        ids.push(queue.id.clone().expect("an id"));
    }

    let sales = routing.get_routing_queue(&ids[1]).await.unwrap();
    assert_eq!(sales.description.as_deref(), Some("Sales queue"));

    let update = QueueRequest {
        name: Some("Sales EU".into()),
        ..Default::default()
    };
    let updated = routing.put_routing_queue(&ids[1], &update).await.unwrap();
    assert_eq!(updated.name.as_deref(), Some("Sales EU"));
    assert_eq!(updated.id.as_deref(), Some(ids[1].as_str()));

    // Every queue arrives once across pages of two.
    let names: Vec<String> = routing
        .get_routing_queues()
        .page_size(2)
        .items()
        .map_ok(|q| q.name.unwrap_or_default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["Support", "Sales EU", "Billing"]);

    routing.delete_routing_queue(&ids[1]).await.unwrap();
    let err = routing.get_routing_queue(&ids[1]).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    let left = routing.get_routing_queues().await.unwrap();
    assert_eq!(left.total, Some(2));
}

#[tokio::test]
async fn outbound_contact_lists_round_trip() {
    let (_emu, client) = start().await;
    let outbound = client.outbound();
    let body = ContactList {
        name: Some("Leads".into()),
        column_names: Some(vec!["phone".into(), "name".into()]),
        phone_columns: Some(vec![ContactPhoneNumberColumn {
            column_name: Some("phone".into()),
            type_: Some("cell".into()),
            ..Default::default()
        }]),
        ..Default::default()
    };
    let created = outbound.post_outbound_contactlists(&body).await.unwrap();
    let id = created.id.clone().unwrap();
    assert_eq!(created.column_names.as_deref().map(<[_]>::len), Some(2));

    let mut changed = outbound.get_outbound_contactlist(&id).await.unwrap();
    assert_eq!(changed.name.as_deref(), Some("Leads"));
    changed.name = Some("Leads (EU)".into());
    let replaced = outbound
        .put_outbound_contactlist(&id, &changed)
        .await
        .unwrap();
    assert_eq!(replaced.name.as_deref(), Some("Leads (EU)"));
    assert!(replaced.version > created.version, "the version moves on");

    let listing = outbound.get_outbound_contactlists().await.unwrap();
    let names: Vec<_> = listing
        .entities
        .unwrap_or_default()
        .into_iter()
        .map(|l| l.name.unwrap_or_default())
        .collect();
    assert_eq!(names, ["Leads (EU)"]);

    outbound.delete_outbound_contactlist(&id).await.unwrap();
    let err = outbound.get_outbound_contactlist(&id).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn response_libraries_round_trip() {
    let (_emu, client) = start().await;
    let responses = client.response_management();
    let library = Library {
        name: Some("Greetings".into()),
        ..Default::default()
    };
    let created = responses
        .post_responsemanagement_libraries(&library)
        .await
        .unwrap();
    let id = created.id.clone().unwrap();
    let read = responses.get_responsemanagement_library(&id).await.unwrap();
    assert_eq!(read.name.as_deref(), Some("Greetings"));
    let renamed = Library {
        name: Some("Greetings and goodbyes".into()),
        version: read.version,
        ..Default::default()
    };
    let updated = responses
        .put_responsemanagement_library(&id, &renamed)
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Greetings and goodbyes"));
    responses
        .delete_responsemanagement_library(&id)
        .await
        .unwrap();
    let listing = responses.get_responsemanagement_libraries().await.unwrap();
    assert_eq!(listing.entities.map(|e| e.len()), Some(0));
}

#[tokio::test]
async fn permissions_and_bodies_are_checked_with_genesys_errors() {
    let (emu, client) = start().await;
    // A client whose role lacks routing:queue:add.
    let viewer = client_for(&emu, seed::NO_PERMISSION_CLIENT_ID);
    let body = CreateQueueRequest {
        name: Some("Q".into()),
        ..Default::default()
    };
    let err = viewer
        .routing()
        .post_routing_queues(&body)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    let api = err.api_error().expect("a Genesys error");
    assert_eq!(api.code(), Some("missing.any.permissions"));
    assert!(err.to_string().contains("routing:queue:add"), "{err}");

    // A queue without its required name: the SDK refuses it before sending...
    let nameless = CreateQueueRequest {
        description: Some("no name".into()),
        ..Default::default()
    };
    let err = client
        .routing()
        .post_routing_queues(&nameless)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("name"), "{err}");
    assert!(err.api_error().is_none(), "refused locally: {err:?}");
    // ...and the emulator answers 400 naming the field when it arrives anyway.
    let err = client
        .operation("postRoutingQueues")
        .unwrap()
        .body(r#"{"name": "Q", "queueFlow": {"id": 7}}"#)
        .send()
        .await
        .unwrap_err();
    let api = err.api_error().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(api.status(), 400);
    assert_eq!(api.code(), Some("bad.request"));
    let fields: Vec<_> = api
        .details()
        .iter()
        .filter_map(|d| d.field_name.as_deref())
        .collect();
    assert_eq!(fields, ["queueFlow.id"]);
    let listing = client.routing().get_routing_queues().await.unwrap();
    assert_eq!(listing.total, Some(0), "nothing was created");

    // A client's token on an operation that needs a user: with the SDK's
    // own check turned off, the emulator answers Genesys's not.a.user.
    let unchecked = Client::builder()
        .base_url(BaseUrl::parse(&emu.base_url()).unwrap())
        .token_source(AccessToken::new(
            emu.client_credentials_token(seed::DEFAULT_CLIENT_ID),
        ))
        .preflight(false)
        .build()
        .unwrap();
    let err = unchecked
        .operation("getVoicemailMeMailbox")
        .unwrap()
        .send()
        .await
        .unwrap_err();
    let api = err.api_error().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(api.status(), 400);
    assert_eq!(api.code(), Some("not.a.user"));
}
