/**
 * An embedded PostgreSQL for `dupguard demo`: PGlite (PostgreSQL in WASM) served on 127.0.0.1 by
 * pglite-socket, so the demo talks to it through `pg` and runs the very same scan engine as a real
 * server. Both packages load on first use only (they are external to the CLI bundle).
 */
import * as net from 'node:net';

/** A running embedded server. */
export interface EmbeddedServer {
  /** postgres:// URL for `connect()`. */
  url: string;
  port: number;
  /** Stops the socket server and the database; safe to call twice. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts PGlite in memory and serves it on a free loopback port. */
export async function startEmbedded(): Promise<EmbeddedServer> {
  let pglite: typeof import('@electric-sql/pglite');
  let socket: typeof import('@electric-sql/pglite-socket');
  try {
    pglite = await import('@electric-sql/pglite');
    socket = await import('@electric-sql/pglite-socket');
  } catch (e) {
    throw new Error(`the embedded database needs @electric-sql/pglite and @electric-sql/pglite-socket (run npm install): ${(e as Error).message}`);
  }
  const db = await pglite.PGlite.create();
  const port = await freePort();
  const server = new socket.PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 4 });
  await server.start();
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop().catch(() => {});
      await db.close().catch(() => {});
    },
  };
}
