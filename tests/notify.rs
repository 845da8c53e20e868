//! Owner e-mails leave the outbox through a real SMTP server (`common::smtp`, written from
//! RFC 5321, sharing nothing with lettre): a temporary refusal delays a message without
//! losing or duplicating it, and what arrives is exactly what was queued, dots at line
//! starts and Vietnamese text included.

use crate::common::smtp::SmtpSink;
use std::time::Duration;
use time::OffsetDateTime;
use trustlabel::notify::{OutboxSender, SenderSettings};
use trustlabel_core::policy::{LabelStatus, Transition};
use trustlabel_store::Notification;
use trustlabel_store::Store;
use trustlabel_store::test_support::fixtures;

const FROM: &str = "Nhãn Tín nhiệm <no-reply@trustlabel.test>";

fn outbox(store: &Store, sink: &SmtpSink) -> OutboxSender {
    let settings = SenderSettings {
        smtp_url: sink.url(),
        from: FROM.into(),
        batch: 10,
        timeout: Duration::from_secs(30),
    };
    OutboxSender::new(store.clone(), &settings).expect("the sender builds")
}

/// Queues `message` for the first seeded site, after its first (failed) scan, as a label
/// change no scan caused (the way the scheduler records a lapsed label); returns the
/// site's id.
async fn queue(store: &Store, message: &Notification) -> i64 {
    let site = &fixtures::seeded_targets(store, 1).await[0];
    let scan = fixtures::Scan::failing(&site.target.host);
    scan.record_into(store, site.id, None)
        .await
        .expect("the first scan is stored");
    let now = OffsetDateTime::now_utc();
    let current = store.label(site.id).await.expect("label");
    let next = fixtures::label(LabelStatus::Labelled, now);
    let transition = Transition {
        from: current.status,
        to: LabelStatus::Labelled,
        reason: "test".into(),
        at: now,
    };
    let recorded = store
        .record_label_change(site.id, &current, &next, &transition, Some(message))
        .await
        .expect("the change is stored");
    assert!(recorded);
    site.id
}

#[tokio::test]
async fn a_temporary_refusal_delays_the_message_and_it_is_sent_once_later() {
    let (_db, store) = fixtures::temp_store().await;
    let sink = SmtpSink::start().await;
    let message = Notification {
        recipient: "admin@site0.example.vn".into(),
        subject: "Label granted".into(),
        body: "Your site is labelled.\n".into(),
    };
    let id = queue(&store, &message).await;
    let sender = outbox(&store, &sink);

    sink.refuse_next(1);
    let now = OffsetDateTime::now_utc();
    assert_eq!(sender.send_due(now).await.unwrap(), (0, 1));
    assert_eq!(sink.refused(), 1);
    assert!(sink.messages().is_empty());
    let entry = &store.notifications(id).await.unwrap()[0];
    assert_eq!(entry.attempts, 1);
    assert_eq!(entry.sent_at, None);
    let error = entry.last_error.as_deref().unwrap_or("");
    assert!(error.contains("451"), "the server's reply is kept: {error}");

    // Not again before the documented back-off (a minute after a first failure)...
    let minute = time::Duration::minutes(1);
    let almost = now + minute - time::Duration::seconds(5);
    assert_eq!(sender.send_due(almost).await.unwrap(), (0, 0));
    // ...then once.
    let later = OffsetDateTime::now_utc() + minute + time::Duration::seconds(5);
    assert_eq!(sender.send_due(later).await.unwrap(), (1, 0));
    assert_eq!(
        sender
            .send_due(later + time::Duration::days(1))
            .await
            .unwrap(),
        (0, 0)
    );
    let mails = sink.messages();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, std::slice::from_ref(&message.recipient));
    assert_eq!(mails[0].subject(), message.subject);
    let entry = &store.notifications(id).await.unwrap()[0];
    assert!(entry.sent_at.is_some());
    assert_eq!(entry.attempts, 2);
}

/// The text without its final line ends: lettre ends DATA with CRLF `.` CRLF even after
/// a message that already ends with a line end, which adds an empty last line.
fn text(body: &str) -> &str {
    body.trim_end_matches('\n')
}

#[tokio::test]
async fn the_owner_reads_exactly_the_queued_text() {
    let (_db, store) = fixtures::temp_store().await;
    let sink = SmtpSink::start().await;
    // A line that is a lone dot would end the message early unless the client stuffs
    // it and the server unstuffs it (RFC 5321 4.5.2); the same for a leading dot.
    let ascii = Notification {
        recipient: "it@site0.example.vn".into(),
        subject: "Status of site0.example.vn".into(),
        body: "Findings:\n.\n..env exposed\n.git exposed\nEnd.\n".into(),
    };
    queue(&store, &ascii).await;
    let sender = outbox(&store, &sink);
    assert_eq!(
        sender.send_due(OffsetDateTime::now_utc()).await.unwrap(),
        (1, 0)
    );
    let mail = &sink.messages()[0];
    assert_eq!(mail.from, "no-reply@trustlabel.test");
    assert_eq!(mail.subject(), ascii.subject);
    assert_eq!(text(&mail.body()), text(&ascii.body));

    let (_db, store) = fixtures::temp_store().await;
    let vietnamese = Notification {
        recipient: "it@site0.example.vn".into(),
        subject: "[Cục An toàn thông tin] site0.example.vn: Đã gắn nhãn / Labelled".into(),
        body: format!(
            "Kính gửi quý cơ quan,\n\nTrạng thái: Chưa đánh giá → Đã gắn nhãn.\n{}\n",
            "Dòng dài có dấu tiếng Việt để buộc mã hoá truyền tải. ".repeat(4)
        ),
    };
    queue(&store, &vietnamese).await;
    let sender = outbox(&store, &sink);
    assert_eq!(
        sender.send_due(OffsetDateTime::now_utc()).await.unwrap(),
        (1, 0)
    );
    let mail = &sink.messages()[1];
    assert_eq!(mail.subject(), vietnamese.subject);
    assert_eq!(text(&mail.body()), text(&vietnamese.body));
}
