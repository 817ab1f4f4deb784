/**
 * The live feed as Server-Sent Events (GET /api/events/stream, behind the API's auth) for scripts and
 * home-automation tools: the same JSON messages as the WebSocket, each as `event: <type>` + `data:`.
 * A comment line every 25 s keeps proxies from closing an idle stream; a client that stops reading is
 * dropped once its queue passes a bound.
 */
import type { Context } from 'hono';
import type { LiveFeed, LiveKind } from './live.js';

export interface SseOptions {
  feed: LiveFeed;
  keepAliveMs?: number;
  /** queued bytes past which a client is dropped (default 1 MiB) */
  maxQueuedBytes?: number;
}

export class SseHub {
  private readonly closers = new Set<() => void>();

  constructor(private readonly opts: SseOptions) {}

  get clientCount(): number {
    return this.closers.size;
  }

  handle(c: Context): Response {
    const encoder = new TextEncoder();
    const max = this.opts.maxQueuedBytes ?? 1024 * 1024;
    let off = () => {};
    let timer: NodeJS.Timeout | null = null;
    let closeStream = () => {};
    let cancelHook = () => {};
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          let done = false;
          const finish = () => {
            if (done) return;
            done = true;
            off();
            if (timer) clearInterval(timer);
            this.closers.delete(closeStream);
          };
          const push = (text: string) => {
            if (done) return;
            if ((controller.desiredSize ?? 0) < -max) {
              finish();
              controller.error(new Error('SSE client too slow'));
              return;
            }
            controller.enqueue(encoder.encode(text));
          };
          closeStream = () => {
            if (done) return;
            finish();
            controller.close();
          };
          this.closers.add(closeStream);
          const frame = (json: string, kind: LiveKind) => `event: ${kind}\ndata: ${json}\n\n`;
          push('retry: 2000\n\n');
          push(frame(this.opts.feed.snapshot(), 'snapshot'));
          off = this.opts.feed.subscribe((json, kind) => push(frame(json, kind)));
          timer = setInterval(() => push(': keep-alive\n\n'), this.opts.keepAliveMs ?? 25_000);
          timer.unref();
          // closes when the client goes away
          c.req.raw.signal?.addEventListener('abort', finish);
          cancelHook = finish;
        },
        cancel: () => cancelHook(),
      },
      // byte-length queuing so desiredSize tells how much is waiting
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    );
    return new Response(stream, {
      headers: {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-store',
        'X-Accel-Buffering': 'no',
      },
    });
  }

  /** Ends every open stream (daemon shutdown). */
  close(): void {
    for (const close of [...this.closers]) close();
  }
}
