//! The machine hives of a Windows container image, and where a layer keeps
//! them: base hives under `Windows/System32/config/`, and each later layer's
//! differencing hive under `Hives/` (names compared case-insensitively).

/// One of the five machine hives a Windows image carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HiveName {
    Software,
    System,
    Sam,
    Security,
    /// The default user profile (`HKU\.DEFAULT`).
    Default,
}

impl HiveName {
    pub const ALL: [HiveName; 5] = [
        HiveName::Software,
        HiveName::System,
        HiveName::Sam,
        HiveName::Security,
        HiveName::Default,
    ];

    /// The hive's name as registry paths give it under `HKLM`, which is also
    /// the base hive's file name: `SOFTWARE`, `SYSTEM`, ...
    pub fn root(self) -> &'static str {
        match self {
            HiveName::Software => "SOFTWARE",
            HiveName::System => "SYSTEM",
            HiveName::Sam => "SAM",
            HiveName::Security => "SECURITY",
            HiveName::Default => "DEFAULT",
        }
    }

    /// Where the base layer keeps the hive, relative to `C:\`.
    pub fn base_path(self) -> String {
        format!("Windows/System32/config/{}", self.root())
    }

    /// The layer's differencing hive under `Hives/`, e.g. `Software_Delta`.
    pub fn delta_file(self) -> &'static str {
        match self {
            HiveName::Software => "Software_Delta",
            HiveName::System => "System_Delta",
            HiveName::Sam => "Sam_Delta",
            HiveName::Security => "Security_Delta",
            HiveName::Default => "DefaultUser_Delta",
        }
    }

    /// The hive whose root name is `root` (case-insensitive).
    pub fn from_root(root: &str) -> Option<HiveName> {
        HiveName::ALL
            .into_iter()
            .find(|h| h.root().eq_ignore_ascii_case(root))
    }

    /// The hive whose delta file is named `name` (case-insensitive).
    pub fn from_delta_file(name: &str) -> Option<HiveName> {
        HiveName::ALL
            .into_iter()
            .find(|h| h.delta_file().eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::HiveName;

    #[test]
    fn names_round_trip_whatever_their_case() {
        for name in HiveName::ALL {
            assert_eq!(HiveName::from_root(&name.root().to_lowercase()), Some(name));
            assert_eq!(
                HiveName::from_delta_file(&name.delta_file().to_uppercase()),
                Some(name)
            );
        }
        assert_eq!(HiveName::from_delta_file("Default_Delta"), None);
        assert_eq!(
            HiveName::Default.base_path(),
            "Windows/System32/config/DEFAULT"
        );
    }
}
