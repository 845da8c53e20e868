//! The finding catalog: stable ids, categories and severities.
//!
//! Finding ids are public API (reports, policy files and tests name them), so they are
//! an enum with one canonical string each rather than loose strings: a typo in a policy
//! file is caught when the file is loaded, not silently ignored.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The area a finding belongs to; category scores are computed per area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Reachability,
    Transport,
    Certificate,
    Headers,
    Content,
    Privacy,
    Exposure,
    Software,
    Compromise,
    /// The site's name in DNS: DNSSEC, CAA, IPv6.
    Dns,
    /// Mail sent in the domain's name and to it: SPF, DMARC, STARTTLS, DANE, MTA-STS.
    Mail,
    /// How to report a vulnerability to the site (`security.txt`, RFC 9116).
    Disclosure,
}

impl Category {
    pub const ALL: [Category; 12] = [
        Category::Reachability,
        Category::Transport,
        Category::Certificate,
        Category::Headers,
        Category::Content,
        Category::Privacy,
        Category::Exposure,
        Category::Software,
        Category::Compromise,
        Category::Dns,
        Category::Mail,
        Category::Disclosure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Reachability => "reachability",
            Category::Transport => "transport",
            Category::Certificate => "certificate",
            Category::Headers => "headers",
            Category::Content => "content",
            Category::Privacy => "privacy",
            Category::Exposure => "exposure",
            Category::Software => "software",
            Category::Compromise => "compromise",
            Category::Dns => "dns",
            Category::Mail => "mail",
            Category::Disclosure => "disclosure",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a finding matters to a site owner; ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Declares the catalog once: variant, stable id string and category. Everything that
/// maps between them is generated so the three can never drift apart.
macro_rules! finding_catalog {
    ($( $variant:ident => $id:literal, $category:ident; )*) => {
        /// Every finding the scanner can report (DESIGN.md's catalog).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FindingId { $( $variant, )* }

        impl FindingId {
            pub const ALL: &'static [FindingId] = &[ $( FindingId::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( FindingId::$variant => $id, )* }
            }

            pub fn category(self) -> Category {
                match self { $( FindingId::$variant => Category::$category, )* }
            }
        }

        impl FromStr for FindingId {
            type Err = UnknownFindingId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $id => Ok(FindingId::$variant), )*
                    other => Err(UnknownFindingId(other.to_string())),
                }
            }
        }
    };
}

