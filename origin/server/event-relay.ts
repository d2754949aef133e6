// One request's progress events, in order, onto an SSE stream: ids from 1, previews, one terminal event.
import type { GenerationEvent, GenerationEventName, Preview } from "../../protocol/events";
import { isTerminal } from "../../protocol/events";
import { encodePreview, type LatentProjection, projectLatent } from "../imaging/latent-preview";
import type { JobEvent } from "../scheduler/job-scheduler";

export type SseWrite = (message: { id: string; event: string; data: string }) => Promise<void>;

export interface PreviewPlan {
  projection: LatentProjection;
  /** A preview on the 1st progress event and every `every`-th after it; 0 = none. */
  every: number;
  latentHeight: number;
  latentWidth: number;
}

/**
 * Events arrive synchronously from the batcher loop (which must never wait on the network); each is
 * queued at once and written in arrival order. The loop pays only for a copy of the first image's
 * latent; projection and encoding run after it, and a preview's event is written when its turn and
 * its bytes have both come. Events before `attach` are held, so the route can wait for admission
 * before it commits to a 200 stream.
 */
export class EventRelay {
  private seq = 0;
  private progressSeen = 0;
  private ended = false;
  private tail: Promise<void>;
  private attached!: (write: SseWrite) => void;
  private write: SseWrite | null = null;
  private firstSeen!: () => void;
  /** True once the scheduler has reported anything, i.e. it admitted the job. */
  admitted = false;
  /** Resolves with the first event (`admitted` turns true at the same moment). */
  readonly firstEvent = new Promise<void>((resolve) => {
    this.firstSeen = resolve;
  });

  constructor(
    readonly requestId: string,
    private readonly preview: PreviewPlan | null,
    private readonly onWriteFailed: () => void = () => {},
  ) {
    this.tail = new Promise<SseWrite>((resolve) => {
      this.attached = resolve;
    }).then((write) => {
      this.write = write;
    });
  }

  attach(write: SseWrite): void {
    this.attached(write);
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
    const due =
      this.preview && this.preview.every > 0 && this.progressSeen % this.preview.every === 0;
    this.progressSeen += 1;
    const latent = event.latents[0];
    if (!due || !this.preview || !latent) return body;
    const { projection, latentHeight: h, latentWidth: w } = this.preview;
    const copy = latent.slice();
    // setImmediate: project once the loop has handed its next UNet call to onnxruntime's threads.
    return new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => encodePreview(projectLatent(copy, h, w, projection), h, w))
      .then(
        (preview: Preview) => ({ ...body, preview }),
        () => body, // a shape the projection does not fit, or sharp failed: progress without it
      );
  }

  /** Queues the terminal event and resolves once everything before it (and it) was written. */
  async finish(terminal: GenerationEvent): Promise<void> {
    this.send(terminal.event, terminal.data);
    await this.tail;
  }

  private send(event: GenerationEventName, data: object | Promise<object>): void {
    this.tail = this.tail.then(async () => {
      const body = await data;
      if (this.ended || !this.write) return;
      if (isTerminal(event)) this.ended = true;
      this.seq += 1;
      try {
        await this.write({ id: String(this.seq), event, data: JSON.stringify(body) });
      } catch {
        // The client is gone: stop writing and let the job be dropped at the next step.
        this.ended = true;
        this.onWriteFailed();
      }
    });
  }
}
