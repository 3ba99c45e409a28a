//! Which files the extractors need the bytes of. An image reader streams
//! every layer once; it keeps the content of the files this request wants
//! (up to each rule's size limit) and only lists the others.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// One kind of file to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureRule {
    /// A glob over paths relative to `C:\` with `/` separators, matched
    /// case-insensitively; `*` stays within one folder, `**/` spans any.
    pub pattern: &'static str,
    /// Larger files are listed but not kept.
    pub max_size: u64,
    /// The extractor that reads it.
    pub reader: &'static str,
}

const MIB: u64 = 1024 * 1024;

/// What the extractors of this crate read.
pub const CAPTURE_RULES: &[CaptureRule] = &[
    CaptureRule {
        pattern: "Windows/Microsoft.NET/{Framework,Framework64}/v4.0.30319/{clr,mscorlib}.dll",
        max_size: 64 * MIB,
        reader: "dotnet_framework",
    },
    CaptureRule {
        pattern: "{Program Files,Program Files (x86)}/PowerShell/*/pwsh.exe",
        max_size: 16 * MIB,
        reader: "powershell",
    },
    CaptureRule {
        pattern: "**/Modules/*/*.psd1",
        max_size: MIB,
        reader: "powershell",
    },
    CaptureRule {
        pattern: "**/Modules/*/*/*.psd1",
        max_size: MIB,
        reader: "powershell",
    },
    CaptureRule {
        pattern: "**/*.deps.json",
        max_size: 16 * MIB,
        reader: "deps_json",
    },
    CaptureRule {
        pattern: "Windows/System32/inetsrv/config/applicationHost.config",
        max_size: 16 * MIB,
        reader: "iis",
    },
    CaptureRule {
        pattern: "**/web.config",
        max_size: 4 * MIB,
        reader: "iis",
    },
];

/// The compiled rules.
#[derive(Debug, Clone)]
pub struct CaptureRequest {
    rules: &'static [CaptureRule],
    globs: GlobSet,
}

impl CaptureRequest {
    /// The request for [`CAPTURE_RULES`].
    pub fn standard() -> CaptureRequest {
        let mut builder = GlobSetBuilder::new();
        for rule in CAPTURE_RULES {
            let glob = GlobBuilder::new(rule.pattern)
                .case_insensitive(true)
                .literal_separator(true)
                .build();
            #[expect(
                clippy::expect_used,
                reason = "the patterns are constants; a test builds them"
            )]
            builder.add(glob.expect("capture patterns are valid globs"));
        }
        #[expect(clippy::expect_used, reason = "a set of valid globs always builds")]
        let globs = builder.build().expect("capture patterns form a glob set");
        CaptureRequest {
            rules: CAPTURE_RULES,
            globs,
        }
    }

    pub fn rules(&self) -> &'static [CaptureRule] {
        self.rules
    }

    /// Whether to keep the content of the file at `path` of `size` bytes.
    pub fn wants(&self, path: &str, size: u64) -> bool {
        self.globs
            .matches(path.trim_start_matches('/'))
            .into_iter()
            .filter_map(|index| self.rules.get(index))
            .any(|rule| size <= rule.max_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_what_the_extractors_read_within_the_limits() {
        let request = CaptureRequest::standard();
        for path in [
            "Windows/Microsoft.NET/Framework64/v4.0.30319/clr.dll",
            "windows/microsoft.net/framework/v4.0.30319/MSCORLIB.DLL",
            "Program Files/PowerShell/7/pwsh.exe",
            "Program Files (x86)/PowerShell/7-preview/pwsh.exe",
            "Program Files/WindowsPowerShell/Modules/PSReadLine/2.2.6/PSReadLine.psd1",
            "Windows/System32/WindowsPowerShell/v1.0/Modules/Pester/Pester.psd1",
            "app/MyApp.deps.json",
            "MyApp.deps.json",
            "Windows/System32/inetsrv/config/applicationHost.config",
            "inetpub/wwwroot/web.config",
            "inetpub/wwwroot/Views/Web.config",
        ] {
            assert!(request.wants(path, 1000), "{path}");
        }
        for path in [
            "Windows/System32/kernel32.dll",
            "Program Files/PowerShell/7/pwsh.dll",
            "Program Files/PowerShell/7/sub/pwsh.exe",
            "Modules.psd1",
            "app/MyApp.runtimeconfig.json",
            "inetpub/wwwroot/web.config.bak",
        ] {
            assert!(!request.wants(path, 1000), "{path}");
        }
        assert!(!request.wants("inetpub/wwwroot/web.config", 5 * MIB));
        assert_eq!(request.rules().len(), CAPTURE_RULES.len());
    }
}
