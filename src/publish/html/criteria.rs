//! "What the label means": what it certifies and what it does not, the criteria in force
//! (generated from the policy file, so the page can never disagree with the verdicts),
//! how and how often a site is assessed, and how to dispute a result.

use super::{PageCtx, layout, rich_text};
use crate::publish::i18n::Lang;
use maud::{Markup, html};
use time::OffsetDateTime;
use trustlabel_core::catalog::Catalog;
use trustlabel_core::finding::FindingId;
use trustlabel_core::policy::{Policy, Price};
use trustlabel_core::schedule::Cadence;

pub struct CriteriaView<'a> {
    pub policy: &'a Policy,
    pub catalog: &'a Catalog,
    pub cadence: &'a Cadence,
    /// The day the page is read, for "announced" versus "in force" rules.
    pub today: OffsetDateTime,
}

fn finding_title(lang: Lang, catalog: &Catalog, id: FindingId) -> Markup {
    let text = catalog.text(id);
    let title = match lang {
        Lang::Vi => &text.title_vi,
        Lang::En => &text.title_en,
    };
    html! { (rich_text(title)) " (" code { (id.as_str()) } ")" }
}

fn day(lang: Lang, date: time::Date) -> String {
    match lang {
        Lang::Vi => format!(
            "{:02}/{:02}/{}",
            date.day(),
            u8::from(date.month()),
            date.year()
        ),
        Lang::En => date.to_string(),
    }
}

