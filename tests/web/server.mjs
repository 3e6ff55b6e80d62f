// Starts the real teamvl binary on a free loopback port (--port 0) with a
// fresh data directory, and reads the port and the setup token from its log.
import { spawn } from 'node:child_process';

export async function startServer({ binary, webDir, dataDir, extraArgs = [], timeoutMs = 60000 }) {
  const args = ['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--web-dir', webDir, ...extraArgs];
  // Run from the data directory so no developer teamvl.yaml is read.
  const child = spawn(binary, args, { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.on('error', (e) => {
    log += `spawn failed: ${e.message}\n`;
  });
  const append = (b) => {
    log += b.toString();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));

  const deadline = Date.now() + timeoutMs;
  let port = 0;
  while (Date.now() < deadline) {
    const m = /listening on https?:\/\/[^:\s]+:(\d+)/.exec(log);
    if (m) {
      port = Number(m[1]);
      break;
    }
    if (child.exitCode !== null || /spawn failed/.test(log)) throw new Error(`teamvl exited with ${child.exitCode} before listening:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!port) {
    child.kill('SIGKILL');
    throw new Error(`teamvl did not report a port within ${timeoutMs} ms:\n${log}`);
  }
  const token = /setup token: ([0-9a-f]+)/.exec(log)?.[1];
  if (!token) throw new Error(`no setup token in the log:\n${log}`);

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(timer);
    },
  };
}
