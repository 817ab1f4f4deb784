/**
 * Panel password hashes: scrypt (RFC 7914) via node:crypto, stored in panel.password_hash.
 *
 * Format (one line, ASCII):  scrypt$<N>$<r>$<p>$<salt>$<key>
 *   N     CPU/memory cost, a power of two (default 2^15)
 *   r, p  block size and parallelism (defaults 8 and 1)
 *   salt  16 random bytes, base64 (standard alphabet, no padding)
 *   key   the 32-byte derived key, base64 (no padding)
 * Verification recomputes the key with the stored parameters and compares with timingSafeEqual.
 * `portier hash-password` prints such a line.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export interface ParsedHash extends ScryptParams {
  salt: Buffer;
  key: Buffer;
}

export type ParseHashResult = { ok: true; hash: ParsedHash } | { ok: false; reason: string };

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** bounds that keep one verification below ~256 MiB of memory whatever the config holds */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

function memoryFor({ N, r, p }: ScryptParams): number {
  // scrypt needs 128 * N * r bytes for V plus 128 * r * p for B; leave headroom
  return 128 * N * r + 128 * r * p + 1024 * 1024;
}

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

function derive(password: string, salt: Buffer, params: ScryptParams, keyLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLen, { ...params, maxmem: memoryFor(params) }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

const isPow2 = (n: number) => Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;

/** Parses a stored hash; never throws. */
export function parseHash(text: string): ParseHashResult {
  if (typeof text !== 'string') return { ok: false, reason: 'not a string' };
  const parts = text.trim().split('$');
  if (parts[0] !== 'scrypt') return { ok: false, reason: 'does not start with "scrypt$"' };
  if (parts.length !== 6) return { ok: false, reason: 'expected scrypt$N$r$p$salt$key' };
  const [, ns, rs, ps, salt64, key64] = parts;
  if (![ns, rs, ps].every((s) => /^[0-9]{1,8}$/.test(s))) return { ok: false, reason: 'N, r and p must be decimal integers' };
  const N = Number(ns);
  const r = Number(rs);
  const p = Number(ps);
  if (!isPow2(N) || N > MAX_N) return { ok: false, reason: `N must be a power of two from 2 to ${MAX_N}` };
  if (r < 1 || r > MAX_R) return { ok: false, reason: `r must be from 1 to ${MAX_R}` };
  if (p < 1 || p > MAX_P) return { ok: false, reason: `p must be from 1 to ${MAX_P}` };
  const b64re = /^[A-Za-z0-9+/]+={0,2}$/;
  if (!b64re.test(salt64) || !b64re.test(key64)) return { ok: false, reason: 'salt and key must be base64' };
  const saltBuf = Buffer.from(salt64, 'base64');
  const key = Buffer.from(key64, 'base64');
  if (saltBuf.length < 8) return { ok: false, reason: 'salt must be at least 8 bytes' };
  if (key.length < 16 || key.length > 64) return { ok: false, reason: 'key must be 16 to 64 bytes' };
  return { ok: true, hash: { N, r, p, salt: saltBuf, key } };
}

/** Makes a new hash line for a password (random salt). */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (!isPow2(params.N) || params.N > MAX_N) throw new RangeError(`N must be a power of two up to ${MAX_N}`);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `scrypt$${params.N}$${params.r}$${params.p}$${b64(salt)}$${b64(key)}`;
}

/** True when the password matches the hash; false for a wrong password or an unusable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed.ok) return false;
  const { salt, key, N, r, p } = parsed.hash;
  let candidate: Buffer;
  try {
    candidate = await derive(password, salt, { N, r, p }, key.length);
  } catch {
    return false;
  }
  return candidate.length === key.length && timingSafeEqual(candidate, key);
}

/** Reads all of a non-terminal stream (a pipe or file) as UTF-8. */
function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

/** Prompts on a terminal without echo; resolves with the line typed (null on Ctrl-C / Ctrl-D). */
function promptHidden(prompt: string, input: NodeJS.ReadStream, output: NodeJS.WritableStream): Promise<string | null> {
  return new Promise((resolve) => {
    output.write(prompt);
    let line = '';
    const wasRaw = input.isRaw;
    input.setRawMode?.(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (value: string | null) => {
      input.off('data', onData);
      input.setRawMode?.(wasRaw ?? false);
      input.pause();
      output.write('\n');
      resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(line);
        if (ch === '\u0003' || ch === '\u0004') return done(null);
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else if (ch >= ' ') line += ch;
      }
    };
    input.on('data', onData);
  });
}

export interface HashPasswordIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  params?: ScryptParams;
}

const USAGE = `usage: portier hash-password
  Reads a password from standard input (the first line; e.g. \`echo -n secret | portier hash-password\`)
  or, on a terminal, asks for it twice without echo, and prints a scrypt hash for panel.password_hash.
`;

/** `portier hash-password`: 0 printed a hash, 1 no password / mismatch, 2 bad usage. */
export async function hashPasswordCommand(args: string[], io?: HashPasswordIo): Promise<number> {
  const { stdin, stdout, stderr } = io ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  if (args.includes('--help') || args.includes('-h')) {
    stdout.write(USAGE);
    return 0;
  }
  if (args.length > 0) {
    stderr.write(USAGE);
    return 2;
  }
  let password: string | null;
  if (stdin.isTTY) {
    password = await promptHidden('Panel password: ', stdin, stderr);
    if (password !== null) {
      const again = await promptHidden('Again: ', stdin, stderr);
      if (again !== password) {
        stderr.write('the two passwords differ; nothing printed\n');
        return 1;
      }
    }
  } else {
    const text = await readAll(stdin);
    password = text.split(/\r?\n/)[0] ?? '';
  }
  if (!password) {
    stderr.write('no password given; nothing printed\n');
    return 1;
  }
  if (password.length < 8) stderr.write('warning: a password shorter than 8 characters is easy to guess\n');
  stdout.write((await hashPassword(password, io?.params)) + '\n');
  stderr.write('put it in the config as:  [panel] password_hash = "<the line above>"\n');
  return 0;
}