pub fn criteria_page(ctx: &PageCtx<'_>, view: &CriteriaView<'_>) -> Markup {
    let lang = ctx.lang;
    let vi = lang == Lang::Vi;
    let policy = view.policy;
    let rules = &policy.label_rules;
    let today = view.today.date();
    let grace = time::Duration::days(policy.new_blocking_grace_days);
    let (in_force, announced): (Vec<FindingId>, Vec<(FindingId, time::Date)>) = {
        let mut in_force = Vec::new();
        let mut announced = Vec::new();
        for id in &policy.blocking {
            match policy.blocking_since.get(id) {
                Some(since) if today < *since + grace => announced.push((*id, *since + grace)),
                _ => in_force.push(*id),
            }
        }
        (in_force, announced)
    };
    let authority = &ctx.branding.authority_name;
    let cadence_days = view.cadence.default.whole_hours() as f64 / 24.0;
    let body = html! {
        @if vi {
            p { "Nhãn Tín nhiệm mạng do " strong { (authority) } " cấp cho website đáp ứng các yêu cầu an toàn và bảo vệ dữ liệu cá nhân dưới đây, được kiểm tra tự động và định kỳ." }
            h2 { "Nhãn chứng nhận điều gì" }
            ul {
                li { "Kết nối tới website được mã hóa bằng chứng thư hợp lệ, đúng tên miền, và luôn dùng HTTPS (có HSTS)." }
                li { "Website không dùng giao thức và bộ mã hóa đã lỗi thời." }
                li { "Nơi website thu thập dữ liệu cá nhân có thông báo về xử lý dữ liệu cá nhân, và biểu mẫu không gửi dữ liệu qua kết nối không mã hóa." }
                li { "Không phát hiện tệp nhạy cảm bị lộ, phần mềm có lỗ hổng nghiêm trọng đã biết, hay dấu hiệu bị chèn nội dung cờ bạc, lừa đảo." }
            }
            h2 { "Nhãn không chứng nhận điều gì" }
            ul {
                li { "Nhãn không bảo đảm website không có lỗ hổng: kiểm tra tự động chỉ thấy những gì nhìn được từ bên ngoài." }
                li { "Nhãn không đánh giá chất lượng hàng hóa, dịch vụ hay độ tin cậy kinh doanh của chủ website." }
                li { "Nhãn không thay thế việc tuân thủ đầy đủ pháp luật về bảo vệ dữ liệu cá nhân và an toàn thông tin." }
            }
        } @else {
            p { "The network trust label is granted by " strong { (authority) } " to websites that meet the security and personal-data requirements below, checked automatically and regularly." }
            h2 { "What the label certifies" }
            ul {
                li { "Connections to the site are encrypted with a valid certificate for its name, and HTTPS is always used (HSTS)." }
                li { "The site uses no outdated protocol or cipher." }
                li { "Where the site collects personal data, it publishes a processing notice, and its forms never send data unencrypted." }
                li { "No exposed sensitive files, no software with known critical vulnerabilities and no sign of injected gambling or scam content were found." }
            }
            h2 { "What the label does not certify" }
            ul {
                li { "It does not guarantee the site has no vulnerability: automated checks see only what is visible from outside." }
                li { "It does not judge the goods, services or business reliability of the site's owner." }
                li { "It does not replace full compliance with personal-data and information-security law." }
            }
        }
        h2 { (if vi { "Tiêu chí đang áp dụng" } else { "Criteria in force" }) }
        p {
            (if vi { "Phiên bản chính sách: " } else { "Policy version: " }) code { (policy.version) }
            ". "
            (if vi { "Hạng tối thiểu để được gắn nhãn: " } else { "Minimum grade for the label: " })
            strong { (policy.minimum_grade.to_string()) } "."
        }
        h3 { (if vi { "Không được có các phát hiện sau" } else { "None of these findings" }) }
        ul { @for id in &in_force { li { (finding_title(lang, view.catalog, *id)) } } }
        @if !policy.blocking_when_critical.is_empty() {
            h3 { (if vi { "Không được có ở mức nghiêm trọng" } else { "None of these at critical severity" }) }
            ul { @for id in &policy.blocking_when_critical { li { (finding_title(lang, view.catalog, *id)) } } }
        }
        @if !announced.is_empty() {
            h3 { (if vi { "Yêu cầu mới đã công bố" } else { "New requirements announced" }) }
            p class="hint" {
                (if vi { "Các yêu cầu này được báo cho chủ website ngay nhưng chỉ bắt đầu chặn nhãn từ ngày ghi bên cạnh." }
                 else { "Owners are told of these now; they block the label only from the date given." })
            }
            ul { @for (id, from) in &announced { li { (finding_title(lang, view.catalog, *id)) " — " (if vi { "chặn nhãn từ " } else { "blocks from " }) (day(lang, *from)) } } }
        }
        h3 { (if vi { "Bảng xếp hạng" } else { "Grade table" }) }
        p class="hint" {
            (if vi { "Điểm bắt đầu từ 100, mỗi phát hiện trừ điểm theo mức độ; một số lỗi TLS và chứng thư giới hạn hạng tối đa (theo cách của SSL Labs)." }
             else { "Scores start at 100 and each finding deducts by its weight; some TLS and certificate faults cap the grade (as SSL Labs does)." })
        }
        table class="cards" {
            thead { tr { th scope="col" { (if vi { "Hạng" } else { "Grade" }) } th scope="col" { (if vi { "Điểm tối thiểu" } else { "Minimum score" }) } } }
            tbody {
                @for (grade, min) in &policy.grades {
                    tr { th scope="row" { (grade.to_string()) } td data-label=(if vi { "Điểm tối thiểu" } else { "Minimum score" }) { (min) } }
                }
            }
        }
        (pricing(lang, policy, view.catalog))
        (differences(lang, policy))
        h2 { (if vi { "Đánh giá như thế nào và bao lâu một lần" } else { "How and how often sites are assessed" }) }
        ul {
            @if vi {
                li { "Mỗi website được quét tự động khoảng " (format!("{cadence_days:.0}")) " ngày một lần (có thể khác theo lĩnh vực); chủ website có thể yêu cầu quét lại sau khi khắc phục." }
                li { "Nhãn có hiệu lực " (rules.validity_days) " ngày kể từ lần đánh giá đạt gần nhất." }
                li { "Website đang có nhãn mà không đạt sẽ ở trạng thái «có nguy cơ mất nhãn» trong " (rules.grace_days) " ngày để khắc phục, sau đó bị thu hồi nhãn." }
                li { "Website chỉ bị coi là không truy cập được sau " (rules.unreachable_after) " lần quét liên tiếp không kết nối được." }
                li { "Cấp Nâng cao cần thêm một đánh giá thủ công do cán bộ của cơ quan cấp nhãn thực hiện và xác nhận." }
            } @else {
                li { "Each site is scanned automatically about every " (format!("{cadence_days:.0}")) " day(s) (it may differ by category); owners can ask for a re-scan after a fix." }
                li { "A label is valid for " (rules.validity_days) " days from the latest passing assessment." }
                li { "A labelled site that fails is «at risk» for " (rules.grace_days) " days to fix it, then the label is revoked." }
                li { "A site counts as unreachable only after " (rules.unreachable_after) " consecutive scans could not connect." }
                li { "The advanced level also needs a manual assessment carried out and attested by the authority's staff." }
            }
        }
        h2 { (if vi { "Khiếu nại kết quả" } else { "Disputing a result" }) }
        p {
            @if vi {
                "Chủ website xem chi tiết phát hiện và cách khắc phục qua đường dẫn riêng do cơ quan cấp nhãn gửi, có thể yêu cầu quét lại ngay trên trang đó. Nếu cho rằng kết quả chưa đúng, hãy liên hệ "
            } @else {
                "Owners see the detailed findings and how to fix them through the private link the authority sends, and can ask for a re-scan there. If you believe a result is wrong, contact "
            }
            strong { (authority) }
            @if let Some(contact) = &ctx.branding.contact {
                ": "
                @if contact.starts_with("mailto:") || contact.starts_with("https://") {
                    a href=(contact) { (contact.trim_start_matches("mailto:")) }
                } @else { (contact) }
            }
            "."
        }
    };
    layout(
        ctx,
        if vi {
            "Ý nghĩa của Nhãn Tín nhiệm mạng"
        } else {
            "What the trust label means"
        },
        body,
    )
}

