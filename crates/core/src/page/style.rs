//! Whether CSS hides an element from a visitor.
//!
//! Injected spam is usually hidden so that visitors (and the site's owner) do not see it
//! while search engines index it: `display:none`, text pushed thousands of pixels off
//! screen, zero font size, a 1px clip. The same techniques hide legitimate things (menus,
//! screen-reader labels), so hiddenness is recorded as a fact and only matters to a check
//! together with what the hidden text says.
//!
//! Only inline `style` attributes and simple top-level stylesheet rules (`.class` and
//! `#id` selectors in `<style>` elements, outside `@media`) are understood: a full
//! cascade would need a CSS engine, and spam injections use these simple forms.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Why a piece of text is not shown to a visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HiddenReason {
    /// The `hidden` attribute.
    HiddenAttribute,
    DisplayNone,
    VisibilityHidden,
    /// Absolutely positioned or indented far outside the viewport.
    OffScreen,
    ZeroFontSize,
    /// A clip or clip-path that leaves (almost) nothing visible.
    Clipped,
    /// Zero width or height with overflow hidden.
    ZeroSize,
    Transparent,
    /// Inside `<noscript>`, which browsers with JavaScript (nearly all) do not render.
    Noscript,
}

impl HiddenReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HiddenReason::HiddenAttribute => "hidden attribute",
            HiddenReason::DisplayNone => "display:none",
            HiddenReason::VisibilityHidden => "visibility:hidden",
            HiddenReason::OffScreen => "off-screen position",
            HiddenReason::ZeroFontSize => "zero font size",
            HiddenReason::Clipped => "clipped",
            HiddenReason::ZeroSize => "zero size",
            HiddenReason::Transparent => "opacity:0",
            HiddenReason::Noscript => "noscript",
        }
    }
}

/// Offsets at least this far negative (in px) put content outside any real viewport.
const OFF_SCREEN_PX: f64 = 500.0;
/// Font sizes below this (px) cannot be read.
const UNREADABLE_FONT_PX: f64 = 2.0;

/// The reason an inline `style` value hides its element, if it does.
pub fn hidden_by_style(style: &str) -> Option<HiddenReason> {
    let decls = declarations(style);
    let get = |name: &str| {
        decls
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if get("display") == Some("none") {
        return Some(HiddenReason::DisplayNone);
    }
    if matches!(get("visibility"), Some("hidden" | "collapse")) {
        return Some(HiddenReason::VisibilityHidden);
    }
    if get("font-size")
        .and_then(px)
        .is_some_and(|v| v < UNREADABLE_FONT_PX)
    {
        return Some(HiddenReason::ZeroFontSize);
    }
    if get("opacity")
        .and_then(|v| v.parse::<f64>().ok())
        .is_some_and(|v| v <= 0.01)
    {
        return Some(HiddenReason::Transparent);
    }
    let far = |name: &str| get(name).and_then(px).is_some_and(|v| v <= -OFF_SCREEN_PX);
    let positioned = matches!(get("position"), Some("absolute" | "fixed"));
    if far("text-indent")
        || (positioned && ["left", "top", "right", "bottom"].into_iter().any(far))
        || ["margin-left", "margin-top"].into_iter().any(far)
    {
        return Some(HiddenReason::OffScreen);
    }
    if get("clip").is_some_and(tiny_rect) || get("clip-path").is_some_and(empty_clip_path) {
        return Some(HiddenReason::Clipped);
    }
    let zero = |name: &str| get(name).and_then(px).is_some_and(|v| v <= 1.0);
    if get("overflow") == Some("hidden")
        && (zero("height") || zero("width") || zero("max-height") || zero("max-width"))
    {
        return Some(HiddenReason::ZeroSize);
    }
    None
}

/// `name: value` pairs, lower-cased, `!important` dropped.
fn declarations(style: &str) -> Vec<(String, String)> {
    style
        .split(';')
        .filter_map(|d| {
            let (name, value) = d.split_once(':')?;
            let value = value.trim().to_ascii_lowercase();
            let value = value.trim_end_matches("!important").trim().to_string();
            Some((name.trim().to_ascii_lowercase(), value))
        })
        .collect()
}

/// A CSS length in px (em/rem read as 16px); `None` when it is not a length.
fn px(value: &str) -> Option<f64> {
    let value = value.trim();
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let n: f64 = number.parse().ok()?;
    match unit.trim() {
        "" | "px" => Some(n),
        "em" | "rem" => Some(n * 16.0),
        "pt" => Some(n * 4.0 / 3.0),
        "%" | "vw" | "vh" if n == 0.0 => Some(0.0),
        "%" | "vw" | "vh" if n <= -100.0 => Some(-10_000.0),
        _ => None,
    }
}

/// `rect(...)` whose every edge is at most 1px: nothing of the box shows.
fn tiny_rect(value: &str) -> bool {
    let Some(inner) = value
        .strip_prefix("rect(")
        .and_then(|v| v.strip_suffix(')'))
    else {
        return false;
    };
    let edges: Vec<Option<f64>> = inner
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(px)
        .collect();
    edges.len() == 4 && edges.iter().all(|e| e.is_some_and(|v| v <= 1.0))
}

fn empty_clip_path(value: &str) -> bool {
    let v: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    v == "inset(50%)" || v == "inset(100%)" || v.starts_with("circle(0")
}

/// Class names and ids that top-level rules of a stylesheet hide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HidingRules {
    pub classes: HashSet<String>,
    pub ids: HashSet<String>,
}

