import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, hashPassword, hashPasswordCommand, parseHash, verifyPassword } from '../../daemon/panel/password.js';

const FAST = { N: 1024, r: 8, p: 1 };

function io(input: string) {
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
  let out = '';
  let err = '';
  const stdout = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const stderr = { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream;
  (stdin as unknown as PassThrough).end(input);
  return { io: { stdin, stdout, stderr, params: FAST }, out: () => out, err: () => err };
}

describe('scrypt password hashes', () => {
  it('writes scrypt$N$r$p$salt$key with a 16-byte salt and a 32-byte key', async () => {
    const hash = await hashPassword('correct horse', FAST);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const parsed = parseHash(hash);
    expect(parsed.ok && parsed.hash.salt.length).toBe(16);
    expect(parsed.ok && parsed.hash.key.length).toBe(32);
  });

  it('uses N=2^15, r=8, p=1 by default', () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 32768, r: 8, p: 1 });
  });

  it('verifies the right password and refuses a wrong or altered one', async () => {
    const hash = await hashPassword('correct horse', FAST);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsE', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    const parts = hash.split('$');
    const flipped = parts[5][0] === 'A' ? 'B' + parts[5].slice(1) : 'A' + parts[5].slice(1);
    expect(await verifyPassword('correct horse', [...parts.slice(0, 5), flipped].join('$'))).toBe(false);
  });

  it('salts each hash: the same password hashes differently twice', async () => {
    const [a, b] = await Promise.all([hashPassword('same', FAST), hashPassword('same', FAST)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('treats Unicode-equivalent passwords (NFC vs NFD) as the same', async () => {
    const hash = await hashPassword('Tür', FAST);
    expect(await verifyPassword('Tu\u0308r', hash)).toBe(true);
  });

  it.each([
    ['', 'does not start'],
    ['bcrypt$x', 'does not start'],
    ['scrypt$1024$8$1$c2FsdHNhbHQ', 'expected'],
    ['scrypt$1000$8$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5', 'power of two'],
    ['scrypt$2097152$8$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5', 'power of two'],
    ['scrypt$1024$0$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5', 'r must'],
    ['scrypt$1024$8$99$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5', 'p must'],
    ['scrypt$1024$8$1$!!!$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5', 'base64'],
    ['scrypt$1024$8$1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5', 'salt'],
    ['scrypt$1024$8$1$c2FsdHNhbHRzYWx0$a2V5', 'key'],
    ['scrypt$-1024$8$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5', 'decimal'],
  ])('rejects the malformed hash %j (%s) and never verifies against it', async (text, why) => {
    const r = parseHash(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(why);
    expect(await verifyPassword('anything', text)).toBe(false);
  });

  it('parseHash never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string(), { maxLength: 7 }), (s, parts) => {
        parseHash(s);
        parseHash(['scrypt', ...parts].join('$'));
        return true;
      }),
      { numRuns: 500 },
    );
  });
});

describe('portier hash-password', () => {
  it('reads the password from standard input and prints a hash that verifies', async () => {
    const t = io('s3cret-door\n');
    expect(await hashPasswordCommand([], t.io)).toBe(0);
    const line = t.out().trim();
    expect(line.startsWith('scrypt$')).toBe(true);
    expect(await verifyPassword('s3cret-door', line)).toBe(true);
    expect(t.err()).toContain('password_hash');
  });

  it('takes only the first line (a trailing newline is not part of the password)', async () => {
    const t = io('first line\nsecond\n');
    expect(await hashPasswordCommand([], t.io)).toBe(0);
    expect(await verifyPassword('first line', t.out().trim())).toBe(true);
  });

  it('prints nothing and exits 1 on an empty password', async () => {
    const t = io('\n');
    expect(await hashPasswordCommand([], t.io)).toBe(1);
    expect(t.out()).toBe('');
    expect(t.err()).toMatch(/no password/);
  });

  it('warns about a short password but still hashes it', async () => {
    const t = io('short');
    expect(await hashPasswordCommand([], t.io)).toBe(0);
    expect(t.err()).toMatch(/shorter than 8/);
  });

  it('prints usage for --help (0) and for stray arguments (2)', async () => {
    const a = io('');
    expect(await hashPasswordCommand(['--help'], a.io)).toBe(0);
    expect(a.out()).toMatch(/usage: portier hash-password/);
    const b = io('');
    expect(await hashPasswordCommand(['secret'], b.io)).toBe(2);
    expect(b.err()).toMatch(/usage/);
  });
});

describe('portier hash-password on a terminal', () => {
  function tty(keys: string[]) {
    const stdin = new PassThrough() as unknown as NodeJS.ReadStream & { isTTY: boolean; isRaw: boolean; setRawMode: (on: boolean) => void };
    const raw: boolean[] = [];
    stdin.isTTY = true;
    stdin.isRaw = false;
    stdin.setRawMode = (on: boolean) => {
      raw.push(on);
      stdin.isRaw = on;
      return stdin;
    };
    let err = '';
    let out = '';
    const stderr = { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream;
    const stdout = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    // type each answer once the prompt for it is written
    let i = 0;
    const feed = setInterval(() => {
      const prompts = (err.match(/: $/gm) ?? []).length + (err.match(/Again: /g) ?? []).length;
      if (i < keys.length && prompts > i) (stdin as unknown as PassThrough).write(keys[i++]);
      if (i >= keys.length) clearInterval(feed);
    }, 5);
    return { io: { stdin, stdout, stderr, params: { N: 1024, r: 8, p: 1 } }, out: () => out, err: () => err, raw };
  }

  it('asks twice without echo (raw mode, backspace honoured) and prints the hash', async () => {
    const t = tty(['door-pw\u007fw!\r', 'door-pw!\r']);
    expect(await hashPasswordCommand([], t.io)).toBe(0);
    expect(t.err()).toContain('Panel password: ');
    expect(t.err()).not.toContain('door-pw');
    expect(t.raw[0]).toBe(true);
    expect(t.raw[t.raw.length - 1]).toBe(false);
    expect(await verifyPassword('door-pw!', t.out().trim())).toBe(true);
  });

  it('prints nothing when the two entries differ', async () => {
    const t = tty(['one-password\r', 'another-one\r']);
    expect(await hashPasswordCommand([], t.io)).toBe(1);
    expect(t.out()).toBe('');
    expect(t.err()).toMatch(/differ/);
  });
});
