// Download progress: a bar per file on a terminal, a log line every 10 % when stderr is not a TTY.
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import { formatBytes } from "./model-store-failure";

export interface FileProgress {
  /** Bytes on disk so far; a smaller value than before means the download restarted. */
  update(done: number): void;
  finish(): void;
}

export interface DownloadProgress {
  begin(file: string, total: number, already: number): FileProgress;
}

/** Log lines (for journald, docker logs): one per `stepPercent` crossed, so logs stay short. */
export function logProgress(log: (line: string) => void, stepPercent = 10): DownloadProgress {
  return {
    begin(file, total, already) {
      let done = already;
      let lastStep = -1;
      const report = () => {
        const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
        const step = Math.floor(percent / stepPercent);
        if (step <= lastStep) return;
        lastStep = step;
        log(`downloading ${file}: ${percent}% (${formatBytes(done)} of ${formatBytes(total)})`);
      };
      if (already > 0) log(`resuming ${file} at ${formatBytes(already)}`);
      report();
      return {
        update(value) {
          if (value < done) {
            lastStep = -1;
            log(`restarting ${file} at ${formatBytes(value)}`);
          }
          done = value;
          report();
        },
        finish() {},
      };
    },
  };
}

/** One cli-progress MultiBar on stderr shared by every file in flight; stopped when all finish. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): DownloadProgress {
  let bars: MultiBar | undefined;
  let active = 0;
  return {
    begin(file, total, already) {
      bars ??= new MultiBar(
        {
          format: "{file} [{bar}] {percentage}% | {have} of {size}",
          stream,
          hideCursor: true,
          clearOnComplete: false,
        },
        Presets.shades_classic,
      );
      active++;
      const payload = (value: number) => ({
        file,
        have: formatBytes(value),
        size: formatBytes(total),
      });
      const bar: SingleBar = bars.create(Math.max(total, 1), already, payload(already));
      return {
        update(value) {
          bar.update(value, payload(value));
        },
        finish() {
          bar.stop();
          active--;
          if (active === 0) {
            bars?.stop();
            bars = undefined;
          }
        },
      };
    },
  };
}

export function defaultProgress(log: (line: string) => void): DownloadProgress {
  return process.stderr.isTTY ? terminalProgress() : logProgress(log);
}
