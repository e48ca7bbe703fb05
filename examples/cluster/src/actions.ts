// What the page's buttons started: one action per button, shown as running, then with its result.

/** One button's action, as the page shows it. */
export interface ActionView {
  /** Which action of the button runs or ran (a slot's key serves both `drain` and `restart`). */
  readonly kind: string;
  readonly running: boolean;
  /** While running: what it is doing now. */
  readonly label: string | undefined;
  /** Once done: what happened, until the button is pressed again. */
  readonly result: string | undefined;
  /** True when the result is a failure (shown in red). */
  readonly failed: boolean;
}

/** What an action's task resolves to. */
export interface ActionResult {
  readonly text: string;
  readonly failed?: boolean;
}

interface Entry {
  kind: string;
  running: boolean;
  label: () => string;
  result: string | undefined;
  failed: boolean;
}

/** Runs at most one task per key and keeps the last result of each. */
export class Actions {
  readonly #entries = new Map<string, Entry>();

  /** True while `key`'s task runs. */
  running(key: string): boolean {
    return this.#entries.get(key)?.running ?? false;
  }

  /** Starts `task` under `key` unless one runs there already (then returns false). `label` is read on every tick. */
  run(key: string, kind: string, label: () => string, task: () => Promise<ActionResult>): boolean {
    if (this.running(key)) return false;
    const entry: Entry = { kind, running: true, label, result: undefined, failed: false };
    this.#entries.set(key, entry);
    void task()
      .then(
        (done) => {
          entry.result = done.text;
          entry.failed = done.failed ?? false;
        },
        (error: unknown) => {
          entry.result = `failed: ${error instanceof Error ? error.message : String(error)}`;
          entry.failed = true;
        },
      )
      .finally(() => {
        entry.running = false;
      });
    return true;
  }

  /** Every action started so far, by key. */
  view(): Record<string, ActionView> {
    const out: Record<string, ActionView> = {};
    for (const [key, e] of this.#entries) {
      out[key] = {
        kind: e.kind,
        running: e.running,
        label: e.running ? e.label() : undefined,
        result: e.result,
        failed: e.failed,
      };
    }
    return out;
  }
}
