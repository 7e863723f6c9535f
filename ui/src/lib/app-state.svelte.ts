// The shell's state: what the backend told us (app info, server status), which screen is shown,
// which course is open, and the actions the shell offers. Svelte 5 runes; one instance (`app`)
// serves the whole UI, and tests make their own with `new AppState()`.
import {
  BackendError,
  checkServerNow,
  ErrorCode,
  getAppInfo,
  getServerStatus,
  getSettings,
  listCourseNotices,
  listOutbox,
  markNoticesSeen,
  onCourseFilesDropped,
  onExternalLinkRequested,
  onOutboxChanged,
  onServerStatus,
  openCourseItem,
  openExternalLink,
  setServerUrl,
  takeNotices,
  takePendingImports,
  toBackendError,
  unlistenQuietly,
  type AppInfo,
  type CourseNotice,
  type Notice,
  type OutboxEntry,
  type Place,
  type ServerStatus,
  type UnlistenFn,
} from "./backend";
import { isCoursePackage, LibraryState } from "./library.svelte";
import { applyAppearance } from "./settings.svelte";
import { SyncState } from "./sync-state.svelte";
import { UpdateState } from "./updates.svelte";

/** The destinations of the main navigation, in order; the first is the one Carrel opens on. */
export const SCREENS = ["dashboard", "search", "library", "course", "outbox", "settings"] as const;
export type Screen = (typeof SCREENS)[number];

export function isScreen(value: string): value is Screen {
  return (SCREENS as readonly string[]).includes(value);
}

/**
 * A quiz or assignment shown in the Course screen instead of the outline (the content window does
 * not show them). `attemptId`: a quiz attempt to review, opened from the Outbox.
 */
export type Assessment =
  | { kind: "quiz"; courseId: string; itemId: string; attemptId: string | null }
  | { kind: "assignment"; courseId: string; itemId: string }
  | { kind: "forum"; courseId: string; itemId: string; topicId: string | null };

/** Item kinds Carrel shows in its own view (quizzes, assignments, forums), not in the content window. */
export function isAssessmentKind(
  kind: string | null | undefined,
): kind is "quiz" | "assignment" | "forum" {
  return kind === "quiz" || kind === "assignment" || kind === "forum";
}

/** Outbox states of a submission the server has not received yet. */
export function isUnsent(entry: Pick<OutboxEntry, "state">): boolean {
  return entry.state === "queued" || entry.state === "sending" || entry.state === "needs_attention";
}

/**
 * `url` when it is an address a web browser should be asked to open (http or https, with a host);
 * null for anything else (file:, javascript:, mailto:, malformed), which Carrel never offers.
 */
export function externalWebAddress(url: unknown): URL | null {
  if (typeof url !== "string") return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  return parsed.host === "" ? null : parsed;
}

export class AppState {
  /** Version, server address and data folder; null until loaded. */
  info: AppInfo | null = $state(null);
  /** The latest server status; null until loaded. */
  status: ServerStatus | null = $state(null);
  /** The screen shown: the Dashboard at start. */
  screen: Screen = $state("dashboard");
  /** Why loading the shell failed, if it did. */
  loadError: BackendError | null = $state(null);
  /** A check asked for by the learner is running. */
  checkingNow = $state(false);
  /** Why the last check asked for by the learner failed, if it did. */
  checkError: BackendError | null = $state(null);
  /** The course the Course screen shows; null when none is open. */
  currentCourseId: string | null = $state(null);
  /** Installed courses, the catalogue, and the running import or download. */
  readonly library = new LibraryState();
  /** Background sync: its status, the account, sign-in. */
  readonly sync = new SyncState();
  /** Updates of Carrel itself: their status (for the banner and Settings) and actions. */
  readonly updates = new UpdateState();
  /** What the learner must be told once about their progress, until they dismiss it. */
  notices: Notice[] = $state([]);

