/**
 * Loads and checks a config: TOML syntax, the schema, cross-references, driver names and secrets,
 * reporting every problem at once as `path: message` (architecture rule 7).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { checkAudioSpec, checkGpioDriver } from '../hal/registry.js';
import { configSchema, type Config } from './schema.js';

export interface ConfigIssue {
  path: string;
  message: string;
}

/** The config after loading: secrets resolved into their plain keys, state_dir filled in. */
export type ResolvedConfig = Config & { state_dir: string };

export type LoadResult = { ok: true; config: ResolvedConfig } | { ok: false; issues: ConfigIssue[] };

export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(top level)';
}

function tidyMessage(message: string): string {
  // zod: "Invalid input: expected number, received string" -> "expected number, got string"
  return message.replace(/^Invalid input: /, '').replace(/, received /, ', got ');
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push({ path: formatPath([...issue.path, k]), message: 'unknown key' });
    } else if (issue.code === 'invalid_value' && 'values' in issue) {
      out.push({ path: formatPath(issue.path), message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` });
    } else {
      out.push({ path: formatPath(issue.path), message: tidyMessage(issue.message) });
    }
  }
  return out;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** for messages: the file the TOML came from */
  source?: string;
  readFile?: (path: string) => string;
}

/** Parse TOML text and check it. Never throws. */
export function loadConfigText(text: string, opts: LoadOptions = {}): LoadResult {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    const where = err instanceof TomlError ? `line ${err.line}, column ${err.column}` : 'TOML';
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, issues: [{ path: `${opts.source ?? 'config'} (${where})`, message: `invalid TOML: ${msg}` }] };
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, issues: zodIssues(parsed.error) };
  }
  const issues = crossCheck(parsed.data);
  const resolved = resolveSecrets(parsed.data, opts, issues);
  const panelHost = resolved.panel.listen.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const loopback = panelHost === 'localhost' || panelHost === '::1' || panelHost.startsWith('127.');
  if (!loopback && !resolved.panel.password_hash) {
    issues.push({
      path: 'panel.listen',
      message: `the panel would be open on ${panelHost} without a password: set panel.password_hash (make one with \`portier hash-password\`) or listen on 127.0.0.1`,
    });
  }
  if (!resolved.panel.tls_cert !== !resolved.panel.tls_key) {
    issues.push({
      path: resolved.panel.tls_cert ? 'panel.tls_key' : 'panel.tls_cert',
      message: 'HTTPS needs both panel.tls_cert and panel.tls_key (or neither, for plain HTTP)',
    });
  }
  if (!loopback && resolved.panel.login_link) {
    issues.push({
      path: 'panel.login_link',
      message: `a login link is only for a panel on loopback (listen is ${panelHost}): set panel.password_hash and turn login_link off`,
    });
  }
  if (issues.length) return { ok: false, issues };
  const env = opts.env ?? process.env;
  const state_dir =
    resolved.state_dir ?? (env.STATE_DIRECTORY ? env.STATE_DIRECTORY.split(':')[0] : join(env.HOME || homedir(), '.local', 'state', 'portier'));
  return { ok: true, config: { ...resolved, state_dir } };
}

export function loadConfigFile(path: string, opts: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    text = (opts.readFile ?? ((p) => readFileSync(p, 'utf8')))(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
    return { ok: false, issues: [{ path, message: `cannot read config: ${why}` }] };
  }
  return loadConfigText(text, { ...opts, source: path });
}

function duplicateIds(list: { id: string }[], section: string, issues: ConfigIssue[]): Set<string> {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(item.id)) issues.push({ path: `${section}[${i}].id`, message: `duplicate id "${item.id}"` });
    seen.add(item.id);
  });
  return seen;
}

