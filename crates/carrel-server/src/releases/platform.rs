//! Platforms as the updater names them — operating system (`target`), CPU architecture (`arch`)
//! and the kind of bundle the app was installed from — and how to tell a bundle's platform from
//! the file name Tauri's bundler gives it.

use std::fmt;

/// The operating systems the updater reports.
pub const TARGETS: &[&str] = &["linux", "darwin", "windows"];
/// The CPU architectures the updater reports.
pub const ARCHS: &[&str] = &["x86_64", "aarch64", "i686", "armv7"];
/// The bundle kinds, each with the operating system it installs on.
pub const BUNDLES: &[(&str, &str)] = &[
    ("deb", "linux"),
    ("rpm", "linux"),
    ("appimage", "linux"),
    ("msi", "windows"),
    ("nsis", "windows"),
    ("app", "darwin"),
];

/// One platform a bundle is for, e.g. `linux-x86_64-deb`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    /// `linux`, `darwin` or `windows`.
    pub target: String,
    /// `x86_64`, `aarch64`, `i686` or `armv7`.
    pub arch: String,
    /// `deb`, `rpm`, `appimage`, `msi`, `nsis` or `app`.
    pub bundle: String,
}

impl Platform {
    /// A platform from its three parts, checked: each part is one the updater uses, and the
    /// bundle kind installs on that operating system.
    pub fn new(target: &str, arch: &str, bundle: &str) -> Result<Self, String> {
        let list = |values: &[&str]| values.join(", ");
        if !TARGETS.contains(&target) {
            return Err(format!(
                "“{target}” is not an operating system the updater reports (one of {})",
                list(TARGETS)
            ));
        }
        if !ARCHS.contains(&arch) {
            return Err(format!(
                "“{arch}” is not an architecture the updater reports (one of {})",
                list(ARCHS)
            ));
        }
        match BUNDLES.iter().find(|(name, _)| *name == bundle) {
            None => Err(format!(
                "“{bundle}” is not a bundle kind (one of {})",
                BUNDLES
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some((_, os)) if *os != target => {
                Err(format!("a {bundle} bundle installs on {os}, not {target}"))
            }
            Some(_) => Ok(Self {
                target: target.to_owned(),
                arch: arch.to_owned(),
                bundle: bundle.to_owned(),
            }),
        }
    }

    /// Parses `<target>-<arch>-<bundle>`, e.g. `linux-x86_64-deb`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('-').collect();
        match parts.as_slice() {
            [target, arch, bundle] => Self::new(target, arch, bundle),
            _ => Err(format!(
                "“{text}” is not a platform: write <target>-<arch>-<bundle>, e.g. linux-x86_64-deb"
            )),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.target, self.arch, self.bundle)
    }
}

/// The platforms a bundle is for, told from the name Tauri's bundler gives it; `None` if the name
/// does not say (pass the platform explicitly then). A universal macOS bundle is for both Mac
/// architectures.
///
/// | name | platform |
/// | --- | --- |
/// | `Carrel_1.2.0_amd64.deb` (`_arm64`, `_i386`, `_armhf`) | `linux-x86_64-deb` (`aarch64`, `i686`, `armv7`) |
/// | `Carrel-1.2.0-1.x86_64.rpm` (`.aarch64`, `.i686`, `.armv7hl`) | `linux-x86_64-rpm` … |
/// | `Carrel_1.2.0_amd64.AppImage` (`_aarch64`, `_i386`, `_armhf`) | `linux-x86_64-appimage` … |
/// | `Carrel_1.2.0_x64_en-US.msi` (`_arm64_`, `_x86_`) | `windows-x86_64-msi` (`aarch64`, `i686`) |
/// | `Carrel_1.2.0_x64-setup.exe` (`_arm64`, `_x86`) | `windows-x86_64-nsis` … |
/// | `Carrel_1.2.0_aarch64.app.tar.gz` (`_x64`, `_universal`) | `darwin-aarch64-app` (`x86_64`, both) |
pub fn infer_platforms(file_name: &str) -> Option<Vec<Platform>> {
    let name = file_name.to_ascii_lowercase();
    let one = |target: &str, arch: &str, bundle: &str| {
        Platform::new(target, arch, bundle).ok().map(|p| vec![p])
    };
    let arch_by_suffix = |stem: &str, table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(suffix, _)| stem.ends_with(suffix))
            .map(|(_, arch)| *arch)
    };
    if let Some(stem) = name.strip_suffix(".deb") {
        let table = [
            ("_amd64", "x86_64"),
            ("_arm64", "aarch64"),
            ("_i386", "i686"),
            ("_armhf", "armv7"),
        ];
        return one("linux", arch_by_suffix(stem, &table)?, "deb");
    }
    if let Some(stem) = name.strip_suffix(".rpm") {
        let table = [
            (".x86_64", "x86_64"),
            (".aarch64", "aarch64"),
            (".i686", "i686"),
            (".i386", "i686"),
            (".armv7hl", "armv7"),
        ];
        return one("linux", arch_by_suffix(stem, &table)?, "rpm");
    }
    if let Some(stem) = name.strip_suffix(".appimage") {
        let table = [
            ("_amd64", "x86_64"),
            ("_aarch64", "aarch64"),
            ("_i386", "i686"),
            ("_armhf", "armv7"),
        ];
        return one("linux", arch_by_suffix(stem, &table)?, "appimage");
    }
    if let Some(stem) = name.strip_suffix("-setup.exe") {
        let table = [("_x64", "x86_64"), ("_arm64", "aarch64"), ("_x86", "i686")];
        return one("windows", arch_by_suffix(stem, &table)?, "nsis");
    }
    if let Some(stem) = name.strip_suffix(".msi") {
        // `Carrel_1.2.0_x64_en-US.msi`: the architecture, then the installer's language.
        let arch = stem.rsplit('_').take(2).find_map(|part| match part {
            "x64" => Some("x86_64"),
            "arm64" => Some("aarch64"),
            "x86" => Some("i686"),
            _ => None,
        })?;
        return one("windows", arch, "msi");
    }
    if let Some(stem) = name.strip_suffix(".app.tar.gz") {
        let mut found: Vec<&str> = [
            ("_universal", "universal"),
            ("_aarch64", "aarch64"),
            ("_arm64", "aarch64"),
            ("_x64", "x86_64"),
            ("_x86_64", "x86_64"),
        ]
        .iter()
        .filter(|(marker, _)| stem.contains(marker))
        .map(|(_, arch)| *arch)
        .collect();
        found.dedup();
        return match found.as_slice() {
            ["universal"] => Some(vec![
                Platform::new("darwin", "x86_64", "app").ok()?,
                Platform::new("darwin", "aarch64", "app").ok()?,
            ]),
            [arch] => one("darwin", arch, "app"),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(platforms: Option<Vec<Platform>>) -> Option<Vec<String>> {
        platforms.map(|list| list.iter().map(Platform::to_string).collect())
    }

    #[test]
    fn tauri_bundle_names_tell_their_platform() {
        let cases: &[(&str, &[&str])] = &[
            ("Carrel_1.2.0_amd64.deb", &["linux-x86_64-deb"]),
            ("Carrel_1.2.0_arm64.deb", &["linux-aarch64-deb"]),
            ("Carrel_1.2.0_armhf.deb", &["linux-armv7-deb"]),
            ("Carrel-1.2.0-1.x86_64.rpm", &["linux-x86_64-rpm"]),
            ("Carrel-1.2.0-1.aarch64.rpm", &["linux-aarch64-rpm"]),
            ("Carrel_1.2.0_amd64.AppImage", &["linux-x86_64-appimage"]),
            ("Carrel_1.2.0_aarch64.AppImage", &["linux-aarch64-appimage"]),
            ("Carrel_1.2.0_x64_en-US.msi", &["windows-x86_64-msi"]),
            ("Carrel_1.2.0_arm64_en-US.msi", &["windows-aarch64-msi"]),
            ("Carrel_1.2.0_x86_en-US.msi", &["windows-i686-msi"]),
            ("Carrel_1.2.0_x64-setup.exe", &["windows-x86_64-nsis"]),
            ("Carrel_1.2.0_arm64-setup.exe", &["windows-aarch64-nsis"]),
            ("Carrel_1.2.0_x86-setup.exe", &["windows-i686-nsis"]),
            ("Carrel_1.2.0_aarch64.app.tar.gz", &["darwin-aarch64-app"]),
            ("Carrel_1.2.0_x64.app.tar.gz", &["darwin-x86_64-app"]),
            (
                "Carrel_1.2.0_universal.app.tar.gz",
                &["darwin-x86_64-app", "darwin-aarch64-app"],
            ),
        ];
        for (name, expected) in cases {
            let expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
            assert_eq!(names(infer_platforms(name)), Some(expected), "{name}");
        }
    }

    #[test]
    fn a_name_that_does_not_say_its_platform_is_not_guessed() {
        for name in [
            "Carrel.app.tar.gz",
            "Carrel_1.2.0.deb",
            "Carrel_1.2.0_amd64.deb.sig",
            "Carrel_1.2.0_mips.AppImage",
            "Carrel_1.2.0_en-US.msi",
            "Carrel_1.2.0.exe",
            "Carrel_1.2.0_x64_aarch64.app.tar.gz",
            "carrel.zip",
            "",
        ] {
            assert_eq!(infer_platforms(name), None, "{name} needs --platform");
        }
    }

    #[test]
    fn explicit_platforms_are_checked() {
        assert_eq!(
            Platform::parse("linux-x86_64-deb").map(|p| p.to_string()),
            Ok("linux-x86_64-deb".to_owned())
        );
        for text in [
            "linux-amd64-deb",
            "linux-x86_64",
            "windows-x86_64-deb",
            "macos-aarch64-app",
            "linux-x86_64-deb-extra",
            "linux-x86_64-snap",
        ] {
            assert!(Platform::parse(text).is_err(), "{text} is refused");
        }
    }
}