  /** The quiz or assignment the Course screen shows; null: its outline. */
  assessment: Assessment | null = $state(null);
  /** Every submission, newest first; null until loaded (or when it cannot be read). */
  outbox: OutboxEntry[] | null = $state(null);
  /** Submissions not yet received by the server: the Outbox's badge. */
  readonly unsentCount: number = $derived(this.outbox?.filter(isUnsent).length ?? 0);
  /** The course server's notices, newest first; null until loaded (or when they cannot be read). */
  courseNotices: CourseNotice[] | null = $state(null);
  /** Notices the learner has not seen yet: Home's badge. */
  readonly unseenNoticeCount: number = $derived(
    this.courseNotices?.filter((notice) => !notice.seen).length ?? 0,
  );
  /**
   * While the assignment editor shows: takes the files dropped on the window that are not course
   * packages (those still go to the Library).
   */
  dropTarget: ((paths: string[]) => void) | null = null;

  /**
   * The website a course page tried to open, which the learner is asked about (exactly as the
   * backend sent it: open_external_link compares it); null when nothing is asked.
   */
  externalLink: string | null = $state(null);
  /** The learner said yes and the browser is being asked to open `externalLink`. */
  openingExternalLink = $state(false);
  /** Why the browser could not open `externalLink`, shown in the dialog; null when it did not fail. */
  externalLinkError: string | null = $state(null);

  /** Info and status are loaded: the shell can render. */
  readonly loaded: boolean = $derived(this.info !== null && this.status !== null);

  #unlisten: UnlistenFn | null = null;
  #unlistenDrops: UnlistenFn | null = null;
  #unlistenOutbox: UnlistenFn | null = null;
  #unlistenExternalLinks: UnlistenFn | null = null;
  #outboxRequest = 0;
  #noticesRequest = 0;
  /** Notices up to this seq are seen: the backend was told, or is being told. */
  #noticesSeenUpTo = Number.NEGATIVE_INFINITY;
  #pendingImportsTaken = false;
  #noticesTaken = false;
  #statusEvents = 0;
  #starting: Promise<void> | null = null;

