/**
 * A TCP port that was free a moment ago, from the kernel's ephemeral range (for a daemon's HTTP
 * listener in tests and benchmarks; peers on fixed bases use peers/ports.ts instead).
 */
import { createServer } from 'node:net';

export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
