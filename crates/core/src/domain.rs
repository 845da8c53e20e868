//! Which host names belong to the same site: the registrable domain (eTLD+1 from the
//! public suffix list). Redirects, links, scripts and cloaking views are all judged by
//! it, in the collector and in the checks alike, so it lives here once.

use std::net::IpAddr;

/// Same registrable domain (eTLD+1 from the public suffix list), or the same IP literal.
pub fn same_site(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    match (registrable_domain(a), registrable_domain(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

pub fn registrable_domain(host: &str) -> Option<String> {
    if host.parse::<IpAddr>().is_ok() {
        return None;
    }
    let lower = host.to_ascii_lowercase();
    psl::domain_str(&lower).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_site_uses_the_registrable_domain() {
        assert!(same_site("example.gov.vn", "www.example.gov.vn"));
        assert!(same_site("a.example.com", "b.example.com"));
        assert!(!same_site("example.gov.vn", "other.gov.vn"));
        assert!(!same_site("good.demo.test", "elsewhere.example"));
        assert!(same_site("127.0.0.1", "127.0.0.1"));
        assert!(!same_site("127.0.0.1", "127.0.0.2"));
    }
}
