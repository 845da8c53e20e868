//! Page texts in Vietnamese (the default) and English.
//!
//! One struct of texts per language rather than a lookup by key, so a text missing in
//! one language is a compile error instead of a blank on the page.

use super::listing::{ParamError, ParamProblem};
use trustlabel_core::finding::Severity;
use trustlabel_core::policy::{LabelLevel, LabelStatus};
use trustlabel_store::JobState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// Vietnamese unless the URL says `lang=en`. The browser's `Accept-Language` is not
    /// consulted: a national registry is Vietnamese first, every link carries the
    /// language it was chosen in, and a page's language then depends on its URL alone
    /// (so shared caches cannot hand one reader's language to another).
    pub fn from_query(query: Option<&str>) -> Lang {
        match query.map(str::trim) {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    /// Why a list parameter was refused, for the error page.
    pub fn param_error(self, e: &ParamError) -> String {
        let vi = self == Lang::Vi;
        let value = &e.value;
        let name = &e.parameter;
        match &e.problem {
            ParamProblem::NotOneOf(allowed) if vi => format!(
                "Giá trị «{value}» của tham số «{name}» không hợp lệ. Giá trị hợp lệ: {}.",
                allowed.join(", ")
            ),
            ParamProblem::NotOneOf(allowed) => format!(
                "«{value}» is not a valid value of «{name}». Valid values: {}.",
                allowed.join(", ")
            ),
            ParamProblem::OutOfRange { min, max } if vi => format!(
                "Tham số «{name}» phải là số nguyên từ {min} đến {max} (nhận được «{value}»)."
            ),
            ParamProblem::OutOfRange { min, max } => {
                format!("«{name}» must be a whole number from {min} to {max} (got «{value}»).")
            }
            ParamProblem::TooLong(max) if vi => {
                format!("Nội dung tìm kiếm dài quá {max} ký tự.")
            }
            ParamProblem::TooLong(max) => {
                format!("The search text is longer than {max} characters.")
            }
            ParamProblem::Unknown if vi => format!("Không có tham số «{name}»."),
            ParamProblem::Unknown => format!("There is no parameter «{name}»."),
            ParamProblem::Repeated if vi => format!("Tham số «{name}» xuất hiện nhiều lần."),
            ParamProblem::Repeated => format!("The parameter «{name}» is given more than once."),
        }
    }

    /// `4 of 23` (a count against its whole, never `4/23`, which reads as a date).
    pub fn count_of(self, part: u64, total: u64) -> String {
        match self {
            Lang::Vi => format!("{part} trên {total}"),
            Lang::En => format!("{part} of {total}"),
        }
    }

    /// A `YYYY-MM-DD` day as this language writes dates (`dd/mm/yyyy` in Vietnamese).
    pub fn day(self, iso: &str) -> String {
        let parts: Vec<&str> = iso.split('-').collect();
        match (self, parts.as_slice()) {
            (Lang::Vi, [y, m, d]) => format!("{d}/{m}/{y}"),
            _ => iso.to_string(),
        }
    }

    pub fn severity(self, severity: Severity) -> &'static str {
        match (self, severity) {
            (Lang::Vi, Severity::Critical) => "Nghiêm trọng",
            (Lang::Vi, Severity::High) => "Cao",
            (Lang::Vi, Severity::Medium) => "Trung bình",
            (Lang::Vi, Severity::Low) => "Thấp",
            (Lang::Vi, Severity::Info) => "Thông tin",
            (Lang::En, Severity::Critical) => "Critical",
            (Lang::En, Severity::High) => "High",
            (Lang::En, Severity::Medium) => "Medium",
            (Lang::En, Severity::Low) => "Low",
            (Lang::En, Severity::Info) => "Information",
        }
    }

    /// The display name of a target-list category code; a code without one is shown
    /// as written (categories are the authority's own vocabulary).
    pub fn category(self, code: &str) -> String {
        let known = match code
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "government" | "gov" => Some(("Cơ quan nhà nước", "Government")),
            "ecommerce" | "e_commerce" => Some(("Thương mại điện tử", "E-commerce")),
            "digital_service" | "digital_services" => Some(("Dịch vụ số", "Digital services")),
            "education" | "edu" => Some(("Giáo dục", "Education")),
            "health" | "healthcare" => Some(("Y tế", "Health")),
            "finance" | "banking" => Some(("Tài chính, ngân hàng", "Finance and banking")),
            "demo" => Some(("Trình diễn", "Demonstration")),
            _ => None,
        };
        match (known, self) {
            (Some((vi, _)), Lang::Vi) => vi.to_string(),
            (Some((_, en)), Lang::En) => en.to_string(),
            (None, _) if code.trim().is_empty() => "—".to_string(),
            (None, _) => code.to_string(),
        }
    }

    /// The current status was set by a staff decision, not by the last scan alone.
    pub fn decided_by(self, authority: &str, date: &str) -> String {
        match self {
            Lang::Vi => format!("Trạng thái do {authority} quyết định ngày {date}"),
            Lang::En => format!("Status set by a decision of {authority} on {date}"),
        }
    }

    pub fn attested_on(self, date: &str) -> String {
        match self {
            Lang::Vi => format!("Đã được cán bộ đánh giá và xác nhận ngày {date}"),
            Lang::En => format!("Assessed and attested by staff on {date}"),
        }
    }

    /// One label change, as a sentence for the feed: what changed, the grade of the
    /// assessment behind it, or that it was a decision without a scan (never the reason:
    /// it names findings).
    pub fn change_summary(
        self,
        host: &str,
        date: &str,
        from: LabelStatus,
        to: LabelStatus,
        grade: Option<&str>,
        without_scan: bool,
    ) -> String {
        let (from, to) = (self.status(from), self.status(to));
        let how = match (self, grade, without_scan) {
            (Lang::Vi, Some(g), _) => format!(" sau lần đánh giá xếp hạng {g}"),
            (Lang::En, Some(g), _) => format!(" after an assessment graded {g}"),
            (Lang::Vi, None, true) => " theo quyết định hoặc do hết hiệu lực".into(),
            (Lang::En, None, true) => " by a decision or a lapse".into(),
            (_, None, false) => String::new(),
        };
        match self {
            Lang::Vi => {
                format!(
                    "Ngày {date}, trạng thái nhãn của {host} chuyển từ «{from}» sang «{to}»{how}."
                )
            }
            Lang::En => format!(
                "On {date}, the label status of {host} changed from «{from}» to «{to}»{how}."
            ),
        }
    }

    /// A grade change at the latest assessment, against the one of `date`.
    pub fn grade_change(self, before: &str, now: &str, date: &str) -> String {
        match (self, before == now) {
            (Lang::Vi, true) => format!("hạng {now} không đổi (lần trước: {date})"),
            (Lang::Vi, false) => format!("hạng {before} → {now} (lần trước: {date})"),
            (Lang::En, true) => format!("grade {now} unchanged (previous: {date})"),
            (Lang::En, false) => format!("grade {before} → {now} (previous: {date})"),
        }
    }

    /// The outcome of a CSV import, as a sentence.
    pub fn import_summary(
        self,
        read: usize,
        inserted: usize,
        updated: usize,
        unchanged: usize,
    ) -> String {
        match self {
            Lang::Vi => format!(
                "Đã đọc {read} dòng: thêm mới {inserted}, cập nhật {updated}, không thay đổi {unchanged}."
            ),
            Lang::En => format!(
                "Read {read} line(s): {inserted} added, {updated} updated, {unchanged} unchanged."
            ),
        }
    }

    /// A page past the end of the list.
    pub fn page_missing(self, page: u64, pages: u64) -> String {
        match self {
            Lang::Vi => format!("Không có trang {page}: danh sách có {pages} trang."),
            Lang::En => format!("There is no page {page}: the list has {pages} page(s)."),
        }
    }

    pub fn t(self) -> &'static Texts {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    pub fn status(self, status: LabelStatus) -> &'static str {
        let vi = self == Lang::Vi;
        match status {
            LabelStatus::NotAssessed => {
                if vi {
                    "Chưa đánh giá"
                } else {
                    "Not yet assessed"
                }
            }
            LabelStatus::Labelled => {
                if vi {
                    "Đã gắn nhãn"
                } else {
                    "Labelled"
                }
            }
            LabelStatus::AtRisk => {
                if vi {
                    "Có nguy cơ mất nhãn"
                } else {
                    "At risk"
                }
            }
            LabelStatus::Revoked => {
                if vi {
                    "Đã thu hồi nhãn"
                } else {
                    "Revoked"
                }
            }
            LabelStatus::NotLabelled => {
                if vi {
                    "Không đạt"
                } else {
                    "Not labelled"
                }
            }
            LabelStatus::Unreachable => {
                if vi {
                    "Không truy cập được"
                } else {
                    "Unreachable"
                }
            }
            LabelStatus::Blocked => {
                if vi {
                    "Chặn công cụ đánh giá"
                } else {
                    "Blocks the assessment"
                }
            }
        }
    }

    pub fn level(self, level: LabelLevel) -> &'static str {
        match (self, level) {
            (Lang::Vi, LabelLevel::Basic) => "Cơ bản",
            (Lang::Vi, LabelLevel::Advanced) => "Nâng cao",
            (Lang::En, LabelLevel::Basic) => "Basic",
            (Lang::En, LabelLevel::Advanced) => "Advanced",
        }
    }

    pub fn job(self, state: JobState) -> &'static str {
        match (self, state) {
            (Lang::Vi, JobState::Queued) => "Đang chờ quét",
            (Lang::Vi, JobState::Running) => "Đang quét",
            (Lang::Vi, JobState::Done) => "Đã quét xong",
            (Lang::Vi, JobState::Failed) => "Quét thất bại",
            (Lang::En, JobState::Queued) => "Waiting to be scanned",
            (Lang::En, JobState::Running) => "Scanning",
            (Lang::En, JobState::Done) => "Scan finished",
            (Lang::En, JobState::Failed) => "Scan failed",
        }
    }
}

