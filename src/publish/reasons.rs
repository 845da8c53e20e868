//! Why a label changed, in the reader's language.
//!
//! The policy records each change's reason as one line of English (stored with the
//! history, so it never changes after the fact). The owner and staff pages read it in
//! Vietnamese: this module knows every sentence the policy writes (`policy/rules.rs`,
//! `policy/lifecycle.rs`, the staff decision in `web/staff.rs`), translates it, and shows
//! each finding id with its title from the catalog. A sentence it does not know (written
//! by an older version) is shown as written, marked as English.

use super::i18n::Lang;
use maud::{Markup, html};
use trustlabel_core::catalog::Catalog;
use trustlabel_core::finding::FindingId;

/// One reason, as markup in `lang`.
pub fn explain(lang: Lang, catalog: &Catalog, reason: &str) -> Markup {
    match (lang, translate(catalog, reason)) {
        (Lang::Vi, Some(parts)) => html! { @for part in &parts { (render(lang, catalog, part)) } },
        (Lang::En, _) => html! { (with_titles(Lang::En, catalog, reason)) },
        (Lang::Vi, None) => html! { span lang="en" { (reason) } },
    }
}

/// One reason as plain text in `lang` (e-mails): the same sentences as [`explain`].
pub fn explain_text(lang: Lang, catalog: &Catalog, reason: &str) -> String {
    match (lang, translate(catalog, reason)) {
        (Lang::Vi, Some(parts)) => parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.clone(),
                Part::Ids(ids) => ids
                    .iter()
                    .map(|id| format!("{} ({})", title(lang, catalog, *id), id.as_str()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        _ => reason.to_string(),
    }
}

/// A piece of a translated reason: plain text, or finding ids to show with titles.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Ids(Vec<FindingId>),
}

fn render(lang: Lang, catalog: &Catalog, part: &Part) -> Markup {
    match part {
        Part::Text(text) => html! { (text) },
        Part::Ids(ids) => html! {
            @for (i, id) in ids.iter().enumerate() {
                @if i > 0 { ", " }
                (title(lang, catalog, *id)) " (" code { (id.as_str()) } ")"
            }
        },
    }
}

fn title(lang: Lang, catalog: &Catalog, id: FindingId) -> String {
    let text = catalog.text(id);
    let title = match lang {
        Lang::Vi => &text.title_vi,
        Lang::En => &text.title_en,
    };
    title.replace('`', "")
}

/// English as stored, with each finding id's title beside it.
fn with_titles(lang: Lang, catalog: &Catalog, reason: &str) -> Markup {
    let words: Vec<&str> = reason.split_inclusive([' ', ',', '(', ')', ';']).collect();
    html! {
        @for word in words {
            @let bare = word.trim_end_matches([' ', ',', '(', ')', ';']);
            @match bare.parse::<FindingId>() {
                Ok(id) => { (title(lang, catalog, id)) " (" code { (bare) } ")" (&word[bare.len()..]) }
                Err(_) => (word),
            }
        }
    }
}

/// The Vietnamese parts of a reason, or `None` when some sentence in it is unknown.
fn translate(catalog: &Catalog, reason: &str) -> Option<Vec<Part>> {
    let text = |s: String| Part::Text(s);
    if let Some(rest) = reason.strip_prefix("staff decision by ") {
        let (who, what) = rest.split_once(": ")?;
        let what = match what.split_once(": ") {
            Some((set, why)) if set.starts_with("set status to ") => {
                let status = set.trim_start_matches("set status to ").parse().ok()?;
                format!("đặt trạng thái «{}»: {why}", Lang::Vi.status(status))
            }
            _ => what.to_string(),
        };
        return Some(vec![text(format!("Quyết định của cán bộ {who}: {what}"))]);
    }
    let outer: [(&str, &str, &str); 3] = [
        ("requirements pass again: ", "Đạt yêu cầu trở lại: ", ""),
        ("label granted again: ", "Cấp lại nhãn: ", ""),
        ("label granted: ", "Cấp nhãn: ", ""),
    ];
    for (prefix, vi, end) in outer {
        if let Some(why) = reason.strip_prefix(prefix) {
            return wrap(catalog, vi, why, end);
        }
    }
    if let Some(rest) = reason.strip_prefix("failing since this scan (") {
        let (why, until) = rest.rsplit_once("); label kept until ")?;
        return wrap(
            catalog,
            "Không đạt từ lần quét này (",
            why,
            &format!("); nhãn được giữ đến {}", vi_date(until)?),
        );
    }
    if let Some(rest) = reason.strip_prefix("still failing after the ") {
        let (days, why) = rest.split_once("-day grace period (")?;
        let why = why.strip_suffix(')')?;
        return wrap(
            catalog,
            &format!("Vẫn không đạt sau thời hạn khắc phục {days} ngày ("),
            why,
            ")",
        );
    }
    if let Some(rest) = reason.strip_prefix("label expired: no passing assessment within ") {
        let (days, last) = rest.split_once(" days (last pass ")?;
        let last = last.strip_suffix(')')?;
        return Some(vec![text(format!(
            "Nhãn hết hiệu lực: không có lần đánh giá đạt nào trong {days} ngày (lần đạt gần nhất {})",
            vi_date(last)?
        ))]);
    }
    if let Some((n, why)) = reason.split_once(" consecutive scans could not reach the site (") {
        n.parse::<u32>().ok()?;
        return wrap(
            catalog,
            &format!("{n} lần quét liên tiếp không truy cập được website ("),
            why.strip_suffix(')')?,
            ")",
        );
    }
    verdict_reasons(catalog, reason)
}

/// `prefix` + the verdict's reasons + `suffix`.
fn wrap(catalog: &Catalog, prefix: &str, why: &str, suffix: &str) -> Option<Vec<Part>> {
    let mut parts = vec![Part::Text(prefix.to_string())];
    parts.extend(verdict_reasons(catalog, why)?);
    if !suffix.is_empty() {
        parts.push(Part::Text(suffix.to_string()));
    }
    Some(parts)
}

/// The verdict's reasons, joined by `; ` as the policy joins them.
fn verdict_reasons(catalog: &Catalog, why: &str) -> Option<Vec<Part>> {
    let mut parts = Vec::new();
    for (i, reason) in why.split("; ").enumerate() {
        if i > 0 {
            parts.push(Part::Text("; ".into()));
        }
        parts.extend(verdict_reason(catalog, reason)?);
    }
    Some(parts)
}

fn ids(list: &str) -> Option<Vec<FindingId>> {
    list.split(", ").map(|id| id.trim().parse().ok()).collect()
}

fn verdict_reason(_catalog: &Catalog, reason: &str) -> Option<Vec<Part>> {
    let text = |s: String| Part::Text(s);
    if let Some(list) = reason.strip_prefix("blocking findings: ") {
        return Some(vec![
            text("phát hiện chặn nhãn: ".into()),
            Part::Ids(ids(list)?),
        ]);
    }
    if let Some(rest) = reason.strip_prefix("the site could not be assessed (") {
        return Some(vec![
            text("không đánh giá được website (".into()),
            Part::Ids(ids(rest.strip_suffix(')')?)?),
            text(")".into()),
        ]);
    }
    if let Some(rest) = reason.strip_prefix("grade ") {
        if let Some((grade, minimum)) = rest.split_once(" is below the required ") {
            return Some(vec![text(format!(
                "hạng {grade} thấp hơn mức yêu cầu {minimum}"
            ))]);
        }
    }
    if let Some(rest) = reason.strip_prefix("all label requirements pass with grade ") {
        let (grade, score) = rest.split_once(" (score ")?;
        let score = score.strip_suffix(')')?;
        return Some(vec![text(format!(
            "đạt mọi yêu cầu của nhãn với hạng {grade} (điểm {score})"
        ))]);
    }
    if let Some(rest) = reason.strip_prefix("TLS rating ") {
        let (score, rest) = rest.split_once(" (protocol ")?;
        let (protocol, rest) = rest.split_once(", key exchange ")?;
        let (kx, rest) = rest.split_once(", cipher strength ")?;
        let (cipher, cap) = rest.split_once(") caps the grade at ")?;
        return Some(vec![text(format!(
            "điểm TLS {score} (giao thức {protocol}, trao đổi khóa {kx}, độ mạnh mã hóa {cipher}) giới hạn hạng ở mức {cap}"
        ))]);
    }
    if let Some((id, rest)) = reason.split_once(" will block the label from ") {
        let date = rest.strip_suffix(" (a new requirement, in its grace period)")?;
        return Some(vec![
            Part::Ids(vec![id.parse().ok()?]),
            text(format!(
                " sẽ chặn nhãn từ ngày {} (yêu cầu mới, đang trong thời gian chuyển tiếp)",
                vi_date(date)?
            )),
        ]);
    }
    None
}

/// `2026-03-02` as `02/03/2026`.
fn vi_date(iso: &str) -> Option<String> {
    let mut parts = iso.trim().split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    (y.len() == 4 && m.len() == 2 && d.len() == 2).then(|| format!("{d}/{m}/{y}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use trustlabel_core::finding::{Finding, Severity};
    use trustlabel_core::policy::{
        LabelRules, LabelState, LabelStatus, Policy, expire_label, next_label, staff_override,
    };

    fn catalog() -> Catalog {
        Catalog::builtin().unwrap()
    }

    /// Every reason the policy writes in the scenarios of a site's life.
    fn reasons_of_a_life() -> Vec<String> {
        let policy = Policy::builtin().unwrap();
        let rules = LabelRules::default();
        let t0 = datetime!(2026-03-01 08:00 UTC);
        let day = |d: i64| t0 + time::Duration::days(d);
        let pass = policy.evaluate_at(&[], None, Some(t0));
        let blocking = policy.evaluate_at(
            &[
                Finding::new(FindingId::TlsProtoTls10, Severity::High, "x"),
                Finding::new(FindingId::HeaderHstsMissing, Severity::Medium, "x"),
            ],
            None,
            Some(t0),
        );
        let unreachable = policy.evaluate_at(
            &[Finding::new(
                FindingId::SiteUnreachable,
                Severity::High,
                "x",
            )],
            None,
            Some(t0),
        );
        let mut reasons = Vec::new();
        let mut push = |t: Option<trustlabel_core::policy::Transition>| {
            if let Some(t) = t {
                reasons.push(t.reason);
            }
        };
        let (labelled, t) = next_label(&LabelState::not_assessed(), &pass, t0, &rules);
        push(t);
        let (at_risk, t) = next_label(&labelled, &blocking, day(1), &rules);
        push(t);
        let (revoked, t) = next_label(&at_risk, &blocking, day(1 + rules.grace_days), &rules);
        push(t);
        let (again, t) = next_label(&revoked, &pass, day(40), &rules);
        push(t);
        push(expire_label(&again, day(40 + rules.validity_days), &rules).map(|(_, t)| t));
        let (failing, t) = next_label(&LabelState::not_assessed(), &blocking, t0, &rules);
        push(t);
        let mut down = failing;
        for d in 1..=rules.unreachable_after {
            let (next, t) = next_label(&down, &unreachable, day(i64::from(d)), &rules);
            push(t);
            down = next;
        }
        let (_, t) = next_label(&LabelState::not_assessed(), &unreachable, t0, &rules);
        push(t);
        let (back, t) = next_label(&at_risk, &pass, day(2), &rules);
        push(t);
        let (_, t) = staff_override(
            &back,
            LabelStatus::Revoked,
            None,
            day(3),
            "staff decision by lan: set status to revoked: trang bị tấn công".into(),
        );
        push(t);
        reasons
    }

    #[test]
    fn every_reason_the_policy_writes_reads_in_vietnamese() {
        let catalog = catalog();
        let reasons = reasons_of_a_life();
        for sentence in [
            "label granted: ",
            "failing since this scan",
            "still failing after the",
            "label granted again",
            "label expired",
            "consecutive scans could not reach",
            "the site could not be assessed",
            "requirements pass again",
            "staff decision by",
            "blocking findings",
        ] {
            assert!(
                reasons.iter().any(|r| r.contains(sentence)),
                "the scenarios write `{sentence}`: {reasons:#?}"
            );
        }
        for reason in &reasons {
            let parts = translate(&catalog, reason)
                .unwrap_or_else(|| panic!("no Vietnamese for: {reason}"));
            let html = explain(Lang::Vi, &catalog, reason).into_string();
            for english in [
                "label", "grade ", "failing", "scan", "the site", "findings", "pass",
            ] {
                let outside_code = html
                    .split("<code>")
                    .map(|s| s.split("</code>").last().unwrap_or(""))
                    .collect::<String>();
                assert!(
                    !outside_code.contains(english),
                    "English `{english}` left in {html} (from {reason}, {parts:?})"
                );
            }
        }
    }

    #[test]
    fn finding_ids_are_shown_with_their_titles_and_dates_the_vietnamese_way() {
        let catalog = catalog();
        let html = explain(
            Lang::Vi,
            &catalog,
            "failing since this scan (blocking findings: tls.proto.tls10); label kept until 2026-03-15",
        )
        .into_string();
        let title = &catalog.text(FindingId::TlsProtoTls10).title_vi;
        assert!(html.contains(&title.replace('`', "")), "{html}");
        assert!(html.contains("<code>tls.proto.tls10</code>"), "{html}");
        assert!(html.contains("15/03/2026"), "{html}");
        let en = explain(Lang::En, &catalog, "blocking findings: tls.proto.tls10").into_string();
        assert!(
            en.contains(
                &catalog
                    .text(FindingId::TlsProtoTls10)
                    .title_en
                    .replace('`', "")
            )
        );
    }

    #[test]
    fn an_unknown_sentence_is_shown_as_written_and_marked_english() {
        let html = explain(Lang::Vi, &catalog(), "something an old version wrote").into_string();
        assert_eq!(
            html,
            "<span lang=\"en\">something an old version wrote</span>"
        );
    }
}
