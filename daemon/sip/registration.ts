import type { TimerHandle } from '../util/clock.js';
import type { ErrorCode } from '../util/errors.js';
import { TypedEmitter } from '../util/events.js';
import { parseNameAddr } from './name-addr.js';
import type { Endpoint, SipResponse, SipUri } from './types.js';
import { newCallId } from './message-helpers.js';
import { firstHeader, headerList, randomToken, type SipCore } from './user-agent-core.js';

/** Registration of our AoR with the registrar, RFC 3261 10.2. */
export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'failed';

export interface RegistrationEvent {
  state: RegistrationState;
  reason?: string;
  /** seconds granted, when registered */
  expires?: number;
  /** status of the response that caused the change, if any */
  status?: number;
  /** stable error code when failed or lost */
  code?: ErrorCode;
}

const ALLOWED: Record<RegistrationState, RegistrationState[]> = {
  unregistered: ['registering'],
  registering: ['registered', 'failed', 'unregistered'],
  registered: ['registering', 'unregistered'],
  failed: ['registering', 'unregistered'],
};

export interface RegistrationOptions {
  core: SipCore;
  /** the registrar's URI (sip:pbx.example.com or sip:10.0.0.1:5060) */
  registrar: SipUri;
  /** requested binding lifetime in seconds */
  expires: number;
  /** first retry delay after a failure (default 2 s), doubling up to maxRetryMs (default 5 min) */
  minRetryMs?: number;
  maxRetryMs?: number;
}

/**
 * When to refresh a binding of `expires` seconds: half-way (never earlier than 1 s before, and at
 * least 5 s before expiry for long bindings). RFC 3261 10.2.4 leaves the choice to the UA.
 */
export function refreshDelayMs(expires: number): number {
  if (expires <= 2) return Math.max(500, expires * 500);
  return Math.min(expires / 2, expires - 5 > 0 ? expires - 5 : expires / 2) * 1000;
}

export class Registration extends TypedEmitter<{ state: RegistrationEvent }> {
  state: RegistrationState = 'unregistered';
  /** the binding lifetime the registrar granted last */
  granted: number | undefined;
  private expires: number;
  private readonly callId = newCallId('portier');
  private readonly fromTag = randomToken();
  private seq = 0;
  private timer: TimerHandle | undefined;
  private failures = 0;
  private intervalRetries = 0;
  private contact: string | undefined;
  private stopped = false;

  constructor(private readonly opts: RegistrationOptions) {
    super();
    this.expires = opts.expires;
  }

  private transition(to: RegistrationState, info: Omit<RegistrationEvent, 'state'> = {}): boolean {
    if (!ALLOWED[this.state].includes(to)) return false;
    this.state = to;
    this.emit('state', { state: to, ...info });
    return true;
  }

  /** Begin registering (idempotent). */
  start(): void {
    this.stopped = false;
    if (this.state === 'registering' || this.state === 'registered') return;
    // RFC 3261 10.2: unregistered/failed -> registering when a REGISTER is sent.
    this.transition('registering');
    this.send();
  }

  /** The binding is probably gone (keep-alive failed, PBX restarted): register again now. */
  restart(reason: string): void {
    if (this.stopped) return;
    this.clearTimer();
    if (this.state === 'registered') this.transition('registering', { reason });
    else if (this.state !== 'registering') this.transition('registering', { reason });
    this.send();
  }

  private clearTimer(): void {
    this.opts.core.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number, fn: () => void): void {
    this.clearTimer();
    this.timer = this.opts.core.clock.setTimeout(fn, ms);
  }

  private async destination(): Promise<Endpoint> {
    return this.opts.core.resolveUri(this.opts.core.outOfDialogHop(this.opts.registrar));
  }

