//! Privacy findings: personal-data collection, the privacy notice and how forms carry
//! the data.
//!
//! - `privacy.collects_personal_data` (info): the page has a form with personal-data
//!   fields (`checks/privacy.toml`); a search or feedback form is not collecting, nor are
//!   controls outside any form that nothing submits. When the notice states every
//!   element the law requires, the finding shows the sentence that proves each one.
//! - `privacy.collects_sensitive_data`: such a form asks for sensitive data (health,
//!   religion, children's data...). Info when the notice meets the stricter
//!   requirements (every element plus the statement that sensitive data is processed);
//!   critical, which refuses the label, when there is no notice or it falls short.
//! - `privacy.notice.missing`: it collects, and links no privacy notice.
//! - `privacy.notice.incomplete`: the notice page does not state elements the law in
//!   force at scan time requires (`[[law]]` of the rules); judged only on a notice page
//!   that was actually seen. It lists what is missing with what to add, and what is
//!   stated with the sentence that states it, and names the law it applied.
//! - `privacy.form.insecure_action`: a personal-data or password form submits to http.
//! - `privacy.form.over_http`: such a form is served over plain http.

use super::pages::Pages;
use crate::finding::{Finding, FindingId, Severity};
use crate::page::text::excerpt;
use crate::page::{Form, PageFacts};
use crate::rules::PageRules;
use crate::rules::privacy::{ElementRule, FieldKind, FieldRule, Law, NoticeReading};
use time::OffsetDateTime;

/// Characters quoted of the sentence that proves an element.
const EVIDENCE_CHARS: usize = 160;

