//! `review serve` over the store: the flights and sites as GeoJSON and pages, a flight's
//! candidates, and inspectors' decisions POSTed and saved in the store with the inspector's
//! name and the server's UTC time (the latest per candidate, every one in the log). SQLite
//! and PostgreSQL.

mod serve_common;
#[path = "../../store/tests/common/mod.rs"]
mod store_common;

use qly_store::{IngestOptions, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};
use serve_common::{client, Server};
use store_common::{flight, outfall, plume_at, Kind, TestStore};

async fn get_json(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

async fn review_round(kind: Kind) {
    let ts = TestStore::new(kind);
    let dir = tempfile::tempdir().unwrap();
    // Two patrols of one river a month apart: the second sees a new outfall and a plume.
    let o1 = outfall(12.0, 60.0);
    let o2 = outfall(-13.0, 220.0);
    let first = flight(&dir.path().join("f1"), 0, 8, &[o1], 1);
    let second = flight(&dir.path().join("f2"), 30, 8, &[o1, o2, plume_at(o1)], 2);
    {
        let store = Store::open(&ts.url).await.unwrap();
        let o = IngestOptions {
            river: "qingshui".into(),
        };
        store
            .ingest(&dir.path().join("f1"), &o, |_| {})
            .await
            .unwrap();
        store
            .ingest(&dir.path().join("f2"), &o, |_| {})
            .await
            .unwrap();
        store.close().await;
    }
    let server = Server::start(&["--store", &ts.url]);
    let c = client();

    let flights = get_json(&c, server.url("/api/flights.geojson")).await;
    let f = flights["features"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["id"], first.as_str());
    assert_eq!(f[1]["properties"]["river"], "qingshui");
    assert_eq!(f[1]["properties"]["candidates"], 3);
    assert_eq!(f[1]["geometry"]["type"], "Polygon", "{}", f[1]);

    let sites = get_json(&c, server.url("/api/sites.geojson")).await;
    // The plume at o1 is o1's plume, not a site of its own.
    assert_eq!(sites["features"].as_array().unwrap().len(), 2, "{sites}");
    let new = get_json(
        &c,
        server.url("/api/sites.geojson?river=qingshui&which=new"),
    )
    .await;
    let new = new["features"].as_array().unwrap();
    assert_eq!(new.len(), 1, "the new outfall: {new:?}");
    assert_eq!(new[0]["properties"]["flights_seen"], 1);
    let again = get_json(&c, server.url("/api/sites.geojson?which=plume-again")).await;
    let again = again["features"].as_array().unwrap();
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0]["properties"]["flights_with_plume"], 1);
    let r = c
        .get(server.url("/api/sites.geojson?which=old"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let page = c
        .get(server.url("/review?which=new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Flights and outfall sites") && page.contains(&second),
        "{page}"
    );
    assert!(page.contains("new since the last patrol"));

    // A decision as JSON: saved with the name and the server's time.
    let cands = get_json(
        &c,
        server.url(&format!("/api/flights/{second}/candidates.geojson")),
    )
    .await;
    let cand = &cands["features"][0]["properties"];
    let id = cand["candidate_id"].as_i64().unwrap();
    assert!(cand["verdict"].is_null());
    let before = jiff::Timestamp::now();
    let r = c
        .post(server.url("/api/decisions"))
        .json(&json!({"flight_id": second, "candidate_id": id, "verdict": "rejected", "inspector": "Li Wei"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let d: Value = r.json().await.unwrap();
    let at: jiff::Timestamp = d["decided_utc"].as_str().unwrap().parse().unwrap();
    assert!(
        at.as_second() >= before.as_second() - 1
            && d["decided_utc"].as_str().unwrap().ends_with('Z')
    );
    // Then the browser's form changes it: 303 back to the flight's page.
    let r = c
        .post(server.url("/api/decisions"))
        .form(&[
            ("flight_id", second.as_str()),
            ("candidate_id", &id.to_string()),
            ("verdict", "confirmed"),
            ("inspector", "Wang Fang"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cands = get_json(
        &c,
        server.url(&format!("/api/flights/{second}/candidates.geojson")),
    )
    .await;
    let cand = &cands["features"][0]["properties"];
    assert_eq!(
        (cand["verdict"].as_str(), cand["inspector"].as_str()),
        (Some("confirmed"), Some("Wang Fang"))
    );
    let page = c
        .get(server.url(&format!("/review/flights/{second}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("confirmed (Wang Fang, "), "{page}");

    // Refusals name the field.
    for (body, status, words) in [
        (
            json!({"flight_id": second, "candidate_id": id, "verdict": "maybe", "inspector": "Li"}),
            400,
            "field verdict",
        ),
        (
            json!({"flight_id": second, "candidate_id": id, "verdict": "confirmed"}),
            400,
            "field inspector",
        ),
        (
            json!({"flight_id": second, "candidate_id": "x", "verdict": "confirmed", "inspector": "Li"}),
            400,
            "field candidate_id",
        ),
        (
            json!({"flight_id": second, "candidate_id": 999, "verdict": "confirmed", "inspector": "Li"}),
            404,
            "no candidate 999",
        ),
        (
            json!({"flight_id": "nope", "candidate_id": 1, "verdict": "confirmed", "inspector": "Li"}),
            404,
            "no candidate 1",
        ),
    ] {
        let r = c
            .post(server.url("/api/decisions"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{body}");
        let e: Value = r.json().await.unwrap();
        assert!(e["error"].as_str().unwrap().contains(words), "{e}");
    }
    let r = c
        .get(server.url("/review/flights/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    drop(server);

    // In the store: the latest decision, and both in the log.
    let store = Store::open(&ts.url).await.unwrap();
    let log = store.decision_log(&second, id).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].verdict.as_str(), log[0].inspector.as_str()),
        ("rejected", "Li Wei")
    );
    assert_eq!(
        (log[1].verdict.as_str(), log[1].inspector.as_str()),
        ("confirmed", "Wang Fang")
    );
    let h = store.history().await.unwrap();
    let decided = h
        .summaries(None)
        .into_iter()
        .filter(|s| s.decision.is_some())
        .count();
    assert_eq!(decided, 1);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_over_sqlite() {
    review_round(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_over_postgresql() {
    review_round(Kind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_need_an_inspector_token_when_inspectors_are_configured() {
    let ts = TestStore::new(Kind::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let f = flight(&dir.path().join("f1"), 0, 8, &[outfall(12.0, 60.0)], 1);
    {
        let store = Store::open(&ts.url).await.unwrap();
        store
            .ingest(&dir.path().join("f1"), &IngestOptions::default(), |_| {})
            .await
            .unwrap();
        store.close().await;
    }
    let token = "inspector-token-xyz";
    let ins = dir.path().join("inspectors.toml");
    std::fs::write(
        &ins,
        format!(
            "[[inspectors]]\nname = \"Zhao Min\"\ntoken_sha256 = \"{}\"\n",
            review::serve::auth::hex(&review::serve::auth::hash_token(token))
        ),
    )
    .unwrap();
    let server = Server::start(&["--store", &ts.url, "--inspectors", ins.to_str().unwrap()]);
    let c = client();
    let body = json!({"flight_id": f, "candidate_id": 1, "verdict": "confirmed", "inspector": "Someone Else"});
    let r = c
        .post(server.url("/api/decisions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .post(server.url("/api/decisions"))
        .bearer_auth("wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .post(server.url("/api/decisions"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let d: Value = r.json().await.unwrap();
    assert_eq!(
        d["inspector"], "Zhao Min",
        "the token's name, not the one typed"
    );
}
