/**
 * The HTTP server edge: @hono/node-server on panel.listen.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { PortierError } from '../util/errors.js';

export interface HttpServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** PEM certificate and key for HTTPS (`panel.tls_cert`, `panel.tls_key`). */
export interface PanelTls {
  cert: Buffer;
  key: Buffer;
}

/** Reads the panel's certificate and key; an unreadable file is an error that names its key. */
export function readPanelTls(certFile: string | undefined, keyFile: string | undefined): PanelTls | undefined {
  if (!certFile || !keyFile) return undefined;
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      throw new PortierError('CONFIG_INVALID', `${key}: cannot read ${file}: ${why}`, { cause: err });
    }
  };
  return { cert: read(certFile, 'panel.tls_cert'), key: read(keyFile, 'panel.tls_key') };
}

export function startHttpServer(app: Hono, host: string, port: number, tls?: PanelTls): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    let server: Server;
    try {
      server = (
        tls
          ? serve({ fetch: app.fetch, hostname: host, port, createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } })
          : serve({ fetch: app.fetch, hostname: host, port })
      ) as Server;
    } catch (err) {
      // a certificate or key that does not parse, or that do not belong together
      reject(new PortierError('CONFIG_INVALID', `panel.tls_cert / panel.tls_key: ${(err as Error).message}`, { cause: err }));
      return;
    }
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
