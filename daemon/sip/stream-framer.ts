/**
 * Message framing on stream transports (TCP/TLS, RFC 3261 18.3): messages are cut by
 * Content-Length, which is mandatory on streams. CRLFs between messages are skipped and reported
 * as RFC 5626 3.5.1 keep-alives: a double CRLF is a "ping" (answer with one CRLF), a single CRLF
 * a "pong". Header and body sizes are bounded; on any violation push() returns an error and the
 * framer stays failed (the caller closes the connection, since the stream cannot be re-synced).
 */

export interface StreamFramerOptions {
  /** largest header section accepted, in bytes (default 64 KiB) */
  maxHeaderBytes?: number;
  /** largest body accepted, in bytes (default 64 KiB) */
  maxBodyBytes?: number;
}

export interface FramerOutput {
  /** complete messages (start line to end of body), in order */
  messages: Uint8Array[];
  /** CRLFCRLF keep-alive pings seen (RFC 5626 3.5.1: answer each with CRLF) */
  pings: number;
  /** single-CRLF pongs seen */
  pongs: number;
  /** set when the stream is broken; close the connection */
  error?: string;
}

const DEFAULT_MAX = 64 * 1024;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** CRLFs seen since the last message, not yet reported */
  private crlfs = 0;
  /** a CR seen at the end of the data, waiting for its LF */
  private pendingCr = false;
  private failed: string | undefined;
  private readonly maxHeader: number;
  private readonly maxBody: number;

  constructor(opts: StreamFramerOptions = {}) {
    this.maxHeader = opts.maxHeaderBytes ?? DEFAULT_MAX;
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX;
  }

  /** bytes held while waiting for the rest of a message */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): FramerOutput {
    const out: FramerOutput = { messages: [], pings: 0, pongs: 0 };
    if (this.failed) return { ...out, error: this.failed };
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.buf = this.buf.length === 0 ? Buffer.from(data) : Buffer.concat([this.buf, data]);
    let pos = 0;
    for (;;) {
      // keep-alives between messages
      if (this.buf.length - pos === 0 || this.pendingCr || this.buf[pos] === 13) {
        pos = this.skipCrlf(pos, out);
        if (this.failed) return { ...out, error: this.failed };
      }
      if (pos >= this.buf.length) break;
      this.flushKeepalives(out);
      const headEnd = this.buf.indexOf('\r\n\r\n', pos);
      if (headEnd < 0) {
        if (this.buf.length - pos > this.maxHeader) return this.fail(out, `header section larger than ${this.maxHeader} bytes`);
        break;
      }
      if (headEnd - pos > this.maxHeader) return this.fail(out, `header section larger than ${this.maxHeader} bytes`);
      const cl = contentLength(this.buf.toString('latin1', pos, headEnd));
      if (typeof cl === 'string') return this.fail(out, cl);
      if (cl > this.maxBody) return this.fail(out, `Content-Length ${cl} is larger than the limit of ${this.maxBody} bytes`);
      const end = headEnd + 4 + cl;
      if (end > this.buf.length) break;
      out.messages.push(new Uint8Array(this.buf.subarray(pos, end)));
      pos = end;
    }
    if (pos >= this.buf.length && !this.pendingCr) this.flushKeepalives(out);
    this.buf = pos === 0 ? this.buf : Buffer.from(this.buf.subarray(pos));
    return out;
  }

  private skipCrlf(pos: number, out: FramerOutput): number {
    const b = this.buf;
    for (;;) {
      if (this.pendingCr) {
        if (pos >= b.length) return pos;
        if (b[pos] !== 10) {
          this.fail(out, 'a CR between messages is not followed by LF');
          return pos;
        }
        this.pendingCr = false;
        this.crlfs++;
        pos++;
        continue;
      }
      if (pos >= b.length || b[pos] !== 13) return pos;
      this.pendingCr = true;
      pos++;
    }
  }

  /**
   * Report the CRLFs seen since the last message: pairs are pings, a lone one a pong. Peers write
   * a ping in one piece; a ping split across two reads would be reported as two pongs.
   */
  private flushKeepalives(out: FramerOutput): void {
    if (this.crlfs === 0) return;
    out.pings += Math.floor(this.crlfs / 2);
    out.pongs += this.crlfs % 2;
    this.crlfs = 0;
  }

  private fail(out: FramerOutput, reason: string): FramerOutput {
    this.failed = reason;
    this.buf = Buffer.alloc(0);
    return { ...out, error: reason };
  }
}

/** the Content-Length of a header section (compact "l" too); mandatory on streams (RFC 3261 18.3) */
function contentLength(head: string): number | string {
  let found: number | undefined;
  let start = head.indexOf('\r\n') + 2;
  if (start < 2) return 'message without Content-Length on a stream (RFC 3261 18.3)';
  while (start < head.length) {
    let end = head.indexOf('\r\n', start);
    if (end < 0) end = head.length;
    // unfold continuation lines into this one
    while (end < head.length && (head.charCodeAt(end + 2) === 32 || head.charCodeAt(end + 2) === 9)) {
      const next = head.indexOf('\r\n', end + 2);
      end = next < 0 ? head.length : next;
    }
    const line = head.slice(start, end);
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === 'content-length' || name === 'l') {
        const v = line.slice(colon + 1).replace(/\r\n/g, '').trim();
        if (!/^\d{1,10}$/.test(v)) return `Content-Length "${v.slice(0, 20)}" is not a number`;
        const n = Number(v);
        if (found !== undefined && found !== n) return 'the message has more than one Content-Length';
        found = n;
      }
    }
    start = end + 2;
  }
  if (found === undefined) return 'message without Content-Length on a stream (RFC 3261 18.3)';
  return found;
}
