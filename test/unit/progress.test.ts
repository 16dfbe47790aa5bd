import { PROGRESS_INTERVAL_MS, watchProgress } from "../../resources/core/progress";

/** A watch whose progress reads resolve only when the test says so, counting reads and status lines. */
function fakeWatch() {
  const pending: ((line: string | undefined) => void)[] = [];
  const status: string[] = [];
  const watch = {
    log: { warning: () => undefined, status: (line: string) => void status.push(line) },
    progress: () => new Promise<string | undefined>((resolve) => pending.push(resolve)),
  };
  return { watch, pending, status };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test("nothing is read before one interval: a short step shows no progress", () => {
  const { watch, pending } = fakeWatch();
  const stop = watchProgress(42, watch);
  jest.advanceTimersByTime(PROGRESS_INTERVAL_MS - 1);
  expect(pending).toHaveLength(0);
  stop();
  jest.advanceTimersByTime(10 * PROGRESS_INTERVAL_MS);
  expect(pending).toHaveLength(0);
});

test("one read at a time: a read waiting for a session delays the next instead of queueing more", async () => {
  const { watch, pending, status } = fakeWatch();
  const stop = watchProgress(42, watch);
  jest.advanceTimersByTime(10 * PROGRESS_INTERVAL_MS);
  expect(pending).toHaveLength(1);
  pending[0]("CREATE INDEX: building index");
  await Promise.resolve();
  await Promise.resolve();
  expect(status).toEqual(["CREATE INDEX: building index"]);
  jest.advanceTimersByTime(PROGRESS_INTERVAL_MS);
  expect(pending).toHaveLength(2);
  stop();
});

test("a read that ends after the step ended sends nothing", async () => {
  const { watch, pending, status } = fakeWatch();
  const stop = watchProgress(42, watch);
  jest.advanceTimersByTime(PROGRESS_INTERVAL_MS);
  stop();
  pending[0]("CREATE INDEX: building index");
  await Promise.resolve();
  await Promise.resolve();
  expect(status).toEqual([]);
  jest.advanceTimersByTime(10 * PROGRESS_INTERVAL_MS);
  expect(pending).toHaveLength(1);
});
