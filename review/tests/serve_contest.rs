//! `review serve --contest`: the real server on 127.0.0.1:0 driven over HTTP. Uploads with the
//! team's token are scored; another team's token is refused (403), no token 401, a malformed
//! body 400 naming the feature or line, an oversized one 413; the leaderboard as JSON, a
//! self-refreshing page and the judges' CSV/HTML; an accepted upload survives kill -9 of the
//! server. On SQLite always, and on an ephemeral PostgreSQL cluster.

mod serve_common;
#[path = "../../store/tests/common/mod.rs"]
mod store_common;

use reqwest::StatusCode;
use serde_json::Value;
use serve_common::*;

async fn json(r: reqwest::Response) -> Value {
    let status = r.status();
    let text = r.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {text}"))
}

async fn post(
    c: &reqwest::Client,
    s: &Server,
    team: &str,
    token: Option<&str>,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut req = c
        .post(s.url(&format!("/contest/teams/{team}/reports")))
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("upload")
}

fn team<'a>(board: &'a Value, name: &str) -> &'a Value {
    board["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == name)
        .unwrap_or_else(|| panic!("no team {name} in {board}"))
}

async fn contest_round(store_url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let contest = contest_dir(dir.path());
    let contest = contest.to_str().unwrap();
    let mut server = Server::start(&["--store", store_url, "--contest", contest]);
    let c = client();

    // Nobody has uploaded: both teams on the board with nothing.
    let board = json(
        c.get(server.url("/contest/leaderboard.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(board["targets"], 2);
    assert_eq!(team(&board, "blue")["uploads"], 0);
    assert_eq!(team(&board, "red")["found"], 0);

    // Blue with its token: accepted and scored (T1 within 5 m at 300 s of 1800 s, one false
    // report: (0.5 + 0.4 + 0.1 x (1 - 300/1800) - 0.05) / 2 targets = 46.67 %).
    let r = post(
        &c,
        &server,
        "blue",
        Some(BLUE_TOKEN),
        "application/geo+json",
        blue_reports(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let accepted = json(r).await;
    assert_eq!(accepted["reports"], 2);
    let expected = 100.0 * (0.5 + 0.4 + 0.1 * (1.0 - 300.0 / 1800.0) - 0.05) / 2.0;
    let score = accepted["score"].as_f64().unwrap();
    assert!((score - expected).abs() < 1e-6, "{score} vs {expected}");
    assert_eq!(accepted["rank"], 1);

    // Another team's token: 403, naming whose token it is.
    let r = post(
        &c,
        &server,
        "red",
        Some(BLUE_TOKEN),
        "application/geo+json",
        blue_reports(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let e = json(r).await;
    assert!(e["error"].as_str().unwrap().contains("team blue's"), "{e}");
    // The judges cannot submit for a team either.
    let r = post(
        &c,
        &server,
        "red",
        Some(JUDGES_TOKEN),
        "text/csv",
        "id,lat,lon\n",
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // No token: 401 with a challenge; an unknown token: 401.
    let r = post(
        &c,
        &server,
        "blue",
        None,
        "application/geo+json",
        blue_reports(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("www-authenticate").is_some());
    let r = post(
        &c,
        &server,
        "blue",
        Some("blue-token-typo"),
        "application/geo+json",
        blue_reports(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // No such team: 404.
    let r = post(
        &c,
        &server,
        "green",
        Some(BLUE_TOKEN),
        "text/csv",
        "id,lat,lon\n",
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Malformed: the problem is named (feature, line, field).
    let line = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[106.95,27.05],[106.96,27.05]]},"properties":{"id":"r9"}}]}"#;
    let r = post(
        &c,
        &server,
        "red",
        Some(RED_TOKEN),
        "application/geo+json",
        line,
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e = json(r).await["error"].as_str().unwrap().to_string();
    assert!(
        e.contains("feature 1 (id \"r9\")") && e.contains("expected a Point"),
        "{e}"
    );
    let short = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[106.95]},"properties":{"id":"r9"}}]}"#;
    let r = post(
        &c,
        &server,
        "red",
        Some(RED_TOKEN),
        "application/geo+json",
        short,
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e = json(r).await["error"].as_str().unwrap().to_string();
    assert!(
        e.contains("position must contain two") && e.contains("line 1 column"),
        "{e}"
    );
    let r = post(
        &c,
        &server,
        "red",
        Some(RED_TOKEN),
        "application/geo+json",
        "{\"type\":\n\"Feature",
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e = json(r).await["error"].as_str().unwrap().to_string();
    assert!(e.contains("not GeoJSON") && e.contains("line 2"), "{e}");
    let csv = "id,lat,lon,class\nr1,27.05,106.95,outfall\nr2,north,106.95,outfall\n";
    let r = post(&c, &server, "red", Some(RED_TOKEN), "text/csv", csv).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e = json(r).await["error"].as_str().unwrap().to_string();
    assert!(e.contains("line 3") && e.contains("lat 'north'"), "{e}");
    let r = post(
        &c,
        &server,
        "red",
        Some(RED_TOKEN),
        "text/csv",
        vec![0xffu8, 0xfe, 0x00],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Too big: 413 naming the limit.
    let big = format!(
        "id,lat,lon\n{}",
        "r,27.05,106.95\n".repeat(MAX_UPLOAD_BYTES / 10)
    );
    assert!(big.len() > MAX_UPLOAD_BYTES);
    let r = post(&c, &server, "red", Some(RED_TOKEN), "text/csv", big).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let e = json(r).await["error"].as_str().unwrap().to_string();
    assert!(e.contains(&MAX_UPLOAD_BYTES.to_string()), "{e}");

    // Red in CSV: T1 and T2 found on the spot, no time: 0.9 of each, 90 %.
    let csv = format!(
        "id,lat,lon,class\nr1,{},{},outfall\nr2,{},{},plume\n",
        T1.lat_deg, T1.lon_deg, T2.lat_deg, T2.lon_deg
    );
    let r = post(&c, &server, "red", Some(RED_TOKEN), "text/csv", csv).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let board = json(
        c.get(server.url("/contest/leaderboard.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (blue, red) = (team(&board, "blue"), team(&board, "red"));
    assert_eq!(
        (red["rank"].as_u64(), red["found"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        (blue["rank"].as_u64(), blue["found"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (blue["uploads"].as_u64(), red["uploads"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(blue["false_reports"], 1);

    // The page: the table now, redrawn by its own script from the JSON; nothing fetched from
    // elsewhere.
    let page = c
        .get(server.url("/contest/leaderboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("River cup 2027") && page.contains("<td>red</td>"),
        "{page}"
    );
    assert!(page.contains("fetch('leaderboard.json'") && page.contains("http-equiv=\"refresh\""));
    assert!(
        !page.contains("src=") && !page.contains("https://"),
        "{page}"
    );

    // The final table: judges only.
    let r = c
        .get(server.url("/contest/results.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .get(server.url("/contest/results.csv"))
        .bearer_auth(RED_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .get(server.url("/contest/results.csv"))
        .bearer_auth(JUDGES_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[1].starts_with("1,red,90.0000,2,2,0"), "{csv}");
    assert!(rows[2].starts_with("2,blue,"), "{csv}");
    // The browser's way: Basic with the token as password.
    let r = c
        .get(server.url("/contest/results.html"))
        .basic_auth("judge", Some(JUDGES_TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>River cup 2027</h1>") && html.contains("<h2>blue</h2>"));

    // kill -9 right after an accepted upload: it is counted after the restart.
    let newer = geojson(&[("b1", "outfall", T1.destination(90.0, 2.0), 300.0)]);
    let r = post(
        &c,
        &server,
        "blue",
        Some(BLUE_TOKEN),
        "application/geo+json",
        newer,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    server.kill_9();
    let mut server = Server::start(&["--store", store_url, "--contest", contest]);
    let board = json(
        c.get(server.url("/contest/leaderboard.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let blue = team(&board, "blue");
    assert_eq!(blue["uploads"], 2, "{board}");
    assert_eq!(
        blue["false_reports"], 0,
        "the latest upload counts: {board}"
    );
    assert_eq!(blue["reports"], 1);
    assert_eq!(team(&board, "red")["found"], 2);
    let line = server.wait_printed(|l| l.contains("contest river-cup-2027"));
    assert!(
        line.as_deref()
            .is_some_and(|l| l.contains("2 teams, 2 targets, 2 entries")),
        "{line:?}"
    );
    // SIGTERM: a graceful stop.
    let status = server.terminate();
    assert!(status.success(), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contest_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite");
    contest_round(store.to_str().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contest_on_postgresql() {
    let pg = store_common::PgCluster::start();
    contest_round(&pg.url()).await;
}

#[test]
fn a_contest_file_with_a_bad_hash_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let contest = contest_dir(dir.path());
    let text = std::fs::read_to_string(&contest).unwrap();
    let text = text.replacen("token_sha256 = \"", "token_sha256 = \"zz", 1);
    std::fs::write(&contest, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_review"))
        .args([
            "--lang",
            "en",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
        ])
        .arg(dir.path().join("s.sqlite"))
        .arg("--contest")
        .arg(&contest)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("judges: token_sha256 must be 64 hex digits"),
        "{err}"
    );
}
