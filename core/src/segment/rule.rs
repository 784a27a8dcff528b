//! Rule segments: named conditions in the conditions language, in "first match wins" or
//! multi-label mode.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::expr::{Expr, ExprLimits, Frame};
use crate::metrics::{AccountColumns, Column, ColumnData, Snapshot, ToColumns};

use super::{check_version, SegmentCount, SEGMENT_VERSION};

/// One named rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleSegment {
    /// Segment name (unique within a segmentation).
    pub name: String,
    /// A condition in the conditions language, e.g. `mrr >= 5000 && plan == "enterprise"`.
    pub condition: String,
    /// Free text for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl RuleSegment {
    /// A rule with a name and a condition.
    pub fn new(name: impl Into<String>, condition: impl Into<String>) -> Self {
        RuleSegment { name: name.into(), condition: condition.into(), description: None }
    }
}

/// How rows that match several rules are labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SegmentMode {
    /// Rules are tried in order; a row belongs to the first one it matches only.
    #[default]
    FirstMatch,
    /// A row belongs to every segment whose rule it matches.
    MultiLabel,
}

/// Named conditions that split a snapshot into segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct RuleSegmentation {
    /// Document version (1).
    pub version: u32,
    /// First-match or multi-label.
    pub mode: SegmentMode,
    /// The rules, in priority order.
    pub segments: Vec<RuleSegment>,
    /// Label of rows that match no rule (`None`: the label is missing).
    pub default_segment: Option<String>,
    /// Sandbox limits for the conditions.
    pub limits: ExprLimits,
}

impl Default for RuleSegmentation {
    fn default() -> Self {
        RuleSegmentation {
            version: SEGMENT_VERSION,
            mode: SegmentMode::FirstMatch,
            segments: Vec::new(),
            default_segment: None,
            limits: ExprLimits::default(),
        }
    }
}

/// The result of [`RuleSegmentation::apply`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SegmentAssignment {
    /// The mode used.
    pub mode: SegmentMode,
    /// Segment names in rule order.
    pub segments: Vec<String>,
    /// Per row: the first matching segment (or the default segment / missing).
    pub label: Vec<Option<String>>,
    /// Per segment (rule order), per row: membership. In first-match mode a row is a member of
    /// at most one segment; in multi-label mode of every segment it matches.
    pub membership: Vec<Vec<bool>>,
    /// Per segment: members and share of the base; then the default segment if there is one.
    pub counts: Vec<SegmentCount>,
    /// Rows that matched no rule.
    pub unmatched: usize,
}

impl SegmentAssignment {
    /// The label column (named `column`) and one bool membership column per segment
    /// (named `{column}_{segment}`), ready for [`Snapshot::add_column`].
    pub fn to_columns(&self, column: &str) -> Vec<Column> {
        let mut out = vec![Column::new(column, ColumnData::Str(self.label.clone()))];
        for (name, m) in self.segments.iter().zip(&self.membership) {
            out.push(Column::new(format!("{column}_{name}"), ColumnData::Bool(m.iter().map(|b| Some(*b)).collect())));
        }
        out
    }
}

impl RuleSegmentation {
    /// A first-match segmentation of `segments`.
    pub fn new(segments: Vec<RuleSegment>) -> Self {
        RuleSegmentation { segments, ..Default::default() }
    }

