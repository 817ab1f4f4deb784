import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_TOML } from '../../config/demo.js';
import { loadConfigText } from '../../config/load.js';
import { startDaemonProcess } from '../support/run-cli.js';

describe('the demo panel: a newcomer gets in with the one-time login link from the log', () => {
  it('logs a link at start; it logs the browser in once; a wrong or spent link is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-link-'));
    const file = join(dir, 'demo.toml');
    // the built-in demo, on a free port and without the embedded flat (it is not what this is about)
    writeFileSync(file, `state_dir = "${dir}"\n` + DEMO_TOML.replace('127.0.0.1:8080', '127.0.0.1:0').replace('flat = true', 'flat = false'));
    const d = startDaemonProcess(['--config', file], { HOME: dir });
    try {
      const port = await d.ready;
      const line = d.lines.map((l) => { try { return JSON.parse(l) as { msg?: string; url?: string }; } catch { return {}; } })
        .find((o) => o.msg?.startsWith('panel: log in once at'));
      expect(line?.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/login\\?once=[A-Za-z0-9_-]{24}$`));
      const url = line!.url!;

      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(await page.text()).toContain('Open the login link');

      const wrong = await fetch(url.replace(/once=.*/, 'once=AAAAAAAAAAAAAAAAAAAAAAAA'), { redirect: 'manual' });
      expect(wrong.status).toBe(403);
      expect(wrong.headers.get('set-cookie')).toBeNull();

      const ok = await fetch(url, { redirect: 'manual' });
      expect(ok.status).toBe(303);
      const cookie = ok.headers.get('set-cookie')!.split(';')[0];
      expect(cookie).toMatch(/^portier_session=/);
      const app = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } });
      expect(await app.text()).toContain('id="app"');
      const status = await fetch(`http://127.0.0.1:${port}/api/status`, { headers: { cookie } });
      expect(status.status).toBe(200);

      const again = await fetch(url, { redirect: 'manual' });
      expect(again.status).toBe(403);
      expect(await again.text()).toContain('used already');
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
    }
  });

  it('check-config refuses a login link on a panel that is not on loopback', () => {
    const r = loadConfigText('[panel]\nlisten = "0.0.0.0:8080"\nlogin_link = true\npassword_hash = "scrypt$x"\n', { env: {} });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toMatch(/panel\.login_link: a login link is only for a panel on loopback/);
  });
});
