/**
 * Cooperative control of a run (docs/architecture.md, rule 7): pause and step take effect
 * at step boundaries; cancel aborts at once through an AbortSignal that reaches the
 * provider's HTTP request.
 */
export class CancelledError extends Error {
  constructor(readonly reason: string) {
    super(`cancelled: ${reason}`);
    this.name = 'CancelledError';
  }
}

export interface RunControlOptions {
  /** Start paused, before the first step (*Step through*). */
  stepping?: boolean;
}

export class RunControl {
  private readonly abort = new AbortController();
  private paused: boolean;
  private stepping: boolean;
  private wake: (() => void) | undefined;

  constructor(options: RunControlOptions = {}) {
    this.stepping = options.stepping ?? false;
    this.paused = this.stepping;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get reason(): string {
    const reason = this.abort.signal.reason;
    return reason instanceof CancelledError ? reason.reason : String(reason ?? 'cancelled');
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get isStepping(): boolean {
    return this.stepping;
  }

  /** Pause before the next step starts. Steps already running finish. */
  pause(): void {
    this.paused = true;
  }

  /** Continue to the end (leaves step-through mode). */
  resume(): void {
    this.stepping = false;
    this.paused = false;
    this.release();
  }

  /** Run the next step, then pause again. */
  step(): void {
    this.stepping = true;
    this.paused = false;
    this.release();
  }

  cancel(reason = 'stopped by the user'): void {
    if (!this.abort.signal.aborted) this.abort.abort(new CancelledError(reason));
    this.release();
  }

  /** Called by the runner before each step: waits while paused. */
  async gate(onPause: () => void, onResume: () => void): Promise<void> {
    if (this.abort.signal.aborted) throw new CancelledError(this.reason);
    if (!this.paused) return;
    onPause();
    while (this.paused && !this.abort.signal.aborted) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.abort.signal.aborted) throw new CancelledError(this.reason);
    onResume();
  }

  /** Called by the runner after each top-level step: in step-through mode, pause again. */
  afterStep(): void {
    if (this.stepping) this.paused = true;
  }

  private release(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
