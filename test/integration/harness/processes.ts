/** Child processes the harness starts: each in its own process group, stopped by group id. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  output(): string;
  /** Stops the whole process group (code-server leaves watcher processes otherwise). */
  stop(): Promise<void>;
}

/** Starts `cmd` in a new session (setsid), so that `kill -- -pid` reaches every descendant. */
export function startGroup(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Started {
  const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => { out += d.toString(); if (out.length > 200_000) out = out.slice(-100_000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => { exited = true; r(); }));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.pid === undefined) return;
      for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
        try { process.kill(-child.pid, sig); } catch { /* group already gone */ }
        if (exited) break;
        await Promise.race([exit, new Promise((r) => setTimeout(r, 3000))]);
        if (exited) break;
      }
      // The leader may be gone while children of the group linger: one last sweep.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    },
  };
}

/** Rejects with `message` when `p` does not settle within `ms`. */
export async function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(message)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
