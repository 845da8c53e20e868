//! "Our scanner": who knocks on the listed websites, from where, how often, and how an
//! owner lets it through a firewall that stops it (a site that blocks it is `blocked`,
//! not assessed). The identity comes from the configuration the scanners run with.

use super::{PageCtx, layout};
use crate::publish::i18n::Lang;
use crate::publish::settings::ScannerIdentity;
use maud::{Markup, html};
use trustlabel_core::policy::LabelRules;
use trustlabel_core::schedule::Cadence;

pub struct ScannerView<'a> {
    pub identity: &'a ScannerIdentity,
    pub cadence: &'a Cadence,
    pub label_rules: &'a LabelRules,
}

fn days(d: time::Duration) -> String {
    let hours = d.whole_hours();
    if hours % 24 == 0 {
        (hours / 24).to_string()
    } else {
        format!("{:.1}", hours as f64 / 24.0)
    }
}

pub fn scanner_page(ctx: &PageCtx<'_>, view: &ScannerView<'_>) -> Markup {
    let vi = ctx.lang == Lang::Vi;
    let identity = view.identity;
    let mut by_category: Vec<(&String, &time::Duration)> =
        view.cadence.by_category.iter().collect();
    by_category.sort();
    let addresses = html! {
        @if identity.source_addresses.is_empty() {
            p { @if vi { "Chưa công bố địa chỉ nguồn; liên hệ cơ quan cấp nhãn để được cung cấp." } @else { "No source addresses are published yet; ask the labelling authority for them." } }
        } @else {
            ul class="addresses" {
                @for a in &identity.source_addresses { li { code { (a) } } }
            }
        }
    };
    let body = html! {
        @if vi {
            p { "Các website trong danh sách được đánh giá tự động bởi công cụ của " strong { (ctx.branding.authority_name) } ". Công cụ chỉ đọc những gì công khai: kết nối TLS, chứng thư, tiêu đề HTTP, trang chủ, trang chính sách quyền riêng tư và một số đường dẫn thường bị lộ. Nó không đăng nhập, không gửi biểu mẫu và không thử tấn công." }
            h2 { "Nhận diện công cụ" }
            dl class="facts" {
                dt { "User-Agent" } dd { code { (identity.user_agent) } }
                dt { "Địa chỉ IP nguồn" } dd { (addresses) }
            }
            h2 { "Tần suất" }
            p { "Mỗi website được đánh giá lại khoảng mỗi " (days(view.cadence.default)) " ngày"
                @for (category, every) in &by_category { "; nhóm " (ctx.lang.category(category)) ": mỗi " (days(**every)) " ngày" }
                ". Thời điểm được rải đều để không dồn tải vào một website; mỗi lần đánh giá gửi khoảng vài chục yêu cầu." }
            h2 { "Khi tường lửa chặn công cụ" }
            p { "Nếu website trả về trang thử thách của tường lửa ứng dụng web (WAF), CAPTCHA hoặc mã 403/429 cho công cụ trong khi vẫn phục vụ người dùng, website có trạng thái " strong { (ctx.lang.status(trustlabel_core::policy::LabelStatus::Blocked)) } ": không phải “không truy cập được”, cũng không phải “không đạt”, mà là chưa đánh giá được. Website đang có nhãn giữ nhãn qua " (view.label_rules.unreachable_after - 1) " lần bị chặn liên tiếp." }
            p { "Để cho phép: trong cấu hình WAF, CDN hoặc chống DDoS, thêm quy tắc cho phép các địa chỉ IP nguồn ở trên (nên kết hợp với User-Agent), chỉ cho công cụ này, không hạ mức bảo vệ cho người khác. Sau đó yêu cầu đánh giá lại qua đường liên kết dành cho chủ website." }
        } @else {
            p { "The websites on the list are assessed automatically by the scanner of " strong { (ctx.branding.authority_name) } ". It reads only what is public: the TLS connection, the certificate, HTTP headers, the home page, the privacy notice and a few commonly exposed paths. It does not sign in, submit forms or attempt attacks." }
            h2 { "How to recognise it" }
            dl class="facts" {
                dt { "User-Agent" } dd { code { (identity.user_agent) } }
                dt { "Source IP addresses" } dd { (addresses) }
            }
            h2 { "How often" }
            p { "Each website is assessed again about every " (days(view.cadence.default)) " days"
                @for (category, every) in &by_category { "; " (ctx.lang.category(category)) ": every " (days(**every)) " days" }
                ". Assessments are spread out so no website gets them all at once; one assessment sends a few dozen requests." }
            h2 { "When a firewall stops it" }
            p { "A website that answers the scanner with a web application firewall (WAF) challenge, a CAPTCHA or a 403/429 while it serves visitors has the status " strong { (ctx.lang.status(trustlabel_core::policy::LabelStatus::Blocked)) } ": not \"unreachable\" and not \"not labelled\", but not assessed. A labelled website keeps its label through " (view.label_rules.unreachable_after - 1) " consecutive blocked assessments." }
            p { "To allow it: in the WAF, CDN or anti-DDoS configuration, add a rule that allows the source addresses above (ideally together with the User-Agent), for this scanner only, without lowering the protection for anyone else. Then request a new assessment through the owner link." }
        }
    };
    layout(
        ctx,
        if vi {
            "Công cụ đánh giá"
        } else {
            "The scanner"
        },
        body,
    )
}
