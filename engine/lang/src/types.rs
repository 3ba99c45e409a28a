//! Types of the rule language, and the records the inventory schema defines.

use std::fmt;

use winspect_inventory::VersionKind;

use crate::schema::Schema;

/// Index of a record type in a [`Schema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordId(pub u16);

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Bool,
    Int,
    Float,
    Str,
    Version(VersionKind),
    Date,
    Duration,
    Severity,
    List(Box<Ty>),
    Record(RecordId),
    /// A value that may be absent (an unset registry value, a file without
    /// a version resource). Comparisons with an absent value do not hold.
    Optional(Box<Ty>),
    /// The element type of `[]`.
    Unknown,
    /// The type of something already reported as wrong: accepted anywhere,
    /// so one mistake gives one diagnostic.
    Error,
}

impl Ty {
    /// The type without its `Optional` wrapper.
    pub fn base(&self) -> &Ty {
        match self {
            Ty::Optional(inner) => inner.base(),
            other => other,
        }
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, Ty::Optional(_))
    }

    pub fn optional(self) -> Ty {
        match self {
            Ty::Optional(_) | Ty::Error => self,
            other => Ty::Optional(Box::new(other)),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self.base(), Ty::Error)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self.base(), Ty::Int | Ty::Float)
    }

    /// Whether values of these two types can be tested for equality.
    pub fn comparable(&self, other: &Ty) -> bool {
        match (self.base(), other.base()) {
            (Ty::Error, _) | (_, Ty::Error) | (Ty::Unknown, _) | (_, Ty::Unknown) => true,
            (a, b) if a.is_numeric() && b.is_numeric() => true,
            (Ty::List(a), Ty::List(b)) => a.comparable(b),
            (a, b) => a == b,
        }
    }

    /// Whether these types have an order (`<`, `>=`, ...).
    pub fn ordered(&self) -> bool {
        matches!(
            self.base(),
            Ty::Int
                | Ty::Float
                | Ty::Str
                | Ty::Version(_)
                | Ty::Date
                | Ty::Duration
                | Ty::Severity
                | Ty::Error
        )
    }

    /// Wraps a type with a schema, for display.
    pub fn show<'a>(&'a self, schema: &'a Schema) -> ShowTy<'a> {
        ShowTy { ty: self, schema }
    }
}

/// A type as people read it: `string`, `windows version`, `list of IisSite`.
#[derive(Debug)]
pub struct ShowTy<'a> {
    ty: &'a Ty,
    schema: &'a Schema,
}

impl fmt::Display for ShowTy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ty {
            Ty::Bool => f.write_str("boolean"),
            Ty::Int | Ty::Float => f.write_str("number"),
            Ty::Str => f.write_str("string"),
            Ty::Version(k) => write!(f, "{} version", k.name()),
            Ty::Date => f.write_str("date"),
            Ty::Duration => f.write_str("duration"),
            Ty::Severity => f.write_str("severity"),
            Ty::List(inner) => write!(f, "list of {}", inner.show(self.schema)),
            Ty::Record(id) => f.write_str(
                self.schema
                    .record(*id)
                    .map(|r| r.name.as_str())
                    .unwrap_or("record"),
            ),
            Ty::Optional(inner) => write!(f, "{} (may be unset)", inner.show(self.schema)),
            Ty::Unknown => f.write_str("anything"),
            Ty::Error => f.write_str("an erroneous value"),
        }
    }
}
