//! The layer's redaction rules reach what the HTTP layers record: a request body, the
//! response body and an outgoing call's key and value keep no secret in any stored
//! byte, and the recordings still replay Equal through the router (same values, same
//! fingerprints).

use axum::routing::post;
use axum::{Json, Router};
use playback::redact::Detector;
use playback::{
    DirStore, Equalizer, FingerprintKey, PlaybackLayer, Progress, Query, Recording, Replayer,
    Status, Store,
};
use playback_http::{ClientMiddleware, RecordLayer, ReplayerExt as _};
use serde_json::{Value, json};
use tracing_subscriber::prelude::*;

use crate::support::{Server, all_bytes};

const EMAIL: &str = "ada.lovelace@example.org";
const CARD: &str = "4111 1111 1111 1111";

/// A CRM that answers with the customer it was sent.
fn crm() -> Router {
    Router::new().route(
        "/customers",
        post(|Json(body): Json<Value>| async move { Json(json!({"customer": body})) }),
    )
}

/// A signup service: its request carries an email and a card, it sends the email to
/// the CRM over reqwest, and it answers with the email and the plan. (On replay the
/// handler gets the recorded request, whose card is a marker: an answer made from the
/// card would differ, see the guide's "Keeping secrets out of recordings".)
fn signup(crm_url: &str) -> Router {
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(ClientMiddleware::new())
        .build();
    let crm_url = format!("{crm_url}/customers");
    Router::new()
        .route(
            "/signup",
            post(move |Json(body): Json<Value>| {
                let (client, crm_url) = (client.clone(), crm_url.clone());
                async move {
                    let crm: Value = client
                        .post(&crm_url)
                        .header("content-type", "application/json")
                        .body(json!({"email": body["email"]}).to_string())
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    Json(json!({"welcome": crm["customer"]["email"], "plan": body["plan"]}))
                }
            }),
        )
        .layer(RecordLayer::new())
}

#[test]
fn redaction_rules_keep_secrets_out_of_http_recordings_and_replay_stays_equal() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::new(dir.path()).unwrap();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .fingerprint_key(FingerprintKey::new([9u8; 32]).unwrap())
        .redact("/args/request/body/card")
        .detect(Detector::Email)
        .build()
        .unwrap();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let crm = Server::start(crm(), tracing::Dispatch::none());
    let crm_url = crm.url();
    let shop = Server::start(signup(&crm_url), dispatch);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let answer: Value = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/signup", shop.url()))
            .json(&json!({"email": EMAIL, "card": CARD, "plan": "pro"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    // the live service saw the real values
    assert_eq!(answer, json!({"welcome": EMAIL, "plan": "pro"}));
    shop.stop();
    crm.stop(); // from here on, nothing listens
    assert!(guard.flush(std::time::Duration::from_secs(10)));

    // no stored byte holds the email or the card, in any form
    let bytes = String::from_utf8_lossy(&all_bytes(dir.path())).into_owned();
    assert!(bytes.contains("pro"), "the recording is there: {bytes}");
    for secret in [EMAIL, CARD, "4111111111111111", "ada.lovelace"] {
        assert!(!bytes.contains(secret), "a stored file holds {secret}");
    }
    let recordings: Vec<Recording> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(recordings.len(), 1);
    let rec = &recordings[0];
    assert_eq!(rec.category, "POST signup");
    assert!(
        !rec.interceptions.is_empty(),
        "the CRM call is an input of the recording"
    );

    // replay through the router, with no network: the same rules on the replayed side,
    // the same fingerprints, so the comparison is Equal
    let report = Equalizer::new(recordings)
        .replayer(Replayer::new().http_service(signup(&crm_url)))
        .progress(Progress::Never)
        .run();
    let c = &report.comparisons[0];
    assert_eq!(
        c.status,
        Status::Equal,
        "{:?} {:?}",
        c.message,
        c.differences
    );
}
