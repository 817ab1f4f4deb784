/**
 * The `portier` subcommands: run, check-config, and diagnostics. daemon/cli.ts is the executable.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_TOML } from '../../config/demo.js';
import { formatIssues, loadConfigFile, loadConfigText, summarize, type LoadResult } from '../../config/load.js';
import { startDaemon } from '../main.js';
import { hashPasswordCommand } from '../panel/password.js';
import { createLogger } from '../util/log.js';
import { version } from '../util/version.js';

const HELP = `portier ${version()} — SIP door intercom daemon

Usage:
  portier run [--config FILE] [--pretty]   run the daemon (no --config: the built-in demo)
  portier check-config FILE                check a config file; lists every problem
  portier audio-test [--device DEV | --capture DEV --playback DEV] [--config FILE] [--seconds 3] [--rate 16000] [--no-playback]
                                           record a few seconds and play them back
  portier audio-devices [--json]           list ALSA capture and playback devices
  portier hash-password                    print a scrypt hash for panel.password_hash (stdin, or asked twice on a terminal)
  portier sip-check FILE...                parse captured SIP messages (one datagram a file)
  portier bench-jitter [--playout DIR] TRACE.csv...
                                           replay jitter traces through the jitter buffer
  portier --version                        print the version
  portier --help                           this text

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid config.
`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  run: runCommand,
  'check-config': checkConfigCommand,
  'sip-check': sipCheckCommand,
  'bench-jitter': benchJitterCommand,
  'hash-password': (args) => hashPasswordCommand(args),
  'audio-test': (args) => import('./audio-commands.js').then((m) => m.audioTestCommand(args)),
  'audio-devices': (args) => import('./audio-commands.js').then((m) => m.audioDevicesCommand(args)),
};

async function sipCheckCommand(args: string[]): Promise<number> {
  if (args.length === 0) {
    process.stderr.write('usage: portier sip-check FILE...\n');
    return 2;
  }
  const { runSipCheck } = await import('../sip/sip-check.js');
  const r = await runSipCheck(args);
  process.stdout.write(r.lines.join('\n') + '\n');
  return r.exitCode;
}

async function benchJitterCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { playout: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: portier bench-jitter [--playout DIR] TRACE.csv...\n`);
    return 2;
  }
  if (parsed.positionals.length === 0) {
    process.stderr.write('usage: portier bench-jitter [--playout DIR] TRACE.csv...\n');
    return 2;
  }
  const { runBenchJitter } = await import('../media/bench-jitter.js');
  try {
    const lines = runBenchJitter(parsed.positionals, parsed.values.playout ? { playoutDir: parsed.values.playout } : {});
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } catch (err) {
    process.stderr.write(`portier bench-jitter: ${(err as Error).message}\n`);
    return 1;
  }
}

async function checkConfigCommand(args: string[]): Promise<number> {
  if (args.length !== 1) {
    process.stderr.write('usage: portier check-config FILE\n');
    return 2;
  }
  const result = loadConfigFile(args[0]);
  if (!result.ok) {
    process.stdout.write(formatIssues(result.issues) + '\n');
    process.stderr.write(`${args[0]}: ${result.issues.length} problem(s)\n`);
    return 2;
  }
  process.stdout.write(`${args[0]}: ok\n${summarize(result.config)}\n`);
  return 0;
}

/** The demo has no token in its config: make one per state dir (mode 0600) and say where it is. */
function demoToken(stateDir: string): { token: string; file: string } {
  const file = join(stateDir, 'demo-api-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, file };
  } catch {
    /* make a new one */
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o750 });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file };
}

async function runCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, pretty: { type: 'boolean' } }, strict: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${HELP}`);
    return 2;
  }
  const file = parsed.values.config;
  const result: LoadResult = file ? loadConfigFile(file) : loadConfigText(DEMO_TOML, { source: 'built-in demo' });
  if (!result.ok) {
    process.stderr.write(formatIssues(result.issues) + '\n');
    return 2;
  }
  const config = result.config;
  const log = createLogger({ level: config.log.level, pretty: parsed.values.pretty });
  if (!file && !config.panel.token) {
    const { token, file: tokenFile } = demoToken(config.state_dir);
    config.panel.token = token;
    log.info({ tokenFile }, 'demo mode: simulated hardware; the API token is in tokenFile');
  }
  let daemon;
  try {
    daemon = await startDaemon({ config, log });
  } catch (err) {
    log.fatal({ err: (err as Error).message, code: (err as { code?: string }).code }, 'portier could not start');
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      const force = setTimeout(() => {
        log.warn('shutdown took longer than 2.5 s; exiting anyway');
        resolve(0);
      }, 2500);
      force.unref();
      daemon.close().then(
        () => {
          clearTimeout(force);
          log.info('stopped');
          resolve(0);
        },
        (err) => {
          log.error({ err: (err as Error).message }, 'error while stopping');
          resolve(0);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const fn = commands[cmd];
  if (!fn) {
    process.stderr.write(`unknown command "${cmd}"\n${HELP}`);
    return 2;
  }
  return fn(rest);
}

