// The Library's state: the installed courses, the course server's catalogue, and the one long task
// (an import, a download or a repair) at a time with its progress, the trust question and the last
// message.
// It lives with the shell, not the screen, so a download keeps its progress while the learner
// looks at another screen. Files dropped on the window and files named on the command line queue
// here and run one after the other.
import {
  cancelTask,
  downloadCourse,
  ErrorCode,
  getCatalog,
  importCourseFile,
  listCourses,
  pickCourseFile,
  removeCourse,
  repairCourse,
  toBackendError,
  type BackendError,
  type CatalogEntry,
  type CourseSummary,
  type ImportReport,
  type ProgressHandler,
  type RepairReport,
  type TaskProgress,
} from "./backend";
import { format, t } from "./i18n";
import { formatByteProgress, formatBytes, plural } from "./i18n/units";

/** What the live message region says, and how it says it. */
export interface LibraryMessage {
  kind: "success" | "error" | "info";
  text: string;
}

/** The running import, download or repair. */
export interface RunningTask {
  /** The id given to the backend, for cancel_task. */
  id: string;
  kind: "import" | "download" | "repair";
  /** The course a download or repair is about; null for an import. */
  courseId: string | null;
  /** The latest progress; before the first report, the expected stage with zero totals. */
  progress: TaskProgress;
  /** Cancel was asked for; the task has not stopped yet. */
  cancelling: boolean;
}

/** A side-loaded package from an unknown publisher, waiting for the learner's decision. */
export interface TrustQuestion {
  path: string;
  /** The file name, for messages. */
  name: string;
  /** The publisher key's fingerprint (the error's detail). */
  fingerprint: string;
  /** The backend's sentence, naming the publisher. */
  message: string;
}

/** How a repair ended, for the screen showing the course. */
export interface RepairOutcome {
  courseId: string;
  message: LibraryMessage;
  /** The files may still be damaged (offline, cancelled…): Repair is worth offering again. */
  failed: boolean;
}

type InstallJob =
  | { kind: "import"; path: string; confirmedFingerprint: string | null }
  | { kind: "download"; courseId: string; title: string };
type RepairJob = { kind: "repair"; courseId: string; title: string };
type Job = InstallJob | RepairJob;

/** The last part of a path, for messages: "/media/usb/biology.carrel" → "biology.carrel". */
export function fileName(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part !== "");
  return parts[parts.length - 1] ?? path;
}

/** Whether a path names a course package (the only files the Library imports). */
export function isCoursePackage(path: string): boolean {
  return /\.carrel$/i.test(path);
}

/** A fresh id for a task: a UUID. */
export function newTaskId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // randomUUID needs a secure context; fall back to the same random bits, formatted alike.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  const groups = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
  return [...groups, hex.slice(20)].join("-");
}

export class LibraryState {
  /** Installed courses; null until first loaded. */
  courses: CourseSummary[] | null = $state(null);
  /** Why loading the installed courses failed, if it did. */
  coursesError: BackendError | null = $state(null);

  /** The catalogue's courses; null until loaded. Kept while reloading. */
  catalog: CatalogEntry[] | null = $state(null);
  catalogLoading = $state(false);
  /** The last catalogue load failed because the server is out of reach. */
  catalogOffline = $state(false);
  /** The last catalogue load failed for another reason. */
  catalogError: BackendError | null = $state(null);

  task: RunningTask | null = $state(null);
  trust: TrustQuestion | null = $state(null);
  message: LibraryMessage | null = $state(null);
  /**
   * The last finished task, once the lists are refreshed after it: `courseId` is set when it
   * installed or repaired a course. The screen uses it to put focus back when the button pressed
   * went away.
   */
  finished: { courseId: string | null; kind: RunningTask["kind"] } | null = $state(null);
  /** How the last repair ended; the Course screen says it for the course it shows. */
  repaired: RepairOutcome | null = $state(null);

  /** A task runs or waits for the learner: new ones queue. */
  readonly busy: boolean = $derived(this.task !== null || this.trust !== null);

  #queue: Job[] = [];
  #coursesRequest = 0;
  #catalogRequest = 0;

