// The sync strip under the status bar and the sign-in dialog, in the whole shell, against a fake
// backend whose sync side keeps state (FakeSync) and sends `sync-status` events.
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import { callsOf, deferred, FakeSync } from "../test/backend";
import { byId } from "../test/dom";
import { account, syncStatus } from "../test/fixtures";
import { renderShell } from "../test/shell";
import { formatWhen } from "../lib/sync";

afterEach(() => {
  cleanup();
  clearMocks();
});

async function renderSync(fake = new FakeSync(), handlers = {}) {
  const rendered = await renderShell({ ...fake.handlers(), ...handlers });
  await waitFor(() => byId("sync-indicator"));
  return { ...rendered, fake };
}

function indicator(): HTMLElement {
  return byId("sync-indicator");
}

/** The polite live region of the strip: what screen readers are told. */
function announced(): string {
  const region = indicator().querySelector<HTMLElement>('[role="status"][aria-live="polite"]');
  if (!region) throw new Error("the sync strip has no polite live region");
  return region.textContent?.trim() ?? "";
}

describe("the sync indicator", () => {
  it("says each phase in words, with data-phase for the end-to-end tests", async () => {
    const { fake } = await renderSync();
    expect(indicator().dataset.phase).toBe("idle");
    expect(byId("sync-phase").textContent).toBe("All work sent");
    const cases = [
      [{ phase: "syncing", queued: 2 }, "Sending 2 submissions…"],
      [{ phase: "offline", queued: 3 }, "Offline — 3 waiting"],
      [{ phase: "signed_out", queued: 2, signedInAs: null }, "Sign in to send 2 submissions"],
      [{ phase: "held", queued: 1, held: true }, "Sync held (metered connection) — 1 waiting"],
      [{ phase: "failed", lastError: "The disk is full" }, "Sync stopped by a problem on this computer"],
      [{ phase: "idle", queued: 0, signedInAs: "Ana Lopez" }, "All work sent"],
    ] as const;
    for (const [changes, words] of cases) {
      await fake.emitStatus(changes);
      await waitFor(() => expect(indicator().dataset.phase).toBe(changes.phase));
      expect(byId("sync-phase").textContent).toBe(words);
      expect(indicator().dataset.queued).toBe(String(fake.status.queued));
      if (changes.phase === "failed") expect(indicator().textContent).toContain("The disk is full");
    }
  });

  it("counts the submissions that need attention", async () => {
    const { fake } = await renderSync(new FakeSync(syncStatus({ needsAttention: 2 })));
    expect(byId("sync-attention").textContent).toBe("2 need attention");
    expect(indicator().dataset.needsAttention).toBe("2");
    await fake.emitStatus({ needsAttention: 0 });
    await waitFor(() => expect(document.getElementById("sync-attention")).toBeNull());
  });

  it("says when it tries again while offline", async () => {
    const nextTryMs = Date.now() + 60_000;
    const { fake } = await renderSync(new FakeSync(syncStatus({ phase: "offline", queued: 1, nextTryMs })));
    expect(byId("sync-next-try").textContent).toBe(`Next try at ${formatWhen(nextTryMs, Date.now())}`);
    await fake.emitStatus({ phase: "idle", queued: 0 });
    await waitFor(() => expect(document.getElementById("sync-next-try")).toBeNull());
  });

  it("says when it last synced, relative to now", async () => {
    await renderSync(new FakeSync(syncStatus({ lastSuccessMs: Date.now() - 5 * 60_000 })));
    expect(byId("sync-last").textContent).toBe("Last synced 5 minutes ago");
    cleanup();
    await renderSync(new FakeSync(syncStatus({ lastSuccessMs: null })));
    expect(byId("sync-last").textContent).toBe("Not synced yet");
  });

  it("shows the upload's progress in bytes while sending", async () => {
    const { fake } = await renderSync();
    expect(document.getElementById("sync-progress")).toBeNull();
    await fake.emitStatus({
      phase: "syncing",
      queued: 1,
      sending: { submissionId: "sub-1", sent: 1_200_000, total: 4_500_000 },
    });
    await waitFor(() => byId("sync-progress"));
    const bar = byId("sync-progress") as HTMLProgressElement;
    expect(bar.value).toBe(1_200_000);
    expect(bar.max).toBe(4_500_000);
    expect(bar.getAttribute("aria-valuetext")).toBe("Sent 1.2 of 4.5 MB");
    expect(indicator().textContent).toContain("Sent 1.2 of 4.5 MB");
  });

  it("announces a new phase politely, once, and not each byte or count", async () => {
    const { fake } = await renderSync();
    expect(announced(), "nothing is read out when Carrel starts").toBe("");
    await fake.emitStatus({ phase: "offline", queued: 2 });
    await waitFor(() => expect(announced()).toBe("Offline — 2 waiting"));
    await fake.emitStatus({ queued: 3 });
    await waitFor(() => expect(byId("sync-phase").textContent).toBe("Offline — 3 waiting"));
    expect(announced(), "a new count in the same phase is not read out").toBe("Offline — 2 waiting");
    await fake.emitStatus({
      phase: "syncing",
      sending: { submissionId: "sub-1", sent: 10, total: 100 },
    });
    await waitFor(() => expect(announced()).toBe("Sending 3 submissions…"));
    await fake.emitStatus({ sending: { submissionId: "sub-1", sent: 90, total: 100 } });
    await waitFor(() => expect(indicator().textContent).toContain("Sent 90 of 100 B"));
    expect(announced()).toBe("Sending 3 submissions…");
    await fake.emitStatus({ phase: "idle", queued: 0, sending: null, needsAttention: 1 });
    await waitFor(() => expect(announced()).toBe("All work sent. 1 needs attention"));
  });

  it("Sync now asks the backend for a round, and says it is syncing meanwhile", async () => {
    const answer = deferred<unknown>();
    const { calls } = await renderSync(new FakeSync(), { sync_now: () => answer.promise });
    const button = byId("sync-now");
    expect(button.textContent?.trim()).toBe("Sync now");
    await fireEvent.click(button);
    expect(callsOf(calls, "sync_now")).toHaveLength(1);
    await waitFor(() => expect(button.getAttribute("aria-disabled")).toBe("true"));
    expect(button.textContent?.trim()).toBe("Syncing…");
    await fireEvent.click(button);
    expect(callsOf(calls, "sync_now"), "no second round while one is asked for").toHaveLength(1);
    answer.resolve(syncStatus({ phase: "syncing", queued: 1 }));
    await waitFor(() => expect(indicator().dataset.phase).toBe("syncing"));
    expect(button.textContent?.trim(), "a round under way still shows").toBe("Syncing…");
  });

  it("keeps the round's end when Sync now's answer, read as the round began, comes after it", async () => {
    const answer = deferred<unknown>();
    const fake = new FakeSync();
    await renderSync(fake, { sync_now: () => answer.promise });
    const button = byId("sync-now");
    await fireEvent.click(button);
    // The round runs and ends while the answer is on its way.
    await fake.emitStatus({ phase: "syncing" });
    await fake.emitStatus({ phase: "idle", queued: 0 });
    answer.resolve(syncStatus({ phase: "syncing", queued: 1 }));
    await waitFor(() => expect(button.getAttribute("aria-disabled")).toBeNull());
    expect(indicator().dataset.phase).toBe("idle");
    expect(button.textContent?.trim()).toBe("Sync now");
  });

  it("says why Sync now failed", async () => {
    await renderSync(new FakeSync(), {
      sync_now: () => {
        throw { code: "internal", message: "The sync task stopped.", detail: null };
      },
    });
    await fireEvent.click(byId("sync-now"));
    await waitFor(() => expect(byId("sync-error").textContent).toBe("The sync task stopped."));
    expect(byId("sync-error").getAttribute("role")).toBe("alert");
  });

  it("names the account when signed in, and offers Sign in when not", async () => {
    await renderSync();
    await waitFor(() => expect(indicator().textContent).toContain("Signed in as Ana Lopez"));
    expect(document.getElementById("sign-in-open")).toBeNull();
    cleanup();
    await renderSync(new FakeSync(syncStatus({ phase: "signed_out", signedInAs: null }), null));
    expect(byId("sign-in-open").textContent?.trim()).toBe("Sign in");
  });

  it("stays out of the way of a backend without sync", async () => {
    await renderShell({
      get_sync_status: () => {
        throw { code: "internal", message: "unknown command", detail: null };
      },
    });
    expect(document.getElementById("sync-indicator")).toBeNull();
    expect(byId("screen-dashboard")).toBeTruthy();
  });
});

