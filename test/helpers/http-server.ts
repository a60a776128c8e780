/**
 * A real HTTP server on the loopback interface for online-revocation tests: fixed answers per path, a path that
 * never answers, and a count of the requests each path received (to prove what was, or was not, downloaded).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a path answers. */
type Route =
  | { body: Uint8Array; contentType?: string; status?: number }
  | { hang: true }
  | ((request: IncomingMessage, body: Uint8Array, response: ServerResponse) => void);

export interface TestHttpServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  routes: Map<string, Route>;
  /** Requests per path (query strings stripped). */
  hits: Map<string, number>;
  total(): number;
  close(): Promise<void>;
}

export async function startHttpServer(): Promise<TestHttpServer> {
  const routes = new Map<string, Route>();
  const hits = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const route = routes.get(path);
      if (!route) {
        response.writeHead(404).end('not found');
      } else if (typeof route === 'function') {
        route(request, new Uint8Array(Buffer.concat(chunks)), response);
      } else if ('hang' in route) {
        hanging.add(response); // never answered; closed with the server
      } else {
        response.writeHead(route.status ?? 200, { 'content-type': route.contentType ?? 'application/pkix-crl' });
        response.end(route.body);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    routes,
    hits,
    total: () => [...hits.values()].reduce((a, b) => a + b, 0),
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
