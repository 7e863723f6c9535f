// The whole shell rendered against the fake backend, ready (data-ready set), for tests of what the
// shell shows around every screen (the sync strip, sign-in) and of screens reached from it.
import { render, waitFor } from "@testing-library/svelte";
import { expect } from "vitest";
import App from "../App.svelte";
import { AppState } from "../lib/app-state.svelte";
import { fakeBackend, type Call, type Handler } from "./backend";
import { appInfo, courseSummary, dashboard, onlineStatus } from "./fixtures";

/** Renders App with a fake backend (`handlers` over a quiet default) and waits until it is ready. */
export async function renderShell(
  handlers: Record<string, Handler> = {},
): Promise<{ calls: Call[]; shell: AppState }> {
  const calls = fakeBackend({
    get_app_info: () => appInfo(),
    get_server_status: () => onlineStatus(),
    take_pending_imports: () => [],
    take_notices: () => [],
    get_dashboard: () => dashboard(),
    list_courses: () => [courseSummary()],
    list_outbox: () => [],
    ...handlers,
  });
  const shell = new AppState();
  render(App, { shell });
  await waitFor(() => expect(document.body.dataset.ready).toBe("true"));
  return { calls, shell };
}