describe("signing in", () => {
  const signedOut = () =>
    new FakeSync(syncStatus({ phase: "signed_out", signedInAs: null, queued: 2 }), null);

  async function openDialog(fake = signedOut(), handlers = {}) {
    const rendered = await renderSync(fake, handlers);
    const opener = byId("sign-in-open");
    opener.focus();
    await fireEvent.click(opener);
    await waitFor(() => expect(byId("sign-in-dialog").hasAttribute("open")).toBe(true));
    return { ...rendered, opener };
  }

  async function type(login: string, password: string) {
    await fireEvent.input(byId("sign-in-login"), { target: { value: login } });
    await fireEvent.input(byId("sign-in-password"), { target: { value: password } });
  }

  /** Pressing Enter in a field submits its form. */
  async function pressEnter() {
    const form = byId("sign-in-password").closest("form");
    if (!form) throw new Error("the password field is not in a form");
    await fireEvent.submit(form);
  }

  it("labels its fields, says what they are for, and starts on the login", async () => {
    await openDialog();
    const login = screen.getByLabelText("Login");
    const password = screen.getByLabelText("Password");
    expect(login.id).toBe("sign-in-login");
    expect(login.getAttribute("autocomplete")).toBe("username");
    expect(password.id).toBe("sign-in-password");
    expect(password.getAttribute("type")).toBe("password");
    expect(password.getAttribute("autocomplete")).toBe("current-password");
    expect(document.activeElement).toBe(login);
    const dialog = byId("sign-in-dialog");
    expect(dialog.getAttribute("aria-labelledby")).toBe("sign-in-title");
    expect(byId("sign-in-title").textContent).toBe("Sign in to your course server");
    expect(byId("sign-in-intro").textContent).toContain("http://127.0.0.1:7878");
  });

  it("signs in with Enter, closes, and names the account and where the session is kept", async () => {
    const fake = signedOut();
    const { calls } = await openDialog(fake);
    await type(" ana ", "s3cret");
    await pressEnter();
    await waitFor(() => expect(byId("sign-in-dialog").hasAttribute("open")).toBe(false));
    expect(callsOf(calls, "sign_in").map((call) => call.args)).toEqual([
      { login: "ana", password: "s3cret" },
    ]);
    await waitFor(() => expect(document.getElementById("sign-in-open")).toBeNull());
    expect(indicator().textContent).toContain("Signed in as Ana Lopez");
    expect(document.activeElement, "focus lands on the strip, not lost").toBe(byId("sync-now"));
    await fireEvent.click(byId("nav-outbox"));
    await waitFor(() => byId("account-store"));
    expect(byId("account-name").textContent).toContain("Signed in as Ana Lopez (ana)");
    expect(byId("account-store").textContent).toBe("Your session is kept in your system keychain.");
  });

  it("says where a session kept in a file is", async () => {
    const fake = signedOut();
    fake.signIn = (login) => account({ login, store: "file" });
    await openDialog(fake);
    await type("ana", "s3cret");
    await fireEvent.click(byId("sign-in-submit"));
    await waitFor(() => expect(document.getElementById("sign-in-open")).toBeNull());
    await fireEvent.click(byId("nav-outbox"));
    await waitFor(() => byId("account-store"));
    expect(byId("account-store").textContent).toBe(
      "Your session is kept in a private file on this computer.",
    );
  });

  it("shows the server's refusal as an alert and keeps the dialog open", async () => {
    const fake = signedOut();
    fake.signIn = () => {
      throw { code: "sign_in_refused", message: "Wrong login or password.", detail: null };
    };
    await openDialog(fake);
    await type("ana", "wrong");
    await pressEnter();
    await waitFor(() => byId("sign-in-error"));
    const error = byId("sign-in-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toBe("Wrong login or password.");
    expect(byId("sign-in-dialog").hasAttribute("open")).toBe(true);
    expect(byId("sign-in-password").getAttribute("aria-invalid")).toBe("true");
    expect(byId("sign-in-password").getAttribute("aria-describedby")).toBe("sign-in-error");
    await waitFor(() => expect(document.activeElement).toBe(byId("sign-in-password")));
  });

  it("says calmly that it cannot sign in offline", async () => {
    const fake = signedOut();
    fake.signIn = () => {
      throw { code: "offline", message: "error sending request", detail: null };
    };
    await openDialog(fake);
    await type("ana", "s3cret");
    await pressEnter();
    await waitFor(() => byId("sign-in-error"));
    expect(byId("sign-in-error").textContent).toBe(
      "Carrel can't reach the course server, so you can't sign in right now. Your work stays safe on this computer; try again when you're connected.",
    );
  });

  it("asks for both fields before asking the server", async () => {
    const { calls } = await openDialog();
    await type("ana", "");
    await pressEnter();
    await waitFor(() => byId("sign-in-error"));
    expect(byId("sign-in-error").textContent).toBe("Enter your login and your password.");
    expect(callsOf(calls, "sign_in")).toHaveLength(0);
  });

  it("says it is signing in, and does not send twice", async () => {
    const answer = deferred<ReturnType<typeof account>>();
    const fake = signedOut();
    fake.signIn = () => answer.promise;
    const { calls } = await openDialog(fake);
    await type("ana", "s3cret");
    await fireEvent.click(byId("sign-in-submit"));
    const submit = byId("sign-in-submit");
    await waitFor(() => expect(submit.getAttribute("aria-disabled")).toBe("true"));
    expect(submit.textContent?.trim()).toBe("Signing in…");
    await pressEnter();
    expect(callsOf(calls, "sign_in")).toHaveLength(1);
    answer.resolve(account({ store: "keyring" }));
    await waitFor(() => expect(byId("sign-in-dialog").hasAttribute("open")).toBe(false));
  });

  it("Escape closes it and focus goes back to Sign in", async () => {
    const { calls, opener } = await openDialog();
    await fireEvent.keyDown(byId("sign-in-dialog"), { key: "Escape" });
    await waitFor(() => expect(byId("sign-in-dialog").hasAttribute("open")).toBe(false));
    expect(document.activeElement).toBe(opener);
    expect(callsOf(calls, "sign_in")).toHaveLength(0);
  });

  it("signs out from the Outbox; queued work stays, and Sign in takes focus", async () => {
    const fake = new FakeSync(syncStatus({ queued: 2, phase: "offline" }));
    const { calls } = await renderSync(fake);
    await fireEvent.click(byId("nav-outbox"));
    await waitFor(() => byId("sign-out"));
    await fireEvent.click(byId("sign-out"));
    await waitFor(() => byId("account-sign-in"));
    expect(callsOf(calls, "sign_out")).toHaveLength(1);
    expect(document.activeElement).toBe(byId("account-sign-in"));
    expect(byId("account").textContent).toContain(
      "Signed out. Work waiting to be sent stays in your Outbox.",
    );
    expect(byId("sign-in-open"), "the strip offers Sign in again").toBeTruthy();
    await fireEvent.click(byId("account-sign-in"));
    await waitFor(() => expect(byId("sign-in-dialog").hasAttribute("open")).toBe(true));
  });

  it("follows a session the server ended: the account is read again", async () => {
    const fake = new FakeSync();
    const { calls } = await renderSync(fake);
    await waitFor(() => expect(callsOf(calls, "get_account")).toHaveLength(1));
    fake.account = null;
    await fake.emitStatus({ phase: "signed_out", signedInAs: null, queued: 1 });
    await waitFor(() => byId("sign-in-open"));
    expect(callsOf(calls, "get_account")).toHaveLength(2);
    expect(byId("sync-phase").textContent).toBe("Sign in to send 1 submission");
  });
});