/// Every fixed text of the pages, in one language.
pub struct Texts {
    pub label_name: &'static str,
    pub switch_to: &'static str,
    pub nav_list: &'static str,
    pub nav_assessed: &'static str,
    pub nav_not_assessed: &'static str,
    pub nav_dashboard: &'static str,
    pub nav_criteria: &'static str,
    pub nav_scanner: &'static str,
    pub api_tokens: &'static str,
    pub blocked_help: &'static str,
    pub nav_league: &'static str,
    pub nav_open_data: &'static str,
    pub nav_staff: &'static str,
    pub list_title: &'static str,
    pub assessed_title: &'static str,
    pub not_assessed_title: &'static str,
    pub search_label: &'static str,
    pub search_hint: &'static str,
    pub status: &'static str,
    pub any: &'static str,
    pub category: &'static str,
    pub province: &'static str,
    pub sort: &'static str,
    pub sort_host: &'static str,
    pub sort_organisation: &'static str,
    pub sort_status: &'static str,
    pub sort_grade: &'static str,
    pub sort_last: &'static str,
    pub descending: &'static str,
    pub apply: &'static str,
    pub site: &'static str,
    pub organisation: &'static str,
    pub grade: &'static str,
    pub level: &'static str,
    pub last_assessed: &'static str,
    pub next_assessment: &'static str,
    pub valid_until: &'static str,
    pub status_since: &'static str,
    pub results: &'static str,
    pub no_results: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub page: &'static str,
    pub history: &'static str,
    pub date: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub no_history: &'static str,
    pub not_found: &'static str,
    pub badge_title: &'static str,
    pub badge_help: &'static str,
    pub verify_note: &'static str,
    pub dashboard_title: &'static str,
    pub goal: &'static str,
    pub assessed_share: &'static str,
    pub labelled_share: &'static str,
    pub by_category: &'static str,
    pub by_province: &'static str,
    pub trend: &'static str,
    pub trend_assessed: &'static str,
    pub trend_one_day: &'static str,
    pub trend_figures: &'static str,
    pub in_scope: &'static str,
    pub since_last: &'static str,
    pub changes_title: &'static str,
    pub changes_added: &'static str,
    pub changes_resolved: &'static str,
    pub changes_unchanged: &'static str,
    pub changes_first: &'static str,
    pub decision: &'static str,
    pub manual_assessment: &'static str,
    pub trend_labelled: &'static str,
    pub total: &'static str,
    pub open_data_title: &'static str,
    pub open_data_text: &'static str,
    pub feed: &'static str,
    pub api_doc: &'static str,
    pub contact: &'static str,
    pub owner_title: &'static str,
    pub owner_private: &'static str,
    pub findings: &'static str,
    pub no_findings: &'static str,
    pub strengths: &'static str,
    pub strengths_help: &'static str,
    pub severity: &'static str,
    pub evidence: &'static str,
    pub remediation: &'static str,
    /// DNS and mail findings: the records seen at the name, none, and what to publish.
    pub record_seen: &'static str,
    pub record_none: &'static str,
    pub record_publish: &'static str,
    pub reference: &'static str,
    pub reason: &'static str,
    pub rescan: &'static str,
    pub rescan_help: &'static str,
    pub rescan_queued: &'static str,
    pub rescan_pending: &'static str,
    pub rescan_too_soon: &'static str,
    pub last_request: &'static str,
    pub link_invalid: &'static str,
    pub too_many_requests: &'static str,
    pub login_title: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub login: &'static str,
    pub logout: &'static str,
    pub login_failed: &'static str,
    pub login_throttled: &'static str,
    pub staff_title: &'static str,
    pub import_title: &'static str,
    pub import_help: &'static str,
    pub import_button: &'static str,
    pub import_result: &'static str,
    pub owner_contact: &'static str,
    pub no_contact: &'static str,
    pub refused_lines: &'static str,
    pub scan_now: &'static str,
    pub attest_title: &'static str,
    pub attest_help: &'static str,
    pub note: &'static str,
    pub attest_button: &'static str,
    pub attest_refused: &'static str,
    pub override_title: &'static str,
    pub override_help: &'static str,
    pub new_status: &'static str,
    pub override_button: &'static str,
    pub reason_required: &'static str,
    pub audit_title: &'static str,
    pub actor: &'static str,
    pub action: &'static str,
    pub detail: &'static str,
    pub done: &'static str,
    pub bad_request: &'static str,
    pub bad_form: &'static str,
    pub server_error: &'static str,
    pub signed_in_as: &'static str,
}

