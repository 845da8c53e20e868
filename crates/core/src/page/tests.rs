//! Page analysis over HTML fixtures (`tests/fixtures/pages/`) and small inline pages.

use super::*;
use crate::evidence::{Body, Header};

pub(crate) const GOV_HOME: &[u8] = include_bytes!("../../../../tests/fixtures/pages/gov_home.html");
pub(crate) const GOV_HOME_NFD: &[u8] =
    include_bytes!("../../../../tests/fixtures/pages/gov_home_nfd.html");
pub(crate) const FORM_CP1258: &[u8] =
    include_bytes!("../../../../tests/fixtures/pages/form_cp1258.html");

/// A 200 response carrying `body` with this `Content-Type` (none when `None`).
fn html_response(content_type: Option<&str>, body: &[u8]) -> HttpResponse {
    HttpResponse {
        status: 200,
        version: "HTTP/1.1".to_string(),
        headers: content_type
            .map(|ct| Header {
                name: "content-type".to_string(),
                value: ct.to_string(),
                invalid_utf8: false,
            })
            .into_iter()
            .collect(),
        body: Body {
            bytes: body.to_vec(),
            truncated: false,
            timed_out: false,
            content_encoding: None,
            decode_error: None,
        },
        elapsed_ms: 1,
    }
}

/// Facts of `body` served as UTF-8 HTML from `https://portal.example.gov.vn/`.
fn facts_of(body: &str) -> PageFacts {
    analyse(body.as_bytes(), Some("text/html; charset=utf-8"))
}

fn analyse(body: &[u8], content_type: Option<&str>) -> PageFacts {
    analyse_page(
        "https://portal.example.gov.vn/",
        &html_response(content_type, body),
        &PageLimits::default(),
    )
}

#[test]
fn forms_inputs_and_their_labels_are_read() {
    let facts = analyse(GOV_HOME, Some("text/html"));
    assert_eq!(facts.forms.len(), 2);
    let search = &facts.forms[0];
    assert_eq!(search.action, "https://portal.example.gov.vn/");
    assert_eq!(search.method, "get");
    let form = &facts.forms[1];
    assert_eq!(form.action, "https://portal.example.gov.vn/dang-ky/");
    assert_eq!(form.method, "post");
    let by_name = |n: &str| {
        form.inputs
            .iter()
            .find(|i| i.name.as_deref() == Some(n))
            .unwrap_or_else(|| panic!("no input {n}: {:#?}", form.inputs))
    };
    assert_eq!(by_name("ho_ten").label.as_deref(), Some("Họ và tên"));
    assert_eq!(
        by_name("so_cccd").label.as_deref(),
        Some("Số CCCD/CMND"),
        "a wrapping label names its input"
    );
    assert_eq!(by_name("dien_thoai").kind, "tel");
    assert_eq!(
        by_name("email").placeholder.as_deref(),
        Some("Địa chỉ email")
    );
    assert_eq!(by_name("noi_dung").tag, "textarea");
    assert!(!by_name("_token").takes_entry());
}

#[test]
fn resources_links_and_generator_are_resolved() {
    let facts = analyse(GOV_HOME, Some("text/html"));
    assert_eq!(facts.generators, vec!["WordPress 5.2.1"]);
    assert_eq!(
        facts.title.as_deref(),
        Some("Cổng thông tin điện tử Sở Tư pháp")
    );
    let scripts: Vec<&str> = facts.scripts.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        scripts,
        vec![
            "https://portal.example.gov.vn/wp-includes/js/jquery/jquery-1.8.3.min.js",
            "https://www.googletagmanager.com/gtag/js?id=G-ABC123",
        ]
    );
    assert_eq!(facts.stylesheets.len(), 2);
    assert_eq!(
        facts.media[0].url,
        "http://static.sotuphap.example.gov.vn/logo.png"
    );
    let notice = facts
        .links
        .iter()
        .find(|l| l.url.ends_with("/chinh-sach-bao-mat/"))
        .expect("notice link");
    assert_eq!(notice.text, "Chính sách bảo mật thông tin");
    assert!(!notice.hidden);
    assert!(
        facts
            .visible_text
            .contains("Đăng ký nhận kết quả thủ tục hành chính")
    );
    assert!(
        !facts.visible_text.contains("dataLayer"),
        "script text is not page text"
    );
}

#[test]
fn an_nfd_page_yields_the_same_nfc_facts() {
    let nfc = analyse(GOV_HOME, Some("text/html"));
    let nfd = analyse(GOV_HOME_NFD, Some("text/html"));
    assert_eq!(nfd.visible_text, nfc.visible_text);
    assert_eq!(nfd.forms, nfc.forms);
    assert_eq!(nfd.title, nfc.title);
}

