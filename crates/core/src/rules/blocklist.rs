//! `checks/blocklist.toml`: domains the authority has listed (malware, phishing, known
//! spam networks). A site on the list, or one that links to or loads from a listed
//! domain, is `compromise.blocklisted`.

use super::{RuleFileError, RuleInfo, RuleText, check_meta, compile_domains, host_is_under};
use serde::Deserialize;

pub const FILE: &str = "blocklist.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    list: Vec<RawList>,
}

raw_rule!(RawList {
    domains: Vec<String>,
});

#[derive(Debug, Clone)]
pub struct Blocklist {
    pub lists: Vec<(RuleInfo, Vec<String>)>,
}

impl Blocklist {
    pub fn parse(source: &RuleText<'_>) -> Result<Blocklist, RuleFileError> {
        let raw: RawFile = source.parse()?;
        let infos = check_meta(source, raw.list.iter().map(RawList::meta))?;
        let mut lists = Vec::new();
        for (l, info) in raw.list.iter().zip(infos) {
            lists.push((info, compile_domains(source, &l.id, &l.domains)?));
        }
        Ok(Blocklist { lists })
    }

    /// The list and listed domain that cover `host`, if any.
    pub fn listing(&self, host: &str) -> Option<(&RuleInfo, &str)> {
        self.lists.iter().find_map(|(info, domains)| {
            domains
                .iter()
                .find(|d| host_is_under(host, d))
                .map(|d| (info, d.as_str()))
        })
    }
}