impl HidingRules {
    /// Adds the hiding rules of one `<style>` text. At most `max_rules` rules are read,
    /// so a huge stylesheet costs bounded work.
    pub fn add_stylesheet(&mut self, css: &str, max_rules: usize) {
        let css = strip_comments(css);
        let mut depth = 0usize;
        let mut prelude = String::new();
        let mut block = String::new();
        let mut rules = 0;
        for c in css.chars() {
            match c {
                '{' => {
                    depth += 1;
                    if depth > 1 {
                        prelude.clear();
                    }
                }
                '}' => {
                    if depth == 1 && hidden_by_style(&block).is_some() {
                        self.add_selectors(&prelude);
                    }
                    if depth == 1 {
                        rules += 1;
                        if rules >= max_rules {
                            return;
                        }
                    }
                    depth = depth.saturating_sub(1);
                    prelude.clear();
                    block.clear();
                }
                _ if depth == 0 => prelude.push(c),
                _ if depth == 1 => block.push(c),
                _ => {}
            }
        }
    }

    fn add_selectors(&mut self, prelude: &str) {
        if prelude.trim_start().starts_with('@') {
            return;
        }
        for selector in prelude.split(',').map(str::trim) {
            let simple = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            };
            if let Some(class) = selector.strip_prefix('.').filter(|s| simple(s)) {
                self.classes.insert(class.to_string());
            } else if let Some(id) = selector.strip_prefix('#').filter(|s| simple(s)) {
                self.ids.insert(id.to_string());
            }
        }
    }

    pub fn hides(&self, id: Option<&str>, mut classes: impl Iterator<Item = String>) -> bool {
        id.is_some_and(|id| self.ids.contains(id)) || classes.any(|c| self.classes.contains(&c))
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty() && self.ids.is_empty()
    }
}

fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = match rest[start + 2..].find("*/") {
            Some(end) => &rest[start + 2 + end + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_hiding_techniques_are_recognised() {
        let cases = [
            ("display: none", HiddenReason::DisplayNone),
            ("DISPLAY:NONE !important", HiddenReason::DisplayNone),
            ("visibility:hidden", HiddenReason::VisibilityHidden),
            ("position:absolute; left:-9999px", HiddenReason::OffScreen),
            ("position: fixed; top: -100em", HiddenReason::OffScreen),
            ("text-indent:-5000px", HiddenReason::OffScreen),
            ("font-size:0", HiddenReason::ZeroFontSize),
            ("font-size: 1px", HiddenReason::ZeroFontSize),
            (
                "position:absolute;clip:rect(0,0,0,0)",
                HiddenReason::Clipped,
            ),
            ("clip: rect(1px 1px 1px 1px)", HiddenReason::Clipped),
            ("clip-path: inset(50%)", HiddenReason::Clipped),
            ("height:0;overflow:hidden", HiddenReason::ZeroSize),
            ("opacity:0", HiddenReason::Transparent),
        ];
        for (style, reason) in cases {
            assert_eq!(hidden_by_style(style), Some(reason), "{style}");
        }
    }

    #[test]
    fn ordinary_styles_are_visible() {
        for style in [
            "display:block",
            "color:red; font-size:14px",
            "position:absolute; left:-10px",
            "margin-left:-20px",
            "height:0",
            "overflow:hidden; height:200px",
            "opacity:0.5",
            "display: none-ish",
            "left:-9999px",
        ] {
            assert_eq!(hidden_by_style(style), None, "{style}");
        }
    }

    #[test]
    fn top_level_class_and_id_rules_are_learned_but_media_rules_are_not() {
        let mut rules = HidingRules::default();
        rules.add_stylesheet(
            "/* x */ .seo-links, #hidden-box { display:none } .menu { color: red }\
             @media (max-width: 600px) { .desktop-only { display: none } }\
             div.tricky { display:none }",
            100,
        );
        assert!(rules.classes.contains("seo-links"));
        assert!(rules.ids.contains("hidden-box"));
        assert!(!rules.classes.contains("menu"));
        assert!(!rules.classes.contains("desktop-only"));
        assert!(!rules.classes.contains("tricky"));
    }
}