  /** Loads the installed courses. Never rejects: a failure is kept in `coursesError`. */
  async refreshCourses(): Promise<void> {
    // Only the latest answer counts: an older one may arrive after a newer one.
    const request = ++this.#coursesRequest;
    try {
      const courses = await listCourses();
      if (request !== this.#coursesRequest) return;
      this.courses = courses;
      this.coursesError = null;
    } catch (reason) {
      if (request === this.#coursesRequest) this.coursesError = toBackendError(reason);
    }
  }

  /**
   * Loads the catalogue. Never rejects: `offline` sets `catalogOffline`, any other failure sets
   * `catalogError`.
   */
  async loadCatalog(): Promise<void> {
    const request = ++this.#catalogRequest;
    this.catalogLoading = true;
    try {
      const view = await getCatalog();
      if (request !== this.#catalogRequest) return;
      this.catalog = view.courses;
      this.catalogOffline = false;
      this.catalogError = null;
    } catch (reason) {
      if (request !== this.#catalogRequest) return;
      const error = toBackendError(reason);
      this.catalogOffline = error.code === ErrorCode.Offline;
      this.catalogError = this.catalogOffline ? null : error;
    } finally {
      if (request === this.#catalogRequest) this.catalogLoading = false;
    }
  }

  /** Asks the learner for a package file (native dialog) and imports it. */
  async pickAndImport(): Promise<void> {
    let path: string | null;
    try {
      path = await pickCourseFile();
    } catch (reason) {
      this.message = { kind: "error", text: toBackendError(reason).message };
      return;
    }
    if (path !== null) this.importFiles([path]);
  }

  /** Imports package files (picked, dropped, or named on the command line), one after another. */
  importFiles(paths: readonly string[]): void {
    for (const path of paths)
      this.#queue.push({ kind: "import", path, confirmedFingerprint: null });
    this.#next();
  }

  /**
   * Files dropped on the window: imports the course packages among them. When there is none, says
   * which files were not imported and why, calmly.
   */
  importDropped(paths: readonly string[]): void {
    const packages = paths.filter(isCoursePackage);
    if (packages.length === 0 && paths.length > 0) {
      const names = paths.map(fileName).join(", ");
      this.message = { kind: "info", text: format(t.libraryDropSkipped, { names }) };
    }
    this.importFiles(packages);
  }

  /** Downloads (or updates) a course from the course server. */
  download(entry: Pick<CatalogEntry, "id" | "title">): void {
    this.#queue.push({ kind: "download", courseId: entry.id, title: entry.title });
    this.#next();
  }

  /**
   * Checks every file of an installed course and downloads again those missing or damaged. The
   * result is said in `message` and `repaired`.
   */
  repair(course: Pick<CourseSummary, "id" | "title">): void {
    this.#queue.push({ kind: "repair", courseId: course.id, title: course.title });
    this.#next();
  }

  /** Asks the running task to stop; it then ends with the backend's `cancelled` message. */
  async cancel(): Promise<void> {
    const task = this.task;
    if (!task || task.cancelling) return;
    task.cancelling = true;
    try {
      await cancelTask(task.id);
    } catch (reason) {
      if (this.task?.id === task.id) this.task.cancelling = false;
      this.message = { kind: "error", text: toBackendError(reason).message };
    }
  }

  /** The learner trusts the publisher: import the same file again, confirming its fingerprint. */
  acceptTrust(): void {
    const question = this.trust;
    if (!question) return;
    this.trust = null;
    this.#queue.unshift({
      kind: "import",
      path: question.path,
      confirmedFingerprint: question.fingerprint,
    });
    this.#next();
  }

  /** The learner does not install the package. */
  rejectTrust(): void {
    const question = this.trust;
    if (!question) return;
    this.trust = null;
    this.message = { kind: "info", text: format(t.taskNotInstalled, { name: question.name }) };
    this.#next();
  }

  /** Removes an installed course; resolves with whether it was removed. */
  async remove(course: Pick<CourseSummary, "id" | "title">): Promise<boolean> {
    try {
      await removeCourse(course.id);
    } catch (reason) {
      this.message = { kind: "error", text: toBackendError(reason).message };
      return false;
    }
    this.message = { kind: "success", text: format(t.removeDone, { title: course.title }) };
    await this.#refreshAfterChange();
    return true;
  }

  /** Starts the next queued job unless one runs or the learner is being asked something. */
  #next(): void {
    if (this.busy) return;
    const job = this.#queue.shift();
    if (job) void this.#run(job);
  }

  async #run(job: Job): Promise<void> {
    const id = newTaskId();
    this.task = {
      id,
      kind: job.kind,
      courseId: job.kind === "import" ? null : job.courseId,
      progress: {
        stage: job.kind === "import" ? "install" : "download",
        doneBytes: 0,
        totalBytes: 0,
      },
      cancelling: false,
    };
    const onProgress = (progress: TaskProgress) => {
      if (this.task?.id === id) this.task.progress = progress;
    };
    try {
      if (job.kind === "repair") await this.#repair(job, id, onProgress);
      else await this.#install(job, id, onProgress);
    } finally {
      if (this.task?.id === id) this.task = null;
      this.#next();
    }
  }

  async #install(job: InstallJob, id: string, onProgress: ProgressHandler): Promise<void> {
    this.message = {
      kind: "info",
      text:
        job.kind === "import"
          ? format(t.taskImportStarted, { name: fileName(job.path) })
          : format(t.taskDownloadStarted, { title: job.title }),
    };
    const installedVersion = (courseId: string) =>
      this.courses?.find((course) => course.id === courseId)?.version ?? null;
    try {
      const report =
        job.kind === "import"
          ? await importCourseFile(job.path, job.confirmedFingerprint, id, onProgress)
          : await downloadCourse(job.courseId, id, onProgress);
      this.message = {
        kind: "success",
        text: successText(report, installedVersion(report.courseId)),
      };
      this.task = null;
      await this.#refreshAfterChange();
      this.finished = { courseId: report.courseId, kind: job.kind };
    } catch (reason) {
      this.task = null;
      const error = toBackendError(reason);
      if (
        error.code === ErrorCode.UntrustedPublisher &&
        job.kind === "import" &&
        error.detail !== null &&
        job.confirmedFingerprint === null
      ) {
        this.message = null;
        this.trust = {
          path: job.path,
          name: fileName(job.path),
          fingerprint: error.detail,
          message: error.message,
        };
      } else {
        this.message = { kind: calmCodes.has(error.code) ? "info" : "error", text: error.message };
        this.finished = { courseId: null, kind: job.kind };
      }
    }
  }

