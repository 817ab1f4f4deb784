/**
 * The HTTP server edge: @hono/node-server on panel.listen.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { PortierError } from '../util/errors.js';

export interface HttpServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

export function startHttpServer(app: Hono, host: string, port: number): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }) as Server;
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new PortierError('INTERNAL', `cannot listen on ${host}:${port} (panel.listen): ${why}`, { cause: err }));
    });
    server.once('listening', () => {
      let closed: Promise<void> | null = null;
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close() {
          closed ??= new Promise((res) => {
            server.close(() => res());
            server.closeAllConnections?.();
          });
          return closed;
        },
      });
    });
  });
}
