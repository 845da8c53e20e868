//! The e-mail a site's contact receives when its label changes, in Vietnamese then
//! English. Pure: the target, the transition and the publishing identity in.

use crate::publish::i18n::Lang;
use crate::publish::reasons::explain_text;
use trustlabel_core::catalog::Catalog;
use trustlabel_core::changes::Changes;
use trustlabel_core::finding::FindingId;
use trustlabel_core::policy::{LabelStatus, Transition};
use trustlabel_core::target::Target;
use trustlabel_store::Notification;

/// Who writes, and where the public verification page lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notices {
    pub authority_name: String,
    /// Absolute base URL without a trailing slash.
    pub public_url: String,
    /// Where owners can ask questions (shown in the message), if configured.
    pub contact: Option<String>,
}

/// A finding that appeared or was fixed at the scan behind a change, with its titles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLine {
    pub fixed: bool,
    pub id: FindingId,
    pub title_vi: String,
    pub title_en: String,
}

impl ChangeLine {
    /// The lines of `changes`, fixes first, titled from `catalog`.
    pub fn from_changes(changes: &Changes, catalog: &Catalog) -> Vec<ChangeLine> {
        let line = |fixed: bool, id: FindingId| {
            let text = catalog.text(id);
            ChangeLine {
                fixed,
                id,
                title_vi: text.title_vi.replace('`', ""),
                title_en: text.title_en.replace('`', ""),
            }
        };
        changes
            .resolved
            .iter()
            .map(|(id, _)| line(true, *id))
            .chain(changes.added.iter().map(|(id, _)| line(false, *id)))
            .collect()
    }
}

/// The message for this change, or `None` when it is not one an owner must hear of
/// (label granted, at risk, revoked, or lost to unreachability) or the target has no
/// contact address.
pub fn message_for(
    target: &Target,
    transition: &Transition,
    notices: &Notices,
) -> Option<Notification> {
    message_with_changes(target, transition, notices, None, &[])
}