pub static VI: Texts = Texts {
    label_name: "Nhãn Tín nhiệm mạng",
    switch_to: "English",
    nav_list: "Danh sách",
    nav_assessed: "Đã đánh giá",
    nav_not_assessed: "Chưa đánh giá",
    nav_dashboard: "Thống kê",
    nav_criteria: "Ý nghĩa của nhãn",
    nav_scanner: "Công cụ đánh giá",
    api_tokens: "Mã truy cập API",
    blocked_help: "Tường lửa của website chặn công cụ đánh giá: cách cho phép",
    nav_league: "Xếp hạng",
    nav_open_data: "Dữ liệu mở",
    nav_staff: "Cán bộ",
    list_title: "Danh sách website",
    assessed_title: "Website đã được đánh giá",
    not_assessed_title: "Website chưa được đánh giá",
    search_label: "Tìm theo tên miền hoặc cơ quan",
    search_hint: "Có thể gõ không dấu, ví dụ: bo tai chinh",
    status: "Trạng thái",
    any: "Tất cả",
    category: "Lĩnh vực",
    province: "Tỉnh/thành",
    sort: "Sắp xếp",
    sort_host: "Tên miền",
    sort_organisation: "Cơ quan",
    sort_status: "Trạng thái",
    sort_grade: "Xếp hạng",
    sort_last: "Ngày đánh giá",
    descending: "Thứ tự",
    apply: "Lọc",
    site: "Website",
    organisation: "Cơ quan, tổ chức",
    grade: "Xếp hạng",
    level: "Cấp độ",
    last_assessed: "Đánh giá gần nhất",
    next_assessment: "Đánh giá tiếp theo",
    valid_until: "Nhãn có hiệu lực đến",
    status_since: "Trạng thái từ",
    results: "kết quả",
    no_results: "Không có website nào phù hợp.",
    previous: "Trang trước",
    next: "Trang sau",
    page: "Trang",
    history: "Lịch sử trạng thái",
    date: "Ngày",
    from: "Từ",
    to: "Sang",
    no_history: "Chưa có thay đổi nào.",
    not_found: "Không tìm thấy website này trong danh sách.",
    badge_title: "Biểu tượng xác thực",
    badge_help: "Chủ website có thể gắn đoạn mã sau; biểu tượng luôn hiển thị trạng thái hiện tại và dẫn về trang xác thực này.",
    verify_note: "Trang này là nguồn xác thực duy nhất: hình ảnh nhãn sao chép ở nơi khác không có giá trị chứng minh.",
    dashboard_title: "Tiến độ đánh giá và gắn nhãn",
    goal: "Mục tiêu: 100% website trong phạm vi được đánh giá và gắn nhãn",
    assessed_share: "Đã đánh giá",
    labelled_share: "Đã gắn nhãn",
    by_category: "Theo lĩnh vực",
    by_province: "Theo tỉnh/thành",
    trend: "Diễn biến theo thời gian",
    trend_assessed: "Số website đã đánh giá",
    trend_one_day: "mới có số liệu của một ngày",
    trend_figures: "Số liệu theo ngày",
    in_scope: "Trong phạm vi",
    since_last: "So với lần đánh giá trước",
    changes_title: "Thay đổi so với lần đánh giá trước",
    changes_added: "Phát hiện mới",
    changes_resolved: "Đã khắc phục",
    changes_unchanged: "Chưa khắc phục",
    changes_first: "thấy lần đầu",
    decision: "Quyết định",
    manual_assessment: "Đánh giá thủ công",
    trend_labelled: "Số website giữ nhãn",
    total: "Tổng số",
    open_data_title: "Dữ liệu mở",
    open_data_text: "Danh sách đầy đủ ở dạng CSV và JSON, API JSON có mô tả OpenAPI, và nguồn tin Atom về các thay đổi nhãn.",
    feed: "Nguồn tin thay đổi nhãn (Atom)",
    api_doc: "Mô tả API (OpenAPI)",
    contact: "Liên hệ",
    owner_title: "Trang dành cho chủ website",
    owner_private: "Đường dẫn này là riêng tư: không chia sẻ công khai. Trang hiển thị chi tiết các điểm yếu và hướng dẫn khắc phục.",
    findings: "Kết quả kiểm tra chi tiết",
    no_findings: "Không phát hiện vấn đề nào.",
    strengths: "Điểm cộng",
    strengths_help: "Những biện pháp vượt mức tối thiểu; chúng được cộng điểm khi điểm trước khi cộng đạt ngưỡng của chính sách.",
    severity: "Mức độ",
    evidence: "Bằng chứng",
    remediation: "Hướng dẫn khắc phục",
    record_seen: "Bản ghi đang có:",
    record_none: "Không có bản ghi nào.",
    record_publish: "Bản ghi nên công bố:",
    reference: "Tham khảo",
    reason: "Lý do",
    rescan: "Quét lại ngay",
    rescan_help: "Sau khi khắc phục, yêu cầu quét lại. Trang tự cập nhật khi có kết quả.",
    rescan_queued: "Đã nhận yêu cầu quét lại.",
    rescan_pending: "Một yêu cầu quét đang được xử lý.",
    rescan_too_soon: "Website vừa được quét theo yêu cầu; có thể yêu cầu lại sau",
    last_request: "Yêu cầu quét gần nhất",
    link_invalid: "Đường dẫn không hợp lệ, đã hết hạn hoặc đã bị thu hồi.",
    too_many_requests: "Quá nhiều yêu cầu. Vui lòng thử lại sau ít phút.",
    login_title: "Đăng nhập cán bộ",
    username: "Tên đăng nhập",
    password: "Mật khẩu",
    login: "Đăng nhập",
    logout: "Đăng xuất",
    login_failed: "Sai tên đăng nhập hoặc mật khẩu.",
    login_throttled: "Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau.",
    staff_title: "Quản lý",
    import_title: "Nhập danh sách website (CSV)",
    import_help: "Cột: host, organisation, category, province, contact_email. Dòng lỗi được báo kèm số dòng; các dòng đúng vẫn được nhập.",
    import_button: "Nhập",
    import_result: "Kết quả nhập",
    owner_contact: "Liên hệ của chủ sở hữu",
    no_contact: "chưa có trong danh sách",
    refused_lines: "Dòng bị từ chối",
    scan_now: "Quét ngay",
    attest_title: "Xác nhận đánh giá thủ công (cấp Nâng cao)",
    attest_help: "Chỉ áp dụng cho website đang giữ nhãn.",
    note: "Ghi chú",
    attest_button: "Xác nhận",
    attest_refused: "Website không giữ nhãn nên không thể xác nhận cấp Nâng cao.",
    override_title: "Điều chỉnh trạng thái nhãn",
    override_help: "Bắt buộc nêu lý do; thao tác được ghi nhật ký.",
    new_status: "Trạng thái mới",
    override_button: "Điều chỉnh",
    reason_required: "Phải nêu lý do.",
    audit_title: "Nhật ký thao tác",
    actor: "Người thực hiện",
    action: "Thao tác",
    detail: "Chi tiết",
    done: "Đã thực hiện.",
    bad_request: "Yêu cầu không hợp lệ.",
    bad_form: "Biểu mẫu gửi lên thiếu thông tin hoặc không hợp lệ. Vui lòng quay lại và thử lại.",
    server_error: "Lỗi máy chủ. Vui lòng thử lại sau.",
    signed_in_as: "Đăng nhập với tên",
};

