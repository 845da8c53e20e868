//! Server-rendered pages (maud): the shared frame and small helpers.
//!
//! No script anywhere and no inline style, so the strict CSP holds and every page works
//! without JavaScript; forms are plain GET/POST.

mod criteria;
mod discovery;
mod league;
mod owner;
mod public;
mod scanner;
mod staff;

pub use criteria::{CriteriaView, criteria_page};
pub use discovery::{DISMISS_REASONS, QueueFilter, staff_discovery_page};
pub use league::{LeagueView, by_param, league_page, rank};
pub use owner::{OwnerView, owner_page};
pub use public::{
    DashboardData, ListPage, Programme, SitePage, dashboard_page, list_page, message_page,
    open_data_page, site_page,
};
pub use scanner::{ScannerView, scanner_page};
pub use staff::{
    ImportReport, StaffSiteView, login_page, staff_audit_page, staff_home_page, staff_site_page,
    staff_tokens_page,
};

use super::i18n::Lang;
use super::links::Links;
use super::settings::Branding;
use super::zone::DisplayZone;
use maud::{DOCTYPE, Markup, html};
use time::OffsetDateTime;
use trustlabel_core::policy::{Grade, LabelLevel, LabelStatus};

/// What every page needs besides its own data.
#[derive(Debug, Clone)]
pub struct PageCtx<'a> {
    pub lang: Lang,
    pub links: Links,
    pub branding: &'a Branding,
    /// The same page in the other language.
    pub other_language: String,
    /// The signed-in staff member, on staff pages.
    pub staff_user: Option<&'a str>,
    /// Reload the page after this many seconds (progress of a queued scan); a meta
    /// refresh, because there is no script.
    pub refresh_secs: Option<u32>,
    /// Dates and times are shown in this zone.
    pub zone: &'a DisplayZone,
}

/// The local date of `at` (dd/mm/yyyy in Vietnamese, yyyy-mm-dd in English).
pub fn date(ctx: &PageCtx<'_>, at: Option<OffsetDateTime>) -> String {
    match at {
        Some(at) => day(ctx.lang, ctx.zone.local(at)),
        None => "—".into(),
    }
}

fn day(lang: Lang, local: OffsetDateTime) -> String {
    let d = local.date();
    match lang {
        Lang::Vi => format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()),
        Lang::En => format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
    }
}

/// The local date and time of `at` with its offset, as people in Vietnam write it:
/// `02/03/2026 02:26 (GMT+7)`.
pub fn date_time(ctx: &PageCtx<'_>, at: OffsetDateTime) -> String {
    let local = ctx.zone.local(at);
    format!(
        "{} {:02}:{:02} ({})",
        day(ctx.lang, local),
        local.hour(),
        local.minute(),
        gmt_offset(local.offset())
    )
}

/// `GMT+7`, `GMT+5:30`, `GMT`.
fn gmt_offset(offset: time::UtcOffset) -> String {
    let (h, m, _) = offset.as_hms();
    match (h, m) {
        (0, 0) => "GMT".into(),
        (h, 0) => format!("GMT{h:+}"),
        (h, m) => format!("GMT{h:+}:{:02}", m.unsigned_abs()),
    }
}

