//! The `carrel-server` command: runs the course server, or publishes course packages to it.
//!
//! ```text
//! carrel-server [serve] --listen 127.0.0.1:7878 --db ./carrel-server.sqlite3 [--data-dir DIR] [--log-format json] [--no-migrate]
//! carrel-server migrate [--check]
//! carrel-server publish [--open|--enrolled-only] [--db FILE] [--data-dir DIR] PACKAGE...
//! carrel-server user add|disable …
//! carrel-server enrol LOGIN COURSE [--role learner|tutor] [--group NAME]
//! carrel-server unenrol LOGIN COURSE
//! carrel-server forum-posts COURSE [--json]
//! carrel-server forum-post POST_ID [--hide|--show] [--pin|--unpin] [--tutor LOGIN]
//! carrel-server group-file-add COURSE GROUP FILE [--name NAME]
//! carrel-server group-files COURSE [GROUP] [--json]
//! carrel-server group-file-remove COURSE GROUP NAME
//! carrel-server certificates [COURSE]
//! carrel-server certificate-revoke CERTIFICATE_ID
//! carrel-server programme-set ID --title T [--description D] --courses A,B,… --required N --within-years Y [--capstone COURSE]
//! carrel-server programme-remove ID | programmes
//! carrel-server release publish --version V --channel stable|beta [--notes TEXT] [--platform P=PATH]... [PATH]...
//! carrel-server release list | release withdraw --version V
//! ```
//! With no command it serves, so older invocations keep working. Every flag can also be set
//! through the environment (`CARREL_SERVER_LISTEN`, `CARREL_SERVER_DB`, `CARREL_SERVER_DATA`,
//! `CARREL_LOG_FORMAT`, `CARREL_SERVER_PUBLIC_URL`, `CARREL_CERTIFICATE_ISSUER`,
//! `CARREL_SERVER_UPDATE_PUBKEY`, `CARREL_METRICS_TOKEN_FILE`, `CARREL_SERVER_NO_MIGRATE`; the
//! secrets `CARREL_LRS_SECRET` and `CARREL_METRICS_TOKEN` only from the environment). Logs go to stderr; `RUST_LOG` filters them. SIGINT or SIGTERM
//! stops the server gracefully: it stops accepting connections and lets requests in flight
//! finish. `publish` prints one line per published package on stdout and may run while the server
//! runs.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use carrel_protocol::updates::Channel;
use carrel_server::config::{self, ConfigFile, LogFormat, Settings};
use carrel_server::releases::{self, Bundle, NewRelease, Platform};
use carrel_server::{AppState, Storage};
use clap::{Args, Parser, Subcommand, ValueEnum};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

const ENVIRONMENT_HELP: &str = "\
Every option can also be set with the environment variable shown beside it, or in the
configuration file given with --config (or CARREL_SERVER_CONFIG). Precedence: flag, then
environment variable, then configuration file, then default. The file is TOML; every key is
optional, and relative paths in it are relative to its folder:

  listen = \"127.0.0.1:7878\"          # address to listen on (serve only)
  db = \"carrel-server.sqlite3\"        # the database file, or a postgres:// URL
  data = \"carrel-data\"                # default: carrel-data beside the database
  log_format = \"pretty\"               # or \"json\"
  access_token_minutes = 15           # how long an access token works
  refresh_token_days = 30             # how long a session lasts without a refresh
  public_url = \"https://courses.example.org\"  # where clients reach the server (serve only)
  certificate_issuer = \"Example Institute\"  # who certificates name as their issuer (serve only)
  update_pubkey = \"dW50cnVzdGVk…\"     # the app's updater public key (release publish only)
  metrics_token_file = \"metrics-token\" # Prometheus reads /metrics with it (or CARREL_METRICS_TOKEN)
  migrate_on_start = false            # several instances: `carrel-server migrate` does it

RUST_LOG filters log lines (default: info), e.g. RUST_LOG=warn or RUST_LOG=carrel_server=debug.
CARREL_SERVER_FAULTS (tests only) makes the server misbehave on purpose; see docs/server.md.";

