import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the portier CLI from source (through tsx) and collects its output. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'daemon/cli.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `portier run` and resolves once the panel listens, with its port and the child. */
export function startDaemonProcess(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'daemon/cli.ts', 'run', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  let buf = '';
  const ready = new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`daemon not ready in 15 s:\n${lines.join('\n')}`)), 15000);
    child.stdout!.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        try {
          const obj = JSON.parse(line) as { msg?: string; listen?: string };
          if (obj.msg === 'panel and API listening' && obj.listen) {
            clearTimeout(t);
            resolve(Number(obj.listen.split(':').pop()));
          }
        } catch {
          /* not JSON */
        }
      }
    });
    child.stderr!.on('data', (d) => lines.push(String(d)));
    child.on('exit', (code) => reject(new Error(`daemon exited with ${code}:\n${lines.join('\n')}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited, lines };
}
