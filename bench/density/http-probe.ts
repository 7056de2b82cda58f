// One HTTP GET against a service, true only when the body is exactly the page that service serves.
// A fresh connection per probe (no keep-alive), bounded by a timeout.
import { request } from 'node:http';

export function probe(host: string, port: number, expected: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    const req = request({ host, port, path: '/', method: 'GET', agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
        if (body.length > 4096) req.destroy();
      });
      res.on('end', () => done(res.statusCode === 200 && body === expected));
      res.on('error', () => done(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.on('close', () => done(false));
    req.end();
  });
}
