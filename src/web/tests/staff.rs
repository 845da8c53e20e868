//! Staff: sign-in with secure cookies and throttling, CSRF, import, override, attest,
//! audit.

use super::*;
use crate::auth::{hash_password, token_hash};
use time::OffsetDateTime;

const PASSWORD: &str = "một mật khẩu dài đủ";

async fn with_staff(t: &TestApp) {
    t.store
        .create_staff(
            "lan",
            &hash_password(PASSWORD).unwrap(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
}

/// Signs in and returns the cookie pair and the CSRF token of the session.
async fn sign_in(t: &TestApp) -> (String, String) {
    let answer = send(
        &t.app,
        form_post(
            "/staff/login",
            &[("username", "lan"), ("password", PASSWORD)],
            None,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let set_cookie = answer.header("set-cookie").to_string();
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let home = send(
        &t.app,
        Request::get("/staff")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let csrf = home
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a CSRF field")
        .to_string();
    (cookie, csrf)
}

#[tokio::test]
async fn sign_in_sets_a_secure_session_cookie_and_wrong_passwords_are_refused() {
    let t = test_app().await;
    with_staff(&t).await;
    let anonymous = get(&t.app, "/staff").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.header("location").starts_with("/staff/login"));

    let wrong = send(
        &t.app,
        form_post(
            "/staff/login",
            &[("username", "lan"), ("password", "sai mật khẩu rồi")],
            None,
        ),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.header("set-cookie"), "");

    let ok = send(
        &t.app,
        form_post(
            "/staff/login",
            &[("username", "lan"), ("password", PASSWORD)],
            None,
        ),
    )
    .await;
    let cookie = ok.header("set-cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let log = t.store.audit_log(10).await.unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["login", "login_failed"]);
}

fn login_from(ip: &str, password: &str, cookie: Option<&str>) -> Request<Body> {
    from_ip(
        form_post(
            "/staff/login",
            &[("username", "lan"), ("password", password)],
            cookie,
        ),
        ip,
    )
}

#[tokio::test]
async fn wrong_passwords_slow_the_guessing_address_but_never_lock_staff_out() {
    let t = test_app().await;
    with_staff(&t).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let a = send(
            &t.app,
            login_from("203.0.113.1", "đoán bừa một mật khẩu", None),
        )
        .await;
        statuses.push(a.status);
    }
    assert_eq!(statuses[..5], [StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(statuses[5..], [StatusCode::TOO_MANY_REQUESTS; 2]);
    let right_from_guesser = send(&t.app, login_from("203.0.113.1", PASSWORD, None)).await;
    assert_eq!(right_from_guesser.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!right_from_guesser.header("retry-after").is_empty());
    // The real lan, elsewhere, signs in; and signing in again and again never locks.
    for _ in 0..8 {
        let right = send(&t.app, login_from("198.51.100.7", PASSWORD, None)).await;
        assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    }
}

#[tokio::test]
async fn a_guesser_on_many_addresses_cannot_lock_out_a_browser_that_signed_in_before() {
    let t = test_app().await;
    with_staff(&t).await;
    let first = send(&t.app, login_from("198.51.100.7", PASSWORD, None)).await;
    let device = first
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("trustlabel_device="))
        .expect("a device cookie after signing in")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    for i in 0..40 {
        send(
            &t.app,
            login_from(&format!("192.0.2.{i}"), "đoán bừa một mật khẩu", None),
        )
        .await;
    }
    let fresh = send(&t.app, login_from("198.51.100.99", PASSWORD, None)).await;
    assert_eq!(
        fresh.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the account-wide budget of unknown browsers is spent"
    );
    let known = send(&t.app, login_from("198.51.100.99", PASSWORD, Some(&device))).await;
    assert_eq!(known.status, StatusCode::SEE_OTHER, "{}", known.body);
    let forged = device.replace("trustlabel_device=", "trustlabel_device=0");
    let forged = send(&t.app, login_from("198.51.100.98", PASSWORD, Some(&forged))).await;
    assert_eq!(forged.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_huge_user_name_is_cut_before_it_reaches_the_audit_log_or_the_page() {
    let t = test_app().await;
    let huge = "x".repeat(200_000);
    let answer = send(
        &t.app,
        form_post(
            "/staff/login",
            &[("username", &huge), ("password", "không đúng đâu nhé")],
            None,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer.body.len() < 50_000,
        "the page does not echo it whole"
    );
    let log = t.store.audit_log(10).await.unwrap();
    assert_eq!(log[0].action, "login_failed");
    assert_eq!(log[0].actor.chars().count(), 64);
}

#[tokio::test]
async fn import_needs_the_csrf_token_and_reports_bad_lines() {
    let t = test_app().await;
    with_staff(&t).await;
    let (cookie, csrf) = sign_in(&t).await;
    let csv = "host,organisation,category,province,contact_email\nnew1.gov.vn,Sở A,government,Huế,\nbad host,x,y,z,\n";
    let forged = send(
        &t.app,
        form_post(
            "/staff/import",
            &[("csrf", "guess"), ("csv", csv)],
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        t.store
            .target_by_host("new1.gov.vn")
            .await
            .unwrap()
            .is_none()
    );

    let ok = send(
        &t.app,
        form_post(
            "/staff/import",
            &[("csrf", &csrf), ("csv", csv)],
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(
        ok.body.contains("import.csv:3: "),
        "line error named: {}",
        ok.body
    );
    assert!(
        t.store
            .target_by_host("new1.gov.vn")
            .await
            .unwrap()
            .is_some()
    );
    let log = t.store.audit_log(1).await.unwrap();
    assert_eq!(log[0].action, "import");
    assert!(
        log[0].detail.contains("1 lines refused"),
        "{}",
        log[0].detail
    );
}

#[tokio::test]
async fn an_override_needs_a_reason_and_is_recorded_in_history_and_audit() {
    let t = test_app().await;
    with_staff(&t).await;
    let (cookie, csrf) = sign_in(&t).await;
    let uri = format!("/staff/site/{MINISTRY}/override");
    let no_reason = send(
        &t.app,
        form_post(
            &uri,
            &[("csrf", &csrf), ("status", "revoked"), ("reason", "  ")],
            Some(&cookie),
        ),
    )
    .await;
    assert!(no_reason.header("location").contains("reason_required"));
    let ministry = t.store.target_by_host(MINISTRY).await.unwrap().unwrap();
    assert_eq!(
        t.store.label(ministry.id).await.unwrap().status,
        LabelStatus::Labelled
    );

    let done = send(
        &t.app,
        form_post(
            &uri,
            &[
                ("csrf", &csrf),
                ("status", "revoked"),
                ("reason", "trang bị tấn công"),
            ],
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.store.label(ministry.id).await.unwrap().status,
        LabelStatus::Revoked
    );
    let history = t.store.history(ministry.id).await.unwrap();
    let last = history.last().unwrap();
    assert!(last.scan_id.is_none() && last.transition.reason.contains("trang bị tấn công"));
    let entry = &t.store.audit_log(1).await.unwrap()[0];
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str()),
        ("lan", "override")
    );
    assert_eq!(entry.host.as_deref(), Some(MINISTRY));
}

#[tokio::test]
async fn a_label_granted_by_decision_says_so_in_public_and_expires() {
    let t = test_app().await;
    with_staff(&t).await;
    let (cookie, csrf) = sign_in(&t).await;
    // The shop failed its scan (not labelled, a poor grade); staff grant the label anyway.
    let done = send(
        &t.app,
        form_post(
            &format!("/staff/site/{SHOP}/override"),
            &[
                ("csrf", &csrf),
                ("status", "labelled"),
                ("reason", "đã khắc phục, kiểm tra thủ công"),
            ],
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = get(&t.app, &format!("/site/{SHOP}")).await;
    assert!(page.body.contains("Quyết định"), "{}", page.body);
    assert!(
        page.body
            .contains("Trạng thái do Cơ quan Thử nghiệm quyết định ngày"),
        "the authority's decision, named, with its date"
    );
    assert!(
        !page.body.contains("đã khắc phục"),
        "the reason stays private"
    );
    let valid = page
        .body
        .split("Nhãn có hiệu lực đến</dt><dd>")
        .nth(1)
        .expect("the validity row");
    assert!(
        valid.chars().next().is_some_and(|c| c.is_ascii_digit()),
        "a label always has an end date: {valid}"
    );
    let api = get(&t.app, &format!("/api/v1/sites/{SHOP}")).await;
    let body: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert!(body["decided_at"].is_string(), "{body}");
    assert!(body["label_valid_until"].is_string(), "{body}");
}

#[tokio::test]
async fn staff_see_findings_attest_labelled_sites_and_queue_scans() {
    let t = test_app().await;
    with_staff(&t).await;
    let (cookie, csrf) = sign_in(&t).await;
    let page = send(
        &t.app,
        Request::get(format!("/staff/site/{SHOP}"))
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(page.body.contains("nginx/1.18.0"), "staff see evidence");

    let refused = send(
        &t.app,
        form_post(
            &format!("/staff/site/{SHOP}/attest"),
            &[("csrf", &csrf), ("note", "kiểm tra tay")],
            Some(&cookie),
        ),
    )
    .await;
    assert!(refused.header("location").contains("attest_refused"));
    let ok = send(
        &t.app,
        form_post(
            &format!("/staff/site/{MINISTRY}/attest"),
            &[("csrf", &csrf), ("note", "kiểm tra tay")],
            Some(&cookie),
        ),
    )
    .await;
    assert!(ok.header("location").contains("msg=done"));
    let public = get(&t.app, &format!("/site/{MINISTRY}")).await;
    assert!(public.body.contains("Nâng cao"), "advanced level is public");

    let scan = send(
        &t.app,
        form_post(
            &format!("/staff/site/{SHOP}/scan"),
            &[("csrf", &csrf)],
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(scan.status, StatusCode::SEE_OTHER);
    let shop = t.store.target_by_host(SHOP).await.unwrap().unwrap();
    let job = t.store.latest_scan_job(shop.id).await.unwrap().unwrap();
    assert_eq!(job.requested_by, "staff:lan");
    let audit = send(
        &t.app,
        Request::get("/staff/audit")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    for action in ["login", "attest", "scan"] {
        assert!(
            audit.body.contains(&format!("<code>{action}</code>")),
            "{action}"
        );
    }
    // Signing out ends the session server-side.
    let out = send(
        &t.app,
        form_post("/staff/logout", &[("csrf", &csrf)], Some(&cookie)),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = send(
        &t.app,
        Request::get("/staff")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn staff_issue_a_token_once_see_it_listed_without_its_secret_and_revoke_it() {
    let t = test_app().await;
    with_staff(&t).await;
    assert_eq!(
        get(&t.app, "/staff/tokens").await.status,
        StatusCode::SEE_OTHER
    );
    let (cookie, csrf) = sign_in(&t).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Sở Thông tin và Truyền thông Huế"),
        ("days", "90"),
        ("findings", "1"),
    ];
    let forged = form_post(
        "/staff/tokens",
        &[("csrf", "x"), ("name", "A"), ("days", "9")],
        Some(&cookie),
    );
    assert_eq!(send(&t.app, forged).await.status, StatusCode::FORBIDDEN);
    let issued = send(&t.app, form_post("/staff/tokens", &form, Some(&cookie))).await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.body);
    assert_eq!(
        issued.header("cache-control"),
        "no-store",
        "the secret is never cached"
    );
    let token = issued
        .body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the new token is shown")
        .to_string();
    let stored = t
        .store
        .api_token(&token_hash(&token), OffsetDateTime::now_utc())
        .await
        .unwrap()
        .expect("stored by its hash");
    assert!(stored.allows(trustlabel_store::ApiScope::Findings));
    assert_eq!(stored.created_by, "lan");

    let list = send(
        &t.app,
        Request::get("/staff/tokens")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(list.body.contains("Sở Thông tin và Truyền thông Huế"));
    assert!(!list.body.contains(&token), "never shown again");

    let bad = [("csrf", csrf.as_str()), ("name", " "), ("days", "90")];
    let refused = send(&t.app, form_post("/staff/tokens", &bad, Some(&cookie))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("agency name"), "{}", refused.body);

    let revoke = format!("/staff/tokens/{}/revoke", stored.id);
    let done = send(
        &t.app,
        form_post(&revoke, &[("csrf", csrf.as_str())], Some(&cookie)),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(
        t.store
            .api_token(&token_hash(&token), OffsetDateTime::now_utc())
            .await
            .unwrap()
            .is_none(),
        "revoked at once"
    );
    let audit = t.store.audit_log(10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "api_token" && a.actor == "lan")
    );
    assert!(
        audit
            .iter()
            .any(|a| a.action == "api_token_revoke" && a.actor == "lan")
    );
}

/// The candidate queue's forms do what they say: accepting makes the candidate a target
/// with the staff member's organisation, category and province, dismissing records the
/// reason, both under the staff member's name in the audit log; a form without the
/// session's CSRF token or with an unknown reason changes nothing.
#[tokio::test]
async fn staff_accept_and_dismiss_discovered_candidates_through_the_queue_forms() {
    use trustlabel_store::{CandidateState, Discovery, SourceKind};
    let t = test_app().await;
    with_staff(&t).await;
    let found: Vec<Discovery> = ["moi.example.vn", "do-xe.example.vn"]
        .into_iter()
        .map(|host| Discovery {
            host: host.into(),
            kind: SourceKind::CtLog,
            source: "https://ct.example/log/".into(),
            detail: "entry 7".into(),
        })
        .collect();
    t.store
        .record_discoveries(&found, None, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let (cookie, csrf) = sign_in(&t).await;

    let queue = send(
        &t.app,
        Request::get("/staff/discovery?state=pending")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("moi.example.vn"), "{}", queue.body);
    assert!(
        queue
            .body
            .contains("/staff/discovery/moi.example.vn/accept")
    );

    let accept = |token: &str| {
        form_post(
            "/staff/discovery/moi.example.vn/accept",
            &[
                ("csrf", token),
                ("organisation", "Sở Y tế"),
                ("category", "government"),
                ("province", "Hà Nội"),
            ],
            Some(&cookie),
        )
    };
    let forged = send(&t.app, accept("guess")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        t.store
            .target_by_host("moi.example.vn")
            .await
            .unwrap()
            .is_none()
    );

    let accepted = send(&t.app, accept(&csrf)).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let target = t
        .store
        .target_by_host("moi.example.vn")
        .await
        .unwrap()
        .expect("accepted candidate is a target");
    assert_eq!(
        (
            target.target.organisation.as_str(),
            target.target.category.as_str(),
            target.target.province.as_str()
        ),
        ("Sở Y tế", "government", "Hà Nội")
    );

    let dismiss = |reason: &str| {
        form_post(
            "/staff/discovery/do-xe.example.vn/dismiss",
            &[("csrf", &csrf), ("reason", reason), ("note", "trang đỗ")],
            Some(&cookie),
        )
    };
    let unknown = send(&t.app, dismiss("bored")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let pending = t
        .store
        .candidate("do-xe.example.vn")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.state, CandidateState::Pending);

    let dismissed = send(&t.app, dismiss("parked")).await;
    assert_eq!(
        dismissed.status,
        StatusCode::SEE_OTHER,
        "{}",
        dismissed.body
    );
    let candidate = t
        .store
        .candidate("do-xe.example.vn")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(candidate.state, CandidateState::Dismissed);
    assert_eq!(candidate.reason.as_deref(), Some("parked: trang đỗ"));
    assert_eq!(candidate.decided_by.as_deref(), Some("lan"));
    assert!(
        t.store
            .target_by_host("do-xe.example.vn")
            .await
            .unwrap()
            .is_none()
    );

    let audit: Vec<(String, String, String)> = t
        .store
        .audit_log(20)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("discover."))
        .map(|e| (e.actor, e.action, e.host.unwrap_or_default()))
        .collect();
    assert_eq!(
        audit.len(),
        2,
        "one entry per decision, none for refused forms: {audit:?}"
    );
    for (actor, action, host) in [
        ("lan", "discover.accept", "moi.example.vn"),
        ("lan", "discover.dismiss", "do-xe.example.vn"),
    ] {
        assert!(
            audit.contains(&(actor.into(), action.into(), host.into())),
            "{audit:?}"
        );
    }
}
