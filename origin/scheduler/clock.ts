// Time as the scheduler sees it: injectable, so tests drive the batcher with a fake clock.
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or earlier when `wake` is called. */
  sleep(ms: number): Promise<void>;
  wake(): void;
}

export class SystemClock implements Clock {
  private wakers = new Set<() => void>();

  now(): number {
    return performance.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      // An idle batcher must not keep a CLI or test process alive on its own.
      timer.unref();
      this.wakers.add(done);
    });
  }

  wake(): void {
    for (const waker of [...this.wakers]) waker();
  }
}
