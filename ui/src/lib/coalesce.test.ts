import { describe, expect, it } from "vitest";
import { deferred } from "../test/backend";
import { coalesce } from "./coalesce";

describe("coalesce", () => {
  it("runs at once when idle", async () => {
    let runs = 0;
    const request = coalesce(async () => {
      runs += 1;
    });
    await request();
    await request();
    expect(runs, "calls that do not overlap each get their own run").toBe(2);
  });

  it("folds calls made during a run into one more run after it", async () => {
    const answers: ReturnType<typeof deferred<void>>[] = [];
    const request = coalesce(() => {
      const answer = deferred<void>();
      answers.push(answer);
      return answer.promise;
    });
    const first = request();
    const later = [request(), request(), request()];
    expect(answers, "only one run is in flight").toHaveLength(1);

    answers[0]!.resolve();
    await first;
    await Promise.resolve();
    expect(answers, "the calls made meanwhile start exactly one more run").toHaveLength(2);

    let settled = false;
    void Promise.all(later).then(() => (settled = true));
    await Promise.resolve();
    expect(settled, "later calls wait for the run that started after them").toBe(false);
    answers[1]!.resolve();
    await Promise.all(later);
    expect(answers).toHaveLength(2);
  });

  it("still runs the queued request when a run failed", async () => {
    let runs = 0;
    const failing = deferred<void>();
    const request = coalesce(() => {
      runs += 1;
      return runs === 1 ? failing.promise : Promise.resolve();
    });
    const first = request();
    const second = request();
    failing.reject(new Error("reload failed"));
    await expect(first).rejects.toThrow("reload failed");
    await second;
    expect(runs).toBe(2);
  });
});
