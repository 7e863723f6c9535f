// Every user-facing string of the UI, in English, as one flat object. A later i18n layer swaps this
// object for the learner's language, so keep strings here, never in components. `{name}` marks a
// value filled in at run time (see ./format.ts); translations keep the same placeholders.
export const en = {
  /** The language of these messages (BCP 47), for plural rules. */
  locale: "en",
  appName: "Carrel",
  appTagline: "Offline study",
  skipToContent: "Skip to content",
  navLabel: "Main",
  navLibrary: "Library",
  navCourse: "Course",
  navOutbox: "Outbox",
  navSettings: "Settings",
  versionLabel: "Version",

  loading: "Starting Carrel…",
  loadFailedTitle: "Carrel could not start",
  loadFailedHelp:
    "Try again. If this keeps happening, restart Carrel or report it to your course team.",
  retry: "Try again",
  errorUnknown: "Carrel could not complete this action.",

  statusRegionLabel: "Course server",
  statusOnline: "Online",
  statusOffline: "Offline",
  statusChecking: "Checking…",
  statusConnectedTo: "Connected to {url}",
  statusConnectedToVersion: "Connected to {url} (server version {version})",
  statusCantReach:
    "Can't reach {url}. You can keep studying; your work is saved on this computer and will be sent when the server is reachable.",
  statusCheckingUrl: "Checking the connection to {url}…",
  statusLastChecked: "Last checked at {time}",
  statusNotCheckedYet: "Not checked yet",

  datesRange: "{starts} to {ends}",
  datesFrom: "From {date}",
  datesUntil: "Until {date}",
  sizeB: "{n} B",
  sizeKB: "{n} kB",
  sizeMB: "{n} MB",
  sizeGB: "{n} GB",

  libraryTitle: "Your courses",
  libraryImportFile: "Import a course file…",
  libraryDropHint: "You can also drop a .carrel course file onto this window.",
  libraryDropSkipped: "Carrel imports only course files ending in .carrel. Not imported: {names}.",
  libraryInstalledHeading: "On this computer",
  libraryLoading: "Loading your courses…",
  libraryEmptyTitle: "No courses on this computer yet",
  libraryEmptyBody:
    "Courses you download from your course server, or import from a file, will appear here.",
  libraryEmptyOffline:
    "Once a course is on this computer you can study it offline, with no connection at all.",

  courseCardPublisher: "Publisher",
  courseCardVersion: "Version",
  courseCardDates: "Dates",
  courseCardSize: "Size on disk",
  courseCardContents: "Contents",
  courseItemsOne: "{count} item",
  courseItemsOther: "{count} items",
  courseCardStudyTime: "Study time",
  courseHoursOne: "About {count} hour",
  courseHoursOther: "About {count} hours",
  courseOpen: "Open",
  courseOpenLabel: "Open {title}",
  courseRemove: "Remove",
  courseRemoveLabel: "Remove {title}",

  removeTitle: "Remove {title} from this computer?",
  removeBody: "This deletes the course's files from this computer, freeing about {size}.",
  removeKept:
    "It does not delete your progress or your submissions. You can download or import the course again later.",
  removeConfirm: "Remove course",
  removeRemoving: "Removing…",
  removeCancel: "Keep course",
  removeDone: "Removed {title} from this computer.",

  taskImportStarted: "Importing {name}…",
  taskDownloadStarted: "Downloading {title}…",
  taskDownloading: "Downloading… {done} of {total}",
  taskInstalling: "Installing… {done} of {total}",
  taskDownloadingStarting: "Downloading…",
  taskInstallingStarting: "Installing…",
  taskCancel: "Cancel",
  taskCancelling: "Cancelling…",
  taskInstalled: "Installed {title} version {version}.",
  taskUpdated: "Updated {title} to version {version}.",
  taskUpToDate: "{title} version {version} is already installed and up to date.",
  taskNotInstalled: "{name} was not installed.",

  trustTitle: "Install a course from an unknown publisher?",
  trustExplain:
    "Every Carrel course is signed by its publisher, so you can tell who made it and that nobody changed it on the way. This course file is signed by a publisher this computer does not know yet.",
  trustFingerprintLabel: "Fingerprint of the publisher's key",
  trustAdvice:
    "Install it only if you got the file from someone you trust, such as your course team. If they published their fingerprint, check that it is the same as this one.",
  trustAccept: "Install anyway",
  trustReject: "Don't install",

  catalogHeading: "From your course server",
  catalogLoading: "Loading the courses your server offers…",
  catalogOffline:
    "You're offline, so the courses on your course server can't be listed right now. Your courses on this computer work as usual; this list comes back when you're connected.",
  catalogEmpty: "Your course server has no courses to download yet.",
  catalogRetry: "Try again",
  catalogDownloadSize: "Download size",
  catalogUpdateNote:
    "Version {installed} is on this computer. Updating downloads only the files that changed.",
  catalogDownload: "Download",
  catalogDownloadLabel: "Download {title}",
  catalogUpdate: "Update",
  catalogUpdateLabel: "Update {title} to version {version}",
  catalogInstalled: "Installed",
  catalogInstalledLabel: "{title} is installed",

  courseTitle: "Course",
  courseEmptyTitle: "No course open",
  courseEmptyBody:
    "Open a course from your Library to see its modules and activities and to continue where you left off.",
  courseGoToLibrary: "Go to your Library",
  courseLoading: "Opening the course…",
  courseHome: "Course home",
  courseCertificateHeading: "Certificate",
  courseOutlineLabel: "Course outline",
  courseOutlineEmpty: "This course has no activities yet.",
  courseWeek: "Week {week}",
  itemMinutes: "{minutes} min",
  itemOpen: "Open",
  itemOpenLabel: "Open {title}",
  kindPage: "Page",
  kindPdf: "PDF",
  kindVideo: "Video",
  kindFile: "File",
  kindQuiz: "Quiz",
  kindAssignment: "Assignment",
  kindWebinar: "Webinar",
  kindForum: "Forum",
  kindExternal: "Link",
  kindOther: "Activity",

  outboxTitle: "Outbox",
  outboxIntro:
    "Quiz attempts and assignments you complete offline wait here until Carrel sends them to the course server. Each one that is sent gets a receipt, so you can always see what was submitted and when.",
  outboxEmpty: "Nothing waiting to be sent.",

  settingsTitle: "Settings",
  settingsAboutHeading: "This installation",
  settingsVersion: "Carrel version",
  settingsDataDir: "Data folder",
  settingsDataDirHelp: "Your courses, progress and unsent work are kept in this folder.",
  settingsServerHeading: "Course server",
  settingsServerLabel: "Course server address",
  settingsServerHint:
    "The web address your course team gave you, for example https://courses.example.org",
  settingsServerLocked:
    "This address is set by the CARREL_SERVER_URL environment variable, so it cannot be changed here.",
  settingsServerSourceDefault: "Carrel is using its built-in default address.",
  settingsSave: "Save",
  settingsSaving: "Saving…",
  settingsSaved: "Saved. Carrel now uses {url}.",
  settingsConnectionHeading: "Connection",
  settingsConnectionState: "Current state: {state}",
  settingsConnectionHelp:
    "Carrel checks the connection regularly by itself. Check now if you have just reconnected.",
  settingsCheckNow: "Check connection now",
  settingsCheckingNow: "Checking…",
} as const;

/** The shape every language's messages must have. */
export type Messages = { readonly [K in keyof typeof en]: string };

export default en;
