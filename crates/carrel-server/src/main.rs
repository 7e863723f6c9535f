//! The `carrel-server` command: runs the course server, or publishes course packages to it.
//!
//! ```text
//! carrel-server [serve] --listen 127.0.0.1:7878 --db ./carrel-server.sqlite3 [--data-dir DIR] [--log-format json]
//! carrel-server publish [--open|--enrolled-only] [--db FILE] [--data-dir DIR] PACKAGE...
//! carrel-server user add|disable …
//! carrel-server enrol LOGIN COURSE [--role learner|tutor] [--group NAME]
//! carrel-server unenrol LOGIN COURSE
//! ```
//! With no command it serves, so older invocations keep working. Every flag can also be set
//! through the environment (`CARREL_SERVER_LISTEN`, `CARREL_SERVER_DB`, `CARREL_SERVER_DATA`,
//! `CARREL_LOG_FORMAT`). Logs go to stderr; `RUST_LOG` filters them. SIGINT or SIGTERM stops the
//! server gracefully: it stops accepting connections and lets requests in flight finish. `publish`
//! prints one line per published package on stdout and may run while the server runs.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use carrel_server::config::{self, ConfigFile, LogFormat, Settings};
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
  db = \"carrel-server.sqlite3\"        # the database file
  data = \"carrel-data\"                # default: carrel-data beside the database
  log_format = \"pretty\"               # or \"json\"
  access_token_minutes = 15           # how long an access token works
  refresh_token_days = 30             # how long a session lasts without a refresh

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
    /// The SQLite database file [default: carrel-server.sqlite3]; created with its folder on
    /// first start.
    #[arg(long, env = "CARREL_SERVER_DB", value_name = "FILE")]
    db: Option<PathBuf>,
    /// The folder for published packages and their content files [default: carrel-data beside
    /// the --db file]; created on first use
    #[arg(long, env = "CARREL_SERVER_DATA", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Log format [default: pretty].
    #[arg(long, env = "CARREL_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
}

impl CommonArgs {
    /// The settings in effect: these flags (or their variables), then the configuration file,
    /// then the defaults. Sets up logging.
    fn settings(&self, serve: Option<&ServeArgs>) -> anyhow::Result<Settings> {
        let file = match &self.config {
            Some(path) => ConfigFile::read(path)?,
            None => ConfigFile::default(),
        };
        let overrides = config::Overrides {
            listen: serve.and_then(|args| args.listen),
            db: self.db.clone(),
            data: self.data_dir.clone(),
            log_format: self.log_format,
            access_token_minutes: serve.and_then(|args| args.access_token_minutes),
            refresh_token_days: serve.and_then(|args| args.refresh_token_days),
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Publish(args)) => publish(args).await,
        Some(Command::User(UserCommand::Add(args))) => user_add(args).await,
        Some(Command::User(UserCommand::Disable(args))) => user_disable(args).await,
        Some(Command::Enrol(args)) => enrol(args).await,
        Some(Command::Unenrol(args)) => unenrol(args).await,
        Some(Command::Submissions(args)) => submissions(args).await,
        Some(Command::Grade(args)) => grade(args).await,
        Some(Command::Comment(args)) => comment(args).await,
        Some(Command::Announce(args)) => announce(args).await,
        Some(Command::Extend(args)) => extend(args).await,
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
    let storage = Storage::open(&settings.db)?;
    let data = settings.data.clone();
    let state = {
        let (data, auth) = (data.clone(), settings.auth);
        tokio::task::spawn_blocking(move || AppState::open_with(storage, data, auth)).await??
    };
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
        db = %state.storage().path().display(),
        data = %data.root().display(),
        version = carrel_server::SERVER_VERSION,
        "carrel-server listening"
    );
    carrel_server::serve(listener, state, shutdown).await?;
    tracing::info!("carrel-server stopped");
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
    let data = settings.data;
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
