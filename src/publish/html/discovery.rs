//! The staff candidate queue: hosts discovery found (CT logs, links, certificates) with
//! where each was seen and what the light probe saw, filters, and the accept / dismiss
//! forms. Accepting files the host as a target under an organisation, category and
//! province; dismissing needs one of the stated reasons. Vietnamese first.

use super::staff::{csrf_field, session_bar};
use super::{PageCtx, date_time, layout};
use crate::publish::i18n::Lang;
use maud::{Markup, html};
use trustlabel_store::{Candidate, CandidateState, SourceKind};

/// Reasons a candidate may be dismissed for, with their vi / en labels.
pub const DISMISS_REASONS: &[(&str, &str, &str)] = &[
    ("out-of-scope", "Ngoài phạm vi", "Out of scope"),
    ("duplicate", "Trùng với website khác", "Duplicate"),
    ("parked", "Tên miền để trống / chờ bán", "Parked"),
];

/// The queue's filters as the URL gives them.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: Option<CandidateState>,
    pub kind: Option<SourceKind>,
    pub suffix: String,
}

fn state_label(vi: bool, state: CandidateState) -> &'static str {
    match (state, vi) {
        (CandidateState::Pending, true) => "Chờ xem xét",
        (CandidateState::Pending, false) => "Pending",
        (CandidateState::Accepted, true) => "Đã nhận vào danh sách",
        (CandidateState::Accepted, false) => "Accepted",
        (CandidateState::Dismissed, true) => "Đã loại",
        (CandidateState::Dismissed, false) => "Dismissed",
    }
}

fn kind_label(vi: bool, kind: SourceKind) -> &'static str {
    match (kind, vi) {
        (SourceKind::CtLog, true) => "Nhật ký minh bạch chứng thư (CT)",
        (SourceKind::CtLog, false) => "Certificate Transparency log",
        (SourceKind::Link, true) => "Liên kết trên trang đã quét",
        (SourceKind::Link, false) => "Link on a scanned page",
        (SourceKind::Certificate, true) => "Chứng thư của website đã quét",
        (SourceKind::Certificate, false) => "Certificate of a scanned site",
    }
}

pub fn staff_discovery_page(
    ctx: &PageCtx<'_>,
    csrf: &str,
    filter: &QueueFilter,
    candidates: &[Candidate],
    provinces: &[&str],
    message: Option<&str>,
) -> Markup {
    let vi = ctx.lang == Lang::Vi;
    let lang_q = if vi { "" } else { "?lang=en" };
    let title = if vi {
        "Website mới phát hiện"
    } else {
        "Discovered websites"
    };
    let body = html! {
        (session_bar(ctx, csrf))
        @if let Some(message) = message {
            p class="notice" role="status" { (message) }
        }
        form method="get" action="/staff/discovery" class="filters" {
            @if !vi { input type="hidden" name="lang" value="en"; }
            p {
                label for="f-state" { (if vi { "Trạng thái" } else { "State" }) }
                select id="f-state" name="state" {
                    option value="" { (if vi { "Tất cả" } else { "All" }) }
                    @for s in CandidateState::ALL {
                        option value=(s.as_str()) selected[filter.state == Some(s)] { (state_label(vi, s)) }
                    }
                }
            }
            p {
                label for="f-source" { (if vi { "Nguồn" } else { "Source" }) }
                select id="f-source" name="source" {
                    option value="" { (if vi { "Tất cả" } else { "All" }) }
                    @for k in [SourceKind::CtLog, SourceKind::Link, SourceKind::Certificate] {
                        option value=(k.as_str()) selected[filter.kind == Some(k)] { (kind_label(vi, k)) }
                    }
                }
            }
            p {
                label for="f-suffix" { (if vi { "Tên miền kết thúc bằng" } else { "Host ends with" }) }
                input id="f-suffix" name="suffix" type="text" value=(filter.suffix) maxlength="253";
            }
            button type="submit" { (if vi { "Lọc" } else { "Filter" }) }
        }
        p { (candidates.len()) " " (if vi { "website" } else { "hosts" }) }
        @for (i, c) in candidates.iter().enumerate() {
            section class="card" aria-labelledby=(format!("c{i}")) {
                h2 id=(format!("c{i}")) { (c.host) }
                p {
                    (state_label(vi, c.state))
                    @if let Some(reason) = &c.reason { " · " (reason) }
                    @if let Some(by) = &c.decided_by { " · " (by) }
                }
                p {
                    (if vi { "Thăm dò: " } else { "Probe: " })
                    (c.probe.as_deref().unwrap_or(if vi { "chưa thăm dò" } else { "not probed yet" }))
                    " · " (if vi { "thấy lần đầu " } else { "first seen " }) (date_time(ctx, c.first_seen))
                    " · " (if vi { "lần cuối " } else { "last seen " }) (date_time(ctx, c.last_seen))
                }
                ul {
                    @for s in &c.sources {
                        li { (kind_label(vi, s.kind)) ": " code class="evidence" { (s.source) } @if !s.detail.is_empty() { " (" (s.detail) ")" } }
                    }
                }
                @if c.state == CandidateState::Pending {
                    form method="post" action=(format!("/staff/discovery/{}/accept{lang_q}", c.host)) {
                        (csrf_field(csrf))
                        p {
                            label for=(format!("org{i}")) { (if vi { "Cơ quan, tổ chức" } else { "Organisation" }) }
                            input id=(format!("org{i}")) name="organisation" type="text" required maxlength="200";
                        }
                        p {
                            label for=(format!("cat{i}")) { (if vi { "Loại" } else { "Category" }) }
                            input id=(format!("cat{i}")) name="category" type="text" required maxlength="100" value="government";
                        }
                        p {
                            label for=(format!("prov{i}")) { (if vi { "Tỉnh, thành phố" } else { "Province" }) }
                            select id=(format!("prov{i}")) name="province" required {
                                @for p in provinces { option value=(p) { (p) } }
                            }
                        }
                        button type="submit" { (if vi { "Nhận vào danh sách đánh giá" } else { "Accept for assessment" }) }
                    }
                    form method="post" action=(format!("/staff/discovery/{}/dismiss{lang_q}", c.host)) {
                        (csrf_field(csrf))
                        p {
                            label for=(format!("why{i}")) { (if vi { "Lý do loại" } else { "Reason to dismiss" }) }
                            select id=(format!("why{i}")) name="reason" {
                                @for (value, vi_text, en_text) in DISMISS_REASONS {
                                    option value=(value) { (if vi { vi_text } else { en_text }) }
                                }
                            }
                        }
                        p {
                            label for=(format!("note{i}")) { (if vi { "Ghi chú" } else { "Note" }) }
                            input id=(format!("note{i}")) name="note" type="text" maxlength="300";
                        }
                        button type="submit" { (if vi { "Loại" } else { "Dismiss" }) }
                    }
                }
            }
        }
    };
    layout(ctx, title, body)
}