finding_catalog! {
    SiteUnreachable => "site.unreachable", Reachability;
    SiteTimeout => "site.timeout", Reachability;
    SiteDnsFailed => "site.dns_failed", Reachability;
    SiteAddressRefused => "site.address_refused", Reachability;
    SiteBlocked => "site.blocked", Reachability;

    TlsNone => "tls.none", Transport;
    HttpNoHttpsRedirect => "http.no_https_redirect", Transport;
    HttpRedirectOffsite => "http.redirect_offsite", Transport;
    HttpRedirectLoop => "http.redirect_loop", Transport;
    HttpRedirectOffHost => "http.redirect_off_host", Transport;
    TlsProtoSslv3 => "tls.proto.sslv3", Transport;
    TlsProtoTls10 => "tls.proto.tls10", Transport;
    TlsProtoTls11 => "tls.proto.tls11", Transport;
    TlsProtoNoTls12 => "tls.proto.no_tls12", Transport;
    TlsProtoNoTls13 => "tls.proto.no_tls13", Transport;
    TlsCipherWeak => "tls.cipher.weak", Transport;
    TlsCipherNoForwardSecrecy => "tls.cipher.no_forward_secrecy", Transport;
    TlsCipherNoAead => "tls.cipher.no_aead", Transport;

    CertExpired => "cert.expired", Certificate;
    CertNotYetValid => "cert.not_yet_valid", Certificate;
    CertExpiringSoon => "cert.expiring_soon", Certificate;
    CertNameMismatch => "cert.name_mismatch", Certificate;
    CertSelfSigned => "cert.self_signed", Certificate;
    CertUntrusted => "cert.untrusted", Certificate;
    CertChainIncomplete => "cert.chain_incomplete", Certificate;
    CertWeakKey => "cert.weak_key", Certificate;
    CertWeakSignature => "cert.weak_signature", Certificate;
    CertRevoked => "cert.revoked", Certificate;

    HeaderHstsMissing => "header.hsts.missing", Headers;
    HeaderHstsShort => "header.hsts.short", Headers;
    HeaderCspMissing => "header.csp.missing", Headers;
    HeaderCspUnsafe => "header.csp.unsafe", Headers;
    HeaderFrameMissing => "header.frame.missing", Headers;
    HeaderXctoMissing => "header.xcto.missing", Headers;
    HeaderReferrerUnsafe => "header.referrer.unsafe", Headers;
    HeaderPermissionsMissing => "header.permissions.missing", Headers;
    HeaderVersionLeak => "header.version_leak", Headers;
    CookieInsecure => "cookie.insecure", Headers;
    CookieNoHttponly => "cookie.no_httponly", Headers;
    CookieNoSamesite => "cookie.no_samesite", Headers;
    CorsWildcardCredentials => "cors.wildcard_credentials", Headers;
    HeaderCoopInvalid => "header.coop.invalid", Headers;
    HeaderCoepInvalid => "header.coep.invalid", Headers;
    HeaderCorpInvalid => "header.corp.invalid", Headers;
    HeaderCspStrict => "header.csp.strict", Headers;
    HeaderFrameProtected => "header.frame.protected", Headers;
    HeaderReferrerPrivate => "header.referrer.private", Headers;
    HeaderCoopProtective => "header.coop.protective", Headers;
    HeaderCoepProtective => "header.coep.protective", Headers;
    HeaderCorpProtective => "header.corp.protective", Headers;
    CookieHardened => "cookie.hardened", Headers;

    ContentMixedActive => "content.mixed_active", Content;
    ContentMixedPassive => "content.mixed_passive", Content;
    ContentSriMissing => "content.sri_missing", Content;
    ContentTrackers => "content.trackers", Content;
    ContentSriComplete => "content.sri_complete", Content;

    PrivacyCollectsPersonalData => "privacy.collects_personal_data", Privacy;
    PrivacyCollectsSensitiveData => "privacy.collects_sensitive_data", Privacy;
    PrivacyNoticeMissing => "privacy.notice.missing", Privacy;
    PrivacyNoticeIncomplete => "privacy.notice.incomplete", Privacy;
    PrivacyFormInsecureAction => "privacy.form.insecure_action", Privacy;
    PrivacyFormOverHttp => "privacy.form.over_http", Privacy;

    ExposureVcs => "exposure.vcs", Exposure;
    ExposureEnv => "exposure.env", Exposure;
    ExposureBackup => "exposure.backup", Exposure;
    ExposureDirListing => "exposure.dir_listing", Exposure;
    ExposureDebugPage => "exposure.debug_page", Exposure;
    ExposureAdminPanel => "exposure.admin_panel", Exposure;

    SoftwareOutdated => "software.outdated", Software;
    SoftwareVulnerableJs => "software.vulnerable_js", Software;

    CompromiseSpamInjection => "compromise.spam_injection", Compromise;
    CompromiseCloaking => "compromise.cloaking", Compromise;
    CompromiseBlocklisted => "compromise.blocklisted", Compromise;

    DnsDnssecUnsigned => "dns.dnssec.unsigned", Dns;
    DnsDnssecBogus => "dns.dnssec.bogus", Dns;
    DnsDnssecUnverified => "dns.dnssec.unverified", Dns;
    DnsCaaMissing => "dns.caa.missing", Dns;
    DnsCaaDisallowsIssuer => "dns.caa.disallows_issuer", Dns;
    DnsIpv6Missing => "dns.ipv6.missing", Dns;
    DnsIpv6Unreachable => "dns.ipv6.unreachable", Dns;
    DnsIpv6DifferentContent => "dns.ipv6.different_content", Dns;
    DnsNsNoIpv6 => "dns.ns.no_ipv6", Dns;

    MailMxMissing => "mail.mx.missing", Mail;
    MailMxUnreachable => "mail.mx.unreachable", Mail;
    MailSpfMissing => "mail.spf.missing", Mail;
    MailSpfInvalid => "mail.spf.invalid", Mail;
    MailSpfLookupLimit => "mail.spf.lookup_limit", Mail;
    MailSpfAllowAll => "mail.spf.allow_all", Mail;
    MailSpfWeak => "mail.spf.weak", Mail;
    MailDmarcMissing => "mail.dmarc.missing", Mail;
    MailDmarcInvalid => "mail.dmarc.invalid", Mail;
    MailDmarcNotEnforcing => "mail.dmarc.not_enforcing", Mail;
    MailStarttlsMissing => "mail.starttls.missing", Mail;
    MailStarttlsCertInvalid => "mail.starttls.cert_invalid", Mail;
    MailStarttlsTlsOutdated => "mail.starttls.tls_outdated", Mail;
    MailStarttlsFailed => "mail.starttls.failed", Mail;
    MailDaneMissing => "mail.dane.missing", Mail;
    MailDaneMismatch => "mail.dane.mismatch", Mail;
    MailMtaStsMissing => "mail.mta_sts.missing", Mail;
    MailMtaStsInvalid => "mail.mta_sts.invalid", Mail;
    MailTlsrptMissing => "mail.tlsrpt.missing", Mail;

    SecurityTxtMissing => "disclosure.security_txt.missing", Disclosure;
    SecurityTxtInvalid => "disclosure.security_txt.invalid", Disclosure;
    SecurityTxtExpired => "disclosure.security_txt.expired", Disclosure;
    SecurityTxtCanonicalMismatch => "disclosure.security_txt.canonical_mismatch", Disclosure;
    SecurityTxtExpiresFar => "disclosure.security_txt.expires_far", Disclosure;
    SecurityTxtPublished => "disclosure.security_txt.published", Disclosure;

    TlsVulnHeartbleed => "tls.vuln.heartbleed", Transport;
    TlsVulnCcsInjection => "tls.vuln.ccs_injection", Transport;
    TlsVulnRobot => "tls.vuln.robot", Transport;
    TlsVulnInsecureRenegotiation => "tls.vuln.insecure_renegotiation", Transport;
    TlsVulnCompression => "tls.vuln.compression", Transport;
    TlsVulnNoFallbackScsv => "tls.vuln.no_fallback_scsv", Transport;
    TlsVulnNoExtendedMasterSecret => "tls.vuln.no_extended_master_secret", Transport;
    // Advisory feeds (issue 12).
    SoftwareVulnerable => "software.vulnerable", Software;
    SoftwareKnownExploited => "software.known_exploited", Software;
}

