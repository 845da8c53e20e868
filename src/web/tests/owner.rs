//! The owner link: findings with remediation, history with reasons, rate-limited re-scan.

use super::*;
use crate::auth::{new_token, token_hash};
use time::{Duration, OffsetDateTime};
use trustlabel_store::JobState;

async fn link_for(t: &TestApp, host: &str, ttl: Duration) -> String {
    let target = t.store.target_by_host(host).await.unwrap().unwrap();
    let token = new_token();
    let now = OffsetDateTime::now_utc();
    t.store
        .create_owner_link(target.id, &token_hash(&token), now, now + ttl)
        .await
        .unwrap();
    token
}

#[tokio::test]
async fn the_owner_page_shows_findings_evidence_and_remediation() {
    let t = test_app().await;
    let token = link_for(&t, SHOP, Duration::days(1)).await;
    let page = get(&t.app, &format!("/owner/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.body.contains("header.version_leak"));
    assert!(page.body.contains("nginx/1.18.0"), "evidence excerpt");
    let advice = &t
        .state
        .rules
        .catalog
        .text(trustlabel_core::finding::FindingId::HeaderVersionLeak)
        .remediation_vi;
    assert!(
        page.body
            .contains(&crate::publish::html::rich_text(advice).into_string()),
        "Vietnamese remediation"
    );
    assert!(
        page.body.contains("Trung bình") || page.body.contains("Thấp") || page.body.contains("Cao"),
        "severity in Vietnamese"
    );
    assert!(!page.body.contains(" UTC"), "times in Vietnam time");
    assert!(
        page.body.contains("not_assessed → not_labelled"),
        "history with reasons"
    );
    let en = get(&t.app, &format!("/owner/{token}?lang=en")).await;
    let advice_en = &t
        .state
        .rules
        .catalog
        .text(trustlabel_core::finding::FindingId::HeaderVersionLeak)
        .remediation_en;
    assert!(
        en.body
            .contains(&crate::publish::html::rich_text(advice_en).into_string())
    );
}

#[tokio::test]
async fn unknown_expired_and_revoked_links_show_nothing() {
    let t = test_app().await;
    assert_eq!(
        get(&t.app, "/owner/not-a-token").await.status,
        StatusCode::NOT_FOUND
    );
    let expired = link_for(&t, SHOP, Duration::seconds(-1)).await;
    let page = get(&t.app, &format!("/owner/{expired}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("nginx"));
    let token = link_for(&t, SHOP, Duration::days(1)).await;
    let shop = t.store.target_by_host(SHOP).await.unwrap().unwrap();
    t.store
        .revoke_owner_links(shop.id, None, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(
        get(&t.app, &format!("/owner/{token}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn rescan_queues_one_job_shows_progress_and_is_rate_limited() {
    let t = test_app().await;
    let token = link_for(&t, SHOP, Duration::days(1)).await;
    let post = || form_post(&format!("/owner/{token}/rescan"), &[], None);
    let first = send(&t.app, post()).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert!(first.header("location").contains("msg=queued"));
    let page = get(&t.app, first.header("location")).await;
    assert!(page.body.contains("Đã nhận yêu cầu quét lại"));
    assert!(
        page.body.contains("http-equiv=\"refresh\""),
        "refreshes while the job waits"
    );
    assert!(page.body.contains("Đang chờ quét"));

    let second = send(&t.app, post()).await;
    assert!(
        second.header("location").contains("msg=pending"),
        "one pending job per site"
    );

    // The worker finishes it; a new request within the cooldown is refused.
    let shop = t.store.target_by_host(SHOP).await.unwrap().unwrap();
    let job = t
        .store
        .claim_scan_job("test", OffsetDateTime::now_utc(), Duration::minutes(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.target_id, shop.id);
    let scan_id = t.store.latest_scan(shop.id).await.unwrap().unwrap().id;
    t.store
        .finish_scan_job(job.id, OffsetDateTime::now_utc(), Ok(scan_id))
        .await
        .unwrap();
    let third = send(&t.app, post()).await;
    assert!(
        third.header("location").contains("msg=soon"),
        "{}",
        third.header("location")
    );
    let page = get(&t.app, &format!("/owner/{token}")).await;
    assert!(page.body.contains("Đã quét xong") && !page.body.contains("http-equiv=\"refresh\""));
    assert_eq!(
        t.store
            .latest_scan_job(shop.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        JobState::Done
    );
}

#[tokio::test]
async fn a_rescan_posted_from_another_site_is_refused() {
    let t = test_app().await;
    let token = link_for(&t, SHOP, Duration::days(1)).await;
    let mut request = form_post(&format!("/owner/{token}/rescan"), &[], None);
    request
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(send(&t.app, request).await.status, StatusCode::FORBIDDEN);
    let shop = t.store.target_by_host(SHOP).await.unwrap().unwrap();
    assert!(t.store.latest_scan_job(shop.id).await.unwrap().is_none());
}

#[tokio::test]
async fn an_owner_sees_a_fix_counted_and_the_public_sees_only_the_grade_change() {
    let t = test_app().await;
    let shop = t.store.target_by_host(SHOP).await.unwrap().unwrap();
    // The shop's second scan: the version leak is fixed, and the grade improves.
    let label = t.store.label(shop.id).await.unwrap();
    let mut second = trustlabel_store::test_support::fixtures::Scan::failing(SHOP);
    second.evidence.finished_at += Duration::days(2);
    second
        .findings
        .retain(|f| f.id != trustlabel_core::finding::FindingId::HeaderVersionLeak);
    second.verdict.grade = trustlabel_core::policy::Grade::A;
    second.label_read = label.clone();
    second.update.label = label;
    second.update.transition = None;
    second.record_into(&t.store, shop.id, None).await.unwrap();

    let token = link_for(&t, SHOP, Duration::days(1)).await;
    let page = get(&t.app, &format!("/owner/{token}")).await;
    let changes = page
        .body
        .split("Thay đổi so với lần đánh giá trước")
        .nth(1)
        .expect("a what-changed section");
    let fixed = changes.split("Đã khắc phục").nth(1).expect("a fixed list");
    assert!(
        fixed.contains("header.version_leak"),
        "the fix is counted: {changes}"
    );
    assert!(
        changes.contains("Chưa khắc phục"),
        "what remains, with first-seen dates"
    );
    assert!(changes.contains("thấy lần đầu"));

    let public = get(&t.app, &format!("/site/{SHOP}")).await;
    assert!(public.body.contains("So với lần đánh giá trước"));
    assert!(public.body.contains("hạng B+ → A"), "{}", public.body);
    assert!(
        !public.body.contains("header.version_leak"),
        "no finding on the public page"
    );
}

/// Issue 14: a DNS or mail finding on the owner page shows the record the scan saw (or
/// that there was none) and the record to publish, both as the zone-file line the
/// owner pastes. The findings come from the real checks over mail evidence: no DMARC
/// record, and an SPF record that ends in `?all`.
#[tokio::test]
async fn the_owner_page_shows_the_dns_record_seen_and_the_record_to_publish() {
    use trustlabel_core::evidence::mail::{
        MailEvidence, MtaStsEvidence, MxLookup, MxRecord, SpfEvidence, TxtLookup,
    };
    use trustlabel_core::mail::spf::Fetched;
    use trustlabel_store::test_support::fixtures::Scan;

    let t = test_app().await;
    let mut scan = Scan::failing(NEW);
    scan.evidence.mail = Some(MailEvidence {
        domain: "example.vn".into(),
        mx: MxLookup {
            records: vec![MxRecord {
                preference: 10,
                exchange: "mx.example.vn".into(),
            }],
            ..MxLookup::default()
        },
        spf: SpfEvidence {
            fetched: [(
                "example.vn".to_string(),
                Fetched::Records {
                    records: vec!["v=spf1 mx ?all".into()],
                },
            )]
            .into(),
            truncated: false,
        },
        dmarc: TxtLookup {
            name: "_dmarc.example.vn".into(),
            ..TxtLookup::default()
        },
        mta_sts: MtaStsEvidence::default(),
        tlsrpt: TxtLookup {
            name: "_smtp._tls.example.vn".into(),
            ..TxtLookup::default()
        },
        servers: vec![],
        smtp_connections: 0,
    });
    scan.findings = trustlabel_core::checks::run_all(
        &scan.evidence,
        &t.state.rules.check_context(scan.evidence.finished_at),
    );
    let ids: Vec<&str> = scan.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"mail.dmarc.missing"), "{ids:?}");
    assert!(ids.contains(&"mail.spf.weak"), "{ids:?}");
    let new = t.store.target_by_host(NEW).await.unwrap().unwrap();
    scan.record_into(&t.store, new.id, None).await.unwrap();
    let token = link_for(&t, NEW, Duration::days(1)).await;

    let page = get(&t.app, &format!("/owner/{token}?lang=en")).await;
    assert_eq!(page.status, StatusCode::OK);
    // The finding's row, from its id to the end of the row.
    let row = |id: &str| -> String {
        let at = page
            .body
            .find(&format!("<code class=\"id\">{id}</code>"))
            .unwrap_or_else(|| panic!("{id} on the page: {}", page.body));
        let rest = &page.body[at..];
        rest[..rest.find("</tr>").unwrap()].to_string()
    };
    let code = |record: &str| format!("<code class=\"evidence\">{record}</code>");

    let dmarc = row("mail.dmarc.missing");
    let (seen, advice) = dmarc.split_once("How to fix").unwrap_or((&dmarc, ""));
    assert!(seen.contains("Record seen:"), "{dmarc}");
    assert!(seen.contains("None."), "no DMARC record seen: {dmarc}");
    assert!(advice.contains("Record to publish:"), "{dmarc}");
    assert!(
        dmarc.contains(&code(
            "_dmarc.example.vn. IN TXT &quot;v=DMARC1; p=reject; rua=mailto:dmarc@example.vn&quot;"
        )),
        "the DMARC record to publish: {dmarc}"
    );

    let spf = row("mail.spf.weak");
    assert!(spf.contains("Record seen:"), "{spf}");
    assert!(
        spf.contains(&code("example.vn. IN TXT &quot;v=spf1 mx ?all&quot;")),
        "the SPF record seen: {spf}"
    );
    assert!(spf.contains("Record to publish:"), "{spf}");
    assert!(
        spf.contains(&code("example.vn. IN TXT &quot;v=spf1 mx -all&quot;")),
        "the SPF record to publish: {spf}"
    );
    // The seen record comes before the advice, the record to publish after it.
    let seen_at = spf.find("v=spf1 mx ?all").unwrap();
    let publish_at = spf.find("v=spf1 mx -all").unwrap();
    assert!(seen_at < publish_at, "{spf}");
    // The raw `seen: `/`publish: ` lines of the stored detail are not shown as is.
    assert!(!page.body.contains("seen: "), "{}", page.body);
    assert!(!page.body.contains("publish: _dmarc"), "{}", page.body);

    // In Vietnamese too.
    let vi = get(&t.app, &format!("/owner/{token}")).await;
    assert!(vi.body.contains("Bản ghi đang có:"), "{}", vi.body);
    assert!(vi.body.contains("Bản ghi nên công bố:"), "{}", vi.body);
}
