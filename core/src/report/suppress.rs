//! Suppressions: rule ids, optionally scoped to a namespace, pod or evidence name, each with a
//! reason. File format, one entry per line:
//!
//! ```text
//! # comment
//! throttled-429                      # reason: load test cluster, throttling expected
//! access-denied namespace=staging    # reason: policy rolled out next sprint
//! spc-invalid source=old/*.yaml      # reason: archived manifests
//! ```

use crate::error::Error;
use std::collections::BTreeMap;

/// One suppression entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Rule id, or `*` for every rule.
    pub rule: String,
    /// Scope: `namespace`, `pod`, `vault` or `source` with a value (`*` wildcards allowed).
    pub scope: Option<(String, String)>,
    /// Why.
    pub reason: String,
    /// Where the entry is (`file:line`).
    pub entry: String,
}

/// All suppression entries of a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuppressionList {
    /// Entries in file order.
    pub entries: Vec<Suppression>,
}

impl SuppressionList {
    /// Parses a suppression file.
    pub fn parse(name: &str, text: &str) -> Result<Self, Error> {
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let (body, comment) = match raw.split_once('#') {
                Some((b, c)) => (b.trim(), c.trim()),
                None => (raw.trim(), ""),
            };
            if body.is_empty() {
                continue;
            }
            let mut words = body.split_whitespace();
            let rule = words.next().unwrap_or_default().to_owned();
            let mut scope = None;
            for word in words {
                let Some((key, value)) = word.split_once('=') else {
                    return Err(Error::Suppression {
                        path: name.to_owned(),
                        line: line_no,
                        message: format!(
                            "'{word}' is not a scope; use namespace=, pod=, vault= or source="
                        ),
                    });
                };
                if !matches!(key, "namespace" | "pod" | "vault" | "source") {
                    return Err(Error::Suppression {
                        path: name.to_owned(),
                        line: line_no,
                        message: format!(
                            "unknown scope '{key}'; use namespace, pod, vault or source"
                        ),
                    });
                }
                scope = Some((key.to_owned(), value.to_owned()));
            }
            let reason = comment.trim_start_matches("reason:").trim().to_owned();
            if reason.is_empty() {
                return Err(Error::Suppression {
                    path: name.to_owned(),
                    line: line_no,
                    message: format!("the entry for '{rule}' has no reason; add `# reason: ...`"),
                });
            }
            entries.push(Suppression {
                rule,
                scope,
                reason,
                entry: format!("{name}:{line_no}"),
            });
        }
        Ok(Self { entries })
    }

    /// The entry that silences a finding of `rule` with this subject and these sources, if any.
    pub fn matching(
        &self,
        rule: &str,
        subject: &BTreeMap<String, String>,
        sources: &[&str],
    ) -> Option<&Suppression> {
        self.entries.iter().find(|entry| {
            (entry.rule == rule || entry.rule == "*")
                && match &entry.scope {
                    None => true,
                    Some((key, pattern)) if key == "source" => {
                        sources.iter().any(|s| glob(pattern, s))
                    }
                    Some((key, pattern)) => subject.get(key).is_some_and(|v| glob(pattern, v)),
                }
        })
    }
}

/// `*` matches any run of characters; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if index == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = rest.get(p + part.len()..).unwrap_or_default(),
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_and_matches() {
        let list = SuppressionList::parse(
            ".kvcsi-ignore",
            "# x\nthrottled-429 # reason: load test\naccess-denied namespace=stag* # staging\n",
        )
        .unwrap();
        assert_eq!(list.entries.len(), 2);
        let mut subject = BTreeMap::new();
        subject.insert("namespace".to_owned(), "staging".to_owned());
        assert!(list.matching("access-denied", &subject, &[]).is_some());
        assert!(list
            .matching("access-denied", &BTreeMap::new(), &[])
            .is_none());
        assert!(
            SuppressionList::parse("f", "x-rule\n").is_err(),
            "a reason is required"
        );
        assert!(glob("old/*.yaml", "old/a.yaml") && !glob("old/*.yaml", "new/a.yaml"));
    }
}
