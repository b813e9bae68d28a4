//! Sites across patrols on both backends: a river re-flown a month later with outfalls added
//! and removed and plumes switched on and off; the store flags the added ones as new, the
//! removed ones as not seen, the known outfalls discharging as plume again, and nothing else,
//! whichever order the flights arrive in. Exports and the timeline.

mod common;

use common::{flight, outfall, plume_at, runtime, Target, TestStore, BOTH};
use qly_core::geodesy::{GeoPoint, LocalFrame};
use qly_store::{IngestOptions, SiteQuery, SiteSummary, Store};

/// The river a month apart. Photos every 40 m from north 0 to 440 m (12 photos).
struct Worlds {
    before: Vec<Target>,
    after: Vec<Target>,
    added: Vec<Target>,
    removed: Vec<Target>,
    /// Outfalls known before that discharge in the second patrol.
    plume_again: Vec<Target>,
}

fn worlds() -> Worlds {
    let o: Vec<Target> = [
        (12.0, 20.0),
        (-14.0, 70.0),
        (13.0, 120.0),
        (-12.0, 170.0),
        (14.0, 220.0),
        (-13.0, 270.0),
        (12.0, 320.0),
        (-14.0, 370.0),
    ]
    .iter()
    .map(|&(e, n)| outfall(e, n))
    .collect();
    // A plume with no visible pipe, in both patrols.
    let lone_plume = Target {
        class: "plume",
        east_m: 2.0,
        north_m: 400.0,
    };
    let added = vec![outfall(-13.0, 95.0), outfall(12.0, 300.0)];
    let removed = vec![o[1], o[5]];
    // Before: plumes at o[0], o[1] (removed later), o[3] (switched off later).
    let mut before = o.clone();
    before.extend([plume_at(o[0]), plume_at(o[1]), plume_at(o[3]), lone_plume]);
    // After: o[1] and o[5] gone, two added; plume still at o[0], off at o[3], on at o[6].
    let mut after: Vec<Target> = o.iter().filter(|t| !removed.contains(t)).copied().collect();
    after.extend(added.iter().copied());
    after.extend([plume_at(o[0]), plume_at(o[6]), lone_plume]);
    Worlds {
        before,
        after,
        added,
        removed,
        plume_again: vec![o[0], o[6]],
    }
}

/// The target a site stands for (within 3 m), by its position.
fn target_of<'a>(s: &SiteSummary, targets: &'a [Target]) -> Option<&'a Target> {
    let (e, n) = LocalFrame::at(common::ORIGIN).project(GeoPoint {
        lat_deg: s.lat_deg,
        lon_deg: s.lon_deg,
    });
    targets
        .iter()
        .find(|t| t.class == s.class_name && (t.east_m - e).hypot(t.north_m - n) < 3.0)
}

fn same_targets(sites: &[SiteSummary], expected: &[Target], what: &str) {
    let mut got: Vec<Target> = sites
        .iter()
        .map(|s| *target_of(s, expected).unwrap_or_else(|| panic!("{what}: unexpected {s:?}")))
        .collect();
    got.sort_by(|a, b| a.north_m.total_cmp(&b.north_m));
    let mut want = expected.to_vec();
    want.sort_by(|a, b| a.north_m.total_cmp(&b.north_m));
    assert_eq!(got, want, "{what}");
}

