/**
 * A small TCP proxy on loopback that misbehaves on purpose, between the HTTP client and the ingest server:
 * it can cut a connection after some bytes, flip a byte of a body, or hold the traffic until released.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ProxyOptions {
  /** Where to forward. */
  port: number;
  /** Cut the first connection that has sent this many bytes to the server (both directions close at once). */
  cutAfter?: number;
  /**
   * Flip one byte (XOR 0x01) at index 1000 of client→server chunks of at least 16 KiB (request bodies, never
   * the small header writes): `once` for the first such chunk, `always` for every one.
   */
  flip?: 'once' | 'always';
  /** Stop forwarding client→server bytes of the first connection past this many, until {@link Proxy.release}. */
  holdAfter?: number;
}

export interface Proxy {
  url: string;
  /** Bytes forwarded client → server, all connections together. */
  bytesUp: number;
  connections: number;
  cuts: number;
  flips: number;
  /** True once a held connection has reached its limit. */
  holding: boolean;
  /** Drops the held connection (both ends). */
  release(): void;
  close(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  let held = false;
  let heldPair: [Socket, Socket] | undefined;
  const proxy: Proxy = {
    url: '',
    bytesUp: 0,
    connections: 0,
    cuts: 0,
    flips: 0,
    holding: false,
    release() {
      heldPair?.[0].destroy();
      heldPair?.[1].destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((client) => {
    proxy.connections++;
    const upstream = connect(options.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let sent = 0;
    const holdThis = options.holdAfter !== undefined && !held;
    if (holdThis) held = true;
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (data: Buffer) => {
      let chunk = data;
      if (holdThis && options.holdAfter !== undefined) {
        if (proxy.holding) return;
        if (sent + chunk.length >= options.holdAfter) {
          chunk = chunk.subarray(0, options.holdAfter - sent);
          proxy.holding = true;
          heldPair = [client, upstream];
          client.pause();
        }
      }
      if (options.flip && chunk.length >= 16384 && (options.flip === 'always' || proxy.flips === 0)) {
        chunk = Buffer.from(chunk);
        chunk[1000] = chunk[1000]! ^ 0x01;
        proxy.flips++;
      }
      if (options.cutAfter !== undefined && !cut && sent + chunk.length >= options.cutAfter) {
        cut = true;
        proxy.cuts++;
        upstream.write(chunk.subarray(0, options.cutAfter - sent), () => end());
        proxy.bytesUp += options.cutAfter - sent;
        return;
      }
      sent += chunk.length;
      proxy.bytesUp += chunk.length;
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
