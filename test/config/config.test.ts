import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeConfig, exampleToml } from '../../config/describe.js';
import { formatIssues, loadConfigText } from '../../config/load.js';
import { DEMO_TOML } from '../../config/demo.js';

const env = { HOME: '/home/test' };

function issues(text: string, extraEnv: Record<string, string> = {}) {
  const r = loadConfigText(text, { env: { ...env, ...extraEnv }, readFile: (p) => {
    if (p === '/run/secret') return 'from-file\n';
    throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  } });
  return r.ok ? [] : formatIssues(r.issues).split('\n');
}

describe('config loading', () => {
  it('applies every default to an empty file', () => {
    const r = loadConfigText('', { env });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.sip.transport).toBe('udp');
    expect(r.config.panel.listen).toBe('127.0.0.1:8080');
    expect(r.config.media.rtp_ports).toBe('20000-20100');
    expect(r.config.state_dir).toBe('/home/test/.local/state/portier');
  });

  it('takes state_dir from systemd STATE_DIRECTORY when set', () => {
    const r = loadConfigText('', { env: { STATE_DIRECTORY: '/var/lib/portier' } });
    expect(r.ok && r.config.state_dir).toBe('/var/lib/portier');
  });

  it('reports an unknown key by its full path', () => {
    expect(issues('[sip]\nregistrer = "sip:1.2.3.4"\n')).toEqual(['sip.registrer: unknown key']);
  });

  it('lists every problem at once, one per line', () => {
    const lines = issues(`
[sip]
registrer = "sip:x"
transport = "carrier-pigeon"
[panel]
listen = "127.0.0.1:99999"
[[buttons]]
id = "door"
driver = "gpoid"
`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'sip.registrer: unknown key',
        expect.stringMatching(/^sip\.transport: must be one of "udp", "tcp", "tls"/),
        expect.stringMatching(/^panel\.listen: port 99999 is out of range/),
      ]),
    );
    expect(lines).toHaveLength(3);
  });

  it('names unknown drivers with the list of known ones (after the schema passes)', () => {
    const lines = issues('[audio]\ncapture = "mic:0"\n[[buttons]]\nid = "door"\ndriver = "gpoid"\n');
    expect(lines).toContain('buttons[0].driver: unknown driver "gpoid"; known: sim, gpiod');
    expect(lines.find((l) => l.startsWith('audio.capture'))).toMatch(/unknown capture driver "mic"; known: silence, tone/);
  });

  it('reports wrong types with the path into arrays of tables', () => {
    expect(issues('[[relays]]\nid = "door"\npulse_ms = "long"\n')).toEqual(['relays[0].pulse_ms: expected number, got string']);
  });

  it('reports malformed TOML with line and column', () => {
    const [line] = issues('[sip\nuser = 1');
    expect(line).toMatch(/line 1, column \d+\): invalid TOML/);
  });

  it('checks cross references: doors name an existing relay, ids are unique', () => {
    const lines = issues('[[relays]]\nid = "a"\n[[relays]]\nid = "a"\n[[doors]]\nrelay = "b"\n');
    expect(lines).toContain('relays[1].id: duplicate id "a"');
    expect(lines).toContain('doors[0].relay: no relay with id "b" (relays: a)');
  });

  it('reads secrets from an environment variable or a file', () => {
    const r1 = loadConfigText('[sip]\npassword_env = "PW"\n', { env: { PW: 'from-env' } });
    expect(r1.ok && r1.config.sip.password).toBe('from-env');
    const r2 = loadConfigText('[sip]\npassword_file = "/run/secret"\n', { env, readFile: () => 'from-file\n' });
    expect(r2.ok && r2.config.sip.password).toBe('from-file');
    expect(issues('[sip]\npassword_env = "MISSING"\n')).toEqual(['sip.password_env: environment variable MISSING is not set']);
    expect(issues('[sip]\npassword = "a"\npassword_env = "PW"\n', { PW: 'x' })).toEqual([
      'sip.password_env: give only one of sip.password, password_env',
    ]);
  });

  it('refuses values that could inject SIP headers', () => {
    expect(issues('[sip]\ndisplay_name = "Door\\r\\nX-Evil: 1"\n')).toEqual(['sip.display_name: must not contain line breaks or NUL']);
  });

  it('refuses an extension target without a registrar', () => {
    expect(issues('[[buttons]]\nid = "b"\ncall = ["100"]\n')).toEqual([
      'buttons[0].call[0]: extension "100" needs sip.registrar (or give a full SIP URI)',
    ]);
  });

  it('keeps the panel on loopback unless a password hash is set', () => {
    expect(issues('[panel]\nlisten = "0.0.0.0:8080"\n')).toEqual([
      expect.stringMatching(/^panel\.listen: the panel would be open on 0\.0\.0\.0 without a password: set panel\.password_hash/),
    ]);
    expect(issues('[panel]\nlisten = "0.0.0.0:8080"\npassword_hash = "scrypt$32768$8$1$abc$def"\n')).toEqual([]);
  });

  it('the built-in demo config is valid', () => {
    expect(issues(DEMO_TOML)).toEqual([]);
  });
});

describe('config/portier.example.toml', () => {
  const text = readFileSync(new URL('../../config/portier.example.toml', import.meta.url), 'utf8');

  it('is what the schema generates (run `npm run example-config` after changing the schema)', () => {
    expect(text).toBe(exampleToml());
  });

  it('documents every schema key and loads without errors', () => {
    for (const section of describeConfig()) {
      for (const key of section.keys) {
        expect(text).toMatch(new RegExp(`^#? ?${key.path} = `, 'm'));
        expect(key.description.length).toBeGreaterThan(5);
      }
    }
    expect(issues(text)).toEqual([]);
  });
});
