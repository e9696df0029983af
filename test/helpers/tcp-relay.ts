// A TCP relay on loopback to a local port, standing in for one broker: `cut` drops its connections
// and refuses new ones, as a dead host would; `restore` takes new ones again.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './postgres.js';

export interface Relay {
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function relay(target: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