/// Text with `backtick` spans (as the finding texts write header names and values)
/// shown as code, instead of printing the backticks.
pub fn rich_text(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

pub fn status_pill(lang: Lang, status: LabelStatus, level: Option<LabelLevel>) -> Markup {
    let level_text = match (status.holds_label(), level) {
        (true, Some(level)) => format!(" · {}", lang.level(level)),
        _ => String::new(),
    };
    html! {
        span class={ "pill st-" (status.as_str()) } { (lang.status(status)) (level_text) }
    }
}

pub fn grade_text(grade: Option<Grade>) -> String {
    grade.map(|g| g.to_string()).unwrap_or_else(|| "—".into())
}

/// The status history, newest first. Reasons (and times) only for owners and staff
/// (`reasons` gives the finding texts to explain them with): a reason names findings,
/// which are never public.
pub fn history_table(
    ctx: &PageCtx<'_>,
    history: &[trustlabel_store::StoredTransition],
    reasons: Option<&trustlabel_core::catalog::Catalog>,
) -> Markup {
    let with_reasons = reasons.is_some();
    let lang = ctx.lang;
    let t = lang.t();
    html! {
        h2 { (t.history) }
        @if history.is_empty() {
            p { (t.no_history) }
        } @else {
            div {
                table class="cards" {
                    thead {
                        tr {
                            th scope="col" { (t.date) }
                            th scope="col" { (t.from) }
                            th scope="col" { (t.to) }
                            @if with_reasons { th scope="col" { (t.reason) } }
                        }
                    }
                    tbody {
                        @for h in history.iter().rev() {
                            tr {
                                @if with_reasons {
                                    td { (date_time(ctx, h.transition.at)) }
                                } @else {
                                    td { (date(ctx, Some(h.transition.at))) }
                                }
                                td data-label=(t.from) { (lang.status(h.transition.from)) }
                                td data-label=(t.to) { (lang.status(h.transition.to)) }
                                @if let Some(catalog) = reasons {
                                    td data-label=(t.reason) { (crate::publish::reasons::explain(lang, catalog, &h.transition.reason)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn layout(ctx: &PageCtx<'_>, title: &str, body: Markup) -> Markup {
    let t = ctx.lang.t();
    let links = &ctx.links;
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(secs) = ctx.refresh_secs {
                    meta http-equiv="refresh" content=(secs);
                }
                title { (title) " — " (t.label_name) }
                link rel="stylesheet" href=(links.css());
                link rel="alternate" type="application/atom+xml" title=(t.feed) href=(links.feed());
            }
            body {
                a class="skip" href="#main" { "↓" }
                header class="top" {
                    div class="brand" {
                        span class="logo" { (ctx.branding.authority_short) }
                        span class="authority" { (ctx.branding.authority_name) }
                    }
                    nav aria-label=(t.nav_list) {
                        ul {
                            li { a href=(links.list(&Default::default())) { (t.nav_list) } }
                            li { a href=(links.view(trustlabel_store::View::Assessed)) { (t.nav_assessed) } }
                            li { a href=(links.view(trustlabel_store::View::NotAssessed)) { (t.nav_not_assessed) } }
                            li { a href=(links.dashboard()) { (t.nav_dashboard) } }
                            li { a href=(links.league("ministry")) { (t.nav_league) } }
                            li { a href=(links.criteria()) { (t.nav_criteria) } }
                            li { a href=(links.open_data()) { (t.nav_open_data) } }
                            @if let Some(staff) = links.staff() {
                                li { a href=(staff) { (t.nav_staff) } }
                            }
                            li { a class="lang" hreflang=(ctx.lang.other().code()) lang=(ctx.lang.other().code()) href=(ctx.other_language) { (t.switch_to) } }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
                footer {
                    p {
                        (ctx.branding.authority_name)
                        @if let Some(contact) = &ctx.branding.contact {
                            " · " (t.contact) ": "
                            @if contact.starts_with("mailto:") || contact.starts_with("https://") || contact.starts_with("http://") {
                                a href=(contact) { (contact.trim_start_matches("mailto:")) }
                            } @else {
                                (contact)
                            }
                        }
                    }
                    p {
                        a href=(links.scanner()) { (t.nav_scanner) } " · "
                        a href=(links.feed()) { (t.feed) }
                        @if let Some(api) = links.openapi() {
                            " · " a href=(api) { (t.api_doc) }
                        }
                    }
                }
            }
        }
    }
}

/// The stylesheet served at `/static/style.css` and written by the static export.
pub const STYLE_CSS: &str = include_str!("style.css");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backtick_spans_become_code_and_the_backticks_go() {
        let html = rich_text("Gửi `Strict-Transport-Security` với `max-age`.").into_string();
        assert_eq!(
            html,
            "Gửi <code>Strict-Transport-Security</code> với <code>max-age</code>."
        );
        assert_eq!(rich_text("<b>`x`").into_string(), "&lt;b&gt;<code>x</code>");
    }

    #[test]
    fn times_read_in_vietnam_time_with_the_offset() {
        let zone = DisplayZone::default();
        let branding = Branding {
            authority_name: "A".into(),
            authority_short: "A".into(),
            contact: None,
        };
        let ctx = PageCtx {
            lang: Lang::Vi,
            links: Links::live(Lang::Vi),
            branding: &branding,
            other_language: String::new(),
            staff_user: None,
            refresh_secs: None,
            zone: &zone,
        };
        let at = time::macros::datetime!(2026-03-01 19:26 UTC);
        assert_eq!(date(&ctx, Some(at)), "02/03/2026");
        assert_eq!(date_time(&ctx, at), "02/03/2026 02:26 (GMT+7)");
    }
}