/// The DNS records a finding is about: what the scan saw and what the owner should
/// publish instead. Carried inside the finding's `detail` (one line each, after a summary
/// line) so that stored findings keep their shape, and read back by the owner page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordAdvice {
    pub summary: String,
    /// Records as seen, in zone-file form; empty when there were none.
    pub seen: Vec<String>,
    /// Records to publish, in zone-file form.
    pub publish: Vec<String>,
}

const SEEN: &str = "seen: ";
const PUBLISH: &str = "publish: ";
const NONE_SEEN: &str = "(none)";

impl RecordAdvice {
    pub fn new(summary: impl Into<String>) -> RecordAdvice {
        RecordAdvice {
            summary: summary.into(),
            ..RecordAdvice::default()
        }
    }

    pub fn seen(mut self, records: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.seen.extend(records.into_iter().map(Into::into));
        self
    }

    pub fn publish(mut self, records: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.publish.extend(records.into_iter().map(Into::into));
        self
    }

    /// The finding detail: the summary, then `seen: ` and `publish: ` lines.
    pub fn to_detail(&self) -> String {
        let one_line = |s: &str| s.replace(['\n', '\r'], " ");
        let mut out = one_line(&self.summary);
        if self.seen.is_empty() {
            out.push_str(&format!("\n{SEEN}{NONE_SEEN}"));
        }
        for record in &self.seen {
            out.push_str(&format!("\n{SEEN}{}", one_line(record)));
        }
        for record in &self.publish {
            out.push_str(&format!("\n{PUBLISH}{}", one_line(record)));
        }
        out
    }

    /// Reads a detail written by [`RecordAdvice::to_detail`]; `None` for other details.
    pub fn from_detail(detail: &str) -> Option<RecordAdvice> {
        let mut lines = detail.lines();
        let summary = lines.next()?.to_string();
        let mut advice = RecordAdvice::new(summary);
        let mut any = false;
        for line in lines {
            if let Some(record) = line.strip_prefix(SEEN) {
                any = true;
                if record != NONE_SEEN {
                    advice.seen.push(record.to_string());
                }
            } else if let Some(record) = line.strip_prefix(PUBLISH) {
                any = true;
                advice.publish.push(record.to_string());
            } else {
                return None;
            }
        }
        any.then_some(advice)
    }
}

impl FindingId {
    /// Strengths: what a site does beyond the minimum (a strict CSP, cross-origin
    /// isolation...). They are reported like findings so the evidence stays in one list,
    /// but they cost nothing: the policy prices them in `[bonuses]`, as the HTTP
    /// Observatory gives extra credit, and the owner page shows them apart from problems.
    pub fn is_strength(self) -> bool {
        matches!(
            self,
            FindingId::HeaderCspStrict
                | FindingId::HeaderFrameProtected
                | FindingId::HeaderReferrerPrivate
                | FindingId::HeaderCoopProtective
                | FindingId::HeaderCoepProtective
                | FindingId::HeaderCorpProtective
                | FindingId::CookieHardened
                | FindingId::ContentSriComplete
                | FindingId::SecurityTxtPublished
        )
    }