#[test]
fn a_month_later_the_new_the_missing_and_the_plumes_again_and_nothing_else() {
    let w = worlds();
    let rt = runtime();
    for kind in BOTH {
        for order in [[0usize, 1], [1, 0]] {
            let ts = TestStore::new(kind);
            let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
            let ids = [
                flight(dirs[0].path(), 0, 12, &w.before, 11),
                flight(dirs[1].path(), 30, 12, &w.after, 12),
            ];
            let what = format!("{kind:?}, ingested in order {order:?}");
            rt.block_on(async {
                let store = Store::open(&ts.url).await.unwrap();
                let opts = IngestOptions {
                    river: "Yangshui".into(),
                };
                for k in order {
                    store.ingest(dirs[k].path(), &opts, |_| {}).await.unwrap();
                }
                let h = store.history().await.unwrap();
                assert_eq!(
                    h.last_patrol(Some("Yangshui"))
                        .map(|i| &h.flights[i].flight_id),
                    Some(&ids[1]),
                    "{what}"
                );
                // 10 outfall sites (8 + 2 added) and the lone plume; plumes at outfalls are
                // the outfalls' plumes.
                let all = h.select(SiteQuery::All, Some("Yangshui"), None);
                assert_eq!(all.len(), 11, "{what}: {all:#?}");
                assert_eq!(all.iter().filter(|s| s.class_name == "plume").count(), 1);
                same_targets(
                    &h.select(SiteQuery::New, Some("Yangshui"), None),
                    &w.added,
                    &format!("{what}: new"),
                );
                same_targets(
                    &h.select(SiteQuery::NotSeen, Some("Yangshui"), None),
                    &w.removed,
                    &format!("{what}: not seen"),
                );
                same_targets(
                    &h.select(SiteQuery::PlumeAgain, Some("Yangshui"), None),
                    &w.plume_again,
                    &format!("{what}: plume again"),
                );
                // As of the first patrol, everything it saw was new.
                let first = h.flight_index(&ids[0]).unwrap();
                assert_eq!(
                    h.select(SiteQuery::New, Some("Yangshui"), Some(first))
                        .len(),
                    9,
                    "{what}"
                );
                // Another river's view is empty.
                assert!(h.select(SiteQuery::All, Some("Wujiang"), None).is_empty());

                // A removed outfall's timeline: seen in the first patrol, passed and not
                // seen in the second; its plume was seen the first time.
                let gone = all
                    .iter()
                    .find(|s| target_of(s, &w.removed[..1]).is_some())
                    .unwrap();
                assert_eq!((gone.flights_passed, gone.flights_seen), (2, 1), "{what}");
                assert_eq!(gone.flights_with_plume, 1, "{what}");
                let t = h.timeline(gone.id).unwrap();
                assert_eq!(t.len(), 2, "{what}");
                assert_eq!(t[0].flight_id, ids[0]);
                assert!(t[0].seen && t[0].plume && t[0].passed);
                assert!(!t[1].seen && !t[1].plume && t[1].passed);
                let photo = t[0].best_photo.as_ref().unwrap();
                assert!(photo.starts_with(dirs[0].path()), "{photo:?}");
                assert!(photo.to_string_lossy().ends_with(".jpg"), "{photo:?}");
                assert!(h.timeline(9999).is_none());
                store.close().await;
            });
        }
    }
}

#[test]
fn a_site_the_patrol_did_not_photograph_is_not_missed() {
    let rt = runtime();
    let ts = TestStore::new(common::Kind::Sqlite);
    let far = outfall(12.0, 400.0);
    let near = outfall(-12.0, 40.0);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    flight(dirs[0].path(), 0, 12, &[near, far], 1);
    // The second patrol turns back after 4 photos (to north 120 m + half a footprint).
    flight(dirs[1].path(), 30, 4, &[], 2);
    rt.block_on(async {
        let store = Store::open(&ts.url).await.unwrap();
        for d in &dirs {
            store
                .ingest(d.path(), &IngestOptions::default(), |_| {})
                .await
                .unwrap();
        }
        let h = store.history().await.unwrap();
        let missing = h.select(SiteQuery::NotSeen, None, None);
        same_targets(&missing, &[near], "not seen");
        let far_site = h
            .summaries(None)
            .into_iter()
            .find(|s| target_of(s, &[far]).is_some())
            .unwrap();
        assert_eq!((far_site.flights_passed, far_site.flights_seen), (1, 1));
        store.close().await;
    });
}

#[test]
fn sites_export_as_geojson_csv_and_geopackage() {
    let w = worlds();
    let rt = runtime();
    let ts = TestStore::new(common::Kind::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    flight(dir.path(), 0, 12, &w.before, 5);
    let out = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let store = Store::open(&ts.url).await.unwrap();
        store
            .ingest(dir.path(), &IngestOptions::default(), |_| {})
            .await
            .unwrap();
        let sites = store.history().await.unwrap().summaries(None);
        assert_eq!(sites.len(), 9);
        let gj = out.path().join("sites.geojson");
        qly_store::export::write_sites_geojson(&gj, &sites).unwrap();
        let fc: geojson::FeatureCollection = std::fs::read_to_string(&gj)
            .unwrap()
            .parse::<geojson::GeoJson>()
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(fc.features.len(), 9);
        let p = fc.features[0].properties.as_ref().unwrap();
        assert_eq!(p["flights_seen"], 1);
        assert!(p["first_seen_utc"]
            .as_str()
            .unwrap()
            .starts_with("2027-01-15T"));
        let csv = qly_store::export::sites_csv(&sites);
        assert_eq!(csv.lines().count(), 10);
        let gpkg = out.path().join("sites.gpkg");
        qly_store::export::write_sites_geopackage(&gpkg, &sites).unwrap();
        // The GeoPackage is an SQLite file with the layer as a table.
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", gpkg.display()))
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sites")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 9);
        let kind: String =
            sqlx::query_scalar("SELECT data_type FROM gpkg_contents WHERE table_name = 'sites'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(kind, "features");
        store.close().await;
    });
}
