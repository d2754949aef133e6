// One request's progress events, in order, onto an SSE stream: ids from 1, previews, one terminal event.
import type { GenerationEvent, GenerationEventName, Preview } from "../../protocol/events";
import { isTerminal } from "../../protocol/events";
import { encodePreview, type LatentProjection, projectLatent } from "../imaging/latent-preview";
import type { JobEvent } from "../scheduler/job-scheduler";

export interface RelayMessage {
  readonly id: string;
  readonly event: string;
  readonly data: string;
}

export type SseWrite = (message: RelayMessage) => Promise<void>;

export interface PreviewPlan {
  projection: LatentProjection;
  /** A preview on the 1st progress event and every `every`-th after it; 0 = none. */
  every: number;
  latentHeight: number;
  latentWidth: number;
}

/**
 * One reader of the relay's events (an SSE response). `ended` resolves once it has nothing more to
 * get: the terminal event was written to it, a write failed, it hung up (`close`), or a newer
 * reader took its place.
 */
export class RelayAttachment {
  readonly ended: Promise<void>;
  private end!: () => void;
  /** Whether the terminal event was written to this reader. */
  delivered = false;
  done = false;
  /** Caught up: new events are written to it as they come. */
  live = false;

  constructor(readonly write: SseWrite) {
    this.ended = new Promise<void>((resolve) => {
      this.end = resolve;
    });
  }

  finish(delivered: boolean): void {
    if (this.done) return;
    this.done = true;
    this.delivered = delivered;
    this.end();
  }
}

export interface RelayOptions {
  readonly preview: PreviewPlan | null;
  /**
   * Keep every event written (ids and bodies), so a reader that comes back (`reattach`) gets what
   * it missed: detachable runs only, since the completed event carries the images.
   */
  readonly keepLog?: boolean;
  /** The relay has no reader any more (and the run has not been delivered): see `EventRelay.detached`. */
  readonly onDetached?: () => void;
  /** The terminal event reached a reader. */
  readonly onDelivered?: () => void;
}

/**
 * Events arrive synchronously from the batcher loop (which must never wait on the network); each is
 * queued at once and written in arrival order. The loop pays only for a copy of the first image's
 * latent; projection and encoding run after it, and a preview's event is written when its turn and
 * its bytes have both come. Events before the first `attach` are held, so the route can wait for
 * admission before it commits to a 200 stream.
 *
 * A relay with `keepLog` outlives its reader: events go on into the log while nobody reads, and a
 * later `reattach(after)` replays those with ids above `after` before it goes live, in one ordered
 * chain with new events, so nothing is lost or sent twice.
 */
export class EventRelay {
  private seq = 0;
  private progressSeen = 0;
  /** The terminal event has been queued: nothing after it is written. */
  private closed = false;
  private terminalWritten = false;
  private tail: Promise<void>;
  private firstAttach!: () => void;
  private reader: RelayAttachment | null = null;
  private readonly log: RelayMessage[] = [];
  private firstSeen!: () => void;
  /** True once the scheduler has reported anything, i.e. it admitted the job. */
  admitted = false;
  /** Resolves with the first event (`admitted` turns true at the same moment). */
  readonly firstEvent = new Promise<void>((resolve) => {
    this.firstSeen = resolve;
  });

  constructor(
    readonly requestId: string,
    private readonly options: RelayOptions,
  ) {
    this.tail = new Promise<void>((resolve) => {
      this.firstAttach = resolve;
    });
  }

  /** Whether the terminal event has been written (into the log, or to a reader). */
  get finished(): boolean {
    return this.terminalWritten;
  }

  /** The first reader: everything held until now is written to it, in order. */
  attach(write: SseWrite): RelayAttachment {
    const attachment = new RelayAttachment(write);
    attachment.live = true;
    this.reader = attachment;
    this.firstAttach();
    return attachment;
  }

  /**
   * A reader coming back: it gets every logged event with an id above `after`, then the live ones.
   * A previous reader still attached is ended (the newest reader wins).
   */
  reattach(after: number, write: SseWrite): RelayAttachment {
    const attachment = new RelayAttachment(write);
    this.reader?.finish(false);
    this.reader = attachment;
    this.tail = this.tail.then(async () => {
      for (const message of this.log) {
        if (Number(message.id) <= after) continue;
        if (!(await this.writeTo(attachment, message))) return;
      }
      if (attachment.done) return;
      attachment.live = true;
      if (this.terminalWritten) this.delivered(attachment);
    });
    return attachment;
  }

  /** The reader hung up (its response was aborted): events go on into the log, if kept. */
  close(attachment: RelayAttachment): void {
    if (attachment.done) return;
    attachment.finish(false);
    if (this.reader !== attachment) return;
    this.reader = null;
    if (!this.terminalWritten || this.options.keepLog) this.options.onDetached?.();
  }

  /** The scheduler's callback: must not throw and must not block. */
  readonly onJobEvent = (event: JobEvent): void => {
    this.admitted = true;
    this.firstSeen();
    const request_id = this.requestId;
    if (event.type === "queued") this.send("queued", { request_id, position: event.position });
    else if (event.type === "started") this.send("started", { request_id });
    else this.send("progress", this.progressBody(event));
  };

  private progressBody(event: Extract<JobEvent, { type: "progress" }>) {
    const body = { request_id: this.requestId, step: event.step, steps: event.steps };
    const preview = this.options.preview;
    const due = preview && preview.every > 0 && this.progressSeen % preview.every === 0;
    this.progressSeen += 1;
    const latent = event.latents[0];
    if (!due || !preview || !latent) return body;
    const { projection, latentHeight: h, latentWidth: w } = preview;
    const copy = latent.slice();
    // setImmediate: project once the loop has handed its next UNet call to onnxruntime's threads.
    return new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => encodePreview(projectLatent(copy, h, w, projection), h, w))
      .then(
        (preview: Preview) => ({ ...body, preview }),
        () => body, // a shape the projection does not fit, or sharp failed: progress without it
      );
  }

  /** Queues the terminal event and resolves once everything before it (and it) was handled. */
  async finish(terminal: GenerationEvent): Promise<void> {
    this.send(terminal.event, terminal.data);
    await this.tail;
  }

  private send(event: GenerationEventName, data: object | Promise<object>): void {
    this.tail = this.tail.then(async () => {
      const body = await data;
      if (this.closed) return;
      const terminal = isTerminal(event);
      if (terminal) this.closed = true;
      this.seq += 1;
      const message = { id: String(this.seq), event, data: JSON.stringify(body) };
      if (this.options.keepLog) this.log.push(message);
      if (terminal) this.terminalWritten = true;
      // A reader still catching up (`reattach`) gets this from the log, after what came before.
      const reader = this.reader;
      if (!reader?.live) return;
      // (A reader that hung up while it was written did not get it.)
      if ((await this.writeTo(reader, message)) && terminal && !reader.done) this.delivered(reader);
    });
  }

  /** Writes one message; false (and the reader is let go) when the write failed. */
  private async writeTo(reader: RelayAttachment, message: RelayMessage): Promise<boolean> {
    if (reader.done) return false;
    try {
      await reader.write(message);
      return true;
    } catch {
      // The client is gone: stop writing to it.
      this.close(reader);
      return false;
    }
  }

  private delivered(reader: RelayAttachment): void {
    reader.finish(true);
    if (this.reader === reader) this.reader = null;
    // Only the end can still matter to a reader that comes back: the rest (previews) goes.
    if (this.log.length > 1) this.log.splice(0, this.log.length - 1);
    this.options.onDelivered?.();
  }
}
