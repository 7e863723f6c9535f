// Every user-facing string of the UI, in English, as one flat object. A later i18n layer swaps this
// object for the learner's language, so keep strings here, never in components. `{name}` marks a
// value filled in at run time (see ./format.ts); translations keep the same placeholders.
export const en = {
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
  loadFailedHelp: "Try again. If this keeps happening, restart Carrel or report it to your course team.",
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

  libraryTitle: "Your courses",
  libraryEmptyTitle: "No courses on this computer yet",
  libraryEmptyBody:
    "Courses you download from your course server, or import from a file, will appear here.",
  libraryEmptyOffline:
    "Once a course is on this computer you can study it offline, with no connection at all.",

  courseTitle: "Course",
  courseEmptyTitle: "No course open",
  courseEmptyBody:
    "Open a course from your Library to see its modules and activities and to continue where you left off.",
  courseGoToLibrary: "Go to your Library",

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
  settingsServerHint: "The web address your course team gave you, for example https://courses.example.org",
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