pub static EN: Texts = Texts {
    label_name: "Network Trust Label",
    switch_to: "Tiếng Việt",
    nav_list: "List",
    nav_assessed: "Assessed",
    nav_not_assessed: "Not yet assessed",
    nav_dashboard: "Dashboard",
    nav_criteria: "What the label means",
    nav_scanner: "The scanner",
    api_tokens: "API tokens",
    blocked_help: "The website's firewall stops the scanner: how to allow it",
    nav_league: "League tables",
    nav_open_data: "Open data",
    nav_staff: "Staff",
    list_title: "Websites",
    assessed_title: "Assessed websites",
    not_assessed_title: "Websites not yet assessed",
    search_label: "Search by domain or organisation",
    search_hint: "Tone marks are optional, e.g. bo tai chinh",
    status: "Status",
    any: "Any",
    category: "Category",
    province: "Province",
    sort: "Sort by",
    sort_host: "Domain",
    sort_organisation: "Organisation",
    sort_status: "Status",
    sort_grade: "Grade",
    sort_last: "Assessment date",
    descending: "Order",
    apply: "Filter",
    site: "Website",
    organisation: "Organisation",
    grade: "Grade",
    level: "Level",
    last_assessed: "Last assessed",
    next_assessment: "Next assessment",
    valid_until: "Label valid until",
    status_since: "Status since",
    results: "results",
    no_results: "No website matches.",
    previous: "Previous page",
    next: "Next page",
    page: "Page",
    history: "Status history",
    date: "Date",
    from: "From",
    to: "To",
    no_history: "No changes yet.",
    not_found: "This website is not in the list.",
    badge_title: "Verification badge",
    badge_help: "Site owners may embed this snippet; the badge always shows the current status and links back to this verification page.",
    verify_note: "This page is the only proof: a label image copied elsewhere proves nothing by itself.",
    dashboard_title: "Assessment and labelling progress",
    goal: "Goal: 100% of in-scope websites assessed and labelled",
    assessed_share: "Assessed",
    labelled_share: "Labelled",
    by_category: "By category",
    by_province: "By province",
    trend: "Trend over time",
    trend_assessed: "Websites assessed",
    trend_one_day: "one day of figures so far",
    trend_figures: "Figures by day",
    in_scope: "In scope",
    since_last: "Since the previous assessment",
    changes_title: "What changed since the previous assessment",
    changes_added: "New findings",
    changes_resolved: "Fixed",
    changes_unchanged: "Still open",
    changes_first: "first seen",
    decision: "Decision",
    manual_assessment: "Manual assessment",
    trend_labelled: "Websites holding the label",
    total: "Total",
    open_data_title: "Open data",
    open_data_text: "The full list as CSV and JSON, a JSON API with an OpenAPI description, and an Atom feed of label changes.",
    feed: "Label change feed (Atom)",
    api_doc: "API description (OpenAPI)",
    contact: "Contact",
    owner_title: "Website owner page",
    owner_private: "This link is private: do not share it publicly. It shows the detailed weaknesses and how to fix them.",
    findings: "Detailed findings",
    no_findings: "No problems found.",
    strengths: "Bonuses",
    strengths_help: "Measures beyond the minimum; they add points when the score before bonuses reaches the policy's threshold.",
    severity: "Severity",
    evidence: "Evidence",
    remediation: "How to fix",
    record_seen: "Record seen:",
    record_none: "None.",
    record_publish: "Record to publish:",
    reference: "Reference",
    reason: "Reason",
    rescan: "Re-scan now",
    rescan_help: "After fixing, ask for a re-scan. This page refreshes itself until the result is in.",
    rescan_queued: "Re-scan requested.",
    rescan_pending: "A scan request is already being processed.",
    rescan_too_soon: "This site was just re-scanned on request; you can ask again after",
    last_request: "Latest scan request",
    link_invalid: "This link is invalid, expired or revoked.",
    too_many_requests: "Too many requests. Please try again in a few minutes.",
    login_title: "Staff sign-in",
    username: "Username",
    password: "Password",
    login: "Sign in",
    logout: "Sign out",
    login_failed: "Wrong username or password.",
    login_throttled: "Too many failed sign-ins. Please try again later.",
    staff_title: "Administration",
    import_title: "Import websites (CSV)",
    import_help: "Columns: host, organisation, category, province, contact_email. Bad lines are reported with their line number; good lines are still imported.",
    import_button: "Import",
    import_result: "Import result",
    owner_contact: "Owner contact",
    no_contact: "not in the target list",
    refused_lines: "Refused lines",
    scan_now: "Scan now",
    attest_title: "Attest a manual assessment (advanced level)",
    attest_help: "Only for a site that holds the label.",
    note: "Note",
    attest_button: "Attest",
    attest_refused: "The site does not hold the label, so it cannot be raised to advanced.",
    override_title: "Override the label",
    override_help: "A reason is mandatory; the action is audited.",
    new_status: "New status",
    override_button: "Override",
    reason_required: "A reason is required.",
    audit_title: "Audit log",
    actor: "Actor",
    action: "Action",
    detail: "Detail",
    done: "Done.",
    bad_request: "Bad request.",
    bad_form: "The form sent is incomplete or invalid. Please go back and try again.",
    server_error: "Server error. Please try again later.",
    signed_in_as: "Signed in as",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_unless_the_url_asks_for_english() {
        assert_eq!(Lang::from_query(Some("en")), Lang::En);
        assert_eq!(Lang::from_query(Some("vi")), Lang::Vi);
        assert_eq!(Lang::from_query(Some("xx")), Lang::Vi);
        assert_eq!(Lang::from_query(None), Lang::Vi);
    }
}
