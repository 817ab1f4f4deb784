/**
 * Building blocks for the config schema: every key carries a description, a unit where one applies,
 * and its default (architecture rule 7). `describeKey` keeps the three together.
 */
import { z } from 'zod';

export interface KeyMeta {
  description: string;
  unit?: string;
  /** example value for config/portier.example.toml when the key has no default */
  example?: string;
  /** the key holds a secret: it may instead come from `<key>_env` or `<key>_file` */
  secret?: boolean;
}

export function describeKey<T extends z.ZodType>(schema: T, meta: KeyMeta): T {
  return schema.meta(meta as unknown as Record<string, unknown>) as T;
}

/** "host:port" or "[v6]:port" with a port in 1..65535 (0 allowed when allowZero: pick a free port). */
export function hostPort(allowZero = false) {
  return z.string().superRefine((value, ctx) => {
    const parsed = parseHostPort(value);
    if (!parsed) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not host:port (IPv6 as [addr]:port)` });
      return;
    }
    if (parsed.port < (allowZero ? 0 : 1) || parsed.port > 65535) {
      ctx.addIssue({ code: 'custom', message: `port ${parsed.port} is out of range (${allowZero ? 0 : 1}-65535)` });
    }
  });
}

export function parseHostPort(value: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,6})$/.exec(value);
  if (!m) return null;
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

/** "20000-20100": an even-aligned range of at least two ports for RTP/RTCP pairs. */
export const portRange = z.string().superRefine((value, ctx) => {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(value);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a port range like "20000-20100"` });
    return;
  }
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < 1024 || hi > 65535 || lo >= hi) {
    ctx.addIssue({ code: 'custom', message: `port range ${value} must lie within 1024-65535 with the first below the last` });
  }
});

export function parsePortRange(value: string): { min: number; max: number } {
  const [lo, hi] = value.split('-').map(Number);
  return { min: lo, max: hi };
}

/** A SIP or SIPS URI such as sip:192.0.2.10:5060 (checked loosely here; the SIP parser checks it fully). */
export const sipUriString = z.string().regex(/^sips?:[^\s<>"]+$/i, 'must be a SIP URI such as "sip:192.0.2.10:5060"');

/** A value that must not carry CR, LF or NUL (it goes into SIP headers). */
export const headerSafeString = z.string().regex(/^[^\r\n\0]*$/, 'must not contain line breaks or NUL');