/// The Carrel course server: serves the course catalogue and packages to Carrel clients.
///
/// With no command, runs `serve`.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    after_help = ENVIRONMENT_HELP,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the course server (what `carrel-server` with no command does).
    #[command(after_help = ENVIRONMENT_HELP)]
    Serve(ServeArgs),
    /// Bring the database's schema up to date, then exit.
    ///
    /// `serve` does it on start unless told not to (--no-migrate, or migrate_on_start = false):
    /// with several instances on one database, run this once, from one place, before starting
    /// the new version. Prints the schema version before and after. With --check, changes
    /// nothing and exits with status 1 when the schema is older than this build's, 2 when newer.
    Migrate(MigrateArgs),
    /// Verify course packages and publish them as the current version of their course.
    ///
    /// Each package is checked completely (zip structure, signature, manifest, every file's
    /// SHA-256), copied to <data-dir>/packages/<sha256>.carrel, its files imported into
    /// <data-dir>/store, and recorded in the database as its course's current version, replacing
    /// an older one.
    ///
    /// Refused: the same version with different contents, a version older than the published
    /// one, a version signed by another key than the published one. Publishing the same package
    /// again changes nothing.
    ///
    /// Packages are published in the order given. The first refusal stops the command with exit
    /// status 1 and leaves nothing of that package behind. Prints one line per package on stdout:
    /// `<course id> <version> <publisher key fingerprint>`.
    ///
    /// Safe to run while the server runs, with the same --db and --data-dir.
    ///
    /// A course is enrolled-only unless published with --open: only accounts enrolled in it
    /// (`carrel-server enrol`) and admins see it in the catalogue and download it.
    #[command(after_help = ENVIRONMENT_HELP)]
    Publish(PublishArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Enrol an account in a course as a learner or a tutor, optionally in a group. Enrolling
    /// again changes the role and group. The course need not be published yet. Prints
    /// `<login> <course id> <role> [<group>]`.
    #[command(after_help = ENVIRONMENT_HELP)]
    Enrol(EnrolArgs),
    /// End an account's enrolment in a course (their submissions stay).
    #[command(after_help = ENVIRONMENT_HELP)]
    Unenrol(UnenrolArgs),
    /// List submissions as a table: server id, client id, learner, course, item, received
    /// (UTC), grade.
    #[command(after_help = ENVIRONMENT_HELP)]
    Submissions(SubmissionsArgs),
    /// Grade a submission (replacing its grade, the server's automatic one included). The learner
    /// sees it in their changes feed. Prints the grade.
    #[command(after_help = ENVIRONMENT_HELP)]
    Grade(GradeArgs),
    /// Comment on a submission; the learner sees it in their changes feed.
    #[command(after_help = ENVIRONMENT_HELP)]
    Comment(CommentArgs),
    /// Send an announcement to everyone enrolled in a course (through their changes feed).
    #[command(after_help = ENVIRONMENT_HELP)]
    Announce(AnnounceArgs),
    /// Give one learner a new due date for an item (through their changes feed).
    #[command(after_help = ENVIRONMENT_HELP)]
    Extend(ExtendArgs),
    /// Add, move or cancel a live session of a webinar for everyone in the course (through their
    /// changes feed; their calendars and reminders follow). Prints the change's number.
    #[command(after_help = ENVIRONMENT_HELP)]
    Session(SessionArgs),
    /// Publish the recording of a webinar session (an .mp4, .m4v, .webm, .m4a, .mp3 or .ogg
    /// file) for everyone in the course to download and watch offline. Prints its SHA-256.
    #[command(after_help = ENVIRONMENT_HELP)]
    Recording(RecordingArgs),
    /// List the posts of a course's forums, in the order they were stored, one per line:
    /// `<post id> <forum item> <topic id> <author login> <flags> <first line of the text>`,
    /// separated by single spaces (only the text may contain spaces). <flags> is `-`, `hidden`,
    /// `pinned` or `hidden,pinned`. Hidden posts are listed in full. With --json, prints a JSON
    /// array of the posts as the feed gives them to a tutor (carrel_protocol::forums::ForumPost).
    #[command(after_help = ENVIRONMENT_HELP)]
    ForumPosts(ForumPostsArgs),
    /// Moderate a forum post: hide it (the course's learners then see it without its title, text
    /// and files) or show it again, pin it or unpin it. Every change reaches the course's members
    /// through the forum feed. Prints `<post id> <flags> <version>` (flags as `forum-posts`
    /// prints them, and the post's place in the feed, which a change raises).
    #[command(
        after_help = ENVIRONMENT_HELP,
        group = clap::ArgGroup::new("change")
            .args(["hide", "show", "pin", "unpin"])
            .required(true)
            .multiple(true)
    )]
    ForumPost(ForumPostArgs),
    /// Place a file for a group of a course (the material the group works on): its members
    /// download it from the server and see it with their group, offline too. The group must
    /// exist: learners are put in it with `carrel-server enrol LOGIN COURSE --group NAME`. A file
    /// of the same name in the group is replaced. Prints the file as `group-files` lists it.
    #[command(after_help = ENVIRONMENT_HELP)]
    GroupFileAdd(GroupFileAddArgs),
    /// List the files placed for a course's groups (only GROUP's, if given), by group and name,
    /// one per line: `<group>\t<name>\t<size in bytes>\t<sha256>\t<added (UTC)>\t<added by>`,
    /// separated by tabs (names may contain spaces, never tabs). With --json, prints a JSON array
    /// of objects with group, sha256, name, size, addedBy and addedMs.
    #[command(after_help = ENVIRONMENT_HELP)]
    GroupFiles(GroupFilesArgs),
    /// Remove a file from a group (members no longer see or download it). Prints the removed file
    /// as `group-files` lists it.
    #[command(after_help = ENVIRONMENT_HELP)]
    GroupFileRemove(GroupFileRemoveArgs),
    /// List the course certificates the server issued, oldest first, one per line:
    /// `<certificate id> <course id> <learner login> <issued> <flag>`, separated by single spaces
    /// (none of the fields contains one). <issued> is the UTC time, e.g. 2026-11-30T14:03:00Z;
    /// <flag> is `-` for a valid certificate, `revoked` for a revoked one. With COURSE, only that
    /// course's.
    #[command(after_help = ENVIRONMENT_HELP)]
    Certificates(CertificatesArgs),
    /// Revoke a certificate: from now on its verification (and the page at its address) says it
    /// is no longer valid. It stays stored, and the learner is not issued another one for the
    /// course. Revoking it again changes nothing. Prints `<certificate id> revoked <when>`.
    #[command(after_help = ENVIRONMENT_HELP)]
    CertificateRevoke(CertificateRevokeArgs),
    /// Define a programme (a diploma): --required certificates of the --courses, issued within
    /// --within-years of one another, plus the --capstone's if given. Defining an existing id
    /// again replaces it. The courses need not be published yet. Learners see their progress in
    /// their transcript at once. Prints what it stored, on one line:
    /// `<id> <required>/<courses> <years>y <capstone or -> <course,course,…> <title>`.
    #[command(after_help = ENVIRONMENT_HELP)]
    ProgrammeSet(ProgrammeSetArgs),
    /// Remove a programme (the certificates that counted towards it stay). Prints
    /// `<id> removed`.
    #[command(after_help = ENVIRONMENT_HELP)]
    ProgrammeRemove(ProgrammeRemoveArgs),
    /// List the programmes by id, one per line:
    /// `<id> <required>/<courses> <years>y <capstone or -> <title>`, separated by single spaces
    /// (only the title may contain spaces).
    #[command(after_help = ENVIRONMENT_HELP)]
    Programmes(ProgrammesArgs),
    /// Publish, list and withdraw releases of the Carrel desktop app, which the app's updater
    /// finds at /api/v1/updates/… (no sign-in needed: installers are public).
    #[command(subcommand)]
    Release(ReleaseCommand),
}

#[derive(Debug, Subcommand)]
enum ReleaseCommand {
    /// Publish the bundles of one app version, built and signed by `tauri build`.
    ///
    /// Each bundle PATH needs its signature PATH.sig beside it (Tauri writes it when
    /// TAURI_SIGNING_PRIVATE_KEY is set). The platform is told from Tauri's file names
    /// (Carrel_1.2.0_amd64.deb → linux-x86_64-deb, Carrel-1.2.0-1.x86_64.rpm → linux-x86_64-rpm,
    /// Carrel_1.2.0_amd64.AppImage → linux-x86_64-appimage, Carrel_1.2.0_x64_en-US.msi →
    /// windows-x86_64-msi, Carrel_1.2.0_x64-setup.exe → windows-x86_64-nsis,
    /// Carrel_1.2.0_aarch64.app.tar.gz → darwin-aarch64-app, _universal.app.tar.gz → both Mac
    /// architectures); give any other file with --platform <target>-<arch>-<bundle>=<path>.
    ///
    /// Refused, before anything is recorded (exit status 1, nothing kept): a .sig that is missing
    /// or not a Tauri signature, or whose trusted comment does not name --version; with an update
    /// public key (--pubkey, CARREL_SERVER_UPDATE_PUBKEY or update_pubkey), a signature that does
    /// not verify the bundle with it; a version and platform already published with other bytes;
    /// a version published on the other channel, or withdrawn. All bundles are published or none.
    /// Publishing the same bundle again changes nothing. Bundles for more platforms can be added
    /// to a published version later.
    ///
    /// Prints one line per bundle and platform on stdout:
    /// `<version> <channel> <target>-<arch>-<bundle> <file name>`.
    ///
    /// Safe to run while the server runs, with the same --db and --data-dir.
    #[command(after_help = ENVIRONMENT_HELP)]
    Publish(ReleasePublishArgs),
    /// List the published releases, newest first, one line per bundle:
    /// `<version> <channel> <target>-<arch>-<bundle> <file name> <size> <published>[ withdrawn <when>]`.
    #[command(after_help = ENVIRONMENT_HELP)]
    List(ReleaseListArgs),
    /// Stop offering a release (its bundles are no longer downloadable either). Installed copies
    /// are not downgraded: the app only ever installs a newer version. A withdrawn version is
    /// never published again. Prints `<version> <channel> withdrawn`.
    #[command(after_help = ENVIRONMENT_HELP)]
    Withdraw(ReleaseWithdrawArgs),
}

