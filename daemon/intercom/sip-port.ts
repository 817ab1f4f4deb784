/**
 * What the intercom needs of the SIP user agent, as interfaces (the UserAgent class and its
 * OutgoingCall / IncomingCall satisfy them; unit tests pass fakes). Both call directions share the
 * in-dialog part (`DialogCall`): BYE, INFO, re-INVITE/UPDATE offers and the answer in an ACK.
 */
import type { CallEvents } from '../sip/invite-session.js';
import type { Endpoint, NameAddr } from '../sip/types.js';

export type { CallEvents };

export interface DialogCall {
  on<K extends keyof CallEvents>(event: K, fn: (payload: CallEvents[K]) => void): () => void;
}

/** A call the door placed (an INVITE we sent). */
export interface OutgoingSipCall extends DialogCall {
  /** CANCEL while ringing, BYE once answered */
  hangup(): void;
}

/** A call the PBX placed (an INVITE we received). */
export interface IncomingSipCall extends DialogCall {
  readonly from: NameAddr;
  readonly source: Endpoint;
  /** the caller's offer; empty when the INVITE had none (the offer then goes in our 200) */
  readonly offer: string;
  ring(): void;
  accept(sdp: string): boolean;
  reject(status?: number, reason?: string): void;
  bye(): Promise<void>;
}

export type IntercomUaEvents = {
  incoming: IncomingSipCall;
  /** an INVITE refused before it could ring anything (source not allowed) */
  rejected: { source: Endpoint; from: string; status: number; reason: string };
};

export interface IntercomUserAgent {
  on<K extends keyof IntercomUaEvents>(event: K, fn: (payload: IntercomUaEvents[K]) => void): () => void;
  invite(target: string, opts: { sdp: string }): OutgoingSipCall;
}
