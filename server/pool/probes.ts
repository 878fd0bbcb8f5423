/** Probes of a starting worker from outside: a free port to give it, its port accepting, its health path answering. */
import * as http from 'node:http';
import * as net from 'node:net';

/** A free loopback port, for command workers that must be told their port up front. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Poll until something accepts connections on the port. */
export async function waitForPort(port: number, timeoutMs: number, cancelled: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !cancelled()) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/** Poll an HTTP path until it answers below 500 (true), or until cancelled (false). */
export async function probeHttp(port: number, pathName: string, cancelled: () => boolean, onFailure: (why: string) => void): Promise<boolean> {
  while (!cancelled()) {
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: pathName, agent: false, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => {
        onFailure(err.message);
        resolve(0);
      });
      req.on('timeout', () => req.destroy(new Error('health check timed out')));
    });
    if (status > 0 && status < 500) return true;
    if (status >= 500) onFailure(`it answered ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

