/**
 * The panel: the HTTP API plus (issue 6) the web page, sessions, WebSocket and SSE live status.
 * main.ts calls createPanel() once, serves `app`, and hands the node server to `attach()`.
 */
import type { Server } from 'node:http';
import type { Hono } from 'hono';
import type { ResolvedConfig } from '../../config/load.js';
import type { StatusHub } from '../status-hub.js';
import type { Logger } from '../util/log.js';
import { createApi, type ApiController } from './api.js';

export interface PanelOptions {
  controller: ApiController;
  hub: StatusHub;
  config: ResolvedConfig;
  log: Logger;
  /** extra authenticated /api routes (the intercom's) */
  extend?: (api: Hono) => void;
}

export interface Panel {
  readonly app: Hono;
  /** called once the HTTP server exists (WebSocket upgrades hook in here) */
  attach(server: Server): void;
  close(): Promise<void>;
}

export function createPanel(opts: PanelOptions): Panel {
  const app = createApi({ controller: opts.controller, token: opts.config.panel.token, extend: opts.extend });
  return {
    app,
    attach() {},
    async close() {},
  };
}
