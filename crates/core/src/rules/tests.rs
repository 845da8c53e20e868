//! Loading, validation and lint of the page rule files.

use super::*;
use crate::page::Input;
use crate::page::text::folded_form;

fn builtin() -> PageRules {
    PageRules::builtin().expect("built-in rules load")
}

fn invalid(file: &str, text: &str) -> (usize, String) {
    let source = RuleText { file, text };
    let result = match file {
        "privacy.toml" => PrivacyRules::parse(&source).map(drop),
        "trackers.toml" => TrackerRules::parse(&source).map(drop),
        "software.toml" => SoftwareRules::parse(&source).map(drop),
        "spam.toml" => SpamRules::parse(&source).map(drop),
        _ => Blocklist::parse(&source).map(drop),
    };
    match result {
        Err(RuleFileError::Invalid {
            file: f,
            line,
            reason,
        }) => {
            assert_eq!(f, file);
            (line, reason)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn malformed_files_are_refused_with_line_and_reason() {
    let meta = "severity = \"high\"\nrationale = \"r\"\nreference = \"https://a.example/\"\n";
    // Unknown field (a typo), on line 4.
    let (line, reason) = invalid(
        "blocklist.toml",
        &format!("[[list]]\nid = \"a\"\n{meta}domain = [\"x.example\"]\n"),
    );
    assert_eq!(line, 6, "{reason}");
    assert!(reason.contains("domain"), "{reason}");
    // Duplicate id.
    let twice = format!(
        "[[list]]\nid = \"a\"\n{meta}domains = []\n[[list]]\nid = \"a\"\n{meta}domains = []\n"
    );
    let (line, reason) = invalid("blocklist.toml", &twice);
    assert_eq!((line, reason.as_str()), (8, "duplicate id `a`"));
    // A bad regular expression and a bad version range in software.toml.
    let sw = format!(
        "[[software]]\nid = \"x\"\nname = \"X\"\nkind = \"js\"\n{meta}urls = ['(?P<version>']\n"
    );
    let (line, reason) = invalid("software.toml", &sw);
    assert_eq!(line, 8);
    assert!(reason.starts_with("bad pattern"), "{reason}");
    let sw = format!(
        "[[software]]\nid = \"x\"\nname = \"X\"\nkind = \"js\"\n{meta}\
         [[software.advisory]]\nid = \"a\"\n{meta}affected = \"before 3\"\n"
    );
    let (line, reason) = invalid("software.toml", &sw);
    assert_eq!(line, 13, "{reason}");
    assert!(reason.contains("affected"), "{reason}");
    // A relative reference, a bad CVE id, an unknown severity.
    let (_, reason) = invalid(
        "blocklist.toml",
        "[[list]]\nid = \"a\"\nseverity = \"high\"\nrationale = \"r\"\nreference = \"/x\"\ndomains = []\n",
    );
    assert!(reason.contains("not an absolute http(s) URL"), "{reason}");
    let (_, reason) = invalid(
        "blocklist.toml",
        "[[list]]\nid = \"a\"\nseverity = \"grave\"\nrationale = \"r\"\nreference = \"https://a.example/\"\ndomains = []\n",
    );
    assert!(reason.contains("grave"), "{reason}");
    let sw = format!(
        "[[software]]\nid = \"x\"\nname = \"X\"\nkind = \"js\"\n{meta}\
         [[software.advisory]]\nid = \"a\"\n{meta}affected = \"<3\"\ncves = [\"CVE-20-1\"]\n"
    );
    let (_, reason) = invalid("software.toml", &sw);
    assert!(reason.contains("CVE-20-1"), "{reason}");
}

fn input(kind: &str, name: &str, label: Option<&str>, placeholder: Option<&str>) -> Input {
    Input {
        tag: "input".into(),
        kind: kind.into(),
        name: Some(name.into()),
        id: None,
        label: label.map(str::to_string),
        placeholder: placeholder.map(str::to_string),
        autocomplete: None,
        aria_label: None,
        title: None,
        context: None,
    }
}

fn field_ids(rules: &PageRules, input: &Input) -> Vec<String> {
    rules
        .privacy
        .classify(input)
        .iter()
        .map(|f| f.info.id.clone())
        .collect()
}

#[test]
fn personal_data_fields_are_recognised_by_name_type_and_words() {
    let rules = builtin();
    assert_eq!(
        field_ids(&rules, &input("text", "txtHoTen", None, None)),
        ["full_name"]
    );
    assert_eq!(
        field_ids(&rules, &input("text", "f1", Some("Số CCCD"), None)),
        ["national_id"]
    );
    assert_eq!(field_ids(&rules, &input("tel", "x", None, None)), ["phone"]);
    assert_eq!(
        field_ids(&rules, &input("text", "sdt", None, None)),
        ["phone"]
    );
    assert_eq!(
        field_ids(&rules, &input("text", "a", None, Some("so dien thoai"))),
        ["phone"]
    );
    assert_eq!(
        field_ids(&rules, &input("password", "p", None, None)),
        ["password"]
    );
    assert_eq!(
        field_ids(&rules, &input("text", "x", None, Some("Địa chỉ email"))),
        ["email"],
        "an email address is not a postal address"
    );
    for not_personal in [
        input("search", "q", None, Some("Tìm kiếm...")),
        input("text", "keyword", Some("Từ khóa"), None),
        input("hidden", "email", None, None),
        input("text", "ma_ho_so", Some("Mã hồ sơ"), None),
        input("text", "noi_dung", None, Some("Nội dung góp ý")),
    ] {
        let ids = field_ids(&rules, &not_personal);
        assert!(ids.is_empty(), "{not_personal:?} → {ids:?}");
    }
}

#[test]
fn gambling_hosts_are_recognised_without_catching_banks() {
    let rules = builtin();
    for host in [
        "fb88vn.bet",
        "www.kubet-win.club",
        "nhacai-uytin.example",
        "x.casino",
    ] {
        assert!(rules.spam.gambling_host(host).is_some(), "{host}");
    }
    for host in [
        "bancassurance.vn",
        "vietcombank.com.vn",
        "alphabet.com",
        "bet.gov.vn",
    ] {
        assert!(rules.spam.gambling_host(host).is_none(), "{host}");
    }
    assert_eq!(folded_form("Nhà cái"), " nha cai ");
}

#[test]
fn a_search_box_naming_personal_data_is_not_collection() {
    let rules = builtin();
    let staff_search = input(
        "text",
        "ten_can_bo",
        None,
        Some("Tìm kiếm cán bộ theo họ tên"),
    );
    assert!(field_ids(&rules, &staff_search).is_empty());
    assert!(field_ids(&rules, &input("search", "hoten", None, None)).is_empty());
    let record_lookup = input("text", "so_cccd", Some("Tra cứu hồ sơ: nhập số CCCD"), None);
    assert_eq!(field_ids(&rules, &record_lookup), ["national_id"]);
}

#[test]
fn the_notice_to_fetch_is_a_same_site_page_not_a_fragment_or_another_site() {
    use crate::page::{PageLimits, analyse_page};
    let rules = builtin();
    let facts = |body: &str| {
        let mut response = crate::checks::test_support::html_page(body.as_bytes(), &[]);
        response.status = 200;
        analyse_page(
            "https://so.example.gov.vn/trang-chu",
            &response,
            &PageLimits::default(),
        )
    };
    let page = facts(
        "<a href='#bao-mat'>Chính sách bảo mật</a>\
         <a href='https://other.example/privacy'>Privacy</a>\
         <a href='/gioi-thieu'>Giới thiệu</a>\
         <a href='https://www.example.gov.vn/chinh-sach-bao-mat'>Bảo mật thông tin</a>",
    );
    let link = rules
        .privacy
        .notice_link_to_fetch(&page)
        .expect("a notice link");
    assert_eq!(link.url, "https://www.example.gov.vn/chinh-sach-bao-mat");
    let none = facts("<a href='#p'>Privacy policy</a><a href='/lien-he'>Liên hệ</a>");
    assert_eq!(rules.privacy.notice_link_to_fetch(&none), None);
}

#[test]
fn examples_beside_each_rule_are_checked_with_their_line() {
    let builtin = crate::rulefile::builtin_text("privacy.toml").unwrap_or_default();
    // A must_fire example its statements no longer credit refuses the file.
    let broken = builtin.replacen(
        "\"Thông tin của bạn chỉ được sử dụng để giao hàng và liên hệ khi cần.\",",
        "\"Thông tin của bạn được lưu trên giấy.\",",
        1,
    );
    assert_ne!(broken, builtin);
    let (line, reason) = invalid("privacy.toml", &broken);
    assert!(
        reason.contains("must_fire example is not credited"),
        "{reason}"
    );
    let at = builtin
        .lines()
        .position(|l| l.contains("chỉ được sử dụng để giao hàng và liên hệ khi cần"))
        .unwrap_or(0)
        + 1;
    assert_eq!(line, at);
    // A must_not_fire news twin that reaches the threshold refuses the spam file: here
    // no text can read as news any more.
    let spam = crate::rulefile::builtin_text("spam.toml").unwrap_or_default();
    let loud = spam.replacen("counter_min = 2", "counter_min = 99", 1);
    assert_ne!(loud, spam);
    let (_, reason) = invalid("spam.toml", &loud);
    assert!(
        reason.contains("must_not_fire news sentence scores"),
        "{reason}"
    );
}

#[test]
fn the_law_in_force_is_the_latest_one_whose_day_has_come() {
    let rules = builtin();
    let law = |y, m, d| {
        let day = time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
        rules.privacy.law_at(day).map(|l| l.id.as_str())
    };
    assert_eq!(law(2025, 12, 31), Some("decree-13-2023"));
    assert_eq!(law(2026, 1, 1), Some("pdp-law-91-2025"));
    assert_eq!(
        law(2020, 1, 1),
        Some("decree-13-2023"),
        "before any: the oldest"
    );
}

#[test]
fn sensitive_fields_are_marked_and_look_alikes_are_not() {
    let rules = builtin();
    let sensitive = |label: &str| {
        rules
            .privacy
            .classify(&input("text", "x", Some(label), None))
            .iter()
            .filter(|f| f.sensitive)
            .map(|f| f.info.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(sensitive("Triệu chứng"), ["health"]);
    assert_eq!(sensitive("Tôn giáo"), ["religion"]);
    assert_eq!(sensitive("Họ và tên học sinh"), ["child"]);
    assert_eq!(sensitive("Tiền án, tiền sự"), ["criminal_record"]);
    for plain in [
        "Vị trí ứng tuyển",
        "Trình độ lý luận chính trị",
        "Tiền sử công tác",
        "Tiền sử bệnh",
    ] {
        let ids = sensitive(plain);
        assert!(
            ids.is_empty() || (plain == "Tiền sử bệnh" && ids == ["health"]),
            "{plain}: {ids:?}"
        );
    }
}
