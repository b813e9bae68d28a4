//! The review page's content without a browser: self-contained, and the map draws what the
//! flight folder holds.

use qly_i18n::Lang;
use review::fixture::{write_flight, FixtureOptions, FRAME_COUNT};
use review::flight::{read_flight, TrackSource};
use review::report::render_report;

#[test]
fn the_page_is_self_contained_and_draws_plan_track_photos_and_candidates() {
    let tmp = tempfile::tempdir().unwrap();
    write_flight(tmp.path(), &FixtureOptions::default()).unwrap();
    let flight = read_flight(tmp.path()).unwrap();
    assert_eq!(flight.track_source, TrackSource::Telemetry);
    assert_eq!(flight.candidates().len(), 3);
    // Candidate 1 was journaled twice; the page shows revision 2.
    assert_eq!(flight.candidates()[0].revision, 2);
    let page = render_report(&flight, Lang::En);
    assert!(page.warnings.is_empty(), "{:?}", page.warnings);
    let html = page.html;

    // Nothing is fetched: no external script, style, image or font.
    for bad in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
        assert!(!html.contains(bad), "{bad}");
    }
    // The only URL is the SVG namespace.
    assert_eq!(
        html.matches("http://").count() + html.matches("https://").count(),
        1
    );

    assert_eq!(html.matches(r#"class="plan plan-lane""#).count(), 2);
    let track = html
        .split(r#"<polyline id="track" points=""#)
        .nth(1)
        .unwrap();
    let track = &track[..track.find('"').unwrap()];
    assert_eq!(track.split(' ').count(), 15, "tlog positions");
    assert_eq!(
        html.matches(r#"<circle class="photo""#).count(),
        FRAME_COUNT as usize
    );
    assert_eq!(html.matches(r#"<circle class="ce90""#).count(), 3);
    assert_eq!(html.matches(r#"<ellipse class="sigma""#).count(), 3);
    assert!(html.contains(r#"<g id="scale-bar">"#) && html.contains(r#"<g id="north-arrow">"#));
    // Crop + frame thumbnails for each candidate.
    assert_eq!(html.matches("data:image/jpeg;base64,").count(), 6);
    assert_eq!(html.matches(r#"data-decision="confirmed""#).count(), 3);
    assert!(html.contains("GCJ-02"));
    assert!(html.contains("2027-01-15T16:00:04.000+08:00 (China Standard Time, UTC+8)"));
}

#[test]
fn the_page_follows_the_flights_confirmation_rule_and_names_candidates_across_flights() {
    let tmp = tempfile::tempdir().unwrap();
    let options = FixtureOptions {
        min_sightings: Some(2),
        ..Default::default()
    };
    write_flight(tmp.path(), &options).unwrap();
    let flight = read_flight(tmp.path()).unwrap();
    // Candidate 1 is seen in two photos, 2 and 3 in one each.
    let confirmed: Vec<u64> = flight.confirmed().map(|c| c.id).collect();
    assert_eq!(confirmed, vec![1]);
    let html = render_report(&flight, Lang::En).html;
    assert!(
        html.contains("1 confirmed candidates (2 unconfirmed)"),
        "summary"
    );
    assert!(html.contains("show 2 unconfirmed sightings"));
    // Every candidate has a card; the unconfirmed ones are marked for the page to hide.
    assert_eq!(html.matches(r#"class="cand undecided""#).count(), 1);
    assert_eq!(
        html.matches(r#"class="cand undecided unconfirmed""#)
            .count(),
        2
    );
    // On the map too.
    assert_eq!(html.matches(r#"<g class="unconfirmed">"#).count(), 2);
    let uid = format!("{}/1", review::fixture::FLIGHT_ID);
    assert!(
        html.contains(&format!(r#"data-uid="{uid}""#)),
        "uid attribute"
    );

    // Without a header (journals written before it) every candidate is confirmed.
    let old = tmp.path().join("old");
    write_flight(&old, &FixtureOptions::default()).unwrap();
    let html = render_report(&read_flight(&old).unwrap(), Lang::En).html;
    assert!(html.contains("3 confirmed candidates (0 unconfirmed)"));
    assert!(!html.contains("unconfirmed-switch"));
}

#[test]
fn the_chinese_page_is_in_chinese_with_cjk_fonts() {
    let tmp = tempfile::tempdir().unwrap();
    write_flight(tmp.path(), &FixtureOptions::default()).unwrap();
    let flight = read_flight(tmp.path()).unwrap();
    let zh = render_report(&flight, Lang::ZhCn).html;
    let en = render_report(&flight, Lang::En).html;
    assert!(zh.contains("<html lang=\"zh-CN\">"));
    assert!(en.contains("<html lang=\"en\">"));
    for text in [
        "航次审核",
        "候选 1",
        "排污口",
        "确认",
        "否决",
        "北京时间",
        "预测误差",
    ] {
        assert!(zh.contains(text), "{text}");
        assert!(!en.contains(text), "{text} in the English page");
    }
    // Both name a CJK font before the generic family.
    for page in [&zh, &en] {
        let fonts = page.find("Noto Sans CJK SC").expect("no CJK font named");
        assert!(fonts < page.find("sans-serif").unwrap());
    }
    // The page's script gets its words in the page's language.
    assert!(
        zh.contains("\"undecided\":\"未决定\""),
        "script text not in Chinese"
    );
    // No message id leaked through untranslated.
    for id in ["card-", "page-", "legend-", "decision-"] {
        assert!(!zh.contains(&format!(">{id}")), "{id}");
    }
}
