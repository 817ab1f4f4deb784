import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GpiodButton, GpiodInput, GpiodLed, GpiodRelay, type GpiodDriverOptions } from '../../hal/gpio/gpiod.js';
import { liveChildCount } from '../../hal/child-supervisor.js';

const FIX = resolve(__dirname, '../fixtures/gpiod');
const TOOLS = ['gpiomon', 'gpioset', 'gpioget', 'gpiofind'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

let dir: string;
let feed: string;
let env: NodeJS.ProcessEnv;

function setup(version: string): GpiodDriverOptions {
  dir = mkdtempSync(join(tmpdir(), 'portier-gpiod-'));
  for (const t of TOOLS) symlinkSync(join(FIX, 'fake-gpiod'), join(dir, t));
  feed = join(dir, 'feed');
  writeFileSync(feed, '');
  env = { ...process.env, FAKE_GPIOD_VERSION: version, FAKE_GPIOD_DIR: FIX, FAKE_GPIOD_LOG: join(dir, 'argv.log'), FAKE_GPIOMON_FEED: feed };
  // the grace also gives the (bash) fakes time to log their argv under a loaded CI machine
  return { binDir: dir, env, backoffInitialMs: 50, backoffMaxMs: 200, startupGraceMs: 300 };
}

/** The argv log: [tool, pid, ...args] per start. */
const calls = (tool?: string) =>
  (existsSync(join(dir, 'argv.log')) ? readFileSync(join(dir, 'argv.log'), 'utf8').trim().split('\n') : [])
    .map((l) => l.split(' '))
    .filter((c) => !tool || c[0] === tool);
const alive = (pid: string) => {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
};

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const FALLING = { '1.6.3': '0', '2.2.1': '2' } as const;

describe.each([
  ['1.6.3', 'v1'],
  ['2.2.1', 'v2'],
] as const)('gpiod driver with libgpiod %s fakes', (version, label) => {
  let opts: GpiodDriverOptions;
  beforeEach(() => {
    opts = setup(version);
  });
  const btnCfg = { id: 'door', chip: '0', line: 17, active_low: true, bias: 'pull-up' as const, debounce_ms: 50, long_press_ms: 60_000 };

  it(`${label}: detects the version once and watches the button with gpiomon (active-low, pull-up)`, async () => {
    const b = new GpiodButton(btnCfg, undefined, opts);
    await b.open();
    expect(calls('gpioset').map((c) => c[2])).toEqual(['--version']);
    const mon = calls('gpiomon');
    expect(mon).toHaveLength(1);
    expect(mon[0]!.slice(2).join(' ')).toBe(
      label === 'v1' ? '-b -l -B pull-up -F %o %e %s.%n gpiochip0 17' : '-l -b pull-up -e both -F %o %e %S -c gpiochip0 17',
    );
    await b.close();
  });

  it(`${label}: a pressed edge with contact bounce gives one press, the release gives one release`, async () => {
    const b = new GpiodButton(btnCfg, undefined, opts);
    const seen: string[] = [];
    b.events.on('press', (e) => seen.push(`press:${e.source}`));
    b.events.on('release', () => seen.push('release'));
    await b.open();
    appendFileSync(feed, `17 1 1.000\n17 ${FALLING[version]} 1.001\n17 1 1.002\n`);
    await until(() => seen.length >= 1);
    await sleep(30);
    expect(seen).toEqual(['press:hardware']);
    expect(b.pressed).toBe(true);
    await sleep(60);
    appendFileSync(feed, `17 ${FALLING[version]} 2.000\n`);
    await until(() => seen.length >= 2);
    expect(seen).toEqual(['press:hardware', 'release']);
    expect(b.pressed).toBe(false);
    expect(b.stats()).toMatchObject({ badLines: 0, libgpiod: version, line: 'line 17 on gpiochip0', running: true, restarts: 0 });
    await b.close();
  });

  it(`${label}: an input reads its level with gpioget first, then follows edges`, async () => {
    env.FAKE_GPIOGET_VALUE = '1';
    const inp = new GpiodInput({ id: 'contact', chip: '0', line: 22, active_low: false, bias: 'pull-down', debounce_ms: 0 }, undefined, opts);
    const changes: boolean[] = [];
    inp.events.on('change', (e) => changes.push(e.active));
    await inp.open();
    expect(inp.active).toBe(true);
    expect(changes).toEqual([]);
    const get = calls('gpioget')[0]!.slice(2).join(' ');
    expect(get).toBe(label === 'v1' ? '-B pull-down gpiochip0 22' : '--numeric -b pull-down -c gpiochip0 22');
    appendFileSync(feed, `22 ${FALLING[version]} 3.0\n`);
    await until(() => changes.length === 1);
    expect(changes).toEqual([false]);
    await inp.close();
  });

  it(`${label}: a relay holds its level with one gpioset at a time and is left off on close`, async () => {
    const r = new GpiodRelay({ id: 'door', chip: '0', line: 27, active_low: false }, undefined, opts);
    await r.open();
    r.on();
    await r.settled();
    r.off();
    await r.settled();
    const sets = calls('gpioset').filter((c) => c[2] !== '--version');
    const values = sets.map((c) => c[c.length - 1]);
    expect(values).toEqual(['27=0', '27=1', '27=0']);
    expect(sets[0]!.slice(2).join(' ')).toBe(label === 'v1' ? '-m signal gpiochip0 27=0' : '-c gpiochip0 27=0');
    expect(sets.slice(0, -1).map((c) => alive(c[1]!))).toEqual([false, false]);
    expect(alive(sets[2]![1]!)).toBe(true);
    await r.close();
    await sleep(20);
    expect(alive(sets[2]![1]!)).toBe(false);
  });

  it(`${label}: a relay pulse switches on, then off after the pulse time`, async () => {
    const r = new GpiodRelay({ id: 'door', line: 27, active_low: true }, undefined, opts);
    const states: string[] = [];
    r.events.on('change', (e) => states.push(e.state));
    await r.open();
    r.pulse(80);
    await until(() => states.length === 2);
    await r.settled();
    expect(states).toEqual(['on', 'off']);
    const values = calls('gpioset').filter((c) => c[2] !== '--version').map((c) => c.slice(2).join(' '));
    expect(values[1]).toBe(label === 'v1' ? '-m signal -l gpiochip0 27=1' : '-l -c gpiochip0 27=1');
    expect(values.at(-1)).toMatch(/27=0$/);
    await r.close();
  });

  it(`${label}: a line given by name is resolved the way the version needs`, async () => {
    const names = join(dir, 'names');
    writeFileSync(names, 'DOORBELL gpiochip0 23\n');
    env.FAKE_GPIOD_NAMES = names;
    const b = new GpiodButton({ ...btnCfg, chip: undefined, line: 'DOORBELL' }, undefined, opts);
    await b.open();
    const mon = calls('gpiomon')[0]!.slice(2);
    if (label === 'v1') {
      expect(calls('gpiofind').map((c) => c[2])).toEqual(['DOORBELL']);
      expect(mon.slice(-2)).toEqual(['gpiochip0', '23']);
    } else {
      expect(calls('gpiofind')).toEqual([]);
      expect(mon.at(-1)).toBe('DOORBELL');
      expect(mon).not.toContain('-c');
    }
    await b.close();
  });

  it(`${label}: a busy relay line fails open() with a message naming the line`, async () => {
    env.FAKE_GPIOD_FAIL = 'gpioset:busy';
    const r = new GpiodRelay({ id: 'door', chip: '0', line: 27, active_low: false }, undefined, { ...opts, startupGraceMs: 3000 });
    await expect(r.open()).rejects.toMatchObject({ code: 'HAL_DRIVER_ERROR', message: expect.stringMatching(/^GPIO line 27 on gpiochip0 is busy/) });
  });

  it(`${label}: a missing chip fails open() of an input with a message naming the chip`, async () => {
    env.FAKE_GPIOD_FAIL = 'gpioget:nochip';
    const inp = new GpiodInput({ id: 'contact', chip: '9', line: 1, active_low: false, bias: 'as-is', debounce_ms: 0 }, undefined, opts);
    await expect(inp.open()).rejects.toMatchObject({ message: expect.stringMatching(/GPIO chip gpiochip9 not found/) });
    expect(calls('gpiomon')).toEqual([]);
  });

  it(`${label}: a gpiomon that dies is restarted and events keep coming`, async () => {
    const replay = join(dir, 'replay');
    writeFileSync(replay, `17 1 1.0\n`);
    env.FAKE_GPIOMON_REPLAY = replay;
    env.FAKE_GPIOMON_EXIT = '1';
    env.FAKE_GPIOGET_VALUE = '1'; // still held at every restart
    const crashes: number[] = [];
    const b = new GpiodButton({ ...btnCfg, debounce_ms: 0 }, undefined, { ...opts, onCrash: (c) => crashes.push(c.restartInMs) });
    let presses = 0;
    b.events.on('press', () => presses++);
    b.events.on('release', () => {});
    await b.open();
    await until(() => crashes.length >= 3);
    expect(crashes.slice(0, 3)).toEqual([50, 100, 200]);
    expect(calls('gpiomon').length).toBeGreaterThanOrEqual(3);
    expect(presses).toBe(1); // the same level again after a restart is not a new press
    expect(b.stats().restarts).toBeGreaterThanOrEqual(2);
    await b.close();
  });

  it(`${label}: a restarted gpiomon re-reads the level, so a change missed meanwhile is not lost`, async () => {
    env.FAKE_GPIOGET_VALUE = '1';
    const replay = join(dir, 'replay');
    writeFileSync(replay, '22 1 1.0\n'); // same level: no change; then gpiomon exits
    env.FAKE_GPIOMON_REPLAY = replay;
    env.FAKE_GPIOMON_EXIT = '1';
    const inp = new GpiodInput({ id: 'contact', chip: '0', line: 22, active_low: false, bias: 'as-is', debounce_ms: 0 }, undefined, opts);
    const changes: boolean[] = [];
    inp.events.on('change', (e) => changes.push(e.active));
    await inp.open();
    expect(inp.active).toBe(true);
    env.FAKE_GPIOGET_VALUE = '0'; // the contact opened while gpiomon was down
    // the restarted gpiomon stays up (a replay on every start would script a new edge each time)
    delete env.FAKE_GPIOMON_REPLAY;
    delete env.FAKE_GPIOMON_EXIT;
    await until(() => changes.length >= 1);
    await sleep(100);
    expect(changes).toEqual([false]);
    expect(inp.active).toBe(false);
    const starts = () => calls().filter((c) => c[0] === 'gpioget' || c[0] === 'gpiomon').map((c) => c[0]);
    await until(() => starts().length >= 4);
    expect(starts().slice(0, 4)).toEqual(['gpioget', 'gpiomon', 'gpioget', 'gpiomon']);
    await inp.close();
  });

  it(`${label}: a button released while gpiomon was down is released after the restart`, async () => {
    const replay = join(dir, 'replay');
    writeFileSync(replay, '17 1 1.0\n');
    env.FAKE_GPIOMON_REPLAY = replay;
    env.FAKE_GPIOMON_EXIT = '1';
    env.FAKE_GPIOGET_VALUE = '0';
    const b = new GpiodButton({ ...btnCfg, debounce_ms: 0 }, undefined, opts);
    const seen: string[] = [];
    b.events.on('press', () => seen.push('press'));
    b.events.on('release', () => seen.push('release'));
    await b.open();
    await until(() => seen.length >= 2);
    expect(seen.slice(0, 2)).toEqual(['press', 'release']);
    await b.close();
  });

  it(`${label}: a gpioset that dies is restarted holding the same value`, async () => {
    const crashes: string[] = [];
    const led = new GpiodLed({ id: 'light', chip: '0', line: 5, active_low: false }, undefined, { ...opts, onCrash: (c) => crashes.push(c.message) });
    await led.open();
    env.FAKE_GPIOSET_DIE_ONCE = join(dir, 'died'); // children spawned from now on see it
    led.set(true);
    await led.settled();
    expect(led.stats().running).toBe(true);
    // the second gpioset (value 1) finds no marker file: it dies after 0.6 s
    const setCalls = () => calls('gpioset').filter((c) => c[2] !== '--version');
    await until(() => crashes.length === 1 && led.stats().restarts === 1 && led.stats().running && setCalls().length === 3);
    expect(crashes[0]).toMatch(/gpioset for light \(line 5 on gpiochip0\)|Input\/output error/);
    const values = calls('gpioset').filter((c) => c[2] !== '--version').map((c) => c.at(-1));
    expect(values).toEqual(['5=0', '5=1', '5=1']);
    expect(led.lit).toBe(true);
    await led.close();
  });

  it(`${label}: closing everything leaves no child process behind`, async () => {
    const before = liveChildCount();
    const b = new GpiodButton(btnCfg, undefined, opts);
    const r = new GpiodRelay({ id: 'door', chip: '0', line: 27, active_low: false }, undefined, opts);
    await b.open();
    await r.open();
    r.on();
    await r.settled();
    expect(liveChildCount()).toBe(before + 2);
    await b.close();
    await r.close();
    await b.close();
    expect(liveChildCount()).toBe(before);
    const pids = calls().filter((c) => c[2] !== '--version').map((c) => c[1]!);
    await sleep(20);
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('gpiod driver without libgpiod', () => {
  it('says the tools are missing and how to install them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'portier-gpiod-'));
    const b = new GpiodButton({ id: 'door', line: 17, active_low: true, bias: 'pull-up', debounce_ms: 50, long_press_ms: 1000 }, undefined, { binDir: dir });
    await expect(b.open()).rejects.toMatchObject({ code: 'HAL_DRIVER_ERROR', message: expect.stringContaining('apt install gpiod') });
  });
});
