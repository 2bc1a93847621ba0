/**
 * A loopback pass-through proxy in front of the test PostgreSQL that counts what clients send: the
 * connections opened and the statements (simple-protocol Query and extended-protocol Parse messages).
 * The tests read the counts to prove that a path sent nothing to the database.
 */
import * as net from 'node:net';

export interface CountingProxy {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Statement texts received (Query and Parse messages), in order. */
  statements: string[];
  close(): Promise<void>;
}

export function startCountingProxy(target: { host: string; port: number }): Promise<CountingProxy> {
  let connections = 0;
  const statements: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    sockets.add(client);
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    let buf = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          // SSLRequest / GSSENCRequest come before the startup message
          if (code !== 80877103 && code !== 80877104) started = true;
          continue;
        }
        if (buf.length < 5) return;
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const type = String.fromCharCode(buf[0]);
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type === 'Q') statements.push(body.subarray(0, body.indexOf(0)).toString('utf8'));
        else if (type === 'P') {
          const nameEnd = body.indexOf(0);
          const text = body.subarray(nameEnd + 1);
          statements.push(text.subarray(0, text.indexOf(0)).toString('utf8'));
        }
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port, statements, connections: () => connections,
        close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      });
    });
  });
}