#[test]
fn a_windows_1258_page_is_decoded_and_normalised() {
    let facts = analyse(FORM_CP1258, Some("text/html"));
    let charset = facts.charset.as_ref().expect("charset");
    assert_eq!(charset.encoding, "windows-1258");
    assert_eq!(charset.source, CharsetSource::Meta);
    assert_eq!(
        facts.title.as_deref(),
        Some("UBND xã Phú Mậu - Đăng ký tiếp công dân")
    );
    let inputs = &facts.forms[0].inputs;
    assert_eq!(inputs[0].title.as_deref(), Some("Họ tên"));
    assert_eq!(
        inputs[0].context.as_deref(),
        Some("Họ tên:"),
        "the previous cell of the row"
    );
    assert_eq!(
        inputs[1].placeholder.as_deref(),
        Some("Ngày sinh (dd/mm/yyyy)")
    );
    assert_eq!(
        facts.forms[0].action,
        "http://phumau.example.gov.vn/tiep-cong-dan.asp"
    );
}

#[test]
fn hidden_text_is_separated_by_reason() {
    let facts = facts_of(
        "<p>Tin tức</p>\
         <div style='display:none'>ẩn <b>một</b></div>\
         <div hidden>ẩn hai</div>\
         <span class=sr>ẩn ba</span><style>.sr{position:absolute;left:-10000px}</style>\
         <noscript><a href='https://x.example/'>ẩn bốn</a></noscript>\
         <p style='font-size:0'>ẩn năm</p><p>hết</p>",
    );
    assert_eq!(facts.visible_text, "Tin tức hết");
    let hidden: Vec<(HiddenReason, &str)> = facts
        .hidden_text
        .iter()
        .map(|h| (h.reason, h.text.as_str()))
        .collect();
    assert_eq!(
        hidden,
        vec![
            (HiddenReason::DisplayNone, "ẩn một"),
            (HiddenReason::HiddenAttribute, "ẩn hai"),
            (HiddenReason::DisplayNone, "ẩn ba"),
            (HiddenReason::Noscript, "ẩn bốn"),
            (HiddenReason::ZeroFontSize, "ẩn năm"),
        ]
    );
    assert!(facts.links[0].hidden);
}

#[test]
fn controls_of_a_form_opened_inside_a_table_still_belong_to_it() {
    // The parser closes a <form> that opens between <table> and <tr> at once; its
    // controls follow as siblings. Old table-layout sites are full of these.
    let facts = facts_of(
        "<table><form action='/dk' method=post><tr><td><input name=hoten>\
         <input name=cmnd></td></tr></form></table><input name=q>",
    );
    let form = &facts.forms[0];
    assert_eq!(form.action, "https://portal.example.gov.vn/dk");
    let names: Vec<_> = form
        .inputs
        .iter()
        .filter_map(|i| i.name.as_deref())
        .collect();
    assert!(names.starts_with(&["hoten", "cmnd"]), "{names:?}");
}

#[test]
fn controls_outside_any_form_are_kept_as_a_detached_form() {
    let facts = facts_of("<div><input name=email type=email><button>Gửi</button></div>");
    assert_eq!(facts.forms.len(), 1);
    assert!(facts.forms[0].detached);
    assert_eq!(facts.forms[0].inputs[0].kind, "email");
}

#[test]
fn base_href_meta_refresh_and_protocol_relative_urls_resolve() {
    let facts = facts_of(
        "<head><base href='https://cdn.example.gov.vn/assets/'>\
         <meta http-equiv=refresh content='0; URL=https://other.example/'></head>\
         <script src='//code.jquery.com/jquery-3.7.1.min.js' integrity='sha384-x'></script>\
         <img src='logo.png'>",
    );
    assert_eq!(
        facts.scripts[0].url,
        "https://code.jquery.com/jquery-3.7.1.min.js"
    );
    assert_eq!(facts.scripts[0].integrity.as_deref(), Some("sha384-x"));
    assert_eq!(
        facts.media[0].url,
        "https://cdn.example.gov.vn/assets/logo.png"
    );
    assert_eq!(
        facts.meta_refresh.as_deref(),
        Some("https://other.example/")
    );
}

#[test]
fn non_html_bodies_give_header_facts_only() {
    let mut response = html_response(Some("application/json"), b"{\"a\":\"<p>x</p>\"}");
    response.headers.push(Header {
        name: "server".to_string(),
        value: "nginx/1.14.0".to_string(),
        invalid_utf8: false,
    });
    let facts = analyse_page("https://a.example/", &response, &PageLimits::default());
    assert!(!facts.is_html);
    assert!(facts.visible_text.is_empty());
    assert_eq!(
        facts.software_headers,
        vec![("server".to_string(), "nginx/1.14.0".to_string())]
    );
    let sniffed = analyse(b"  <html><p>xin chao</p>", None);
    assert!(sniffed.is_html);
}

#[test]
fn hostile_pages_are_bounded_and_say_so() {
    // 300,000 nested <div>s (1.5 MB): quadratic in the parser without the guard.
    let mut page = "<div>".repeat(300_000);
    page.push_str("cuối trang");
    let started = std::time::Instant::now();
    let facts = facts_of(&page);
    let elapsed = started.elapsed();
    assert!(facts.visible_text.contains("cuối trang"));
    assert!(facts.limits_hit.iter().any(
        |l| matches!(l, LimitHit::NestingFlattened { tags_removed } if *tags_removed > 299_000)
    ));
    assert!(
        elapsed < std::time::Duration::from_secs(60),
        "took {elapsed:?}"
    );

    let limits = PageLimits {
        max_items: 10,
        max_input_bytes: 4096,
        ..PageLimits::default()
    };
    let many = "<a href=/x>x</a>".repeat(1000);
    let facts = analyse_page(
        "https://a.example/",
        &html_response(Some("text/html"), many.as_bytes()),
        &limits,
    );
    assert_eq!(facts.links.len(), 10);
    assert!(facts.limits_hit.contains(&LimitHit::Items { max: 10 }));
    assert!(
        facts
            .limits_hit
            .contains(&LimitHit::InputTruncated { bytes: 4096 })
    );
}

