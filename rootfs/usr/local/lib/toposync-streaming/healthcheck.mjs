// Docker HEALTHCHECK of the add-on image (the linter forbids Supervisor's `watchdog` key).
// Healthy = the server answers HTTP on its port within the timeout. Any status below 500 counts:
// in add-on mode the ingress port may refuse a loopback peer (only Home Assistant's ingress proxy
// is trusted there), and a refusal still proves the event loop and the router are alive. A missing
// MediaMTX/go2rtc is not unhealthy either: the server reports and restarts its children itself.
// Exit 0 healthy, 1 unhealthy (Docker's contract).
import { request } from 'node:http';

const port = Number(process.env.TOPOSYNC_STREAMING_PORT ?? '8100');
const timeoutMs = Number(process.env.TOPOSYNC_HEALTHCHECK_TIMEOUT_MS ?? '5000');

const req = request({ host: '127.0.0.1', port, path: '/api/streams/engine/status', method: 'GET', timeout: timeoutMs }, (res) => {
  res.resume();
  const status = res.statusCode ?? 0;
  if (status > 0 && status < 500) process.exit(0);
  process.stderr.write(`healthcheck: GET /api/streams/engine/status answered ${status}\n`);
  process.exit(1);
});
req.on('timeout', () => {
  process.stderr.write(`healthcheck: no answer on port ${port} within ${timeoutMs} ms\n`);
  req.destroy();
  process.exit(1);
});
req.on('error', (err) => {
  process.stderr.write(`healthcheck: ${err.message}\n`);
  process.exit(1);
});
req.end();