    /// The kinds a check may attach to this finding ([`Finding::kinds`]): what exactly
    /// was seen, so the policy can price a script-src wildcard apart from an image over
    /// http inside the same id. The policy file may only name these (or a severity).
    pub fn kinds(self) -> &'static [&'static str] {
        match self {
            FindingId::HeaderCspMissing => &["absent", "report_only", "invalid", "meta_ignored"],
            FindingId::HeaderCspUnsafe => &[
                "script_unrestricted",
                "script_unsafe_inline",
                "script_broad_source",
                "script_insecure_scheme",
                "script_unsafe_eval",
                "object_unrestricted",
                "insecure_active",
                "insecure_passive",
                "style_unsafe_eval",
                "base_uri_unrestricted",
                "form_action_broad",
                "strict_dynamic_without_nonce",
                "duplicate_directive",
                "unknown_directive",
            ],
            FindingId::HeaderCspStrict => &["no_unsafe", "default_none"],
            FindingId::CookieInsecure => &["session", "session_hsts", "other", "other_hsts"],
            FindingId::CookieNoSamesite => &[
                "session",
                "csrf",
                "invalid",
                "none_without_secure",
                "missing",
            ],
            _ => &[],
        }
    }
}

/// A finding id that is not in the catalog, e.g. a typo in a policy file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown finding id `{0}`")]
pub struct UnknownFindingId(pub String);

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FindingId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FindingId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One observed problem (or informational fact) about a site.
///
/// `detail` is the evidence excerpt that justifies the finding (a header value, the
/// certificate dates...), so an owner can see exactly what was observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: FindingId,
    pub severity: Severity,
    pub detail: String,
    /// What exactly was seen, from [`FindingId::kinds`] (empty for most ids): the policy
    /// prices by it. Not stored with the finding: the verdict records the price it led
    /// to, and re-judging stored evidence computes it again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
}

impl Finding {
    pub fn new(id: FindingId, severity: Severity, detail: impl Into<String>) -> Self {
        Finding {
            id,
            severity,
            detail: detail.into(),
            kinds: Vec::new(),
        }
    }

    /// The same finding with these kinds (each must be one of [`FindingId::kinds`]).
    pub fn with_kinds<'a>(mut self, kinds: impl IntoIterator<Item = &'a str>) -> Self {
        for kind in kinds {
            debug_assert!(
                self.id.kinds().contains(&kind),
                "{} has no kind {kind}",
                self.id
            );
            if !self.kinds.iter().any(|k| k == kind) {
                self.kinds.push(kind.to_string());
            }
        }
        self
    }

    pub fn category(&self) -> Category {
        self.id.category()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_round_trips_through_its_string() {
        for id in FindingId::ALL {
            assert_eq!(id.as_str().parse::<FindingId>(), Ok(*id));
            let json = serde_json::to_string(id).unwrap();
            assert_eq!(serde_json::from_str::<FindingId>(&json).unwrap(), *id);
        }
    }

    #[test]
    fn ids_are_unique_and_prefixed_by_their_family() {
        let mut seen = std::collections::HashSet::new();
        for id in FindingId::ALL {
            assert!(seen.insert(id.as_str()), "duplicate id {id}");
            assert!(id.as_str().contains('.'), "{id} has no family prefix");
        }
    }

    #[test]
    fn record_advice_round_trips_through_the_detail() {
        let advice = RecordAdvice::new("no DMARC record")
            .publish(["_dmarc.example.vn. IN TXT \"v=DMARC1; p=reject\""]);
        let detail = advice.to_detail();
        assert_eq!(
            detail,
            "no DMARC record\nseen: (none)\npublish: _dmarc.example.vn. IN TXT \"v=DMARC1; p=reject\""
        );
        assert_eq!(RecordAdvice::from_detail(&detail), Some(advice));
        assert_eq!(RecordAdvice::from_detail("a plain detail"), None);
        assert_eq!(RecordAdvice::from_detail("two\nplain lines"), None);
        let multi = RecordAdvice::new("s").seen(["a\nb"]);
        assert_eq!(
            RecordAdvice::from_detail(&multi.to_detail()).unwrap().seen,
            ["a b"]
        );
    }

    #[test]
    fn a_typo_is_refused() {
        assert_eq!(
            "header.hsts.mising".parse::<FindingId>(),
            Err(UnknownFindingId("header.hsts.mising".into()))
        );
    }
}
