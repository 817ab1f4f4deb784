/**
 * The panel: the HTTP API plus the web page, login sessions, and the live status over WebSocket (/ws)
 * and Server-Sent Events (/api/events/stream). main.ts calls createPanel() once, serves `app`, and
 * hands the node server to `attach()`; `close()` ends live clients (safe to call twice).
 */
import type { Server } from 'node:http';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Hono } from 'hono';
import type { ResolvedConfig } from '../../config/load.js';
import type { StatusHub } from '../util/status-hub.js';
import { systemClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { createApi, type ApiController } from './api.js';
import { WebAssets } from './assets.js';
import { PanelAuth } from './auth.js';
import { LiveFeed } from './live.js';
import { verifyPassword } from './password.js';
import { LoginLimiter, type LoginLimiterOptions } from './rate-limit.js';
import { LoginLink } from './login-link.js';
import { addPageRoutes } from './routes.js';
import { SessionStore, type SessionOptions } from './sessions.js';
import { SseHub } from './sse.js';
import { WsGateway, type PanelClient } from './ws.js';
import type { PanelPhone } from '../webrtc/panel-phone.js';

export interface PanelOptions {
  controller: ApiController;
  hub: StatusHub;
  config: ResolvedConfig;
  log: Logger;
  /** extra authenticated /api routes (the intercom's) */
  extend?: (api: Hono) => void;
  /** tests: session store settings (default: persisted in state_dir/panel-sessions.json) */
  sessions?: SessionOptions;
  /** tests: login limiter settings */
  limiter?: Partial<LoginLimiterOptions>;
  /** tests: where the built web assets are */
  webDirs?: string[];
  /** tests: WebSocket ping interval */
  heartbeatMs?: number;
  /** the browser phone: its signalling runs over /ws */
  phone?: PanelPhone;
}

export interface PanelStats {
  ws_clients: number;
  sse_clients: number;
  published: number;
  sessions: number;
  /**
   * WebSocket broadcast cost since the last reset, ms: slices (at most 25 sends each, one per
   * event-loop turn) and their longest run; spread = from publish to the last client's send
   */
  broadcast: { messages: number; slices: number; slice_mean: number; slice_max: number; spread_mean: number; spread_max: number };
  /**
   * event-loop lag since the last reset, ms: how late perf_hooks.monitorEventLoopDelay's 10 ms timer
   * fired (its raw figures include the 10 ms interval itself, subtracted here). The monitor wakes the
   * process 100 times a second, so it runs only for LOOP_MONITOR_MS after a reset asked for it
   * (`monitoring` says whether it is on); an idle door does not pay for it.
   */
  event_loop: { monitoring: boolean; mean: number; p50: number; p99: number; max: number; samples: number };
}

export interface Panel {
  readonly app: Hono;
  /** called once the HTTP server exists (WebSocket upgrades hook in here) */
  attach(server: Server): void;
  close(): Promise<void>;
  stats(reset?: boolean): PanelStats;
}

const LOOP_RESOLUTION_MS = 10;
/** how long the event-loop monitor runs after /api/panel/stats?reset=1 */
const LOOP_MONITOR_MS = 10 * 60_000;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function createPanel(opts: PanelOptions): Panel {
  const { config, log } = opts;
  const sessions = new SessionStore({
    file: join(config.state_dir, 'panel-sessions.json'),
    onError: (err) => log.warn({ err: err.message }, 'panel sessions file'),
    ...opts.sessions,
  });
  const auth = new PanelAuth({ token: config.panel.token, sessions });
  const limiter = new LoginLimiter({ now: () => systemClock.now(), ...opts.limiter });
  const feed = new LiveFeed(opts.hub);
  const phone = opts.phone;
  const ws = new WsGateway({
    feed,
    auth,
    log,
    heartbeatMs: opts.heartbeatMs,
    ...(phone ? { onMessage: (c: PanelClient, m: Record<string, unknown>) => phone.onMessage(c, m), onClientClosed: (c: PanelClient) => phone.onPageClosed(c) } : {}),
  });
  phone?.attach(() => ws.pages());
  const sse = new SseHub({ feed });
  const assets = new WebAssets(opts.webDirs);
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let loopMonitorTimer: NodeJS.Timeout | null = null;
  const armLoopMonitor = () => {
    if (closed) return;
    loopDelay.enable();
    if (loopMonitorTimer) clearTimeout(loopMonitorTimer);
    loopMonitorTimer = setTimeout(() => {
      loopDelay.disable();
      loopMonitorTimer = null;
    }, LOOP_MONITOR_MS).unref();
  };
  let loaded = false;
  let closed = false;

  const stats = (reset = false): PanelStats => {
    const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - LOOP_RESOLUTION_MS) * 100) / 100);
    const h = loopDelay;
    const out: PanelStats = {
      ws_clients: ws.clientCount,
      sse_clients: sse.clientCount,
      published: feed.published,
      sessions: sessions.size,
      broadcast: ((b) => ({
        messages: b.messages,
        slices: b.slices,
        slice_mean: r3(b.slices ? b.sliceTotalMs / b.slices : 0),
        slice_max: r3(b.sliceMaxMs),
        spread_mean: r3(b.messages ? b.spreadTotalMs / b.messages : 0),
        spread_max: r3(b.spreadMaxMs),
      }))(ws.broadcast),
      event_loop: {
        monitoring: loopMonitorTimer !== null,
        ...(h.count
          ? { mean: ms(h.mean), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), samples: h.count }
          : { mean: 0, p50: 0, p99: 0, max: 0, samples: 0 }),
      },
    };
    if (reset) {
      armLoopMonitor();
      h.reset();
      ws.resetBroadcastStats();
    }
    return out;
  };

  const app = createApi({
    controller: opts.controller,
    log,
    token: config.panel.token,
    auth: auth.middleware(),
    extend: (api) => {
      api.get('/session', (c) => {
        const a = c.get('auth' as never) as { via: string; session?: { expires: number } } | undefined;
        return c.json({ ok: true, via: a?.via ?? 'unknown', expires: a?.session ? new Date(a.session.expires).toISOString() : null });
      });
      api.get('/events/stream', (c) => sse.handle(c));
      api.get('/panel/stats', (c) => c.json(stats(c.req.query('reset') === '1')));
      opts.extend?.(api);
    },
  });
  const loginLink = config.panel.login_link ? new LoginLink() : undefined;
  addPageRoutes(app, {
    loginLink,
    auth,
    limiter,
    assets,
    passwordHash: config.panel.password_hash,
    verify: verifyPassword,
    log,
    onLogout: (key) => ws.closeSession(key),
  });

  return {
    app,
    attach(server: Server) {
      if (closed) return;
      if (!loaded) {
        loaded = true;
        sessions.load();
      }
      feed.start();
      ws.attach(server);
      const link = loginLink?.url(panelOrigin(server, config.panel.listen, !!config.panel.tls_cert));
      if (link) log.info({ url: link }, `panel: log in once at ${link}`);
      else if (!config.panel.password_hash) log.info('panel: no password set (panel.password_hash); the page explains `portier hash-password`');
    },
    async close() {
      if (closed) return;
      closed = true;
      loopDelay.disable();
      if (loopMonitorTimer) clearTimeout(loopMonitorTimer);
      loopMonitorTimer = null;
      sse.close();
      await ws.close();
      feed.close();
    },
    stats,
  };
}

/** http(s)://HOST:PORT of the listening server (the configured host; the bound port, for `:0`). */
function panelOrigin(server: Server, listen: string, https: boolean): string {
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : Number(listen.replace(/^.*:/, ''));
  const host = listen.replace(/:\d+$/, '');
  return `${https ? 'https' : 'http'}://${host}:${port}`;
}
