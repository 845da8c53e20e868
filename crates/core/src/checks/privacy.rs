//! Privacy findings: personal-data collection, the privacy notice and how forms carry
//! the data.
//!
//! - `privacy.collects_personal_data` (info): the page has a form with personal-data
//!   fields (`checks/privacy.toml`); a search or feedback form is not collecting.
//! - `privacy.notice.missing`: it collects, and links no privacy notice.
//! - `privacy.notice.incomplete`: the notice page lacks elements Decree 13/2023 and Law
//!   91/2025 require; judged only on a notice page that was actually seen.
//! - `privacy.form.insecure_action`: a personal-data or password form submits to http.
//! - `privacy.form.over_http`: such a form is served over plain http.

use super::pages::Pages;
use crate::finding::{Finding, FindingId, Severity};
use crate::page::text::excerpt;
use crate::page::{Form, PageFacts};
use crate::rules::PageRules;
use crate::rules::privacy::{FieldKind, FieldRule};
use crate::rules::terms::Tokens;

pub(super) fn check(pages: &Pages, rules: &PageRules, out: &mut Vec<Finding>) {
    if let Some(page) = &pages.primary {
        collection(page, pages, rules, out);
        if pages.primary_is_secure {
            insecure_actions(page, rules, out);
        }
    }
    if let Some(notice) = &pages.notice {
        out.extend(notice_incomplete(notice, rules));
    }
    if let Some(plain) = &pages.plain_http {
        over_http(plain, rules, out);
    }
}

/// The rules among `found`, each once, in rule-file order.
fn unique<'r>(
    rules: &'r PageRules,
    found: impl IntoIterator<Item = &'r FieldRule>,
) -> Vec<&'r FieldRule> {
    let found: Vec<&FieldRule> = found.into_iter().collect();
    rules
        .privacy
        .fields
        .iter()
        .filter(|r| found.iter().any(|f| std::ptr::eq(*f, *r)))
        .collect()
}

/// The fields a form asks for.
fn form_fields<'r>(form: &Form, rules: &'r PageRules) -> Vec<&'r FieldRule> {
    unique(
        rules,
        form.inputs.iter().flat_map(|i| rules.privacy.classify(i)),
    )
}