#[derive(Debug, Args)]
struct ReleasePublishArgs {
    /// The app version of the bundles (semver, e.g. 1.2.0 or 1.3.0-beta.1; a leading v is
    /// dropped); each signature must be made for it.
    #[arg(long)]
    version: String,
    /// Who is offered it: stable (everyone) or beta (those who try releases first; they are
    /// offered the newest of beta and stable).
    #[arg(long, value_enum)]
    channel: ChannelArg,
    /// Release notes (Markdown), shown before the learner agrees to install. Given again for a
    /// published version, they replace its notes.
    #[arg(long, conflicts_with = "notes_file")]
    notes: Option<String>,
    /// Read the release notes from this file.
    #[arg(long, value_name = "FILE")]
    notes_file: Option<PathBuf>,
    /// The app's update public key (the base64 text of plugins.updater.pubkey in
    /// tauri.conf.json): every signature must verify with it. Without one, signatures are only
    /// checked to be for --version.
    #[arg(long, env = "CARREL_SERVER_UPDATE_PUBKEY", value_name = "KEY")]
    pubkey: Option<String>,
    /// A bundle whose platform its name does not tell: <target>-<arch>-<bundle>=<path>, e.g.
    /// linux-x86_64-deb=carrel.deb. Repeatable.
    #[arg(long = "platform", value_name = "PLATFORM=PATH", value_parser = parse_platform_bundle)]
    platforms: Vec<(Platform, PathBuf)>,
    /// Bundle files named as Tauri names them, each with its .sig beside it.
    #[arg(value_name = "PATH", required_unless_present = "platforms")]
    bundles: Vec<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct ReleaseListArgs {
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct ReleaseWithdrawArgs {
    /// The version to withdraw.
    #[arg(long)]
    version: String,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ChannelArg {
    /// Releases everyone is offered.
    Stable,
    /// Releases for those who try them first.
    Beta,
}

/// `<target>-<arch>-<bundle>=<path>`.
fn parse_platform_bundle(text: &str) -> Result<(Platform, PathBuf), String> {
    let (platform, path) = text.split_once('=').ok_or_else(|| {
        format!("“{text}” is not <target>-<arch>-<bundle>=<path>, e.g. linux-x86_64-deb=carrel.deb")
    })?;
    if path.is_empty() {
        return Err(format!("“{text}” names no file after ="));
    }
    Ok((Platform::parse(platform)?, PathBuf::from(path)))
}

#[derive(Debug, Args)]
struct SubmissionsArgs {
    /// Only this course.
    #[arg(long, value_name = "COURSE")]
    course: Option<String>,
    /// Only this item.
    #[arg(long, value_name = "ITEM")]
    item: Option<String>,
    /// Only submissions without a complete grade.
    #[arg(long)]
    ungraded: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct GradeArgs {
    /// The submission: its server id (first column of `submissions`) or its client id.
    submission: String,
    /// Points earned (0 ≤ score ≤ points possible).
    #[arg(long)]
    score: f64,
    /// Points possible [default: the quiz's total points, or 100 for an assignment].
    #[arg(long, value_name = "POINTS")]
    out_of: Option<f64>,
    /// Whether it passes [default: from the quiz's passing score; none for an assignment].
    #[arg(long, value_name = "true|false")]
    passed: Option<bool>,
    /// Feedback for the learner (Markdown).
    #[arg(long, conflicts_with = "feedback_file")]
    feedback: Option<String>,
    /// Read the feedback from this file.
    #[arg(long, value_name = "FILE")]
    feedback_file: Option<PathBuf>,
    /// The tutor's login, whose name the learner sees [default: "Course team"].
    #[arg(long, value_name = "LOGIN")]
    tutor: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct CommentArgs {
    /// The submission: its server id or its client id.
    submission: String,
    /// The comment (Markdown).
    #[arg(long)]
    text: String,
    /// The tutor's login, whose name the learner sees [default: "Course team"].
    #[arg(long, value_name = "LOGIN")]
    tutor: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct AnnounceArgs {
    /// The course id.
    course_id: String,
    /// Its title.
    #[arg(long)]
    title: String,
    /// The message (Markdown).
    #[arg(long)]
    body: String,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct ExtendArgs {
    /// The learner's login.
    login: String,
    /// The course id.
    course_id: String,
    /// The item id.
    item_id: String,
    /// The new due date, RFC 3339 (e.g. 2027-03-01T17:00:00+01:00).
    #[arg(long)]
    due: String,
    /// Why, for the learner.
    #[arg(long)]
    reason: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct SessionArgs {
    /// The course id.
    course_id: String,
    /// The webinar item's id.
    item_id: String,
    /// The session's id: the package's to move or cancel it, a new one to add one.
    session_id: String,
    /// When it starts, RFC 3339 (e.g. 2027-03-03T14:00:00+01:00).
    #[arg(long, required_unless_present = "cancel")]
    starts: Option<String>,
    /// The IANA time zone it is organised in (e.g. Europe/Zurich).
    #[arg(long, required_unless_present = "cancel")]
    zone: Option<String>,
    /// Its length in minutes.
    #[arg(long, required_unless_present = "cancel")]
    minutes: Option<u32>,
    /// Where to join (https).
    #[arg(long = "join")]
    join_url: Option<String>,
    /// Who presents it.
    #[arg(long)]
    presenter: Option<String>,
    /// Cancel the session instead.
    #[arg(long, conflicts_with_all = ["starts", "zone", "minutes", "join_url", "presenter"])]
    cancel: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct RecordingArgs {
    /// The course id.
    course_id: String,
    /// The webinar item's id.
    item_id: String,
    /// The session recorded.
    session_id: String,
    /// The recording file.
    file: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct ForumPostsArgs {
    /// The course id.
    course_id: String,
    /// Print a JSON array of the posts instead of lines.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct ForumPostArgs {
    /// The post's id (the first column of `forum-posts`).
    post_id: String,
    /// Hide the post from the course's learners.
    #[arg(long, conflicts_with = "show")]
    hide: bool,
    /// Show a hidden post again.
    #[arg(long)]
    show: bool,
    /// Pin the post (shown first in its topic, or its topic first in the forum).
    #[arg(long, conflicts_with = "unpin")]
    pin: bool,
    /// Unpin it.
    #[arg(long)]
    unpin: bool,
    /// The tutor's login, recorded as who hid the post [default: "Course team"].
    #[arg(long, value_name = "LOGIN")]
    tutor: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct GroupFileAddArgs {
    /// The course id.
    course_id: String,
    /// The group's name, as `carrel-server enrol --group` gave it.
    group: String,
    /// The file to place.
    file: PathBuf,
    /// The name members see [default: the file's own name].
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct GroupFilesArgs {
    /// The course id.
    course_id: String,
    /// Only this group's files.
    group: Option<String>,
    /// Print a JSON array of the files instead of lines.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct GroupFileRemoveArgs {
    /// The course id.
    course_id: String,
    /// The group's name.
    group: String,
    /// The file's name (the second column of `group-files`).
    name: String,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct CertificatesArgs {
    /// Only this course's certificates.
    course_id: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct CertificateRevokeArgs {
    /// The certificate's id (the first column of `certificates`; the end of its address).
    certificate_id: String,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct ProgrammeSetArgs {
    /// The programme's id (1–64 lowercase letters, digits and -), e.g. diploma-labour-migration.
    programme_id: String,
    /// Its title, as learners see it (1–200 characters).
    #[arg(long)]
    title: String,
    /// What it is, in words.
    #[arg(long, default_value = "")]
    description: String,
    /// The course ids whose certificates count towards it, separated by commas, in the order
    /// learners see them.
    #[arg(long, value_delimiter = ',', required = true, value_name = "COURSE,…")]
    courses: Vec<String>,
    /// How many certificates of those courses it takes.
    #[arg(long, value_name = "N")]
    required: u32,
    /// Within how many years (1–50) of one another the certificates must be issued.
    #[arg(long, value_name = "YEARS")]
    within_years: u32,
    /// A course whose certificate it needs as well, within the same years (not one of --courses).
    #[arg(long, value_name = "COURSE")]
    capstone: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct ProgrammeRemoveArgs {
    /// The programme's id (the first column of `programmes`).
    programme_id: String,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct ProgrammesArgs {
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct EnrolArgs {
    /// The account's login.
    login: String,
    /// The course id (as in its package).
    course_id: String,
    /// The account's role in this course.
    #[arg(long, value_enum, default_value = "learner")]
    role: CourseRoleArg,
    /// The group the account works in for group work (a name unique within the course).
    #[arg(long, value_name = "NAME")]
    group: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct UnenrolArgs {
    /// The account's login.
    login: String,
    /// The course id.
    course_id: String,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CourseRoleArg {
    /// Takes the course and submits work in it.
    Learner,
    /// Reads, grades and comments the course's submissions.
    Tutor,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from standard input (one line), never from the
    /// command line, where other users of the machine could see it:
    /// `printf '%s\n' "$PASSWORD" | carrel-server user add --login ana@example.org --name "Ana"`.
    /// Prints `<id> <login> <role>`.
    #[command(after_help = ENVIRONMENT_HELP)]
    Add(UserAddArgs),
    /// Disable an account (its sessions end at once) or, with --enable, enable it again.
    #[command(after_help = ENVIRONMENT_HELP)]
    Disable(UserDisableArgs),
}

#[derive(Debug, Args)]
struct UserAddArgs {
    /// The login (an e-mail address or a user name; case does not matter).
    #[arg(long)]
    login: String,
    /// The name shown for the account.
    #[arg(long)]
    name: String,
    /// What the account may do.
    #[arg(long, value_enum, default_value = "learner")]
    role: RoleArg,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct UserDisableArgs {
    /// The account's login.
    #[arg(long)]
    login: String,
    /// Enable the account again instead.
    #[arg(long)]
    enable: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RoleArg {
    /// Takes courses and submits work.
    Learner,
    /// Grades and comments submissions.
    Tutor,
    /// Everything.
    Admin,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:7878]. Port 0 picks a free port (the chosen
    /// address is logged).
    #[arg(long, env = "CARREL_SERVER_LISTEN")]
    listen: Option<SocketAddr>,
    /// How long an access token works, in minutes [default: 15].
    #[arg(long, env = "CARREL_ACCESS_TOKEN_MINUTES", value_name = "MINUTES")]
    access_token_minutes: Option<u64>,
    /// How long a session lasts without a refresh, in days [default: 30].
    #[arg(long, env = "CARREL_REFRESH_TOKEN_DAYS", value_name = "DAYS")]
    refresh_token_days: Option<u64>,
    /// The address clients reach the server at, e.g. https://courses.example.org (behind a
    /// reverse proxy: its public address). Absolute URLs, such as the app update's download
    /// address, start with it [default: http:// and the request's Host header].
    #[arg(long, env = "CARREL_SERVER_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Who course certificates name as their issuer: the institution running the server
    /// [default: "Carrel course server"].
    #[arg(long, env = "CARREL_CERTIFICATE_ISSUER", value_name = "NAME")]
    certificate_issuer: Option<String>,
    /// Forward learning records (xAPI statements) to the Learning Record Store at this xAPI
    /// endpoint, e.g. https://lrs.example.org/xAPI. Needs --public-url, --lrs-key and a secret
    /// (CARREL_LRS_SECRET or --lrs-secret-file).
    #[arg(long, env = "CARREL_LRS_ENDPOINT", value_name = "URL")]
    lrs_endpoint: Option<String>,
    /// The LRS's Basic auth key.
    #[arg(long, env = "CARREL_LRS_KEY", value_name = "KEY")]
    lrs_key: Option<String>,
    /// A file holding the LRS's Basic auth secret (or set CARREL_LRS_SECRET).
    #[arg(long, env = "CARREL_LRS_SECRET_FILE", value_name = "FILE")]
    lrs_secret_file: Option<PathBuf>,
    /// A file holding the token Prometheus presents (Authorization: Bearer) to read /metrics
    /// (or set CARREL_METRICS_TOKEN). Without one, /metrics answers 404.
    #[arg(long, env = "CARREL_METRICS_TOKEN_FILE", value_name = "FILE")]
    metrics_token_file: Option<PathBuf>,
    /// Do not bring the database's schema up to date on start: refuse to start on an older one
    /// (run `carrel-server migrate` first), or without one. For several instances on one
    /// database. The variable takes 1, true, yes or on (0, false, no, off: migrate).
    #[arg(
        long,
        env = "CARREL_SERVER_NO_MIGRATE",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    no_migrate: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct MigrateArgs {
    /// Only report: exit 0 when the schema is this build's, 1 when older, 2 when newer.
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct PublishArgs {
    /// Course package files (.carrel) to publish, in order.
    #[arg(required = true, value_name = "PACKAGE")]
    packages: Vec<PathBuf>,
    /// Anyone may list and download these courses, signed in or not.
    #[arg(long, conflicts_with = "enrolled_only")]
    open: bool,
    /// Only accounts enrolled in the course (and admins) may list and download it. Without
    /// --open or --enrolled-only, a course keeps its setting, and a new course is enrolled-only.
    #[arg(long)]
    enrolled_only: bool,
    /// The answer keys of the package's graded quizzes, as `carrel-pack build` writes them, so
    /// the server grades their submissions [default: <PACKAGE>.answer-keys.json when it exists].
    /// With one package only.
    #[arg(long, value_name = "FILE")]
    answer_keys: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct CommonArgs {
    /// A TOML configuration file (format below); flags and environment variables override it.
    #[arg(long, env = "CARREL_SERVER_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// The database: a SQLite file [default: carrel-server.sqlite3], created with its folder on
    /// first start, or a PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/NAME) shared by
    /// several instances (see docs/deployment.md).
    #[arg(long, env = "CARREL_SERVER_DB", value_name = "FILE|URL")]
    db: Option<PathBuf>,
    /// The folder for published packages and their content files [default: carrel-data beside
    /// the --db file; with PostgreSQL, the folder the last `serve` named]; created on first use
    #[arg(long, env = "CARREL_SERVER_DATA", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Log format [default: pretty].
    #[arg(long, env = "CARREL_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    /// Keep packages, content files, attachments, recordings and app bundles in the
    /// S3-compatible bucket at this endpoint (e.g. https://s3.eu-west-1.amazonaws.com) instead
    /// of the data folder; needs --s3-bucket, --s3-access-key and CARREL_S3_SECRET_KEY (or
    /// --s3-secret-key-file). Give every command that writes them the same settings.
    #[arg(long, env = "CARREL_S3_ENDPOINT", value_name = "URL")]
    s3_endpoint: Option<String>,
    /// The bucket.
    #[arg(long, env = "CARREL_S3_BUCKET")]
    s3_bucket: Option<String>,
    /// The region signatures name [default: us-east-1].
    #[arg(long, env = "CARREL_S3_REGION")]
    s3_region: Option<String>,
    /// The access key id.
    #[arg(long, env = "CARREL_S3_ACCESS_KEY")]
    s3_access_key: Option<String>,
    /// A file holding the secret access key (readable by the server's account only).
    #[arg(long, env = "CARREL_S3_SECRET_KEY_FILE", value_name = "FILE")]
    s3_secret_key_file: Option<PathBuf>,
    /// Prepended to every key, e.g. carrel/.
    #[arg(long, env = "CARREL_S3_PREFIX")]
    s3_prefix: Option<String>,
}

impl CommonArgs {
    /// The settings in effect: these flags (or their variables), then the configuration file,
    /// then the defaults. Sets up logging.
    fn settings(&self, serve: Option<&ServeArgs>) -> anyhow::Result<Settings> {
        let mut file = match &self.config {
            Some(path) => ConfigFile::read(path)?,
            None => ConfigFile::default(),
        };
        if serve.is_none() {
            // Only `serve` answers /metrics: other commands need not (and may not) read its token.
            file.metrics_token_file = None;
        }
        let overrides = config::Overrides {
            listen: serve.and_then(|args| args.listen),
            db: self.db.clone(),
            data: self.data_dir.clone(),
            log_format: self.log_format,
            access_token_minutes: serve.and_then(|args| args.access_token_minutes),
            refresh_token_days: serve.and_then(|args| args.refresh_token_days),
            public_url: serve.and_then(|args| args.public_url.clone()),
            certificate_issuer: serve.and_then(|args| args.certificate_issuer.clone()),
            // `release publish` takes its flag over the file's key itself.
            update_pubkey: None,
            lrs_endpoint: serve.and_then(|args| args.lrs_endpoint.clone()),
            lrs_key: serve.and_then(|args| args.lrs_key.clone()),
            lrs_secret_file: serve.and_then(|args| args.lrs_secret_file.clone()),
            lrs_secret: secret_variable("CARREL_LRS_SECRET"),
            metrics_token_file: serve.and_then(|args| args.metrics_token_file.clone()),
            metrics_token: serve.and_then(|_| secret_variable("CARREL_METRICS_TOKEN")),
            migrate_on_start: serve.and_then(|args| args.no_migrate.then_some(false)),
            s3_endpoint: self.s3_endpoint.clone(),
            s3_bucket: self.s3_bucket.clone(),
            s3_region: self.s3_region.clone(),
            s3_access_key: self.s3_access_key.clone(),
            s3_secret_key_file: self.s3_secret_key_file.clone(),
            s3_secret_key: secret_variable("CARREL_S3_SECRET_KEY"),
            s3_prefix: self.s3_prefix.clone(),
            s3_virtual_host: None,
        };
        let settings = config::resolve(overrides, file)?;
        init_logging(settings.log_format);
        Ok(settings)
    }

    /// The settings, and the database opened.
    fn open(&self) -> anyhow::Result<(Settings, Storage)> {
        let settings = self.settings(None)?;
        let storage = Storage::open(&settings.db)?;
        Ok((settings, storage))
    }
}

/// Where the settings keep files by hash: their bucket, or the data folder.
fn blob_store(settings: &Settings) -> anyhow::Result<carrel_server::blobs::Blobs> {
    Ok(match &settings.s3 {
        Some(s3) => {
            std::sync::Arc::new(carrel_server::blobs::S3Blobs::new(s3).map_err(anyhow::Error::msg)?)
        }
        None => std::sync::Arc::new(carrel_server::blobs::FsBlobs::new(
            settings.require_data()?.clone(),
        )),
    })
}

/// A secret from the environment variable `name`, unless empty.
fn secret_variable(name: &str) -> Option<config::Secret> {
    std::env::var(name)
        .ok()
        .filter(|secret| !secret.is_empty())
        .map(config::Secret)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Publish(args)) => publish(args).await,
        Some(Command::Migrate(args)) => migrate(args),
        Some(Command::User(UserCommand::Add(args))) => user_add(args).await,
        Some(Command::User(UserCommand::Disable(args))) => user_disable(args).await,
        Some(Command::Enrol(args)) => enrol(args).await,
        Some(Command::Unenrol(args)) => unenrol(args).await,
        Some(Command::Submissions(args)) => submissions(args).await,
        Some(Command::Grade(args)) => grade(args).await,
        Some(Command::Comment(args)) => comment(args).await,
        Some(Command::Announce(args)) => announce(args).await,
        Some(Command::Extend(args)) => extend(args).await,
        Some(Command::Session(args)) => session(args).await,
        Some(Command::Recording(args)) => recording(args).await,
        Some(Command::ForumPosts(args)) => forum_posts(args).await,
        Some(Command::ForumPost(args)) => forum_post(args).await,
        Some(Command::GroupFileAdd(args)) => group_file_add(args).await,
        Some(Command::GroupFiles(args)) => group_files(args).await,
        Some(Command::GroupFileRemove(args)) => group_file_remove(args).await,
        Some(Command::Certificates(args)) => certificates(args).await,
        Some(Command::CertificateRevoke(args)) => certificate_revoke(args).await,
        Some(Command::ProgrammeSet(args)) => programme_set(args).await,
        Some(Command::ProgrammeRemove(args)) => programme_remove(args).await,
        Some(Command::Programmes(args)) => programmes(args).await,
        Some(Command::Release(ReleaseCommand::Publish(args))) => release_publish(args).await,
        Some(Command::Release(ReleaseCommand::List(args))) => release_list(args).await,
        Some(Command::Release(ReleaseCommand::Withdraw(args))) => release_withdraw(args).await,
    }
}

async fn submissions(args: SubmissionsArgs) -> anyhow::Result<()> {
    use carrel_server::tutor::{self, Actor, ListFilter};
    let (_, storage) = args.common.open()?;
    let filter = ListFilter {
        course: args.course,
        item: args.item,
        ungraded: args.ungraded,
    };
    let list = tutor::list(&storage, Actor::Operator { tutor: None }, filter).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:>6}  {:<36}  {:<24}  {:<24}  {:<24}  {:<20}  grade",
        "id", "client id", "learner", "course", "item", "received (UTC)"
    )?;
    for summary in list {
        let received = jiff::Timestamp::from_millisecond(summary.received_ms as i64)
            .map(|at| at.strftime("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        let grade = summary.grade.map_or_else(
            || "-".to_owned(),
            |grade| {
                let by = grade.graded_by.as_deref().unwrap_or("auto");
                let pending = if grade.complete { "" } else { ", pending" };
                format!("{}/{} ({by}{pending})", grade.score, grade.max_score)
            },
        );
        writeln!(
            out,
            "{:>6}  {:<36}  {:<24}  {:<24}  {:<24}  {:<20}  {grade}",
            summary.server_id,
            summary.submission_id,
            summary.learner.login,
            summary.course_id,
            summary.item_id,
            received
        )?;
    }
    Ok(())
}

/// The server id of the submission the command line names.
async fn submission_id(storage: &Storage, reference: &str) -> anyhow::Result<i64> {
    carrel_server::tutor::resolve(storage, reference)
        .await?
        .with_context(|| {
            format!(
                "there is no submission “{reference}”; list them with `carrel-server submissions`"
            )
        })
}

async fn grade(args: GradeArgs) -> anyhow::Result<()> {
    use carrel_server::tutor::{self, Actor};
    let (_, storage) = args.common.open()?;
    let server_id = submission_id(&storage, &args.submission).await?;
    let feedback = match &args.feedback_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the feedback from {}", path.display()))?,
        ),
        None => args.feedback,
    };
    let input = carrel_protocol::tutor::GradeInput {
        score: args.score,
        max_score: args.out_of,
        passed: args.passed,
        feedback,
    };
    let actor = Actor::Operator { tutor: args.tutor };
    let grade = tutor::grade::set(&storage, actor, server_id, input)
        .await
        .context("the submission was not graded")?;
    let passed = match grade.passed {
        Some(true) => " passed",
        Some(false) => " not passed",
        None => "",
    };
    writeln!(
        std::io::stdout(),
        "{} {}/{}{passed}",
        grade.server_id,
        grade.score,
        grade.max_score
    )?;
    Ok(())
}

async fn comment(args: CommentArgs) -> anyhow::Result<()> {
    use carrel_server::tutor::{self, Actor};
    let (_, storage) = args.common.open()?;
    let server_id = submission_id(&storage, &args.submission).await?;
    let actor = Actor::Operator { tutor: args.tutor };
    let comment = tutor::comment::add(&storage, actor, server_id, &args.text)
        .await
        .context("the comment was not added")?;
    writeln!(std::io::stdout(), "{}", comment.comment_id)?;
    Ok(())
}

async fn announce(args: AnnounceArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let seq = carrel_server::changes::announce(&storage, &args.course_id, &args.title, &args.body)
        .await
        .context("nothing was announced")?;
    writeln!(std::io::stdout(), "{seq}")?;
    Ok(())
}

async fn extend(args: ExtendArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let seq = carrel_server::changes::extend(
        &storage,
        &args.login,
        &args.course_id,
        &args.item_id,
        Some(&args.due),
        args.reason.as_deref(),
    )
    .await
    .context("the due date was not changed")?;
    writeln!(std::io::stdout(), "{seq}")?;
    Ok(())
}

async fn session(args: SessionArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let notice = carrel_protocol::changes::SessionNotice {
        course_id: args.course_id,
        item_id: args.item_id,
        session_id: args.session_id,
        starts: args.starts,
        time_zone: args.zone,
        duration_minutes: args.minutes,
        join_url: args.join_url,
        presenter: args.presenter,
    };
    let seq = carrel_server::changes::schedule_session(&storage, notice)
        .await
        .context("the session was not changed")?;
    writeln!(std::io::stdout(), "{seq}")?;
    Ok(())
}

async fn recording(args: RecordingArgs) -> anyhow::Result<()> {
    let (settings, storage) = args.common.open()?;
    let notice = carrel_server::recordings::publish_recording(
        &storage,
        settings.require_data()?,
        &*blob_store(&settings)?,
        &args.course_id,
        &args.item_id,
        &args.session_id,
        &args.file,
    )
    .await
    .context("the recording was not published")?;
    writeln!(std::io::stdout(), "{}", notice.sha256)?;
    Ok(())
}

/// How `forum-posts` and `forum-post` print a post's moderation: `-`, `hidden`, `pinned` or
/// `hidden,pinned`.
fn post_flags(post: &carrel_protocol::forums::ForumPost) -> String {
    let flags: Vec<&str> = [(post.hidden, "hidden"), (post.pinned, "pinned")]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect();
    if flags.is_empty() {
        "-".to_owned()
    } else {
        flags.join(",")
    }
}

async fn forum_posts(args: ForumPostsArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let listed = carrel_server::forums::list(&storage, &args.course_id).await?;
    if listed.is_empty() {
        let published = storage.get_catalog_course(&args.course_id).await?;
        anyhow::ensure!(
            published.is_some(),
            "no course “{}” is published on this server; give the id of a published course \
             (its package's id)",
            args.course_id
        );
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let posts: Vec<_> = listed.into_iter().map(|listed| listed.post).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&posts)?)?;
        return Ok(());
    }
    for carrel_server::forums::ListedPost { post, login } in listed {
        let first_line = post.body.lines().next().unwrap_or_default().trim_end();
        writeln!(
            out,
            "{} {} {} {login} {} {first_line}",
            post.post_id,
            post.item_id,
            post.topic_id,
            post_flags(&post)
        )?;
    }
    Ok(())
}

async fn forum_post(args: ForumPostArgs) -> anyhow::Result<()> {
    use carrel_server::tutor::Actor;
    let (_, storage) = args.common.open()?;
    let moderation = carrel_protocol::forums::Moderation {
        hidden: (args.hide || args.show).then_some(args.hide),
        pinned: (args.pin || args.unpin).then_some(args.pin),
    };
    let actor = Actor::Operator { tutor: args.tutor };
    let post = carrel_server::forums::moderate(&storage, actor, &args.post_id, moderation)
        .await
        .context("the post was not changed")?;
    writeln!(
        std::io::stdout(),
        "{} {} {}",
        post.post_id,
        post_flags(&post),
        post.version
    )?;
    Ok(())
}

/// A group's file as `group-files` prints it: tab-separated, without a line end.
fn group_file_line(group: &str, file: &carrel_protocol::groups::GroupFile) -> String {
    format!(
        "{group}\t{}\t{}\t{}\t{}\t{}",
        file.file.name,
        file.file.size,
        file.file.sha256,
        utc(file.added_ms),
        file.added_by
    )
}

async fn group_file_add(args: GroupFileAddArgs) -> anyhow::Result<()> {
    let (settings, storage) = args.common.open()?;
    let name = match &args.name {
        Some(name) => name.clone(),
        None => args
            .file
            .file_name()
            .and_then(|name| name.to_str())
            .map(str::to_owned)
            .with_context(|| {
                format!(
                    "{} has no file name members could see; give one with --name",
                    args.file.display()
                )
            })?,
    };
    anyhow::ensure!(
        args.file.is_file(),
        "{} is not a file; give the path of the file to place for the group",
        args.file.display()
    );
    let file = carrel_server::groups::add_file_from(
        &storage,
        &carrel_server::blobs::Stores {
            data: settings.require_data()?.clone(),
            blobs: blob_store(&settings)?,
        },
        &args.course_id,
        &args.group,
        &name,
        &args.file,
        carrel_server::groups::COURSE_TEAM,
    )
    .await
    .context("the file was not added")?;
    writeln!(
        std::io::stdout(),
        "{}",
        group_file_line(args.group.trim(), &file)
    )?;
    Ok(())
}

async fn group_files(args: GroupFilesArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let listed =
        carrel_server::groups::list_files(&storage, &args.course_id, args.group.as_deref()).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let files: Vec<_> = listed
            .iter()
            .map(|listed| {
                let mut value = serde_json::to_value(&listed.file)?;
                value["group"] = serde_json::Value::String(listed.group.clone());
                Ok(value)
            })
            .collect::<Result<_, serde_json::Error>>()?;
        writeln!(out, "{}", serde_json::to_string_pretty(&files)?)?;
        return Ok(());
    }
    for listed in listed {
        writeln!(out, "{}", group_file_line(&listed.group, &listed.file))?;
    }
    Ok(())
}

async fn group_file_remove(args: GroupFileRemoveArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let file =
        carrel_server::groups::remove_file(&storage, &args.course_id, &args.group, &args.name)
            .await
            .context("nothing was removed")?;
    writeln!(
        std::io::stdout(),
        "{}",
        group_file_line(args.group.trim(), &file)
    )?;
    Ok(())
}

/// A time as the command line prints it: UTC, to the second (`2026-11-30T14:03:00Z`).
fn utc(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|at| at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

async fn certificates(args: CertificatesArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let course_id = args.course_id.as_deref();
    let listed = carrel_server::certificates::list(&storage, course_id).await?;
    if let Some(course_id) = course_id
        && listed.is_empty()
    {
        let published = storage.get_catalog_course(course_id).await?;
        anyhow::ensure!(
            published.is_some(),
            "no course “{course_id}” is published on this server; give the id of a published \
             course (its package's id)"
        );
    }
    let mut out = std::io::stdout().lock();
    for certificate in listed {
        let flag = if certificate.revoked_ms.is_some() {
            "revoked"
        } else {
            "-"
        };
        writeln!(
            out,
            "{} {} {} {} {flag}",
            certificate.certificate_id,
            certificate.course_id,
            certificate.login,
            utc(certificate.issued_ms)
        )?;
    }
    Ok(())
}

async fn certificate_revoke(args: CertificateRevokeArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let revoked = carrel_server::certificates::revoke(&storage, &args.certificate_id)
        .await
        .context("nothing was revoked")?
        .with_context(|| {
            format!(
                "there is no certificate “{}” on this server; nothing was revoked. List them \
                 with `carrel-server certificates`",
                args.certificate_id
            )
        })?;
    writeln!(
        std::io::stdout(),
        "{} revoked {}",
        revoked.certificate_id,
        utc(revoked.revoked_ms.unwrap_or_default())
    )?;
    Ok(())
}

/// `<id> <required>/<courses> <years>y <capstone or ->`: how `programme-set` and `programmes`
/// begin a programme's line.
fn programme_rules(programme: &carrel_server::programmes::Programme) -> String {
    format!(
        "{} {}/{} {}y {}",
        programme.programme_id,
        programme.required,
        programme.eligible.len(),
        programme.window_years,
        programme.capstone.as_deref().unwrap_or("-")
    )
}

async fn programme_set(args: ProgrammeSetArgs) -> anyhow::Result<()> {
    use carrel_server::programmes::{self, Programme};
    let programme = Programme {
        programme_id: args.programme_id,
        title: args.title,
        description: args.description,
        eligible: args.courses.iter().map(|id| id.trim().to_owned()).collect(),
        required: args.required,
        window_years: args.within_years,
        capstone: args.capstone.map(|id| id.trim().to_owned()),
    };
    // Checked before the database is opened: a mistake leaves no new database behind.
    let programme = programmes::check(programme).context("the programme was not stored")?;
    let (_, storage) = args.common.open()?;
    let stored = programmes::set(&storage, programme)
        .await
        .context("the programme was not stored")?;
    writeln!(
        std::io::stdout(),
        "{} {} {}",
        programme_rules(&stored),
        stored.eligible.join(","),
        stored.title
    )?;
    Ok(())
}

async fn programme_remove(args: ProgrammeRemoveArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    carrel_server::programmes::remove(&storage, &args.programme_id)
        .await
        .context("nothing was removed")?;
    writeln!(std::io::stdout(), "{} removed", args.programme_id)?;
    Ok(())
}

async fn programmes(args: ProgrammesArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let mut out = std::io::stdout().lock();
    for programme in carrel_server::programmes::list(&storage).await? {
        writeln!(out, "{} {}", programme_rules(&programme), programme.title)?;
    }
    Ok(())
}

async fn enrol(args: EnrolArgs) -> anyhow::Result<()> {
    use carrel_protocol::auth::Role;
    let (_, storage) = args.common.open()?;
    let role = match args.role {
        CourseRoleArg::Learner => Role::Learner,
        CourseRoleArg::Tutor => Role::Tutor,
    };
    let enrolled = carrel_server::enrolments::enrol(
        &storage,
        &args.login,
        &args.course_id,
        role,
        args.group.as_deref(),
    )
    .await
    .context("the enrolment was not changed")?;
    let group = enrolled
        .group
        .map(|group| format!(" {group}"))
        .unwrap_or_default();
    writeln!(
        std::io::stdout(),
        "{} {} {}{group}",
        enrolled.login,
        enrolled.course_id,
        format!("{role:?}").to_lowercase()
    )?;
    Ok(())
}

async fn unenrol(args: UnenrolArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let removed =
        carrel_server::enrolments::unenrol(&storage, &args.login, &args.course_id).await?;
    anyhow::ensure!(
        removed,
        "“{}” is not enrolled in “{}”; nothing changed",
        args.login,
        args.course_id
    );
    Ok(())
}

async fn user_add(args: UserAddArgs) -> anyhow::Result<()> {
    use carrel_protocol::auth::Role;
    let (_, storage) = args.common.open()?;
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    let role = match args.role {
        RoleArg::Learner => Role::Learner,
        RoleArg::Tutor => Role::Tutor,
        RoleArg::Admin => Role::Admin,
    };
    let account =
        carrel_server::accounts::create_user(&storage, &args.login, &args.name, password, role)
            .await
            .context("the account was not created")?;
    let role = format!("{role:?}").to_lowercase();
    writeln!(std::io::stdout(), "{} {} {role}", account.id, account.login)?;
    Ok(())
}

async fn user_disable(args: UserDisableArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let found = carrel_server::accounts::set_disabled(&storage, &args.login, !args.enable).await?;
    anyhow::ensure!(found, "there is no account with the login “{}”", args.login);
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.common.settings(Some(&args))?;
    if !settings.migrate_on_start {
        anyhow::ensure!(
            carrel_server::storage::exists(&settings.db),
            "there is no database at {}: check --db; `carrel-server migrate` makes a new one \
             (a PostgreSQL database must be created first, empty, by its administrator)",
            carrel_server::storage::describe(&settings.db)
        );
        let found = Storage::schema_version_of(&settings.db)?;
        anyhow::ensure!(
            found >= carrel_server::SCHEMA_VERSION,
            "the database {} is at schema version {found} and this carrel-server needs {}: run \
             `carrel-server migrate` (once, for every instance), then start it again",
            carrel_server::storage::describe(&settings.db),
            carrel_server::SCHEMA_VERSION
        );
    }
    let storage = Storage::open(&settings.db)?;
    let data = settings.require_data()?.clone();
    if let Some(s3) = &settings.s3 {
        carrel_server::blobs::S3Blobs::new(s3)
            .map_err(anyhow::Error::msg)?
            .check()
            .await
            .context("the object store for files is not usable")?;
    }
    let blobs = blob_store(&settings)?;
    let state = {
        let (data, auth) = (data.clone(), settings.auth);
        tokio::task::spawn_blocking(move || AppState::open_with(storage, data, auth)).await??
    }
    .with_blobs(blobs)
    .with_public_url(settings.public_url.as_deref())
    .with_certificate_issuer(&settings.certificate_issuer)
    .with_metrics_token(
        settings
            .metrics_token
            .as_ref()
            .map(|token| token.0.as_str()),
    );
    if let Ok(spec) = std::env::var("CARREL_SERVER_FAULTS") {
        let faults = carrel_server::faults::FaultPlan::parse(&spec)
            .context("CARREL_SERVER_FAULTS is not valid")?;
        tracing::warn!(
            spec,
            "CARREL_SERVER_FAULTS is set: this server misbehaves on purpose (tests only)"
        );
        state.faults().script(faults);
    }
    let listener = TcpListener::bind(settings.listen).await.with_context(|| {
        format!(
            "cannot listen on {}: is another server using it?",
            settings.listen
        )
    })?;
    let addr = listener.local_addr()?;
    let shutdown = shutdown_signal()?;
    tracing::info!(
        %addr,
        url = %format!("http://{addr}"),
        db = %state.storage().display(),
        data = %data.root().display(),
        files = %state.blobs().describe(),
        public_url = settings.public_url.as_deref(),
        version = carrel_server::SERVER_VERSION,
        "carrel-server listening"
    );
    let forwarder = match settings.lrs.clone() {
        Some(lrs) => {
            tracing::info!(
                endpoint = lrs.endpoint,
                "forwarding learning records to the LRS"
            );
            let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|local| lrs.endpoint.starts_with(local));
            if lrs.endpoint.starts_with("http://") && !loopback {
                tracing::warn!(
                    endpoint = lrs.endpoint,
                    "the LRS is reached over plain http: its secret and the learners' records \
                     cross the network unencrypted; use https"
                );
            }
            let forwarder = carrel_server::xapi::Forwarder::new(state.storage().clone(), lrs)
                .context("cannot set up the LRS client")?;
            Some(tokio::spawn(forwarder.run(std::future::pending())))
        }
        None => None,
    };
    carrel_server::serve(listener, state, shutdown).await?;
    if let Some(forwarder) = forwarder {
        forwarder.abort();
    }
    tracing::info!("carrel-server stopped");
    Ok(())
}

fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let settings = args.common.settings(None)?;
    let (db, needed) = (&settings.db, carrel_server::SCHEMA_VERSION);
    let found = Storage::schema_version_of(db)?;
    let mut out = std::io::stdout().lock();
    if args.check {
        writeln!(
            out,
            "{}: schema version {found}; this carrel-server needs {needed}",
            carrel_server::storage::describe(db)
        )?;
        out.flush()?;
        drop(out);
        match found.cmp(&needed) {
            std::cmp::Ordering::Equal => return Ok(()),
            std::cmp::Ordering::Less => {
                eprintln!("run `carrel-server migrate` to bring it up to date");
                std::process::exit(1)
            }
            std::cmp::Ordering::Greater => {
                eprintln!("a newer carrel-server wrote it: upgrade this one");
                std::process::exit(2)
            }
        }
    }
    let new = !carrel_server::storage::exists(db);
    Storage::open(db)?;
    if new {
        writeln!(
            out,
            "{}: a new database, schema version {needed}",
            carrel_server::storage::describe(db)
        )?;
    } else if found == needed {
        writeln!(
            out,
            "{}: schema version {needed}, already up to date",
            carrel_server::storage::describe(db)
        )?;
    } else {
        writeln!(
            out,
            "{}: schema version {found} → {needed}",
            carrel_server::storage::describe(db)
        )?;
    }
    Ok(())
}

async fn publish(args: PublishArgs) -> anyhow::Result<()> {
    let settings = args.common.settings(None)?;
    // A mistyped path should not leave a new database and data folder behind.
    for package in &args.packages {
        let metadata = std::fs::metadata(package)
            .with_context(|| format!("cannot read {}", package.display()))?;
        anyhow::ensure!(metadata.is_file(), "{} is not a file", package.display());
    }
    let storage = Storage::open(&settings.db)?;
    let blobs = settings
        .s3
        .is_some()
        .then(|| blob_store(&settings).map(carrel_server::publish::BlobsOption))
        .transpose()?;
    let data = settings.require_data()?.clone();
    anyhow::ensure!(
        args.answer_keys.is_none() || args.packages.len() == 1,
        "--answer-keys goes with one package; publish the packages one at a time"
    );
    let options = carrel_server::PublishOptions {
        open: match (args.open, args.enrolled_only) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        answer_keys: args.answer_keys,
        blobs,
    };
    let mut stdout = std::io::stdout().lock();
    for package in &args.packages {
        let published = carrel_server::publish_package_with(&storage, &data, package, &options)
            .await
            .with_context(|| format!("{} was not published", package.display()))?;
        writeln!(
            stdout,
            "{} {} {}",
            published.course_id, published.version, published.fingerprint
        )?;
        stdout.flush()?;
    }
    Ok(())
}

async fn release_publish(args: ReleasePublishArgs) -> anyhow::Result<()> {
    let settings = args.common.settings(None)?;
    let notes =
        match &args.notes_file {
            Some(path) => Some(std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the release notes from {}", path.display())
            })?),
            None => args.notes,
        };
    let bundles = args
        .bundles
        .into_iter()
        .map(|path| Bundle {
            path,
            platform: None,
        })
        .chain(args.platforms.into_iter().map(|(platform, path)| Bundle {
            path,
            platform: Some(platform),
        }))
        .collect();
    let blobs = blob_store(&settings)?;
    let data = settings.require_data()?.clone();
    let new = NewRelease {
        version: args.version,
        channel: match args.channel {
            ChannelArg::Stable => Channel::Stable,
            ChannelArg::Beta => Channel::Beta,
        },
        notes,
        pubkey: args.pubkey.or(settings.update_pubkey),
        bundles,
    };
    // Checked before the database is opened: a mistyped path leaves no new database behind.
    releases::check_release(&new).context("nothing was published")?;
    let storage = Storage::open(&settings.db)?;
    let published = releases::publish_release(&storage, &data, &*blobs, new)
        .await
        .context("nothing was published")?;
    let mut stdout = std::io::stdout().lock();
    for file in published {
        writeln!(
            stdout,
            "{} {} {} {}",
            file.version,
            file.channel.as_str(),
            file.platform,
            file.file_name
        )?;
    }
    Ok(())
}

async fn release_list(args: ReleaseListArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let mut stdout = std::io::stdout().lock();
    for release in releases::list(&storage).await? {
        let withdrawn = release
            .withdrawn_ms
            .map(|ms| {
                let when = jiff::Timestamp::from_millisecond(ms)
                    .map(|at| at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                    .unwrap_or_default();
                format!(" withdrawn {when}")
            })
            .unwrap_or_default();
        for file in &release.files {
            writeln!(
                stdout,
                "{} {} {} {} {} {}{withdrawn}",
                release.version,
                release.channel.as_str(),
                file.platform,
                file.file_name,
                file.size,
                release.pub_date
            )?;
        }
    }
    Ok(())
}

async fn release_withdraw(args: ReleaseWithdrawArgs) -> anyhow::Result<()> {
    let (_, storage) = args.common.open()?;
    let release = releases::withdraw(&storage, &args.version)
        .await
        .context("nothing was withdrawn")?;
    writeln!(
        std::io::stdout(),
        "{} {} withdrawn",
        release.version,
        release.channel.as_str()
    )?;
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
/// Resolves on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when this is *called*, not
/// when the future is first polled: a signal that arrives just after "listening" is logged must
/// shut down gracefully, not kill the process with the default action.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?,
            signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        #[cfg(not(unix))]
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutdown requested; finishing requests in flight");
    })
}