function crossCheck(cfg: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  duplicateIds(cfg.buttons, 'buttons', issues);
  const relays = duplicateIds(cfg.relays, 'relays', issues);
  const inputs = duplicateIds(cfg.inputs, 'inputs', issues);
  duplicateIds(cfg.leds, 'leds', issues);
  for (const section of ['buttons', 'relays', 'inputs', 'leds'] as const) {
    cfg[section].forEach((dev, i) => {
      const problem = checkGpioDriver(dev.driver);
      if (problem) issues.push({ path: `${section}[${i}].driver`, message: problem });
      if (dev.driver === 'gpiod' && (dev.chip === undefined || dev.line === undefined)) {
        issues.push({ path: `${section}[${i}]`, message: 'the gpiod driver needs chip and line' });
      }
    });
  }
  cfg.doors.forEach((door, i) => {
    if (!relays.has(door.relay)) {
      issues.push({ path: `doors[${i}].relay`, message: `no relay with id "${door.relay}" (relays: ${[...relays].join(', ') || 'none'})` });
    }
    if (door.contact !== undefined && !inputs.has(door.contact)) {
      issues.push({ path: `doors[${i}].contact`, message: `no input with id "${door.contact}"` });
    }
  });
  for (const kind of ['capture', 'playback'] as const) {
    const problem = checkAudioSpec(kind, cfg.audio[kind]);
    if (problem) issues.push({ path: `audio.${kind}`, message: problem });
  }
  cfg.buttons.forEach((b, i) => {
    b.call.forEach((target, j) => {
      const bare = /^[A-Za-z0-9*#+._-]+$/.test(target);
      if (!bare && !/^(sips?|tel):\S+$/i.test(target)) {
        issues.push({ path: `buttons[${i}].call[${j}]`, message: `"${target}" is neither an extension nor a sip:, sips: or tel: URI` });
      }
      if (bare && !cfg.sip.registrar) {
        issues.push({ path: `buttons[${i}].call[${j}]`, message: `extension "${target}" needs sip.registrar (or give a full SIP URI)` });
      }
    });
  });
  return issues;
}

type SecretSection = 'sip' | 'panel';
const secrets: [SecretSection, string][] = [
  ['sip', 'password'],
  ['panel', 'token'],
  ['panel', 'password_hash'],
];

function resolveSecrets(cfg: Config, opts: LoadOptions, issues: ConfigIssue[]): Config {
  const env = opts.env ?? process.env;
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const out = structuredClone(cfg) as Config;
  for (const [section, name] of secrets) {
    const obj = out[section] as Record<string, unknown>;
    const given = [name, `${name}_env`, `${name}_file`].filter((k) => obj[k] !== undefined);
    if (given.length > 1) {
      issues.push({ path: `${section}.${given[1]}`, message: `give only one of ${section}.${given.join(', ')}` });
      continue;
    }
    const envName = obj[`${name}_env`] as string | undefined;
    const file = obj[`${name}_file`] as string | undefined;
    if (envName !== undefined) {
      const value = env[envName];
      if (value === undefined || value === '') issues.push({ path: `${section}.${name}_env`, message: `environment variable ${envName} is not set` });
      else obj[name] = value;
    } else if (file !== undefined) {
      try {
        obj[name] = read(file).replace(/\r?\n$/, '');
      } catch (err) {
        issues.push({ path: `${section}.${name}_file`, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      }
    }
    delete obj[`${name}_env`];
    delete obj[`${name}_file`];
    const value = obj[name];
    if (typeof value === 'string' && /[\r\n\0]/.test(value)) {
      issues.push({ path: `${section}.${name}`, message: 'must not contain line breaks or NUL' });
    }
  }
  return out;
}

/** A one-paragraph summary for `portier check-config`. */
export function summarize(cfg: ResolvedConfig): string {
  const lines = [
    `registrar: ${cfg.sip.registrar ?? 'none (direct calls only)'} as ${cfg.sip.user} over ${cfg.sip.transport}, listening on ${cfg.sip.listen}`,
    `codecs: ${cfg.media.codecs.join(', ')}; RTP ports ${cfg.media.rtp_ports}`,
    `audio: capture ${cfg.audio.capture}, playback ${cfg.audio.playback} at ${cfg.audio.sample_rate} Hz`,
    `panel: ${cfg.panel.listen}${cfg.panel.token ? ', API token set' : ''}${cfg.panel.password_hash ? ', password set' : ', no password'}`,
    `devices: ${cfg.buttons.length} button(s), ${cfg.relays.length} relay(s), ${cfg.inputs.length} input(s), ${cfg.leds.length} LED(s), ${cfg.doors.length} door(s)`,
    `state: ${cfg.state_dir}`,
  ];
  return lines.join('\n');
}
