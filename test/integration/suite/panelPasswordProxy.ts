/**
 * A loopback proxy in front of the (trust-auth) test PostgreSQL that demands a cleartext password
 * first, so the tests can see the editor ask for a password once, keep it in SecretStorage, and forget
 * it. After the password check it replays the client's startup message to the real server and pipes.
 */
import * as net from 'node:net';

export interface PasswordProxy {
  port: number;
  /** Passwords received, in order (a connection without one is not listed). */
  passwords: string[];
  /** Connections currently waiting for the client's password. */
  waiting(): number;
  /** Connections accepted that have neither passed the password check nor closed. */
  handshaking(): number;
  close(): Promise<void>;
}

function authRequest(code: number): Buffer {
  const b = Buffer.alloc(9);
  b.write('R', 0);
  b.writeInt32BE(8, 1);
  b.writeInt32BE(code, 5);
  return b;
}

function errorResponse(message: string): Buffer {
  const fields = Buffer.concat([Buffer.from('SFATAL\0C28P01\0M' + message + '\0'), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

export function startPasswordProxy(target: { host: string; port: number }, password: string): Promise<PasswordProxy> {
  const passwords: string[] = [];
  let waiting = 0;
  let handshaking = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    handshaking++;
    let settled = false;
    const settle = () => { if (!settled) { settled = true; handshaking--; } };
    client.on('close', () => { sockets.delete(client); settle(); });
    client.on('error', () => {});
    let buf = Buffer.alloc(0);
    let startup: Buffer | undefined;
    let stage: 'startup' | 'password' | 'piped' = 'startup';
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (stage === 'startup') {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const msg = buf.subarray(0, len);
          buf = buf.subarray(len);
          if (len === 8 && msg.readInt32BE(4) === 80877103) { client.write('N'); continue; } // SSLRequest: no TLS here
          startup = Buffer.from(msg);
          stage = 'password';
          waiting++;
          client.write(authRequest(3));
        } else if (stage === 'password') {
          if (buf.length < 5) return;
          const len = buf.readInt32BE(1);
          if (buf.length < len + 1) return;
          const msg = buf.subarray(0, len + 1);
          buf = buf.subarray(len + 1);
          waiting--;
          stage = 'piped';
          const given = msg.subarray(5, msg.length - 1).toString('utf8');
          passwords.push(given);
          if (msg[0] !== 0x70 || given !== password) {
            client.end(errorResponse('password authentication failed for user "postgres"'));
            return;
          }
          client.off('data', onData);
          settle();
          const upstream = net.connect(target.port, target.host, () => {
            upstream.write(startup!);
            if (buf.length) upstream.write(buf);
            client.pipe(upstream);
            upstream.pipe(client);
          });
          sockets.add(upstream);
          upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
          upstream.on('error', () => client.destroy());
          client.on('close', () => upstream.destroy());
          return;
        } else {
          return;
        }
      }
    };
    client.on('data', onData);
    client.on('close', () => { if (stage === 'password') waiting--; });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port, passwords, waiting: () => waiting, handshaking: () => handshaking,
        close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      });
    });
  });
}
