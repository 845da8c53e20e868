//! What the public sees: list, search, site page, badge, open data, API, headers, limits.

use super::*;
use crate::publish::settings::PublishSettings;

#[tokio::test]
async fn the_list_is_vietnamese_by_default_and_english_on_request() {
    let t = test_app().await;
    let vi = get(&t.app, "/").await;
    assert_eq!(vi.status, StatusCode::OK);
    assert!(vi.body.contains("<html lang=\"vi\""));
    assert!(vi.body.contains("Danh sách website"));
    assert!(
        vi.body.contains("Cơ quan Thử nghiệm"),
        "authority from configuration"
    );
    assert!(
        vi.body.contains("href=\"/?lang=en\""),
        "a visible switch to English"
    );

    let en = get(&t.app, "/?lang=en").await;
    assert!(en.body.contains("<html lang=\"en\"") && en.body.contains("Websites"));
    assert!(
        en.body.contains("href=\"/\""),
        "the switch back to Vietnamese"
    );
    // A browser that prefers English still gets the Vietnamese page at a Vietnamese
    // URL, so the switch back works and a shared cache cannot mix the languages.
    let by_header = send(
        &t.app,
        Request::get("/")
            .header("accept-language", "en-US,en;q=0.9")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(by_header.body.contains("<html lang=\"vi\""));
    let english_page_links = en.body.matches("lang=en").count();
    assert!(
        english_page_links > 5,
        "the English pages link on in English"
    );
}

#[tokio::test]
async fn misspelt_or_impossible_filters_are_refused_not_ignored() {
    let t = test_app().await;
    let page = get(&t.app, "/?status=labeled").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.body.contains("labeled") && page.body.contains("labelled"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(SHOP), "no list of everything");

    let api = get(&t.app, "/api/v1/sites?status=labeled").await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST);
    assert!(api.header("content-type").starts_with("application/json"));
    let body: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(body["error"], "invalid_parameter");
    assert_eq!(body["parameter"], "status");
    assert!(
        body["allowed"]
            .as_array()
            .is_some_and(|a| a.contains(&"labelled".into()))
    );

    for bad in [
        "/api/v1/sites?per_page=0",
        "/api/v1/sites?sort=size",
        "/api/v1/sites?order=up",
        "/api/v1/sites?view=everything",
        "/api/v1/sites?stauts=labelled",
        "/?page=0",
    ] {
        assert_eq!(
            get(&t.app, bad).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    let long = format!("/?q={}", "a".repeat(50_000));
    assert_eq!(get(&t.app, &long).await.status, StatusCode::BAD_REQUEST);
    let long_api = format!("/api/v1/sites?q={}", "a".repeat(50_000));
    assert_eq!(get(&t.app, &long_api).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        get(&t.app, "/?fbclid=abc").await.status,
        StatusCode::OK,
        "pages ignore tracking parameters of shared links"
    );
}

#[tokio::test]
async fn a_page_past_the_end_is_not_found_and_api_paths_answer_json() {
    let t = test_app().await;
    let past = get(&t.app, "/?page=2").await;
    assert_eq!(past.status, StatusCode::NOT_FOUND);
    assert!(!past.body.contains("2/1"), "{}", past.body);
    let api = get(&t.app, "/api/v1/nothing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    let body: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(body["error"], "not_found");
    let site = get(&t.app, "/api/v1/sites/unknown.example.vn").await;
    assert_eq!(site.status, StatusCode::NOT_FOUND);
    assert!(site.header("content-type").starts_with("application/json"));
}

#[tokio::test]
async fn search_finds_vietnamese_names_typed_without_tone_marks() {
    let t = test_app().await;
    let page = get(&t.app, "/?q=bo+tai+chinh").await;
    assert!(page.body.contains(MINISTRY), "{}", page.body);
    assert!(!page.body.contains(SHOP));
    let page = get(&t.app, "/?q=%C4%91a+n%E1%BA%B5ng").await; // "đa nẵng"
    assert!(page.body.contains(SHOP) && !page.body.contains(MINISTRY));
}

#[tokio::test]
async fn assessed_and_not_assessed_are_separate_views_and_filters_combine() {
    let t = test_app().await;
    let assessed = get(&t.app, "/?view=assessed").await;
    assert!(assessed.body.contains(MINISTRY) && assessed.body.contains(SHOP));
    assert!(!assessed.body.contains(NEW));
    let not_assessed = get(&t.app, "/?view=not_assessed").await;
    assert!(not_assessed.body.contains(NEW) && !not_assessed.body.contains(MINISTRY));
    let filtered = get(&t.app, "/?status=labelled&category=government").await;
    assert!(filtered.body.contains(MINISTRY) && !filtered.body.contains(SHOP));
    let province = get(&t.app, "/?province=%C4%90%C3%A0+N%E1%BA%B5ng").await;
    assert!(province.body.contains(SHOP) && !province.body.contains(MINISTRY));
}

#[tokio::test]
async fn public_pages_show_the_label_but_never_the_findings() {
    let t = test_app().await;
    let page = get(&t.app, &format!("/site/{SHOP}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Không đạt"), "status shown");
    assert!(page.body.contains("B+"), "grade shown");
    for secret in [
        "header.version_leak",
        "nginx/1.18.0",
        "header.csp.missing",
        "not_assessed → not_labelled",
    ] {
        assert!(!page.body.contains(secret), "public page leaks {secret}");
    }
    let api = get(&t.app, &format!("/api/v1/sites/{MINISTRY}")).await;
    let value: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(value["status"], "labelled");
    assert_eq!(value["history"][0]["to"], "labelled");
    assert!(
        !api.body.contains("header.csp"),
        "no reasons in the API: {}",
        api.body
    );
    let feed = get(&t.app, "/feed.atom").await;
    assert!(
        feed.header("content-type")
            .starts_with("application/atom+xml")
    );
    assert!(
        feed.body
            .contains(&format!("https://tinnhiem.example.vn/site/{MINISTRY}"))
    );
    assert!(!feed.body.contains("header.csp"));
    assert!(
        feed.body.contains(
            "chuyển từ «Chưa đánh giá» sang «Đã gắn nhãn» sau lần đánh giá xếp hạng B+.</summary>"
        ),
        "a sentence, not status codes: {}",
        feed.body
    );
    assert!(!feed.body.contains("not_assessed →"), "{}", feed.body);
    assert!(
        feed.body.contains("+07:00</updated>"),
        "Vietnam time in the feed"
    );
    assert_eq!(
        get(&t.app, "/site/unknown.example.vn").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_badge_shows_the_current_status_and_links_to_the_verification_page() {
    let t = test_app().await;
    let badge = get(&t.app, &format!("/badge/{MINISTRY}.svg")).await;
    assert_eq!(badge.status, StatusCode::OK);
    assert!(badge.header("content-type").starts_with("image/svg+xml"));
    assert_eq!(badge.header("cross-origin-resource-policy"), "cross-origin");
    assert!(badge.body.contains("Đã gắn nhãn"));
    assert!(badge.body.contains(&format!(
        "href=\"https://tinnhiem.example.vn/site/{MINISTRY}\""
    )));
    let shop = get(&t.app, &format!("/badge/{SHOP}.svg")).await;
    assert!(shop.body.contains("Không đạt") && !shop.body.contains("Đã gắn nhãn"));
    assert_eq!(
        get(&t.app, "/badge/nobody.example.vn.svg").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn open_data_and_the_api_carry_the_whole_list() {
    let t = test_app().await;
    let csv = get(&t.app, "/data/sites.csv").await;
    assert!(csv.header("content-type").starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().next(), Some("host"));
    assert_eq!(reader.records().count(), 3);
    let json: serde_json::Value =
        serde_json::from_str(&get(&t.app, "/data/sites.json").await.body).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);

    let api: serde_json::Value = serde_json::from_str(
        &get(&t.app, "/api/v1/sites?view=assessed&per_page=1&page=2")
            .await
            .body,
    )
    .unwrap();
    assert_eq!(api["total"], 2);
    assert_eq!(api["items"].as_array().unwrap().len(), 1);
    assert_eq!(api["items"][0]["host"], SHOP);
    let stats: serde_json::Value =
        serde_json::from_str(&get(&t.app, "/api/v1/stats").await.body).unwrap();
    assert_eq!(stats["total"], 3);
    assert_eq!(stats["by_status"]["labelled"], 1);
    let openapi: serde_json::Value =
        serde_json::from_str(&get(&t.app, "/openapi.json").await.body).unwrap();
    assert!(openapi["paths"]["/api/v1/sites"].is_object());
    let dashboard = get(&t.app, "/dashboard").await;
    assert!(dashboard.body.contains("<svg class=\"chart\""));
}

#[tokio::test]
async fn every_answer_carries_strict_security_headers() {
    let t = test_app().await;
    for uri in [
        "/",
        "/site/mof.gov.vn",
        "/nope",
        "/static/style.css",
        "/api/v1/stats",
    ] {
        let a = get(&t.app, uri).await;
        let csp = a.header("content-security-policy");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{uri}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{uri}");
        assert_eq!(a.header("x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(a.header("referrer-policy"), "no-referrer", "{uri}");
        assert_eq!(
            a.header("strict-transport-security"),
            "",
            "no HSTS over plain HTTP"
        );
    }
    let page = get(&t.app, "/").await.body;
    assert!(
        !page.contains("<script") && !page.contains("style=\""),
        "CSP-safe markup"
    );
}

#[tokio::test]
async fn one_client_address_is_rate_limited_without_slowing_others() {
    let t = test_app_with(PublishSettings {
        rate_per_ip: 1,
        burst_per_ip: 3,
        ..PublishSettings::default()
    })
    .await;
    let req = |ip| {
        from_ip(
            Request::get("/api/v1/stats").body(Body::empty()).unwrap(),
            ip,
        )
    };
    for _ in 0..3 {
        assert_eq!(send(&t.app, req("192.0.2.1")).await.status, StatusCode::OK);
    }
    let limited = send(&t.app, req("192.0.2.1")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.header("retry-after").parse::<u64>().unwrap() >= 1);
    assert_eq!(send(&t.app, req("192.0.2.2")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let mut t = test_app_with(PublishSettings {
        rate_per_ip: 1,
        burst_per_ip: 2,
        ..PublishSettings::default()
    })
    .await;
    let mut state = t.state.clone();
    state.proxies =
        std::sync::Arc::new(crate::web::proxy::TrustedProxies::parse(["10.0.0.0/8"]).unwrap());
    t.app = router(state);
    let via_proxy = |client: &str| {
        let mut r = from_ip(
            Request::get("/api/v1/stats").body(Body::empty()).unwrap(),
            "10.0.0.1",
        );
        r.headers_mut()
            .insert("x-forwarded-for", client.parse().unwrap());
        r
    };
    for _ in 0..2 {
        assert_eq!(
            send(&t.app, via_proxy("203.0.113.5")).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        send(&t.app, via_proxy("203.0.113.5")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        send(&t.app, via_proxy("203.0.113.6")).await.status,
        StatusCode::OK,
        "another citizen behind the same proxy is not slowed"
    );
    // A client that is not our proxy cannot pick its own address with the header.
    let forged = |_: ()| {
        let mut r = from_ip(
            Request::get("/api/v1/stats").body(Body::empty()).unwrap(),
            "198.51.100.9",
        );
        r.headers_mut()
            .insert("x-forwarded-for", "203.0.113.77".parse().unwrap());
        r
    };
    for _ in 0..2 {
        send(&t.app, forged(())).await;
    }
    assert_eq!(
        send(&t.app, forged(())).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Every property the OpenAPI document requires of a site is in the real answers.
#[tokio::test]
async fn the_api_answers_carry_what_the_openapi_document_promises() {
    let t = test_app().await;
    let required = super::required_by_openapi;
    let list: serde_json::Value =
        serde_json::from_str(&get(&t.app, "/api/v1/sites").await.body).unwrap();
    assert!(!list["items"].as_array().unwrap().is_empty());
    for item in list["items"].as_array().unwrap() {
        for key in required("Site") {
            assert!(item.get(&key).is_some(), "{key} missing in {item}");
        }
    }
    let one: serde_json::Value =
        serde_json::from_str(&get(&t.app, &format!("/api/v1/sites/{MINISTRY}")).await.body)
            .unwrap();
    for key in required("Site") {
        assert!(one.get(&key).is_some(), "{key} missing in {one}");
    }
    assert!(
        one["history"].is_array(),
        "history is part of a site's detail"
    );
    let bad: serde_json::Value =
        serde_json::from_str(&get(&t.app, "/api/v1/sites?sort=x").await.body).unwrap();
    for key in required("Error") {
        assert!(bad.get(&key).is_some(), "{key} missing in {bad}");
    }
}

#[tokio::test]
async fn every_page_links_to_what_the_label_means_and_the_page_states_the_policy() {
    let t = test_app().await;
    let home = get(&t.app, "/").await;
    assert!(
        home.body.contains("href=\"/criteria\""),
        "in the navigation"
    );
    let page = get(&t.app, "/criteria").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&t.state.rules.policy.version));
    assert!(
        page.body.contains("Cơ quan Thử nghiệm"),
        "the authority by name"
    );
    let en = get(&t.app, "/criteria?lang=en").await;
    assert!(en.body.contains("What the label certifies"));
}

#[tokio::test]
async fn league_tables_rank_groups_date_their_figures_and_never_point_at_one_site() {
    let t = test_app().await;
    let page = get(&t.app, "/league?by=province").await;
    assert_eq!(page.status, StatusCode::OK);
    for province in ["Hà Nội", "Đà Nẵng"] {
        assert!(page.body.contains(province), "{province}");
    }
    assert!(
        page.body.contains("Số liệu tính lúc"),
        "the date it was computed"
    );
    assert!(page.body.contains("(GMT+7)"));
    assert!(
        page.body.contains("<svg class=\"chart tiles\""),
        "the tile map"
    );
    assert!(
        !page.body.contains("Chứng thư số sắp hết hạn"),
        "a finding open on one site only is never named"
    );
    assert_eq!(
        get(&t.app, "/league?by=size").await.status,
        StatusCode::BAD_REQUEST
    );
    for by in ["ministry", "category"] {
        assert_eq!(
            get(&t.app, &format!("/league?by={by}")).await.status,
            StatusCode::OK
        );
    }
    let api = get(&t.app, "/api/v1/league?by=province").await;
    let body: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert!(body["computed_at"].as_str().unwrap().ends_with("+07:00"));
    let groups = body["groups"].as_array().unwrap();
    assert_eq!(groups[0]["rank"], 1);
    assert!(
        groups
            .iter()
            .all(|g| g["open_findings"].as_array().unwrap().is_empty())
    );
    let dashboard = get(&t.app, "/dashboard").await;
    assert!(
        dashboard.body.contains("chart tiles"),
        "the dashboard shows the map too"
    );
}

#[tokio::test]
async fn the_scanner_page_names_the_user_agent_addresses_and_schedule() {
    let mut settings = super::test_app().await.state.settings.as_ref().clone();
    settings.scanner.source_addresses = vec!["203.0.113.10".into(), "2001:db8:77::/48".into()];
    let t = super::test_app_with(settings).await;
    let page = get(&t.app, "/scanner").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&trustlabel_collect::default_user_agent())
    );
    assert!(page.body.contains("203.0.113.10") && page.body.contains("2001:db8:77::/48"));
    assert!(
        page.body.contains("mỗi 1 ngày"),
        "the cadence: {}",
        page.body
    );
    let english = get(&t.app, "/scanner?lang=en").await;
    assert!(english.body.contains("When a firewall stops it"));
    let home = get(&t.app, "/").await;
    assert!(
        home.body.contains("href=\"/scanner\""),
        "every page links to it"
    );
}

#[tokio::test]
async fn the_dashboard_names_its_denominator_and_counts_discovered_sites_awaiting_a_decision() {
    let t = test_app().await;
    t.state
        .store
        .record_discoveries(
            &[trustlabel_store::Discovery {
                host: "moi.gov.vn".into(),
                kind: trustlabel_store::SourceKind::CtLog,
                source: "https://ct.example/log/".into(),
                detail: "entry 1".into(),
            }],
            None,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let league: serde_json::Value =
        serde_json::from_str(&get(&t.app, "/api/v1/league?by=province").await.body).unwrap();
    let in_scope: u64 = league["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["in_scope"].as_u64().expect("in_scope"))
        .sum();
    let vi = get(&t.app, "/dashboard").await;
    assert!(
        vi.body.contains(&format!(
            "Mẫu số của chương trình là <strong>{in_scope}</strong> website thu thập dữ liệu cá nhân"
        )),
        "{}",
        vi.body
    );
    assert!(vi.body.contains(&format!(" / {in_scope} (")));
    assert!(
        vi.body
            .contains("<strong id=\"programme-candidates\">1</strong>")
    );
    let en = get(&t.app, "/dashboard?lang=en").await;
    assert!(
        en.body
            .contains("Labelled, of the websites that collect personal data")
    );
    let list = get(&t.app, "/?view=not_assessed").await;
    assert!(
        list.body.contains(&format!(
            "Trên {in_scope} website thu thập dữ liệu cá nhân: "
        )),
        "the public list names the denominator too"
    );
}