    /// Sets the mode.
    pub fn with_mode(mut self, mode: SegmentMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the label of unmatched rows.
    pub fn with_default_segment(mut self, name: impl Into<String>) -> Self {
        self.default_segment = Some(name.into());
        self
    }

    /// Adds a rule at the end.
    pub fn with_segment(mut self, name: impl Into<String>, condition: impl Into<String>) -> Self {
        self.segments.push(RuleSegment::new(name, condition));
        self
    }

    /// Sets the sandbox limits.
    pub fn with_limits(mut self, limits: ExprLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Checks names (non-empty, unique) and limits; conditions are checked by [`Self::compile`].
    pub fn validate(&self) -> Result<()> {
        check_version(self.version, "rule segmentation")?;
        if self.segments.is_empty() {
            return Err(Error::config("segments", "at least one segment is needed"));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.segments.iter().enumerate() {
            if s.name.trim().is_empty() {
                return Err(Error::config(format!("segments[{i}].name"), "must not be empty"));
            }
            if !seen.insert(s.name.as_str()) {
                return Err(Error::config(format!("segments[{i}].name"), format!("duplicate segment name `{}`", s.name)));
            }
        }
        if let Some(d) = &self.default_segment {
            if seen.contains(d.as_str()) {
                return Err(Error::config("default_segment", format!("`{d}` is also the name of a rule")));
            }
        }
        self.limits.validate()
    }

    /// Compiles every condition against `snapshot`'s schema; errors name the segment.
    pub fn compile(&self, snapshot: &Snapshot) -> Result<Vec<Expr>> {
        self.validate()?;
        let schema = snapshot.schema();
        self.segments
            .iter()
            .map(|s| {
                let e = Expr::compile_with(&s.condition, &schema, &self.limits).map_err(|e| with_segment(e, &s.name))?;
                if !e.is_condition() {
                    return Err(with_segment(
                        Error::Expr {
                            kind: crate::ErrorKind::ExprType,
                            position: 0,
                            message: format!("a segment rule must be a condition (bool), found {}", e.result_type().as_str()),
                            suggestion: None,
                        },
                        &s.name,
                    ));
                }
                Ok(e)
            })
            .collect()
    }

    /// Segments every row of `snapshot`.
    pub fn apply(&self, snapshot: &Snapshot) -> Result<SegmentAssignment> {
        let exprs = self.compile(snapshot)?;
        let frame = Frame::new(snapshot);
        let n = snapshot.len();
        let mut membership = Vec::with_capacity(exprs.len());
        let mut taken = vec![false; n];
        let mut label: Vec<Option<String>> = vec![None; n];
        for (e, s) in exprs.iter().zip(&self.segments) {
            let mut m = e.matches_frame(&frame).map_err(|err| with_segment(err, &s.name))?;
            for (i, hit) in m.iter_mut().enumerate() {
                if *hit && !taken[i] {
                    taken[i] = true;
                    label[i] = Some(s.name.clone());
                } else if *hit && self.mode == SegmentMode::FirstMatch {
                    *hit = false;
                }
            }
            membership.push(m);
        }
        let unmatched = taken.iter().filter(|t| !**t).count();
        if let Some(d) = &self.default_segment {
            for (l, t) in label.iter_mut().zip(&taken) {
                if !t {
                    *l = Some(d.clone());
                }
            }
        }
        let mut counts: Vec<SegmentCount> = self
            .segments
            .iter()
            .zip(&membership)
            .map(|(s, m)| SegmentCount::new(&s.name, m.iter().filter(|b| **b).count(), n))
            .collect();
        if let Some(d) = &self.default_segment {
            counts.push(SegmentCount::new(d, unmatched, n));
        }
        Ok(SegmentAssignment {
            mode: self.mode,
            segments: self.segments.iter().map(|s| s.name.clone()).collect(),
            label,
            membership,
            counts,
            unmatched,
        })
    }
}

fn with_segment(e: Error, name: &str) -> Error {
    match e {
        Error::Expr { kind, position, message, suggestion } => {
            Error::Expr { kind, position, message: format!("segment `{name}`: {message}"), suggestion }
        }
        other => other,
    }
}

impl ToColumns for SegmentAssignment {
    /// The text column `name` (each account's segment; with several labels, the first) and one
    /// bool column `{name}_{segment}` per segment, in snapshot row order.
    fn account_columns(&self, name: &str) -> AccountColumns {
        AccountColumns::by_row(self.to_columns(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn snap() -> Snapshot {
        Snapshot::from_columns(
            Timestamp::from_ymd(2024, 1, 1).expect("ts"),
            vec!["a".into(), "b".into(), "c".into(), "d".into()],
            vec![Column::new("mrr", ColumnData::Float(vec![Some(9000.0), Some(600.0), Some(50.0), None]))],
        )
        .expect("snapshot")
    }

    #[test]
    fn first_match_and_multi_label() {
        let seg = RuleSegmentation::new(vec![])
            .with_segment("big", "mrr >= 5000")
            .with_segment("paying", "mrr > 100")
            .with_default_segment("other");
        let a = seg.apply(&snap()).expect("applies");
        assert_eq!(a.label, vec![Some("big".into()), Some("paying".into()), Some("other".into()), Some("other".into())]);
        assert_eq!(a.membership[1], vec![false, true, false, false]);
        assert_eq!(a.counts.iter().map(|c| c.count).collect::<Vec<_>>(), vec![1, 1, 2]);
        let m = seg.with_mode(SegmentMode::MultiLabel).apply(&snap()).expect("applies");
        assert_eq!(m.membership[1], vec![true, true, false, false]);
        assert_eq!(m.to_columns("segment")[2].name, "segment_paying");
    }

    #[test]
    fn errors_name_the_segment() {
        let e = RuleSegmentation::new(vec![RuleSegment::new("big", "mrrr > 5")]).apply(&snap()).expect_err("typo");
        assert_eq!(e.code(), "unknown_name");
        assert!(e.to_string().contains("segment `big`") && e.to_string().contains("mrr"), "{e}");
        let e = RuleSegmentation::new(vec![RuleSegment::new("x", "mrr + 1")]).apply(&snap()).expect_err("not bool");
        assert_eq!(e.code(), "expr_type");
        let dup = RuleSegmentation::new(vec![]).with_segment("a", "true").with_segment("a", "false");
        assert_eq!(dup.validate().expect_err("dup").code(), "invalid_config");
    }
}
