/**
 * Who may call the door (intercom.allowed_callers) and how a caller is named in logs and status.
 */
import type { IncomingSipCall } from './sip-port.js';

/** sip:user@host of the From URI (no parameters, no port). */
export function callerName(call: Pick<IncomingSipCall, 'from'>): string {
  const uri = call.from.uri;
  return `${uri.scheme}:${uri.user ? `${uri.user}@` : ''}${uri.host}`;
}

/** An empty list allows everybody the source policy let through; entries are a user or a full sip:user@host. */
export function callerAllowed(call: Pick<IncomingSipCall, 'from'>, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const full = callerName(call).toLowerCase();
  return allowed.some((a) => a === call.from.uri.user || a.toLowerCase() === full);
}