  /**
   * Subscribes to server status and dropped-file events, then loads info and status, then imports
   * the package files named on the command line and takes the notices to show. Never rejects: a
   * failure is kept in `loadError`, and calling start() again retries.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start().finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.loadError = null;
    try {
      // Listen first so no status emitted while loading is missed.
      this.#unlisten ??= await onServerStatus((status) => {
        this.#statusEvents += 1;
        this.status = status;
      });
      this.#unlistenDrops ??= await onCourseFilesDropped((paths) => this.importDropped(paths));
      // Sent after a submission changes, and after a sync round applied the server's changes
      // (which may bring notices).
      this.#unlistenOutbox ??= await onOutboxChanged(() => {
        void this.refreshOutbox();
        void this.refreshCourseNotices();
      });
      // A course page tried to open a website: the content window stays, and the learner is asked.
      this.#unlistenExternalLinks ??= await onExternalLinkRequested((url) =>
        this.askExternalLink(url),
      );
      const eventsBefore = this.#statusEvents;
      // The saved language and theme first, so the shell renders in them.
      const [info, status] = await Promise.all([
        getAppInfo(),
        getServerStatus(),
        this.#applySavedAppearance(),
      ]);
      this.info = info;
      // An event that arrived meanwhile is at least as new as what get_server_status returned.
      if (this.#statusEvents === eventsBefore || this.status === null) this.status = status;
    } catch (reason) {
      this.loadError = toBackendError(reason);
      return;
    }
    await Promise.all([
      this.#importPending(),
      this.#takeNotices(),
      this.refreshOutbox(),
      this.refreshCourseNotices(),
      this.sync.start(),
      this.updates.start(),
    ]);
  }

  /** Shows the UI in the saved language and theme. Never rejects: they stay as they are. */
  async #applySavedAppearance(): Promise<void> {
    try {
      applyAppearance(await getSettings());
    } catch {
      // The computer's language and the theme hint stay; Settings says why it cannot read them.
    }
  }

  /** Reads the outbox again. Never rejects: when it cannot be read, the last list stays. */
  async refreshOutbox(): Promise<void> {
    const current = ++this.#outboxRequest;
    try {
      const entries = await listOutbox();
      if (current === this.#outboxRequest) this.outbox = entries;
    } catch {
      // The Outbox screen says why when the learner opens it; the badge keeps its last count.
    }
  }

  /** Reads the course notices again. Never rejects: when unreadable, the last list stays. */
  async refreshCourseNotices(): Promise<void> {
    const current = ++this.#noticesRequest;
    try {
      const notices = await listCourseNotices();
      if (current === this.#noticesRequest) this.courseNotices = this.#withSeen(notices);
    } catch {
      // Only messages not shown: the next sync round or visit to Home reads them again.
    }
  }

  /**
   * The learner was shown the notices up to `seq`: they are seen, here at once (Home's badge) and
   * in the backend, which is told once per seq. Never rejects: when the backend cannot be told,
   * the next list read brings them back as new, to be marked again.
   */
  async markCourseNoticesSeen(seq: number): Promise<void> {
    const before = this.#noticesSeenUpTo;
    if (seq <= before) return;
    this.#noticesSeenUpTo = seq;
    if (this.courseNotices) this.courseNotices = this.#withSeen(this.courseNotices);
    try {
      await markNoticesSeen(seq);
    } catch {
      if (this.#noticesSeenUpTo === seq) this.#noticesSeenUpTo = before;
    }
  }

  /** `notices` with those up to the seq marked seen here marked seen (a list read meanwhile). */
  #withSeen(notices: CourseNotice[]): CourseNotice[] {
    const upTo = this.#noticesSeenUpTo;
    if (!notices.some((notice) => !notice.seen && notice.seq <= upTo)) return notices;
    return notices.map((notice) =>
      !notice.seen && notice.seq <= upTo ? { ...notice, seen: true } : notice,
    );
  }

  /** What happened to the learner's progress before this start (a file restored…), once. */
  async #takeNotices(): Promise<void> {
    if (this.#noticesTaken) return;
    this.#noticesTaken = true;
    try {
      const notices = await takeNotices();
      // One banner per code: its id is the code.
      const seen = new Set(this.notices.map((notice) => notice.code));
      const fresh = notices.filter((notice) => !seen.has(notice.code) && seen.add(notice.code));
      this.notices = [...this.notices, ...fresh];
    } catch (reason) {
      // Only a message lost; the learner can study as usual.
      console.warn("Carrel could not take the progress notices:", toBackendError(reason).message);
    }
  }

  /** The learner read the notice `code`: it goes. */
  dismissNotice(code: string): void {
    this.notices = this.notices.filter((notice) => notice.code !== code);
  }

  /** `carrel course.carrel`: imports the files given on the command line, once. */
  async #importPending(): Promise<void> {
    if (this.#pendingImportsTaken) return;
    this.#pendingImportsTaken = true;
    let paths: string[];
    try {
      paths = await takePendingImports();
    } catch (reason) {
      this.library.message = { kind: "error", text: toBackendError(reason).message };
      return;
    }
    if (paths.length > 0) this.importFiles(paths);
  }

  /** Imports package files and shows the Library, where their progress is. */
  importFiles(paths: readonly string[]): void {
    if (paths.length === 0) return;
    this.navigate("library");
    this.library.importFiles(paths);
  }

  /**
   * Files dropped on the window: the course packages among them are imported (see Library). While
   * the assignment editor shows, the other files are attached to its draft instead.
   */
  importDropped(paths: readonly string[]): void {
    if (paths.length === 0) return;
    const target = this.dropTarget;
    if (target) {
      const others = paths.filter((path) => !isCoursePackage(path));
      if (others.length > 0) target(others);
      const packages = paths.filter(isCoursePackage);
      if (packages.length > 0) this.importFiles(packages);
      return;
    }
    this.navigate("library");
    this.library.importDropped(paths);
  }

  /** Shows the Course screen for `courseId`, with its outline. */
  openCourse(courseId: string): void {
    this.currentCourseId = courseId;
    this.assessment = null;
    this.navigate("course");
  }

  /**
   * Opens an item where it is shown: a quiz or assignment in Carrel's own view (in the Course
   * screen), anything else in the content window (at `place`, else the learner's place). `kind`
   * null: not known (a search hit, always a page). Rejects with the content window's BackendError.
   */
  async openItem(
    courseId: string,
    itemId: string,
    kind: string | null,
    place: Place | null = null,
  ): Promise<void> {
    if (isAssessmentKind(kind)) {
      this.currentCourseId = courseId;
      this.assessment =
        kind === "quiz"
          ? { kind, courseId, itemId, attemptId: null }
          : kind === "forum"
            ? { kind, courseId, itemId, topicId: null }
            : { kind, courseId, itemId };
      // Not navigate(): from the Course screen, that would go back to the outline.
      this.screen = "course";
      return;
    }
    await openCourseItem(courseId, itemId, place);
  }

  /** Shows the review of a quiz attempt (from the Outbox). */
  openQuizAttempt(courseId: string, itemId: string, attemptId: string): void {
    this.currentCourseId = courseId;
    this.assessment = { kind: "quiz", courseId, itemId, attemptId };
    this.screen = "course";
  }

  /** Shows a topic of a forum (`topicId`), or the forum's topics (null). */
  openForumTopic(courseId: string, itemId: string, topicId: string | null): void {
    this.currentCourseId = courseId;
    this.assessment = { kind: "forum", courseId, itemId, topicId };
    this.screen = "course";
  }

  /** Back from a quiz or assignment to the course's outline. */
  closeAssessment(): void {
    this.assessment = null;
  }

  /** Removes an installed course (after the learner confirmed); closes it if it was open. */
  async removeCourse(course: { id: string; title: string }): Promise<boolean> {
    const removed = await this.library.remove(course);
    if (removed && this.currentCourseId === course.id) this.currentCourseId = null;
    return removed;
  }

  /**
   * A course page tried to open `url`: asks the learner whether to open it in their browser. A
   * newer request replaces the one asked about (one dialog, the latest address: the only one the
   * backend will open). Anything but an http(s) address is ignored.
   */
  askExternalLink(url: string): void {
    if (!externalWebAddress(url)) return;
    this.externalLink = url;
    this.externalLinkError = null;
  }

  /**
   * The learner chose "Open in browser": asks the backend to open the address, then closes the
   * dialog. Never rejects: a failure is kept in `externalLinkError` and the dialog stays open.
   */
  async confirmExternalLink(): Promise<void> {
    const url = this.externalLink;
    if (url === null || this.openingExternalLink) return;
    this.openingExternalLink = true;
    this.externalLinkError = null;
    try {
      await openExternalLink(url);
      // A newer request that arrived meanwhile is still to be asked about.
      if (this.externalLink === url) this.externalLink = null;
    } catch (reason) {
      if (this.externalLink === url) this.externalLinkError = toBackendError(reason).message;
    } finally {
      this.openingExternalLink = false;
    }
  }

  /** The learner chose to stay in Carrel: nothing opens. */
  cancelExternalLink(): void {
    if (this.openingExternalLink) return;
    this.externalLink = null;
    this.externalLinkError = null;
  }

  /** Stops listening to the backend (tests, hot reload). */
  stop(): void {
    const unlisteners = [
      this.#unlisten,
      this.#unlistenDrops,
      this.#unlistenOutbox,
      this.#unlistenExternalLinks,
    ];
    this.#unlisten = null;
    this.#unlistenDrops = null;
    this.#unlistenOutbox = null;
    this.#unlistenExternalLinks = null;
    for (const unlisten of unlisteners) unlistenQuietly(unlisten);
    this.sync.stop();
    this.updates.stop();
  }

  /** Shows `screen`; "Course" again while a quiz or assignment shows goes back to the outline. */
  navigate(screen: Screen): void {
    if (screen === "course" && this.screen === "course") this.assessment = null;
    this.screen = screen;
  }

  /** Checks the server now. Never rejects: a failure is kept in `checkError`. */
  async checkNow(): Promise<void> {
    if (this.checkingNow) return;
    this.checkingNow = true;
    this.checkError = null;
    try {
      this.status = await checkServerNow();
    } catch (reason) {
      this.checkError = toBackendError(reason);
    } finally {
      this.checkingNow = false;
    }
  }

  /**
   * Saves a new server address. Resolves with the updated info; rejects with the BackendError
   * (codes in ErrorCode) for the form to show. The new server's status arrives as events.
   */
  async saveServerUrl(url: string): Promise<AppInfo> {
    try {
      const info = await setServerUrl(url.trim());
      this.info = info;
      return info;
    } catch (reason) {
      const error = toBackendError(reason);
      if (error.code === ErrorCode.ServerUrlLocked) {
        // The environment took over the address since we loaded: show the lock.
        await getAppInfo().then(
          (info) => (this.info = info),
          () => undefined,
        );
      }
      throw error;
    }
  }
}

/** The app's one state. */
export const app = new AppState();
