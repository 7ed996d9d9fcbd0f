import type { Logger } from './logger.js';

/**
 * The loop of a background processor that works in passes (calendar reminders, IMAP polls,
 * database sources): a pass, then again at once when it says there is more or someone kicked it
 * meanwhile (a kick during a pass is not lost), else a sleep of `idleMs` that a kick ends early. A
 * failed pass is logged and tried again after the sleep. `stop` waits for the pass in progress.
 */
export class PassLoop {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private kicked = false;

  constructor(
    private readonly o: {
      /** What failed, in the log: "reminder pass failed; trying again". */
      what: string;
      logger: Logger;
      idleMs: number;
      /** One pass; true when there is more to do at once. */
      pass: () => Promise<boolean>;
    },
  ) {}

  get started(): boolean {
    return this.running;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop() {
    this.running = false;
    this.kick();
    await this.loop;
  }

  /** Something to do: look now (or right after the pass in progress). */
  kick() {
    this.kicked = true;
    this.wake?.();
  }

  private async run() {
    while (this.running) {
      this.kicked = false;
      let more = false;
      try {
        more = await this.o.pass();
      } catch (err) {
        this.o.logger.warn({ err }, `${this.o.what} failed; trying again`);
      }
      if (!this.running) break;
      if (more || this.kicked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.o.idleMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }
}
