/**
 * Logging: pino, one JSON object a line on stdout (journald picks it up); `pretty` for people.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = opts.level ?? 'info';
  if (opts.pretty) {
    // loaded only when asked for: it costs about 10 MB of RSS
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    return pino({ level }, pretty({ colorize: process.stdout.isTTY, sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd: 1, sync: true }));
}
