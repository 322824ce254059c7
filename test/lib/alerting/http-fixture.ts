/** A local HTTP endpoint that records what is posted to it and answers with given statuses, for webhook tests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Posted {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TestEndpoint {
  url: string;
  requests: Posted[];
  next(n?: number, timeoutMs?: number): Promise<Posted[]>;
  close(): Promise<void>;
}

/** `statuses` answer the requests in turn; the last one answers all that follow. */
export async function startEndpoint(statuses: number[] = [200], answer = '{"id":"msg-1"}'): Promise<TestEndpoint> {
  const requests: Posted[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses[Math.min(requests.length, statuses.length - 1)];
      requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? answer : '{"error":"busy"}');
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    next(n = 1, timeoutMs = 5000) {
      const target = requests.length + n;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`endpoint: ${requests.length}/${target} requests`)), timeoutMs);
        const check = (): void => {
          if (requests.length >= target) {
            clearTimeout(timer);
            resolve(requests.slice(target - n, target));
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
