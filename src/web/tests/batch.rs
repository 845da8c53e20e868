//! The batch API as a partner agency meets it: bearer tokens (hashed, scoped, revocable,
//! rate-limited), validation that queues nothing on a bad entry, and batches only their
//! token can read.

use super::{MINISTRY, TestApp, send, test_app};
use crate::auth::{new_token, token_hash};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use trustlabel_store::{ApiScope, JobState};

async fn issue(t: &TestApp, name: &str, scopes: &[ApiScope], days: i64) -> (i64, String) {
    let token = new_token();
    let now = OffsetDateTime::now_utc();
    let id = t
        .store
        .create_api_token(
            name,
            &token_hash(&token),
            scopes,
            "cli:test",
            now,
            now + Duration::days(days),
        )
        .await
        .unwrap();
    (id, token)
}

fn with_token(builder: axum::http::request::Builder, token: &str) -> axum::http::request::Builder {
    builder.header("authorization", format!("Bearer {token}"))
}

async fn submit(t: &TestApp, token: &str, body: Value) -> (StatusCode, Value, String) {
    let request = with_token(Request::post("/api/v1/batches"), token)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let answer = send(&t.app, request).await;
    let location = answer.header("location").to_string();
    assert_eq!(answer.header("cache-control"), "no-store", "never cached");
    (
        answer.status,
        serde_json::from_str(&answer.body).unwrap_or(Value::Null),
        location,
    )
}

async fn read(t: &TestApp, token: &str, uri: &str) -> (StatusCode, String) {
    let request = with_token(Request::get(uri), token)
        .body(Body::empty())
        .unwrap();
    let answer = send(&t.app, request).await;
    (answer.status, answer.body)
}

