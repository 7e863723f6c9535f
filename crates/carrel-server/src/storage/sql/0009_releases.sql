-- Releases of the Carrel desktop app, offered to its updater (`GET /api/v1/updates/…`). A release
-- is one version on one channel; `carrel-server release publish` creates it with its first bundle
-- and may add bundles for other platforms later. `withdrawn_ms` is set by `release withdraw`: a
-- withdrawn release is neither offered nor downloadable, and its version is never reused.
CREATE TABLE releases (
    id           INTEGER PRIMARY KEY,
    version      TEXT NOT NULL UNIQUE,   -- semver, no leading `v`
    channel      TEXT NOT NULL CHECK (channel IN ('stable', 'beta')),
    notes        TEXT NOT NULL,          -- Markdown, shown before the learner agrees to install
    pub_date     TEXT NOT NULL,          -- RFC 3339, UTC, when first published
    withdrawn_ms INTEGER                 -- unix ms; NULL while offered
) STRICT;

-- The bundles of each release, one per platform: (target, arch, bundle) as the updater names
-- them, e.g. (linux, x86_64, deb). The bytes are kept in the data folder as releases/<sha256>.
-- A universal macOS bundle is one file listed for two platforms.
CREATE TABLE release_files (
    release_id INTEGER NOT NULL REFERENCES releases (id),
    target     TEXT NOT NULL,            -- linux, darwin, windows
    arch       TEXT NOT NULL,            -- x86_64, aarch64, i686, armv7
    bundle     TEXT NOT NULL,            -- deb, rpm, appimage, msi, nsis, app
    file_name  TEXT NOT NULL,            -- the name in the download URL
    sha256     TEXT NOT NULL,            -- of the bundle, lowercase hex
    size       INTEGER NOT NULL CHECK (size >= 0),
    signature  TEXT NOT NULL,            -- the `.sig` file's content: base64 of a minisign signature
    PRIMARY KEY (release_id, target, arch, bundle)
) STRICT, WITHOUT ROWID;

CREATE INDEX release_files_by_platform ON release_files (target, arch, bundle);