/// The prices that depend on what exactly was seen, and the bonuses, from the policy.
fn pricing(lang: Lang, policy: &Policy, catalog: &Catalog) -> Markup {
    let vi = lang == Lang::Vi;
    let mut detailed: Vec<(&FindingId, &Price)> = policy
        .modifiers
        .iter()
        .filter(|(_, p)| !p.by_kind.is_empty() || !p.by_severity.is_empty())
        .collect();
    detailed.sort_by_key(|(id, _)| **id);
    let mut bonuses: Vec<(&FindingId, &Price)> = policy.bonuses.iter().collect();
    bonuses.sort_by_key(|(id, _)| **id);
    let cases = |price: &Price| -> Vec<(String, i32)> {
        price
            .by_kind
            .iter()
            .map(|(k, p)| (k.clone(), *p))
            .chain(price.by_severity.iter().map(|(s, p)| (s.to_string(), *p)))
            .chain(std::iter::once((
                (if vi { "còn lại" } else { "otherwise" }).to_string(),
                price.default,
            )))
            .collect()
    };
    html! {
        @if !detailed.is_empty() {
            h3 { (if vi { "Mức trừ điểm theo chi tiết" } else { "Deductions by detail" }) }
            p class="hint" {
                (if vi { "Một phát hiện bị trừ theo điều cụ thể được thấy (ví dụ script từ mọi nguồn so với ảnh qua http); khi có nhiều điều, tính điều nặng nhất. Kết quả đánh giá ghi rõ từng mức đã áp dụng." }
                 else { "A finding costs according to what exactly was seen (scripts from anywhere versus images over http); with several, the worst counts. Every verdict records each price applied." })
            }
            table class="cards" {
                thead { tr { th scope="col" { (if vi { "Phát hiện" } else { "Finding" }) } th scope="col" { (if vi { "Trường hợp → điểm" } else { "Case → points" }) } } }
                tbody {
                    @for (id, price) in &detailed {
                        tr {
                            th scope="row" { (finding_title(lang, catalog, **id)) }
                            td data-label=(if vi { "Trường hợp → điểm" } else { "Case → points" }) {
                                @for (case, points) in cases(price) { code { (case) } " → " (points) br; }
                            }
                        }
                    }
                }
            }
        }
        @if !bonuses.is_empty() {
            h3 { (if vi { "Điểm cộng" } else { "Bonuses" }) }
            p class="hint" {
                @if vi {
                    "Như MDN HTTP Observatory, các biện pháp vượt mức tối thiểu được cộng điểm, nhưng chỉ khi điểm trước khi cộng đạt ít nhất " (policy.bonus_min_score) "."
                } @else {
                    "As in the MDN HTTP Observatory, measures beyond the minimum earn points, but only when the score before bonuses is at least " (policy.bonus_min_score) "."
                }
            }
            ul {
                @for (id, price) in &bonuses {
                    li {
                        (finding_title(lang, catalog, **id)) ": "
                        @for (i, (case, points)) in cases(price).into_iter().enumerate() {
                            @if i > 0 { ", " }
                            @if price.by_kind.is_empty() && price.by_severity.is_empty() { "+" (points) }
                            @else { code { (case) } " +" (points) }
                        }
                    }
                }
            }
        }
    }
}

