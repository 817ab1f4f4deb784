/**
 * Stream direction rules of RFC 3264 (6.1 answer, 8.4 hold) and RFC 4566 6.
 */
import type { Direction } from './types.js';

interface Caps {
  send: boolean;
  recv: boolean;
}

function caps(d: Direction): Caps {
  return { send: d === 'sendrecv' || d === 'sendonly', recv: d === 'sendrecv' || d === 'recvonly' };
}

function fromCaps(c: Caps): Direction {
  if (c.send && c.recv) return 'sendrecv';
  if (c.send) return 'sendonly';
  if (c.recv) return 'recvonly';
  return 'inactive';
}

/** The same stream seen from the other end: sendonly <-> recvonly. */
export function reverse(d: Direction): Direction {
  const c = caps(d);
  return fromCaps({ send: c.recv, recv: c.send });
}

/**
 * RFC 3264 6.1: the answer's direction given the offer's and what we want. An offered sendonly
 * stream may only be answered recvonly or inactive, recvonly with sendonly or inactive, inactive with
 * inactive; sendrecv with anything.
 */
export function answerDirection(offered: Direction, wanted: Direction): Direction {
  const peer = caps(offered);
  const us = caps(wanted);
  return fromCaps({ send: us.send && peer.recv, recv: us.recv && peer.send });
}

/** Parse a direction attribute value; anything else means the default, sendrecv (RFC 4566 6). */
export function parseDirection(v: unknown): Direction {
  return v === 'sendonly' || v === 'recvonly' || v === 'inactive' ? v : 'sendrecv';
}

/**
 * The direction we use to put the peer on hold (RFC 3264 8.4): sendonly if we were sending and
 * receiving, inactive if we were only receiving.
 */
export function holdDirection(current: Direction): Direction {
  const c = caps(current);
  return fromCaps({ send: c.send, recv: false });
}

/** The RFC 2543 way to say hold: a connection address of all zeros. */
export function isNullAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  return addr === '0.0.0.0' || /^[0:]+$/.test(addr);
}