/// [`message_for`], saying what changed at the scan behind it (findings fixed and new)
/// and, with the catalog, the reason in Vietnamese too.
pub fn message_with_changes(
    target: &Target,
    transition: &Transition,
    notices: &Notices,
    catalog: Option<&Catalog>,
    changes: &[ChangeLine],
) -> Option<Notification> {
    let matters = match transition.to {
        LabelStatus::Labelled | LabelStatus::AtRisk | LabelStatus::Revoked => true,
        LabelStatus::Unreachable | LabelStatus::Blocked => transition.from.holds_label(),
        LabelStatus::NotAssessed | LabelStatus::NotLabelled => false,
    };
    let recipient = target.contact_email.trim();
    if !matters || recipient.is_empty() {
        return None;
    }
    let host = &target.host;
    let page = format!("{}/site/{host}", notices.public_url);
    let (vi_to, en_to) = (
        Lang::Vi.status(transition.to),
        Lang::En.status(transition.to),
    );
    let (vi_from, en_from) = (
        Lang::Vi.status(transition.from),
        Lang::En.status(transition.from),
    );
    let date = transition.at.date();
    let (vi_advice, en_advice) = match transition.to {
        LabelStatus::Labelled => (
            "Trang web đã đáp ứng mọi yêu cầu của nhãn.",
            "The site meets every requirement of the label.",
        ),
        LabelStatus::AtRisk => (
            "Trang web không còn đáp ứng yêu cầu. Nhãn được giữ trong thời gian ân hạn; hãy khắc phục trước khi hết hạn để tránh bị thu hồi.",
            "The site no longer meets the requirements. The label is kept during a grace period; fix the findings before it ends to avoid revocation.",
        ),
        LabelStatus::Revoked => (
            "Nhãn đã bị thu hồi. Sau khi khắc phục, hãy yêu cầu quét lại từ trang dành cho chủ sở hữu.",
            "The label has been revoked. Once fixed, request a re-scan from the owner page.",
        ),
        _ => (
            "Hệ thống không thể truy cập trang web trong nhiều lần quét liên tiếp.",
            "The scanner could not reach the site in several consecutive scans.",
        ),
    };
    let contact = notices
        .contact
        .as_deref()
        .map(|c| format!("\nLiên hệ / Contact: {c}\n"))
        .unwrap_or_default();
    let subject = format!("[{}] {host}: {vi_to} / {en_to}", notices.authority_name);
    let reason_vi = catalog
        .map(|c| explain_text(Lang::Vi, c, &transition.reason))
        .unwrap_or_else(|| transition.reason.clone());
    let lines = |vi: bool| -> String {
        let mut out = String::new();
        for (fixed, heading) in [
            (true, if vi { "Đã khắc phục" } else { "Fixed" }),
            (
                false,
                if vi {
                    "Phát hiện mới"
                } else {
                    "New findings"
                },
            ),
        ] {
            let items: Vec<&ChangeLine> = changes.iter().filter(|c| c.fixed == fixed).collect();
            if items.is_empty() {
                continue;
            }
            out.push_str(&format!("{heading}:\n"));
            for c in items {
                let title = if vi { &c.title_vi } else { &c.title_en };
                out.push_str(&format!("  - {title} ({})\n", c.id.as_str()));
            }
        }
        out
    };
    let (changes_vi, changes_en) = (lines(true), lines(false));
    let body = format!(
        "Kính gửi quản trị viên {host},\n\n\
         Trạng thái nhãn tín nhiệm của {host} đã thay đổi ngày {date}: {vi_from} → {vi_to}.\n\
         Lý do: {reason_vi}\n{changes_vi}{vi_advice}\n\
         Trang xác minh công khai: {page}\n\
         Chi tiết các phát hiện có trong liên kết riêng dành cho chủ sở hữu.\n\n\
         ---\n\n\
         Dear administrator of {host},\n\n\
         The trust label status of {host} changed on {date}: {en_from} → {en_to}.\n\
         Reason: {reason}\n{changes_en}{en_advice}\n\
         Public verification page: {page}\n\
         The detailed findings are on your private owner link.\n{contact}\n\
         {authority}\n",
        reason = transition.reason,
        authority = notices.authority_name,
    );
    Some(Notification {
        recipient: recipient.to_string(),
        subject,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn target(contact: &str) -> Target {
        Target {
            host: "portal.example.gov.vn".into(),
            https_port: 443,
            organisation: "Bộ Ví dụ".into(),
            category: "ministry".into(),
            province: String::new(),
            contact_email: contact.into(),
            parent: String::new(),
        }
    }

    fn change(from: LabelStatus, to: LabelStatus) -> Transition {
        Transition {
            from,
            to,
            reason: "blocking findings: tls.proto.tls10".into(),
            at: datetime!(2026-11-29 08:00 UTC),
        }
    }

    fn notices() -> Notices {
        Notices {
            authority_name: "Cục An toàn thông tin".into(),
            public_url: "https://tinnhiem.example.vn".into(),
            contact: Some("nhan@example.vn".into()),
        }
    }

    #[test]
    fn at_risk_revoked_and_labelled_are_sent_in_both_languages() {
        let m = message_for(
            &target("admin@example.gov.vn"),
            &change(LabelStatus::Labelled, LabelStatus::AtRisk),
            &notices(),
        )
        .expect("at risk matters");
        assert_eq!(m.recipient, "admin@example.gov.vn");
        assert_eq!(
            m.subject,
            "[Cục An toàn thông tin] portal.example.gov.vn: Có nguy cơ mất nhãn / At risk"
        );
        for needle in [
            "Đã gắn nhãn → Có nguy cơ mất nhãn",
            "Labelled → At risk",
            "blocking findings: tls.proto.tls10",
            "https://tinnhiem.example.vn/site/portal.example.gov.vn",
            "2026-11-29",
            "nhan@example.vn",
        ] {
            assert!(m.body.contains(needle), "{needle} missing in\n{}", m.body);
        }
        for to in [LabelStatus::Revoked, LabelStatus::Labelled] {
            assert!(
                message_for(
                    &target("a@b.vn"),
                    &change(LabelStatus::AtRisk, to),
                    &notices()
                )
                .is_some()
            );
        }
    }

    #[test]
    fn the_message_says_what_was_fixed_and_what_is_new_with_the_reason_in_vietnamese() {
        let catalog = Catalog::builtin().unwrap();
        let lines = vec![
            ChangeLine {
                fixed: true,
                id: FindingId::HeaderHstsMissing,
                title_vi: "Thiếu HSTS".into(),
                title_en: "No HSTS".into(),
            },
            ChangeLine {
                fixed: false,
                id: FindingId::TlsProtoTls10,
                title_vi: "Còn TLS 1.0".into(),
                title_en: "TLS 1.0 enabled".into(),
            },
        ];
        let m = message_with_changes(
            &target("admin@example.gov.vn"),
            &change(LabelStatus::Labelled, LabelStatus::AtRisk),
            &notices(),
            Some(&catalog),
            &lines,
        )
        .unwrap();
        for needle in [
            "Đã khắc phục:\n  - Thiếu HSTS (header.hsts.missing)",
            "Phát hiện mới:\n  - Còn TLS 1.0 (tls.proto.tls10)",
            "Fixed:\n  - No HSTS",
            "Lý do: phát hiện chặn nhãn:",
        ] {
            assert!(m.body.contains(needle), "{needle} missing in\n{}", m.body);
        }
    }

    #[test]
    fn changes_that_do_not_matter_or_have_no_contact_send_nothing() {
        let n = notices();
        let t = target("a@b.vn");
        assert!(
            message_for(
                &t,
                &change(LabelStatus::NotAssessed, LabelStatus::NotLabelled),
                &n
            )
            .is_none()
        );
        assert!(
            message_for(
                &t,
                &change(LabelStatus::NotLabelled, LabelStatus::Unreachable),
                &n
            )
            .is_none()
        );
        assert!(
            message_for(
                &t,
                &change(LabelStatus::Labelled, LabelStatus::Unreachable),
                &n
            )
            .is_some()
        );
        assert!(
            message_for(
                &target("  "),
                &change(LabelStatus::Labelled, LabelStatus::AtRisk),
                &n
            )
            .is_none()
        );
    }
}
