//! The provincial-level units in force (`checks/provinces.toml`): the map a target's
//! province is filed under. Target lists still name provinces that were merged in 2025
//! ("Bình Dương", "Thừa Thiên Huế"), write them with or without tone marks or a prefix
//! ("TP. Hồ Chí Minh", "tinh Nghe An"); all of them resolve to the unit in force, so
//! league tables compare like with like.

use crate::fold::fold;
use crate::rulefile::{RuleFileError, RuleSource, RuleText};
use serde::Deserialize;
use std::collections::HashMap;
use toml::Spanned;

pub const PROVINCES_FILE: &str = "provinces.toml";

/// A city under central authority or a province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    City,
    Province,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub name: String,
    pub kind: UnitKind,
    /// Names merged into this unit (the unit's own former name included).
    pub former: Vec<String>,
    /// (row, column) on the dashboard's tile map.
    pub tile: (u8, u8),
}

#[derive(Debug, Clone)]
pub struct Provinces {
    pub version: String,
    units: Vec<Unit>,
    /// Folded name or former name → unit index.
    index: HashMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: String,
    #[serde(default)]
    unit: Vec<RawUnit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    name: Spanned<String>,
    kind: UnitKind,
    #[serde(default)]
    former: Vec<String>,
    tile: Spanned<(u8, u8)>,
}

/// The words a list may put before a unit's name.
const PREFIXES: [&str; 5] = ["thanh pho ", "tp ", "tinh ", "province of ", "city of "];

/// The comparison key of a province name: folded, without a "tỉnh"/"thành phố" prefix.
fn key(name: &str) -> String {
    let folded = fold(name);
    PREFIXES
        .iter()
        .find_map(|p| folded.strip_prefix(p))
        .unwrap_or(&folded)
        .to_string()
}

impl Provinces {
    pub fn builtin() -> Result<Provinces, RuleFileError> {
        let source = RuleSource::builtin(PROVINCES_FILE);
        Provinces::from_toml(&source.name, &source.text)
    }

    pub fn from_toml(file: &str, text: &str) -> Result<Provinces, RuleFileError> {
        let source = RuleText { file, text };
        let raw: RawFile = source.parse()?;
        if raw.unit.is_empty() {
            return Err(source.inconsistent("no [[unit]]"));
        }
        let mut units = Vec::with_capacity(raw.unit.len());
        let mut index = HashMap::new();
        let mut tiles = HashMap::new();
        for (i, unit) in raw.unit.into_iter().enumerate() {
            let name = unit.name.get_ref().trim().to_string();
            if name.is_empty() {
                return Err(source.invalid(unit.name.span(), "a unit needs a name"));
            }
            if let Some(other) = tiles.insert(*unit.tile.get_ref(), name.clone()) {
                return Err(source.invalid(
                    unit.tile.span(),
                    format!("`{name}` has the same tile as `{other}`"),
                ));
            }
            for alias in std::iter::once(&name).chain(&unit.former) {
                match index.insert(key(alias), i) {
                    Some(j) if j != i => {
                        return Err(
                            source.invalid(unit.name.span(), format!("`{alias}` names two units"))
                        );
                    }
                    _ => {}
                }
            }
            units.push(Unit {
                name,
                kind: unit.kind,
                former: unit.former,
                tile: unit.tile.into_inner(),
            });
        }
        Ok(Provinces {
            version: raw.version,
            units,
            index,
        })
    }

    /// Every unit, in file order.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// The unit in force that `name` (its own name or a former one, any spelling of tone
    /// marks and prefix) stands for.
    pub fn resolve(&self, name: &str) -> Option<&Unit> {
        self.index.get(&key(name)).map(|&i| &self.units[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provinces() -> Provinces {
        Provinces::builtin().expect("the built-in map loads")
    }

    #[test]
    fn the_map_in_force_has_thirty_four_units_six_of_them_cities() {
        let p = provinces();
        assert_eq!(p.units().len(), 34);
        let cities = p
            .units()
            .iter()
            .filter(|u| u.kind == UnitKind::City)
            .count();
        assert_eq!(cities, 6);
        let merged: usize = p.units().iter().map(|u| u.former.len().max(1)).sum();
        assert!(merged >= 63, "every former province is listed: {merged}");
    }

    #[test]
    fn former_provinces_and_any_spelling_resolve_to_the_unit_in_force() {
        let p = provinces();
        let unit = |name: &str| p.resolve(name).map(|u| u.name.as_str());
        assert_eq!(unit("Bình Dương"), Some("Hồ Chí Minh"));
        assert_eq!(unit("TP. Hồ Chí Minh"), Some("Hồ Chí Minh"));
        assert_eq!(unit("thanh pho ho chi minh"), Some("Hồ Chí Minh"));
        assert_eq!(unit("Thừa Thiên Huế"), Some("Huế"));
        assert_eq!(unit("Tỉnh Hà Giang"), Some("Tuyên Quang"));
        assert_eq!(unit("nam dinh"), Some("Ninh Bình"));
        assert_eq!(unit("Hà Nội"), Some("Hà Nội"));
        assert_eq!(unit("Gotham"), None);
    }

    #[test]
    fn a_name_claimed_by_two_units_is_refused_with_its_line() {
        let text = "version = \"t\"\n[[unit]]\nname = \"A\"\nkind = \"city\"\ntile = [0, 0]\n\
                    [[unit]]\nname = \"B\"\nkind = \"province\"\nformer = [\"A\"]\ntile = [0, 1]\n";
        let err = Provinces::from_toml("p.toml", text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.toml:7: "), "{err}");
        let tiles = "version = \"t\"\n[[unit]]\nname = \"A\"\nkind = \"city\"\ntile = [0, 0]\n\
                     [[unit]]\nname = \"B\"\nkind = \"city\"\ntile = [0, 0]\n";
        assert!(Provinces::from_toml("p.toml", tiles).is_err());
    }
}