fn labels(fields: &[&FieldRule]) -> String {
    fields
        .iter()
        .map(|f| f.label_vi.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_personal(fields: &[&FieldRule]) -> bool {
    fields.iter().any(|f| f.kind == FieldKind::Personal)
}

fn collection(page: &PageFacts, pages: &Pages, rules: &PageRules, out: &mut Vec<Finding>) {
    let collecting: Vec<(&Form, Vec<&FieldRule>)> = page
        .forms
        .iter()
        .map(|form| (form, form_fields(form, rules)))
        .filter(|(_, fields)| is_personal(fields))
        .collect();
    if collecting.is_empty() {
        return;
    }
    let forms: Vec<String> = collecting
        .iter()
        .map(|(form, fields)| format!("{} → {}", labels(fields), excerpt(&form.action, 120)))
        .collect();
    out.push(Finding::new(
        FindingId::PrivacyCollectsPersonalData,
        Severity::Info,
        format!("forms ask for: {}", forms.join("; ")),
    ));
    let fields = labels(&unique(
        rules,
        collecting.iter().flat_map(|(_, f)| f.iter().copied()),
    ));
    let linked = page.links.iter().any(|l| rules.privacy.is_notice_link(l));
    let why = match &pages.notice_gone {
        Some((url, status)) if pages.notice.is_none() => Some(format!(
            "its privacy-notice link {} answers {status}",
            excerpt(url, 120)
        )),
        _ if !linked && pages.notice.is_none() => Some("it links no privacy notice".to_string()),
        _ => None,
    };
    if let Some(why) = why {
        out.push(Finding::new(
            FindingId::PrivacyNoticeMissing,
            Severity::High,
            format!("{} collects {fields} but {why}", excerpt(&page.url, 120)),
        ));
    }
}

/// `privacy.notice.incomplete` for a notice page, listing the missing elements.
/// Public so that the privacy page the collector fetches can be judged the same way.
pub fn notice_incomplete(notice: &PageFacts, rules: &PageRules) -> Option<Finding> {
    let mut text = notice.title.clone().unwrap_or_default();
    text.push(' ');
    text.push_str(&notice.visible_text);
    let tokens = Tokens::new(&text);
    let present = rules.privacy.elements_present(&tokens);
    let missing: Vec<_> = rules
        .privacy
        .elements
        .iter()
        .filter(|e| !present.iter().any(|p| std::ptr::eq(*p, *e)))
        .collect();
    let severity = missing.iter().map(|e| e.info.severity).max()?;
    let names: Vec<String> = missing
        .iter()
        .map(|e| format!("{} ({})", e.label_vi, e.label_en))
        .collect();
    Some(Finding::new(
        FindingId::PrivacyNoticeIncomplete,
        severity,
        format!(
            "the notice at {} does not state: {}",
            excerpt(&notice.url, 120),
            names.join("; ")
        ),
    ))
}

/// Forms of `page` with personal-data or password fields that `applies` selects, each
/// reported as `id` with `describe(form, fields)`.
fn risky_forms(
    page: &PageFacts,
    rules: &PageRules,
    id: FindingId,
    applies: impl Fn(&Form) -> bool,
    describe: impl Fn(&Form, &str) -> String,
    out: &mut Vec<Finding>,
) {
    for form in page.forms.iter().filter(|f| applies(f)) {
        let fields = form_fields(form, rules);
        if !fields.is_empty() {
            out.push(Finding::new(
                id,
                Severity::High,
                describe(form, &labels(&fields)),
            ));
        }
    }
}

fn insecure_actions(page: &PageFacts, rules: &PageRules, out: &mut Vec<Finding>) {
    risky_forms(
        page,
        rules,
        FindingId::PrivacyFormInsecureAction,
        |form| !form.detached && form.action.starts_with("http://"),
        |form, fields| {
            format!(
                "a form asking for {fields} submits to {}",
                excerpt(&form.action, 120)
            )
        },
        out,
    );
}

fn over_http(page: &PageFacts, rules: &PageRules, out: &mut Vec<Finding>) {
    risky_forms(
        page,
        rules,
        FindingId::PrivacyFormOverHttp,
        |_| true,
        |_, fields| {
            format!(
                "{} serves a form asking for {fields} over plain http",
                excerpt(&page.url, 120)
            )
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::pages::*;
    use crate::checks::test_support::{
        evidence_with_chains, evidence_with_home, html_page, judge_pages, page_chain, page_rules,
        the, with_id,
    };
    use crate::finding::{FindingId, Severity};
    use crate::page::{PageLimits, analyse_page};

    fn ids_of(findings: &[crate::finding::Finding]) -> Vec<FindingId> {
        findings
            .iter()
            .map(|f| f.id)
            .filter(|id| id.category() == crate::finding::Category::Privacy)
            .collect()
    }

    #[test]
    fn a_registration_form_collects_personal_data_and_its_notice_is_linked() {
        let findings = judge_pages(&evidence_with_home(GOV_HOME));
        assert_eq!(
            ids_of(&findings),
            vec![FindingId::PrivacyCollectsPersonalData]
        );
        let f = the(&findings, FindingId::PrivacyCollectsPersonalData);
        assert_eq!(f.severity, Severity::Info);
        assert!(
            f.detail
                .contains("họ tên, số CCCD/CMND, số điện thoại, email"),
            "{}",
            f.detail
        );
        assert!(
            !f.detail.contains("tìm"),
            "the search form is not collecting"
        );
    }

    #[test]
    fn the_nfd_twin_gives_the_same_privacy_findings() {
        let nfc = judge_pages(&evidence_with_home(GOV_HOME));
        let nfd = judge_pages(&evidence_with_home(GOV_HOME_NFD));
        let privacy = |f: &[crate::finding::Finding]| -> Vec<crate::finding::Finding> {
            f.iter()
                .filter(|f| f.id.category() == crate::finding::Category::Privacy)
                .cloned()
                .collect()
        };
        assert_eq!(privacy(&nfd), privacy(&nfc));
    }

    #[test]
    fn forms_without_personal_data_raise_nothing() {
        let findings = judge_pages(&evidence_with_home(SEARCH_ONLY));
        assert_eq!(ids_of(&findings), vec![]);
    }

    #[test]
    fn a_legacy_page_without_a_notice_posting_to_http_is_caught() {
        let findings = judge_pages(&evidence_with_home(FORM_CP1258));
        assert_eq!(
            ids_of(&findings),
            vec![
                FindingId::PrivacyCollectsPersonalData,
                FindingId::PrivacyNoticeMissing,
                FindingId::PrivacyFormInsecureAction,
            ]
        );
        let missing = the(&findings, FindingId::PrivacyNoticeMissing);
        assert!(
            missing.detail.contains("họ tên, số điện thoại, ngày sinh"),
            "{}",
            missing.detail
        );
        let action = the(&findings, FindingId::PrivacyFormInsecureAction);
        assert!(
            action
                .detail
                .contains("http://phumau.example.gov.vn/tiep-cong-dan.asp")
        );
    }

    #[test]
    fn a_personal_data_form_served_over_http_is_found_and_a_search_form_is_not() {
        let plain = |body: &[u8]| {
            evidence_with_chains(
                Some(page_chain("http://example.test/", html_page(body, &[]))),
                None,
            )
        };
        let findings = judge_pages(&plain(GOV_HOME));
        assert_eq!(with_id(&findings, FindingId::PrivacyFormOverHttp).len(), 1);
        let findings = judge_pages(&plain(SEARCH_ONLY));
        assert!(with_id(&findings, FindingId::PrivacyFormOverHttp).is_empty());
        let login = b"<form method=post><input name=user><input type=password name=pw></form>";
        let findings = judge_pages(&plain(login));
        assert_eq!(
            ids_of(&findings),
            vec![FindingId::PrivacyFormOverHttp],
            "a password is no personal data needing a notice, but must not travel in clear"
        );
        let findings = judge_pages(&evidence_with_home(GOV_HOME));
        assert!(with_id(&findings, FindingId::PrivacyFormOverHttp).is_empty());
    }

    /// A page whose notice link points into itself, followed by the notice text.
    fn page_with_inline_notice(notice: &[u8]) -> Vec<u8> {
        let mut page = b"<form><input name=ho_ten></form>\
                         <a href='#chinh-sach'>Ch\xc3\xadnh s\xc3\xa1ch b\xe1\xba\xa3o m\xe1\xba\xadt</a>\
                         <section id=chinh-sach>"
            .to_vec();
        page.extend_from_slice(notice);
        page
    }

    #[test]
    fn a_complete_notice_passes_and_an_incomplete_one_lists_what_is_missing() {
        let findings = judge_pages(&evidence_with_home(&page_with_inline_notice(
            NOTICE_COMPLETE,
        )));
        assert!(with_id(&findings, FindingId::PrivacyNoticeIncomplete).is_empty());
        assert!(with_id(&findings, FindingId::PrivacyNoticeMissing).is_empty());

        let findings = judge_pages(&evidence_with_home(&page_with_inline_notice(
            NOTICE_INCOMPLETE,
        )));
        let f = the(&findings, FindingId::PrivacyNoticeIncomplete);
        assert_eq!(f.severity, Severity::Medium);
        for missing in [
            "cách thức xử lý",
            "bên thứ ba",
            "quyền của chủ thể dữ liệu",
            "thời gian lưu trữ",
            "hậu quả",
        ] {
            assert!(f.detail.contains(missing), "{missing} not in {}", f.detail);
        }
        for present in ["mục đích", "loại dữ liệu", "liên hệ"] {
            assert!(!f.detail.contains(present), "{present} in {}", f.detail);
        }
    }

    #[test]
    fn a_fetched_notice_page_is_judged_by_the_public_function() {
        let rules = page_rules();
        let analyse = |body: &[u8]| {
            analyse_page(
                "https://example.test/chinh-sach-bao-mat/",
                &html_page(body, &[]),
                &PageLimits::default(),
            )
        };
        assert_eq!(
            super::notice_incomplete(&analyse(NOTICE_COMPLETE), &rules),
            None
        );
        let f = super::notice_incomplete(&analyse(NOTICE_INCOMPLETE), &rules).expect("incomplete");
        assert!(f.detail.contains("/chinh-sach-bao-mat/"));
    }

    #[test]
    fn the_fetched_privacy_page_is_judged_and_a_dead_notice_link_is_no_notice() {
        let url = "https://example.test/chinh-sach-bao-mat/";
        let mut evidence = evidence_with_home(GOV_HOME);
        evidence.privacy_page = Some(page_chain(url, html_page(NOTICE_INCOMPLETE, &[])));
        let findings = judge_pages(&evidence);
        assert!(
            the(&findings, FindingId::PrivacyNoticeIncomplete)
                .detail
                .contains(url)
        );
        assert!(with_id(&findings, FindingId::PrivacyNoticeMissing).is_empty());

        evidence.privacy_page = Some(page_chain(url, html_page(NOTICE_COMPLETE, &[])));
        let findings = judge_pages(&evidence);
        assert!(with_id(&findings, FindingId::PrivacyNoticeIncomplete).is_empty());

        let mut gone = html_page(b"<h1>Not found</h1>", &[]);
        gone.status = 404;
        evidence.privacy_page = Some(page_chain(url, gone));
        let findings = judge_pages(&evidence);
        let missing = the(&findings, FindingId::PrivacyNoticeMissing);
        assert!(missing.detail.contains("answers 404"), "{}", missing.detail);
        assert!(with_id(&findings, FindingId::PrivacyNoticeIncomplete).is_empty());
    }
}
