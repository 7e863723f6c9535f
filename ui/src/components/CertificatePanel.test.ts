// The course certificate panel against a fake backend: the checklist, getting the certificate
// once every requirement is met, and the kept certificate with its signature checked.
import { emit } from "@tauri-apps/api/event";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup, fireEvent, render, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { CertificateStatus, Requirement, StoredCertificate } from "../lib/backend";
import { byId } from "../test/dom";
import { callsOf, fakeBackend, type Handler } from "../test/backend";
import CertificatePanel from "./CertificatePanel.svelte";

afterEach(() => {
  cleanup();
  clearMocks();
});

function requirement(overrides: Partial<Requirement> = {}): Requirement {
  return {
    itemId: "b1-quiz",
    title: "Block 1 quiz",
    kind: "quiz",
    mustPass: true,
    state: "met",
    score: 9,
    maxScore: 10,
    ...overrides,
  };
}

function issued(overrides: Partial<StoredCertificate> = {}): StoredCertificate {
  return {
    certificateId: "0123456789abcdef0123456789abcdef",
    title: "Certificate of Achievement",
    learnerName: "Ana Pereira",
    courseTitle: "Migrant workers' rights",
    issuedMs: Date.UTC(2027, 3, 2, 10),
    issuer: "ITCILO",
    verifyUrl: "https://courses.example.org/certificates/0123456789abcdef0123456789abcdef",
    verified: { state: "verified", fingerprint: "SHA256:abcd" },
    pdfSize: 4000,
    ...overrides,
  };
}

function status(overrides: Partial<CertificateStatus> = {}): CertificateStatus {
  return {
    courseId: "bio-101",
    title: "Certificate of Achievement",
    rule: "Pass every block quiz.",
    automatic: true,
    requirements: [
      requirement(),
      requirement({ itemId: "b2-quiz", title: "Block 2 quiz", state: "not_passed", score: 3 }),
      requirement({ itemId: "b3-quiz", title: "Block 3 quiz", state: "waiting", score: null, maxScore: null }),
      requirement({
        itemId: "essay",
        title: "Final assignment",
        kind: "assignment",
        state: "missing",
        score: null,
        maxScore: null,
      }),
    ],
    met: false,
    certificate: null,
    ...overrides,
  };
}

async function renderPanel(handlers: Record<string, Handler>, signedIn = true) {
  const calls = fakeBackend(handlers);
  render(CertificatePanel, { courseId: "bio-101", signedIn, fallbackRule: "Pass every block quiz." });
  await waitFor(() => expect(byId("course-certificate").dataset.loaded).toBe("true"));
  return calls;
}

describe("the certificate panel", () => {
  it("lists each requirement with where the learner is; before all are met, only asking the server", async () => {
    await renderPanel({ get_certificate: () => status() }, false);
    expect(byId("certificate-progress").textContent).toContain("1 of 4 requirements met.");
    const items = [...byId("certificate-checklist").querySelectorAll("li")];
    expect(items.map((li) => [li.dataset.itemId, li.querySelector(".where")?.textContent])).toEqual([
      ["b1-quiz", "Passed"],
      ["b2-quiz", "Not passed yet (3 of 10)"],
      ["b3-quiz", "Waiting to be sent"],
      ["essay", "To do: pass it"],
    ]);
    expect(document.getElementById("certificate-request"), "signed out: nothing to ask").toBeNull();
    cleanup();
    await renderPanel({ get_certificate: () => status() }, true);
    // Signed in: the server decides (work done on another computer counts there).
    expect(byId("certificate-request").textContent?.trim()).toBe(
      "Ask the course server for my certificate",
    );
  });

  it("gets the certificate once every requirement is met and shows it verified", async () => {
    const met = status({ requirements: [requirement()], met: true });
    const calls = await renderPanel({
      get_certificate: () => met,
      request_certificate: () => ({ ...met, certificate: issued() }),
      open_certificate: () => null,
    });
    expect(byId("certificate-progress").textContent).toBe("You have met every requirement.");
    await fireEvent.click(byId("certificate-request"));
    await waitFor(() => expect(document.getElementById("certificate-issued")).not.toBeNull());
    expect(callsOf(calls, "request_certificate")[0]?.args).toEqual({ courseId: "bio-101" });
    expect(byId("certificate-issued").textContent).toContain("Issued to Ana Pereira");
    expect(byId("certificate-verified").textContent).toContain("Signature verified on this computer");
    expect(byId("certificate-issued").textContent).toContain("0123456789abcdef0123456789abcdef");
    await fireEvent.click(byId("certificate-open"));
    await waitFor(() => expect(callsOf(calls, "open_certificate")).toHaveLength(1));
  });

  it("says why the server did not issue it, and asks to sign in when signed out", async () => {
    const met = status({ requirements: [requirement()], met: true });
    await renderPanel(
      {
        get_certificate: () => met,
        request_certificate: () => {
          throw { code: "not_ready", message: "Pass “Block 2 quiz” first.", detail: null };
        },
      },
      false,
    );
    expect(byId("certificate-sign-in").textContent).toContain("Sign in");
    await fireEvent.click(byId("certificate-request"));
    await waitFor(() => expect(byId("certificate-problem").textContent).toBe("Pass “Block 2 quiz” first."));
  });

  it("shows a certificate whose signature does not hold as not verified, with the reason", async () => {
    await renderPanel({
      get_certificate: () =>
        status({
          certificate: issued({ verified: { state: "invalid", reason: "changed" } }),
        }),
    });
    expect(byId("certificate-issued").dataset.verified).toBe("invalid");
    expect(byId("certificate-verified").textContent).toBe(
      "Signature not verified: it was changed after the course server signed it.",
    );
  });

  it("says the course team awards a certificate without requirements, and follows new grades", async () => {
    let current = status({ automatic: false, requirements: [] });
    await renderPanel({ get_certificate: () => current });
    expect(byId("course-certificate").textContent).toContain("Your course team awards this certificate.");
    current = status();
    await emit("outbox-changed", null);
    await waitFor(() => expect(document.getElementById("certificate-checklist")).not.toBeNull());
  });
});