/// Where the policy deliberately differs from the Observatory (its own data).
fn differences(lang: Lang, policy: &Policy) -> Markup {
    let vi = lang == Lang::Vi;
    html! {
        @if !policy.differences.is_empty() {
            h3 { (if vi { "Khác biệt có chủ đích với MDN HTTP Observatory" } else { "Where this label deliberately differs from the MDN HTTP Observatory" }) }
            dl {
                @for d in &policy.differences {
                    dt { (if vi { &d.topic_vi } else { &d.topic_en }) }
                    dd { (if vi { &d.vi } else { &d.en }) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::links::Links;
    use crate::publish::settings::Branding;
    use crate::publish::zone::DisplayZone;
    use time::macros::datetime;

    fn page(policy: &Policy, lang: Lang, today: OffsetDateTime) -> String {
        let zone = DisplayZone::default();
        let branding = Branding {
            authority_name: "Cục Thử nghiệm".into(),
            authority_short: "CTN".into(),
            contact: Some("mailto:nhan@example.vn".into()),
        };
        let ctx = PageCtx {
            lang,
            links: Links::live(lang),
            branding: &branding,
            other_language: String::new(),
            staff_user: None,
            refresh_secs: None,
            zone: &zone,
        };
        criteria_page(
            &ctx,
            &CriteriaView {
                policy,
                catalog: &Catalog::builtin().unwrap(),
                cadence: &Cadence::default(),
                today,
            },
        )
        .into_string()
    }

    #[test]
    fn the_criteria_are_those_of_the_policy_in_force() {
        let policy = Policy::builtin().unwrap();
        let html = page(&policy, Lang::Vi, datetime!(2030-01-01 00:00 UTC));
        for id in &policy.blocking {
            assert!(
                html.contains(&format!("<code>{}</code>", id.as_str())),
                "{id}"
            );
        }
        assert!(html.contains(&policy.version));
        assert!(html.contains(&format!("{} ngày", policy.label_rules.validity_days)));
        assert!(html.contains("Cục Thử nghiệm") && html.contains("nhan@example.vn"));
        assert!(html.contains("Nhãn không chứng nhận điều gì"));
        let en = page(&policy, Lang::En, datetime!(2030-01-01 00:00 UTC));
        assert!(en.contains("What the label does not certify"));
    }

    #[test]
    fn the_page_shows_prices_by_detail_bonuses_and_differences_from_the_observatory() {
        let policy = Policy::builtin().unwrap();
        for (lang, heading) in [
            (Lang::Vi, "Khác biệt có chủ đích với MDN HTTP Observatory"),
            (
                Lang::En,
                "deliberately differs from the MDN HTTP Observatory",
            ),
        ] {
            let html = page(&policy, lang, datetime!(2030-01-01 00:00 UTC));
            assert!(html.contains(heading), "{lang:?}");
            for d in &policy.differences {
                let text = if lang == Lang::Vi { &d.vi } else { &d.en };
                let escaped = maud::html! { (text) }.into_string();
                assert!(html.contains(&escaped), "{lang:?}: {}", d.topic_en);
            }
            assert!(
                html.contains("<code>script_unsafe_eval</code> → -10"),
                "{lang:?}"
            );
            assert!(
                html.contains("<code>header.coop.protective</code>"),
                "{lang:?}"
            );
        }
        let mut none = policy.clone();
        none.differences.clear();
        let html = page(&none, Lang::En, datetime!(2030-01-01 00:00 UTC));
        assert!(!html.contains("deliberately differs"));
    }

    #[test]
    fn a_new_blocking_rule_is_announced_with_the_day_it_starts_to_block() {
        let mut policy = Policy::builtin().unwrap();
        let id = FindingId::HeaderCspMissing;
        policy.blocking.insert(id);
        // Only this rule is new (the built-in policy may be announcing others).
        policy.blocking_since.clear();
        policy
            .blocking_since
            .insert(id, time::macros::date!(2026 - 12 - 01));
        let grace = policy.new_blocking_grace_days;
        let during = page(&policy, Lang::Vi, datetime!(2026-12-02 00:00 UTC));
        let from = time::macros::date!(2026 - 12 - 01) + time::Duration::days(grace);
        let announced = during
            .split("Yêu cầu mới đã công bố")
            .nth(1)
            .expect("announced");
        assert!(announced.contains("header.csp.missing"), "{during}");
        assert!(announced.contains(&day(Lang::Vi, from)));
        let after = page(
            &policy,
            Lang::Vi,
            OffsetDateTime::new_utc(from, time::Time::MIDNIGHT),
        );
        assert!(
            !after.contains("Yêu cầu mới đã công bố"),
            "in force from that day"
        );
    }
}
