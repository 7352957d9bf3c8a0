//! PATCH clears a field by sending it as `null`, through the typed SDK,
//! against the emulator's `PATCH /api/v2/users/{userId}`.

mod common;

use genesys_cloud::Error;
use genesys_cloud::model::{Model as _, UpdateUser};
use genesys_emulator::{ClientSeed, Emulator, EmulatorConfig, RoleSeed, seed};

const EDITOR_ID: &str = "00000000-0000-4000-8000-00000000c0ed";

async fn emulator_with_an_editor() -> Emulator {
    Emulator::start(
        EmulatorConfig::default()
            .with_role(RoleSeed::new("user-editor", ["directory:user:edit"]))
            .with_client(
                ClientSeed::client_credentials(EDITOR_ID, "editor-secret").with_role("user-editor"),
            ),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_patch_sets_a_field_then_an_explicit_null_clears_it() {
    let emu = emulator_with_an_editor().await;
    let client = common::client_with(&emu, emu.client_credentials_token(EDITOR_ID));
    let users = client.users();
    let user_id = seed::DEFAULT_USER_ID;

    let set = UpdateUser {
        version: Some(1),
        title: Some("Team lead".into()),
        department: Some("Sales".into()),
        ..Default::default()
    };
    let after_set = users.patch_user(user_id, &set).await.unwrap();
    assert_eq!(after_set.title.as_deref(), Some("Team lead"));
    assert_eq!(after_set.version, Some(2));

    // Absent fields are left alone; the null clears the title only.
    let clear = UpdateUser {
        version: Some(2),
        ..Default::default()
    }
    .with_null(UpdateUser::TITLE);
    let after_clear = users.patch_user(user_id, &clear).await.unwrap();
    assert_eq!(after_clear.title, None);
    assert_eq!(after_clear.department.as_deref(), Some("Sales"));
    assert_eq!(after_clear.version, Some(3));

    let fetched = users.get_user(user_id).await.unwrap();
    assert_eq!(fetched.title, None);
    assert_eq!(fetched.department.as_deref(), Some("Sales"));

    // Without the mark nothing is cleared (None is left out, as always).
    let untouched = UpdateUser {
        version: Some(3),
        title: None,
        ..Default::default()
    };
    let after = users.patch_user(user_id, &untouched).await.unwrap();
    assert_eq!(after.department.as_deref(), Some("Sales"));
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let emu = emulator_with_an_editor().await;
    let client = common::client_with(&emu, emu.client_credentials_token(EDITOR_ID));
    let stale = UpdateUser {
        version: Some(7),
        title: Some("x".into()),
        ..Default::default()
    };
    let err = client
        .users()
        .patch_user(seed::DEFAULT_USER_ID, &stale)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(f) if f.error.status().as_u16() == 409),
        "{err}"
    );
    assert_eq!(err.code(), Some("general.conflict"));
    let user = client
        .users()
        .get_user(seed::DEFAULT_USER_ID)
        .await
        .unwrap();
    assert_eq!(user.title, None);
    assert_eq!(user.version, Some(1));
}