  async #repair(job: RepairJob, id: string, onProgress: ProgressHandler): Promise<void> {
    this.message = { kind: "info", text: format(t.taskRepairStarted, { title: job.title }) };
    let report: RepairReport | null = null;
    let outcome: RepairOutcome;
    try {
      report = await repairCourse(job.courseId, id, onProgress);
      outcome = {
        courseId: job.courseId,
        message: { kind: "success", text: describeRepair(report) },
        failed: false,
      };
    } catch (reason) {
      const error = toBackendError(reason);
      // Unlike a download that can resume, a repair the network stopped leaves the course damaged.
      const kind = error.code === ErrorCode.Cancelled ? "info" : "error";
      outcome = { courseId: job.courseId, message: { kind, text: error.message }, failed: true };
    }
    this.task = null;
    this.message = outcome.message;
    this.repaired = outcome;
    // Files came from the server's copy of the course, which may be a newer version.
    if (report !== null && report.damagedFiles.length > 0) await this.#refreshAfterChange();
    this.finished = { courseId: job.courseId, kind: "repair" };
  }

  /** After an install, repair or removal: the list changed, and so did the catalogue's states. */
  async #refreshAfterChange(): Promise<void> {
    const reloads = [this.refreshCourses()];
    if (this.catalog !== null || this.catalogError !== null) reloads.push(this.loadCatalog());
    await Promise.all(reloads);
  }
}

/** Codes that are no failure of Carrel's: the learner cancelled, or the network is away. */
const calmCodes: ReadonlySet<string> = new Set([ErrorCode.Cancelled, ErrorCode.Offline]);

/**
 * What a repair did: "All files of this course are fine.", or "Repaired: 2 files downloaded again
 * (3.1 MB)."
 */
export function describeRepair(report: RepairReport): string {
  const count = report.damagedFiles.length;
  if (count === 0) return t.repairAllFine;
  const forms = { one: t.repairDoneOne, other: t.repairDoneOther };
  // plural() fills {count} and leaves {size} for format().
  return format(plural(count, forms), { size: formatBytes(report.newBytes) });
}

/**
 * What a running task is doing, for its progress label: "Downloading… 12.3 of 40.1 MB". A repair
 * first checks every file, with nothing to count yet.
 */
export function describeTask(task: Pick<RunningTask, "kind" | "progress">): string {
  const { stage, doneBytes, totalBytes } = task.progress;
  if (totalBytes <= 0) {
    if (task.kind === "repair" && stage === "download") return t.taskChecking;
    return stage === "download" ? t.taskDownloadingStarting : t.taskInstallingStarting;
  }
  const template = stage === "download" ? t.taskDownloading : t.taskInstalling;
  return format(template, formatByteProgress(doneBytes, totalBytes));
}

function successText(report: ImportReport, previousVersion: string | null): string {
  const values = { title: report.title, version: report.version };
  if (report.alreadyInstalled) return format(t.taskUpToDate, values);
  if (previousVersion !== null && previousVersion !== report.version) {
    return format(t.taskUpdated, values);
  }
  return format(t.taskInstalled, values);
}