pub(super) fn check(pages: &Pages, rules: &PageRules, now: OffsetDateTime, out: &mut Vec<Finding>) {
    let law = rules.privacy.law_at(now.date());
    let notice = pages
        .notice
        .as_ref()
        .map(|n| (n, rules.privacy.read_notice(n)));
    if let Some(page) = &pages.primary {
        collection(page, pages, rules, law, notice.as_ref(), out);
        if pages.primary_is_secure {
            insecure_actions(page, rules, out);
        }
    }
    if let (Some((page, reading)), Some(law)) = (&notice, law) {
        out.extend(incomplete(page, reading, law, rules));
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

/// Whether a form can be sent: a real `<form>`, or controls outside any form with a
/// button that a script sends them with.
fn is_sendable(form: &Form) -> bool {
    !form.detached || form.submits
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

/// "Luật … (Law …), in force from 2026-01-01": the text a verdict applied.
fn law_name(law: &Law) -> String {
    format!(
        "{} ({}), in force from {}",
        law.title_vi, law.title_en, law.effective_from
    )
}

fn element_name(e: &ElementRule) -> String {
    format!("{} ({})", e.label_vi, e.label_en)
}

/// One line per element stated: its name and the sentence that states it.
fn stated_lines(rules: &PageRules, reading: &NoticeReading, elements: &[usize]) -> Vec<String> {
    elements
        .iter()
        .filter_map(|i| {
            let e = rules.privacy.elements.get(*i)?;
            let unit = reading.stated.get(*i)?.as_ref()?;
            Some(format!(
                "✓ {}: “{}”",
                element_name(e),
                excerpt(unit, EVIDENCE_CHARS)
            ))
        })
        .collect()
}

/// One line per element missing: its name and what to add.
fn missing_lines(rules: &PageRules, missing: &[usize]) -> Vec<String> {
    missing
        .iter()
        .filter_map(|i| rules.privacy.elements.get(*i))
        .map(|e| {
            format!(
                "✗ {} — thêm: {} / add: {}",
                element_name(e),
                e.add_vi,
                e.add_en
            )
        })
        .collect()
}

/// Appends a heading line and its lines to a finding's detail (the owner page shows
/// the detail as written, one line each).
fn push_lines(detail: &mut String, heading: String, lines: Vec<String>) {
    for line in std::iter::once(heading).chain(lines) {
        detail.push('\n');
        detail.push_str(&line);
    }
}

/// The elements of `required` the reading does not credit.
fn missing_of(reading: &NoticeReading, required: &[usize]) -> Vec<usize> {
    required
        .iter()
        .copied()
        .filter(|i| reading.stated.get(*i).is_none_or(Option::is_none))
        .collect()
}

fn collection(
    page: &PageFacts,
    pages: &Pages,
    rules: &PageRules,
    law: Option<&Law>,
    notice: Option<&(&PageFacts, NoticeReading)>,
    out: &mut Vec<Finding>,
) {
    let collecting: Vec<(&Form, Vec<&FieldRule>)> = page
        .forms
        .iter()
        .filter(|f| is_sendable(f))
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
    let mut detail = format!("forms ask for: {}", forms.join("; "));
    if let (Some(law), Some((notice_page, reading))) = (law, notice) {
        if missing_of(reading, &law.elements).is_empty() {
            let heading = format!(
                "the notice at {} states every element required by {}:",
                excerpt(&notice_page.url, 120),
                law_name(law)
            );
            push_lines(
                &mut detail,
                heading,
                stated_lines(rules, reading, &law.elements),
            );
        }
    }
    out.push(Finding::new(
        FindingId::PrivacyCollectsPersonalData,
        Severity::Info,
        detail,
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
    if let Some(why) = &why {
        out.push(Finding::new(
            FindingId::PrivacyNoticeMissing,
            Severity::High,
            format!("{} collects {fields} but {why}", excerpt(&page.url, 120)),
        ));
    }
    sensitive(&collecting, rules, law, notice, why.as_deref(), out);
}

/// `privacy.collects_sensitive_data` for the sensitive fields of collecting forms.
fn sensitive(
    collecting: &[(&Form, Vec<&FieldRule>)],
    rules: &PageRules,
    law: Option<&Law>,
    notice: Option<&(&PageFacts, NoticeReading)>,
    no_notice: Option<&str>,
    out: &mut Vec<Finding>,
) {
    let asked: Vec<String> = collecting
        .iter()
        .filter_map(|(form, fields)| {
            let sensitive: Vec<&FieldRule> =
                fields.iter().copied().filter(|f| f.sensitive).collect();
            (!sensitive.is_empty()).then(|| {
                let names: Vec<String> = sensitive
                    .iter()
                    .map(|f| format!("{} ({})", f.label_vi, f.label_en))
                    .collect();
                format!("{} → {}", names.join(", "), excerpt(&form.action, 120))
            })
        })
        .collect();
    if asked.is_empty() {
        return;
    }
    let mut detail = format!(
        "forms ask for sensitive personal data: {}",
        asked.join("; ")
    );
    let Some(law) = law else {
        out.push(Finding::new(
            FindingId::PrivacyCollectsSensitiveData,
            Severity::Info,
            detail,
        ));
        return;
    };
    let required: Vec<usize> = law
        .elements
        .iter()
        .chain(&law.sensitive_elements)
        .copied()
        .collect();
    let severity = match notice.filter(|_| no_notice.is_none()) {
        None => {
            detail.push_str(&format!(
                "\nbut {}; {} requires a notice that also says sensitive data is processed",
                no_notice.unwrap_or("its privacy notice could not be read"),
                law_name(law)
            ));
            Severity::Critical
        }
        Some((page, reading)) => {
            let missing = missing_of(reading, &required);
            if missing.is_empty() {
                let heading = format!(
                    "the notice at {} meets what {} requires when sensitive data is processed:",
                    excerpt(&page.url, 120),
                    law_name(law)
                );
                let lines = stated_lines(rules, reading, &law.sensitive_elements);
                push_lines(&mut detail, heading, lines);
                Severity::Info
            } else {
                let heading = format!(
                    "the notice at {} does not meet what {} requires when sensitive data is processed:",
                    excerpt(&page.url, 120),
                    law_name(law)
                );
                push_lines(&mut detail, heading, missing_lines(rules, &missing));
                Severity::Critical
            }
        }
    };
    out.push(Finding::new(
        FindingId::PrivacyCollectsSensitiveData,
        severity,
        detail,
    ));
}

/// `privacy.notice.incomplete` for a notice page under `law`: what is missing with what
/// to add, then what is stated with the sentence that states it.
fn incomplete(
    notice: &PageFacts,
    reading: &NoticeReading,
    law: &Law,
    rules: &PageRules,
) -> Option<Finding> {
    let missing = missing_of(reading, &law.elements);
    let severity = missing
        .iter()
        .filter_map(|i| rules.privacy.elements.get(*i))
        .map(|e| e.info.severity)
        .max()?;
    let names: Vec<String> = missing
        .iter()
        .filter_map(|i| rules.privacy.elements.get(*i))
        .map(element_name)
        .collect();
    let mut detail = format!(
        "the notice at {} does not state: {}",
        excerpt(&notice.url, 120),
        names.join("; "),
    );
    let mut lines = missing_lines(rules, &missing);
    lines.extend(stated_lines(rules, reading, &law.elements));
    push_lines(
        &mut detail,
        format!("judged against {}", law_name(law)),
        lines,
    );
    Some(Finding::new(
        FindingId::PrivacyNoticeIncomplete,
        severity,
        detail,
    ))
}

/// `privacy.notice.incomplete` for a notice page judged on its own under the law in
/// force at `now`. Public so that a fetched privacy page can be judged the same way.
pub fn notice_incomplete(
    notice: &PageFacts,
    rules: &PageRules,
    now: OffsetDateTime,
) -> Option<Finding> {
    let law = rules.privacy.law_at(now.date())?;
    incomplete(notice, &rules.privacy.read_notice(notice), law, rules)
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
        is_sendable,
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
        SCAN_TIME, evidence_with_chains, evidence_with_home, html_page, judge_pages, page_chain,
        page_rules, the, with_id,
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
        let collects = the(&findings, FindingId::PrivacyCollectsPersonalData);
        assert!(
            collects
                .detail
                .contains("states every element required by Nghị định 13/2023"),
            "the owner sees what the notice states: {}",
            collects.detail
        );
        assert!(
            collects.detail.contains("✓ mục đích xử lý"),
            "{}",
            collects.detail
        );

        let findings = judge_pages(&evidence_with_home(&page_with_inline_notice(
            NOTICE_INCOMPLETE,
        )));
        let f = the(&findings, FindingId::PrivacyNoticeIncomplete);
        assert_eq!(f.severity, Severity::Medium);
        let (summary, lines) = f.detail.split_once('\n').expect("detail lines");
        for missing in [
            "cách thức xử lý",
            "bên thứ ba",
            "thời gian lưu trữ",
            "hậu quả",
        ] {
            assert!(summary.contains(missing), "{missing} not in {summary}");
            assert!(lines.contains(&format!("✗ {missing}")) || lines.contains(missing));
        }
        for present in ["mục đích xử lý", "loại dữ liệu"] {
            assert!(!summary.contains(present), "{present} in {summary}");
            assert!(
                lines.contains(&format!("✓ {present}")),
                "{present}: {lines}"
            );
        }
        assert!(
            lines.contains("judged against Nghị định 13/2023/NĐ-CP"),
            "{lines}"
        );
        assert!(lines.contains("thêm: "), "what to add: {lines}");
    }

    #[test]
    fn the_law_in_force_at_scan_time_decides_the_elements() {
        let rules = page_rules();
        let notice = analyse_page(
            "https://example.test/chinh-sach/",
            &html_page(NOTICE_DECREE13, &[]),
            &PageLimits::default(),
        );
        let before = time::macros::datetime!(2025-12-31 23:00 UTC);
        let after = time::macros::datetime!(2026-01-01 00:00 UTC);
        assert_eq!(super::notice_incomplete(&notice, &rules, before), None);
        let f = super::notice_incomplete(&notice, &rules, after).expect("incomplete under Law 91");
        assert!(
            f.detail
                .contains("Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15"),
            "{}",
            f.detail
        );
        let summary = f.detail.lines().next().unwrap_or("");
        for missing in [
            "chuyển dữ liệu ra nước ngoài",
            "quyền của chủ thể",
            "bên kiểm soát",
        ] {
            assert!(summary.contains(missing), "{missing}: {summary}");
        }
    }

    #[test]
    fn sensitive_data_needs_the_stricter_notice() {
        let url = "https://example.test/thong-bao-xu-ly-du-lieu/";
        let at = |notice: &[u8]| {
            let mut evidence = evidence_with_home(APPOINTMENT);
            evidence.privacy_page = Some(page_chain(url, html_page(notice, &[])));
            judge_pages(&evidence)
        };
        let strict = at(NOTICE_HOSPITAL);
        let f = the(&strict, FindingId::PrivacyCollectsSensitiveData);
        assert_eq!(f.severity, Severity::Info, "{}", f.detail);
        assert!(f.detail.contains("tình trạng sức khỏe"), "{}", f.detail);
        assert!(
            f.detail.contains("✓ thông báo về dữ liệu cá nhân nhạy cảm"),
            "{}",
            f.detail
        );

        let weak = at(NOTICE_WEAK);
        let f = the(&weak, FindingId::PrivacyCollectsSensitiveData);
        assert_eq!(f.severity, Severity::Critical, "{}", f.detail);
        assert!(
            f.detail.contains("✗ thông báo về dữ liệu cá nhân nhạy cảm"),
            "{}",
            f.detail
        );

        let none = judge_pages(&evidence_with_home(ENROLMENT));
        let f = the(&none, FindingId::PrivacyCollectsSensitiveData);
        assert_eq!(f.severity, Severity::Critical);
        for category in ["dữ liệu của trẻ em", "dân tộc", "tôn giáo"] {
            assert!(f.detail.contains(category), "{category}: {}", f.detail);
        }
        assert!(f.detail.contains("links no privacy notice"), "{}", f.detail);
        assert!(
            with_id(
                &judge_pages(&evidence_with_home(GOV_HOME)),
                FindingId::PrivacyCollectsSensitiveData
            )
            .is_empty()
        );
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
            super::notice_incomplete(&analyse(NOTICE_COMPLETE), &rules, SCAN_TIME),
            None
        );
        let f = super::notice_incomplete(&analyse(NOTICE_INCOMPLETE), &rules, SCAN_TIME)
            .expect("incomplete");
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
