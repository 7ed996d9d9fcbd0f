import { EventEmitter } from 'node:events';

/**
 * A run event as the live feed carries it. Persisted events have `seq` (their SSE id); text
 * deltas do not: they are live-only, and the step.finished event that follows carries the whole
 * text, so a client resuming with Last-Event-ID loses nothing but the typing effect.
 */
export interface LiveEvent {
  seq?: number;
  type: string;
  data: Record<string, unknown>;
}

/** In-process fan-out of run events to SSE subscribers (and cancel signals to executors). */
export class RunBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open SSE stream; hundreds is normal.
    this.emitter.setMaxListeners(0);
  }

  publish(runId: string, event: LiveEvent) {
    this.emitter.emit(`run:${runId}`, event);
  }

  subscribe(runId: string, listener: (event: LiveEvent) => void): () => void {
    this.emitter.on(`run:${runId}`, listener);
    return () => this.emitter.off(`run:${runId}`, listener);
  }

  /** Whether anyone in this process follows the run live (the engine streams tokens only then). */
  listening(runId: string): boolean {
    return this.emitter.listenerCount(`run:${runId}`) > 0;
  }

  requestCancel(runId: string) {
    this.emitter.emit(`cancel:${runId}`);
  }

  onCancel(runId: string, listener: () => void): () => void {
    this.emitter.on(`cancel:${runId}`, listener);
    return () => this.emitter.off(`cancel:${runId}`, listener);
  }
}