  private send(expires = this.expires): Promise<SipResponse | undefined> {
    const core = this.opts.core;
    return this.destination().then(
      (dest) =>
        new Promise<SipResponse | undefined>((resolve) => {
          this.contact = core.contactFor(dest);
          const req = core.newRequest('REGISTER', this.opts.registrar, core.aor, {
            callId: this.callId,
            fromTag: this.fromTag,
            seq: ++this.seq,
            headers: [
              { name: 'Contact', value: `${this.contact};expires=${expires}` },
              { name: 'Expires', value: String(expires) },
              { name: 'Allow', value: 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO' },
            ],
          });
          req.to = { uri: core.aor, params: {} };
          core.send(req, dest, {
            onResend: (r) => (this.seq = r.cseq.seq),
            onFinal: (res, authFailed) => {
              resolve(res);
              if (expires > 0) this.onFinal(res, authFailed);
            },
            onTimeout: () => {
              resolve(undefined);
              if (expires > 0) this.fail('the registrar did not answer (timeout)', undefined, 'SIP_TIMEOUT');
            },
            onTransportError: (e) => {
              resolve(undefined);
              if (expires > 0) this.fail(`transport error: ${e.message}`, undefined, 'SIP_TRANSPORT');
            },
          });
        }),
      (err: Error) => {
        if (expires > 0) this.fail(`cannot resolve the registrar: ${err.message}`, undefined, 'SIP_TRANSPORT');
        return undefined;
      },
    );
  }

  private onFinal(res: SipResponse, authFailed: boolean): void {
    if (this.stopped) return;
    if (res.status >= 200 && res.status < 300) {
      this.failures = 0;
      this.intervalRetries = 0;
      const granted = this.grantedExpires(res);
      this.granted = granted;
      if (granted <= 0) {
        this.fail('the registrar accepted the REGISTER but kept no binding', res.status);
        return;
      }
      if (this.state !== 'registered') this.transition('registered', { expires: granted, status: res.status });
      // RFC 3261 10.2.4: refresh before the binding expires.
      this.schedule(refreshDelayMs(granted), () => this.refresh());
      return;
    }
    if (res.status === 423 && this.intervalRetries < 3) {
      // RFC 3261 10.2.8: 423 Interval Too Brief -> retry with at least Min-Expires.
      const min = Number(firstHeader(res, 'Min-Expires'));
      if (Number.isFinite(min) && min > this.expires) {
        this.intervalRetries++;
        this.expires = min;
        this.send();
        return;
      }
    }
    const reason = authFailed ? 'authentication failed (check user and password)' : `the registrar answered ${res.status} ${res.reason}`;
    this.fail(reason, res.status, authFailed ? 'SIP_AUTH_FAILED' : 'SIP_REJECTED');
  }

  private refresh(): void {
    if (this.stopped) return;
    this.send();
  }

  private fail(reason: string, status?: number, code: ErrorCode = 'SIP_REJECTED'): void {
    if (this.stopped) return;
    const info = { reason, code, ...(status !== undefined ? { status } : {}) };
    if (this.state === 'registered') {
      // A failed refresh: the binding is probably lost (PBX restart): back to registering, retry now.
      this.transition('registering', info);
      this.schedule(0, () => this.send());
      this.failures = 1;
      return;
    }
    this.transition('failed', info);
    const min = this.opts.minRetryMs ?? 2000;
    const max = this.opts.maxRetryMs ?? 300_000;
    const delay = Math.min(max, min * 2 ** this.failures);
    this.failures++;
    this.schedule(delay, () => {
      if (this.stopped) return;
      this.transition('registering', { reason: 'retrying' });
      this.send();
    });
  }

  /** RFC 3261 10.2.4: the expiry of our binding: our Contact's expires param, else Expires. */
  private grantedExpires(res: SipResponse): number {
    const ours = this.contact ? parseNameAddr(this.contact) : undefined;
    for (const v of headerList(res, 'Contact')) {
      const na = parseNameAddr(v);
      if (!na.ok) continue;
      const u = na.value.uri;
      if (ours?.ok && u.user === ours.value.uri.user && u.host.toLowerCase() === ours.value.uri.host.toLowerCase() && (u.port ?? 5060) === (ours.value.uri.port ?? 5060)) {
        const e = Number(na.value.params.expires);
        if (Number.isFinite(e)) return e;
      }
    }
    const e = Number(firstHeader(res, 'Expires'));
    return Number.isFinite(e) && firstHeader(res, 'Expires') !== undefined ? e : this.expires;
  }

  /** Unregister (Expires: 0) if we hold a binding; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimer();
    const had = this.state === 'registered' || this.state === 'registering';
    if (had) await this.send(0);
    // RFC 3261 10.2.2: after Expires: 0 the binding is gone (or was never made).
    this.transition('unregistered', { reason: 'closed' });
  }
}