#[test]
fn a_control_is_named_by_what_a_person_reads_next_to_it() {
    let facts = facts_of(
        "<form><table>\
         <tr><td>Họ và tên (*):</td><td><input name=TextBox1></td></tr>\
         <tr><td>Năm sinh</td><td><select name=d><option>1990</option></select></td></tr>\
         <tr><td><input name=TextBox2 placeholder='Email'></td></tr>\
         </table>\
         <p>Điện thoại <input name=x></p>\
         <span id=l1>Số</span><span id=l2>CCCD</span><input aria-labelledby='l1 l2'>\
         <input title='Địa chỉ'>\
         </form>",
    );
    let inputs = &facts.forms[0].inputs;
    let context: Vec<Option<&str>> = inputs.iter().map(|i| i.context.as_deref()).collect();
    assert_eq!(context[0], Some("Họ và tên (*):"), "the previous cell");
    assert_eq!(context[1], Some("Năm sinh"));
    assert_eq!(
        context[2], None,
        "a row's label is in its own cells, not in the row above"
    );
    assert_eq!(context[3], Some("Điện thoại"), "the text right before it");
    assert_eq!(inputs[4].aria_label.as_deref(), Some("Số CCCD"));
    assert_eq!(inputs[5].title.as_deref(), Some("Địa chỉ"));
}

#[test]
fn controls_outside_forms_are_sendable_only_with_a_button() {
    let with = facts_of("<input name=hoten><div role=button>Gửi</div>");
    assert!(with.forms[0].detached && with.forms[0].submits);
    let without = facts_of("<input name=hoten>");
    assert!(without.forms[0].detached && !without.forms[0].submits);
    let form = facts_of("<form><input name=hoten></form><button>Gửi</button>");
    assert!(
        !form.forms[0].submits,
        "the button outside sends nothing of the form"
    );
}

#[test]
fn text_blocks_know_their_heading_role_and_region() {
    let facts = facts_of(
        "<header>Cổng thông tin</header><main><article><h1>Tin chính</h1>\
         <p>Đoạn <a href='/x'>một</a>.</p><ul><li>Mục</li></ul></article>\
         <aside class='widget'>Tin khác</aside></main>\
         <div class='site-footer'><table><tr><td>Ô</td></tr></table></div>",
    );
    let shape: Vec<(&str, u8, bool, bool, Region)> = facts
        .blocks
        .iter()
        .map(|b| (b.text.as_str(), b.heading, b.item, b.cell, b.region))
        .collect();
    assert_eq!(
        shape,
        vec![
            ("Cổng thông tin", 0, false, false, Region::Header),
            ("Tin chính", 1, false, false, Region::Article),
            ("Đoạn một.", 0, false, false, Region::Article),
            ("Mục", 0, true, false, Region::Article),
            ("Tin khác", 0, false, false, Region::Aside),
            ("Ô", 0, true, true, Region::Footer),
        ]
    );
    assert_eq!(facts.blocks[2].link_chars, 3);
}

#[test]
fn article_signals_come_from_markup_or_from_the_text_around_the_headline() {
    let marked = facts_of(
        "<meta property='og:type' content='article'><article><h1>Tin</h1>\
         <time datetime='2026-01-01'>1/1</time><span class='author'>A</span></article>",
    );
    let signs = &marked.article;
    assert_eq!(signs.headline.as_deref(), Some("Tin"));
    assert!(signs.dated && signs.byline && signs.markup);
    let plain = facts_of(
        "<div><h1>Triệt phá đường dây</h1><div>Thứ hai, 10/11/2026 - 15:20</div>\
         <p>Nội dung bài viết.</p><p>Minh Anh - Phòng PC02</p></div>",
    );
    assert!(plain.article.dated && plain.article.byline && !plain.article.markup);
    let portal = facts_of("<h1>Cổng thông tin</h1><p>Chào mừng quý khách.</p>");
    assert!(!portal.article.dated && !portal.article.byline);
}

#[test]
fn syllables_glued_by_inline_markup_are_split_and_words_cut_by_it_are_not() {
    let facts = facts_of(
        "<p><a>Nổ Hũ</a><a>Bắn Cá</a> <b>Nổ hũ</b><b>đổi thưởng</b>10 nh<b>à</b> cái \
         Word<b>Press</b> Ch<i>ính</i></p>",
    );
    assert_eq!(
        facts.visible_text,
        "Nổ Hũ Bắn Cá Nổ hũ đổi thưởng10 nhà cái WordPress Chính"
    );
}