#[tokio::test]
async fn without_a_live_token_nothing_is_queued() {
    let t = test_app().await;
    let hosts = json!({ "hosts": ["moi.gov.vn"] });
    let anonymous = send(
        &t.app,
        Request::post("/api/v1/batches")
            .header("content-type", "application/json")
            .body(Body::from(hosts.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.header("www-authenticate"), "Bearer");
    assert!(
        anonymous.body.contains("\"unauthorised\""),
        "{}",
        anonymous.body
    );
    assert_eq!(
        submit(&t, "not-a-token", hosts.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (id, revoked) = issue(&t, "Sở A", &[ApiScope::Batch], 30).await;
    t.store
        .revoke_api_token(id, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(
        submit(&t, &revoked, hosts.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, expired) = issue(&t, "Sở B", &[ApiScope::Batch], -1).await;
    assert_eq!(
        submit(&t, &expired, hosts).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        t.store
            .target_by_host("moi.gov.vn")
            .await
            .unwrap()
            .is_none(),
        "no refused request added a target"
    );
}

#[tokio::test]
async fn a_batch_is_queued_followed_and_read_only_by_its_token() {
    let t = test_app().await;
    let (_, token) = issue(&t, "Sở Thông tin Huế", &[ApiScope::Batch], 30).await;
    let (status, body, location) = submit(
        &t,
        &token,
        json!({ "hosts": [MINISTRY, "https://Moi.Hue.gov.vn/lien-he", MINISTRY] }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["hosts"], 2, "duplicates count once: {body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/batches/{id}"));

    let new = t
        .store
        .target_by_host("moi.hue.gov.vn")
        .await
        .unwrap()
        .expect("filed");
    assert_eq!(
        new.target.organisation, "Sở Thông tin Huế",
        "filed under the agency"
    );
    let (status, progress) = read(&t, &token, &location).await;
    assert_eq!(status, StatusCode::OK);
    let progress: Value = serde_json::from_str(&progress).unwrap();
    assert_eq!(progress["progress"]["total"], 2);
    assert_eq!(progress["progress"]["queued"], 2);
    assert_eq!(progress["progress"]["complete"], false);
    assert_eq!(progress["items"][0]["host"], MINISTRY);

    // The worker's queue holds the batch's jobs; when they are done the results say so.
    let now = OffsetDateTime::now_utc();
    while let Some(job) = t
        .store
        .claim_scan_job("w", now, Duration::minutes(5))
        .await
        .unwrap()
    {
        t.store
            .finish_scan_job(job.id, now, Err("test: no scan".into()))
            .await
            .unwrap();
    }
    let (_, results) = read(&t, &token, &format!("{location}/results")).await;
    let results: Value = serde_json::from_str(&results).unwrap();
    assert_eq!(results["progress"]["complete"], true, "{results}");
    assert_eq!(results["progress"]["failed"], 2, "{results}");
    assert_eq!(results["items"][0]["status"], "labelled", "{results}");
    assert_eq!(results["items"][1]["status"], "not_assessed", "{results}");
    assert!(
        results["items"][0].get("findings").is_none(),
        "no findings without the scope"
    );
    assert!(
        results["items"][0]["verify_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/site/{MINISTRY}")),
        "{results}"
    );

    // What the OpenAPI document promises is in the answers.
    let doc = crate::publish::openapi::document("https://tinnhiem.example.vn");
    let required = |schema: &str| -> Vec<String> {
        doc["components"]["schemas"][schema]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    for item in results["items"].as_array().unwrap() {
        for key in required("BatchResult") {
            assert!(item.get(&key).is_some(), "{key} missing in {item}");
        }
    }
    for key in required("BatchProgress") {
        assert!(results["progress"].get(&key).is_some(), "{key} missing");
    }

    let (status, csv) = read(&t, &token, &format!("{location}/results?format=csv")).await;
    assert_eq!(status, StatusCode::OK);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("host,job,finished_at,status,grade,verify_url")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with(&format!("{MINISTRY},failed,")),
        "{csv}"
    );

    assert_eq!(
        read(&t, &token, &format!("{location}/results?format=xml"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let (_, stranger) = issue(&t, "Bộ khác", &[ApiScope::Batch], 30).await;
    assert_eq!(
        read(&t, &stranger, &location).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        read(&t, &stranger, &format!("{location}/results")).await.0,
        StatusCode::NOT_FOUND
    );
    let audit = t.store.audit_log(10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "batch" && a.actor == "api:Sở Thông tin Huế"),
        "the batch is audited"
    );
}

#[tokio::test]
async fn a_bad_entry_refuses_the_whole_batch_and_names_it() {
    let t = test_app().await;
    let (_, token) = issue(&t, "Sở C", &[ApiScope::Batch], 30).await;
    let (status, body, _) = submit(
        &t,
        &token,
        json!({ "hosts": ["tot.gov.vn", "không hợp lệ/..", "10.0.0.1"] }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let entries = body["entries"].as_array().expect("entries named");
    assert_eq!(entries[0]["index"], 1, "{body}");
    assert!(
        t.store
            .target_by_host("tot.gov.vn")
            .await
            .unwrap()
            .is_none()
    );

    let (status, _, _) = submit(&t, &token, json!({ "hosts": [] })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let many: Vec<String> = (0..=super::super::batch::MAX_BATCH_HOSTS)
        .map(|i| format!("s{i}.gov.vn"))
        .collect();
    let (status, body, _) = submit(&t, &token, json!({ "hosts": many })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body, _) = submit(&t, &token, json!({ "sites": ["a.gov.vn"] })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // A CSV body is a target list: a bad line is named by its number.
    let request = with_token(Request::post("/api/v1/batches"), &token)
        .header("content-type", "text/csv")
        .body(Body::from(
            "host,organisation,category,province\nmot.gov.vn,Sở C,government,Huế\n,,,\nhai.gov.vn,Sở C,government,Nowhere\n",
        ))
        .unwrap();
    let answer = send(&t.app, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert!(
        body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["line"] == 4),
        "{body}"
    );
    assert!(
        t.store
            .target_by_host("mot.gov.vn")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn each_token_has_its_own_request_budget() {
    let t = test_app().await;
    let (_, busy) = issue(&t, "Sở D", &[ApiScope::Batch], 30).await;
    let (_, quiet) = issue(&t, "Sở E", &[ApiScope::Batch], 30).await;
    let mut limited = None;
    for _ in 0..=super::super::batch::TOKEN_BURST {
        let request = with_token(Request::get("/api/v1/batches/999999"), &busy)
            .body(Body::empty())
            .unwrap();
        let answer = send(&t.app, request).await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(answer);
            break;
        }
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
    }
    let limited = limited.expect("the burst runs out");
    assert!(limited.header("retry-after").parse::<u64>().unwrap() >= 1);
    assert_eq!(
        read(&t, &quiet, "/api/v1/batches/999999").await.0,
        StatusCode::NOT_FOUND,
        "another token is not slowed"
    );
}

#[tokio::test]
async fn findings_are_read_only_with_the_findings_scope_and_once_scanned() {
    let t = test_app().await;
    let (_, token) = issue(&t, "Sở F", &[ApiScope::Batch, ApiScope::Findings], 30).await;
    let (_, body, location) = submit(&t, &token, json!({ "hosts": [MINISTRY] })).await;
    assert_eq!(body["hosts"], 1);
    let (_, before) = read(&t, &token, &format!("{location}/results")).await;
    let before: Value = serde_json::from_str(&before).unwrap();
    assert_eq!(before["items"][0]["job"], "queued");
    assert_eq!(
        before["items"][0]["findings"],
        json!([]),
        "nothing before the scan"
    );

    let now = OffsetDateTime::now_utc();
    let job = t
        .store
        .claim_scan_job("w", now, Duration::minutes(5))
        .await
        .unwrap()
        .expect("the batch's job");
    let ministry = t.store.target_by_host(MINISTRY).await.unwrap().unwrap();
    let scan = t.store.latest_scan(ministry.id).await.unwrap().unwrap();
    t.store
        .finish_scan_job(job.id, now, Ok(scan.id))
        .await
        .unwrap();
    let (_, after) = read(&t, &token, &format!("{location}/results")).await;
    let after: Value = serde_json::from_str(&after).unwrap();
    assert_eq!(after["items"][0]["job"], JobState::Done.as_str());
    let ids: Vec<&str> = after["items"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    let expected: Vec<&str> = scan
        .findings
        .iter()
        .filter(|f| !f.id.is_strength())
        .map(|f| f.id.as_str())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(ids, expected);
    let (_, csv) = read(&t, &token, &format!("{location}/results?format=csv")).await;
    assert!(csv.lines().next().unwrap().ends_with(",findings"), "{csv}");
    assert!(csv.contains(expected[0]), "{csv}");
}
