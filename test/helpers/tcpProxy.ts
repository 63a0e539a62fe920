// A loopback TCP proxy that can fail like a server going away mid-transfer: while cutting, every
// connection is destroyed once it has carried `cutAfterBytes` of the request.

import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  url: string;
  /** Cut every new connection after this many request bytes; undefined passes everything through. */
  cutAfterBytes: number | undefined;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let cuts = 0;
  const proxy: TcpProxy = {
    url: '',
    cutAfterBytes: undefined,
    get cuts() {
      return cuts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer((downstream) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(downstream).add(upstream);
    const limit = proxy.cutAfterBytes;
    let carried = 0;
    downstream.on('data', (chunk: Buffer) => {
      carried += chunk.length;
      if (limit !== undefined && carried > limit) {
        cuts++;
        downstream.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(downstream);
    const forget = () => {
      sockets.delete(downstream);
      sockets.delete(upstream);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('close', forget).on('error', forget);
    upstream.on('close', forget).on('error', forget);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
