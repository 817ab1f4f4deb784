// The HTTP client of press-latency.ts, in its own process: on each "press" message it POSTs the
// press and reports the epoch time (ms) at which it sent the request.
const [url, token] = process.argv.slice(2);
await fetch(url.replace('/buttons/door/press', '/health')); // warm the connection pool
process.on('message', async () => {
  const t0 = performance.timeOrigin + performance.now();
  process.send(t0);
  const r = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
});
