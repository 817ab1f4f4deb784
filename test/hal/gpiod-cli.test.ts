import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  classifyGpiodFailure,
  getArgs,
  lineAddress,
  monitorArgs,
  normalizeChip,
  parseGetOutput,
  parseGpiodVersion,
  parseGpiofind,
  parseMonitorLine,
  setArgs,
} from '../../hal/gpio/gpiod-cli.js';

describe('libgpiod version detection', () => {
  it('reads v1 and v2 from the first line of --version', () => {
    expect(parseGpiodVersion('gpioset (libgpiod) v1.6.3')).toEqual({ major: 1, version: '1.6.3' });
    expect(parseGpiodVersion('gpioset (libgpiod) v2.1.3\nCopyright (C) 2017-2023')).toEqual({ major: 2, version: '2.1.3' });
    expect(parseGpiodVersion('gpioset (libgpiod) v2.2')).toEqual({ major: 2, version: '2.2' });
  });
  it('refuses unknown majors and garbage', () => {
    expect(parseGpiodVersion('gpioset (libgpiod) v3.0.0')).toBeNull();
    expect(parseGpiodVersion('command not found')).toBeNull();
  });
});

describe('line addressing', () => {
  it('normalizes chip numbers and keeps names and paths', () => {
    expect(normalizeChip(undefined)).toBe('gpiochip0');
    expect(normalizeChip('1')).toBe('gpiochip1');
    expect(normalizeChip('gpiochip4')).toBe('gpiochip4');
    expect(normalizeChip('/dev/gpiochip0')).toBe('/dev/gpiochip0');
  });
  it('treats digits as an offset and anything else as a line name', () => {
    expect(lineAddress(undefined, 17)).toEqual({ chip: 'gpiochip0', offset: 17 });
    expect(lineAddress('0', '27')).toEqual({ chip: 'gpiochip0', offset: 27 });
    expect(lineAddress(undefined, 'GPIO17')).toEqual({ chip: undefined, name: 'GPIO17' });
    expect(() => lineAddress('0', undefined)).toThrow(/needs `line`/);
  });
});

describe('argument building', () => {
  const a = { chip: 'gpiochip0', offset: 17 };
  it('gpiomon v1: -b line buffering, -l, -B bias, custom format, chip and offset', () => {
    expect(monitorArgs(1, a, { activeLow: true, bias: 'pull-up' })).toEqual(['-b', '-l', '-B', 'pull-up', '-F', '%o %e %s.%n', 'gpiochip0', '17']);
    expect(monitorArgs(1, a, { activeLow: false, bias: 'disabled' })).toEqual(['-b', '-B', 'disable', '-F', '%o %e %s.%n', 'gpiochip0', '17']);
  });
  it('gpiomon v2: -b is bias, -e both, -c chip, or a bare line name', () => {
    expect(monitorArgs(2, a, { activeLow: true, bias: 'pull-up' })).toEqual(['-l', '-b', 'pull-up', '-e', 'both', '-F', '%o %e %S', '-c', 'gpiochip0', '17']);
    expect(monitorArgs(2, { name: 'DOORBELL' }, { activeLow: false, bias: 'as-is' })).toEqual(['-e', 'both', '-F', '%o %e %S', 'DOORBELL']);
    expect(monitorArgs(2, { chip: 'gpiochip1', name: 'DOORBELL' }, { activeLow: false, bias: 'as-is' })).toEqual(['-e', 'both', '-F', '%o %e %S', '-c', 'gpiochip1', 'DOORBELL']);
  });
  it('gpioset holds the value: v1 with -m signal, v2 by default', () => {
    expect(setArgs(1, a, true, false)).toEqual(['-m', 'signal', 'gpiochip0', '17=1']);
    expect(setArgs(1, a, false, true)).toEqual(['-m', 'signal', '-l', 'gpiochip0', '17=0']);
    expect(setArgs(2, a, true, true)).toEqual(['-l', '-c', 'gpiochip0', '17=1']);
    expect(setArgs(2, { name: 'RELAY1' }, false, false)).toEqual(['RELAY1=0']);
  });
  it('v1 tools refuse an unresolved line name', () => {
    expect(() => setArgs(1, { name: 'RELAY1' }, true, false)).toThrow(/resolve "RELAY1"/);
  });
  it('gpioget: v1 plain, v2 --numeric', () => {
    expect(getArgs(1, a, { activeLow: true, bias: 'pull-down' })).toEqual(['-l', '-B', 'pull-down', 'gpiochip0', '17']);
    expect(getArgs(2, a, { activeLow: true, bias: 'as-is' })).toEqual(['--numeric', '-l', '-c', 'gpiochip0', '17']);
  });
});

describe('output parsing', () => {
  it('custom monitor format: v1 %e 1 rising / 0 falling, v2 1 rising / 2 falling', () => {
    expect(parseMonitorLine(1, '17 1 1700000000.5')).toEqual({ offset: 17, rising: true, timestamp: 1700000000.5 });
    expect(parseMonitorLine(1, '17 0 1700000000.7')).toMatchObject({ rising: false });
    expect(parseMonitorLine(2, '17 2 12.000000001')).toMatchObject({ offset: 17, rising: false });
    expect(parseMonitorLine(2, '17 0 12.0')).toBeNull();
    expect(parseMonitorLine(1, '17 2 12.0')).toBeNull();
  });
  it('default formats of both versions', () => {
    expect(parseMonitorLine(1, 'event:  RISING EDGE offset: 17 timestamp: [1700000000.123456789]')).toEqual({ offset: 17, rising: true, timestamp: 1700000000.123456789 });
    expect(parseMonitorLine(1, 'event: FALLING EDGE offset: 4 timestamp: [     2.000000000]')).toMatchObject({ offset: 4, rising: false });
    expect(parseMonitorLine(2, '1700000000.123456789\trising\tgpiochip0 17')).toMatchObject({ offset: 17, rising: true });
    expect(parseMonitorLine(2, '12.5\tfalling\t"DOORBELL"')).toMatchObject({ name: 'DOORBELL', rising: false });
  });
  it('monitor line parser never throws', () => {
    fc.assert(fc.property(fc.string(), fc.constantFrom(1 as const, 2 as const), (s, v) => {
      parseMonitorLine(v, s);
    }));
  });
  it('gpioget answers of both versions', () => {
    expect(parseGetOutput('1\n')).toBe(true);
    expect(parseGetOutput('0')).toBe(false);
    expect(parseGetOutput('"17"=active')).toBe(true);
    expect(parseGetOutput('"GPIO17"=inactive')).toBe(false);
    expect(parseGetOutput('what')).toBeNull();
  });
  it('gpiofind answer', () => {
    expect(parseGpiofind('gpiochip0 23\n')).toEqual({ chip: 'gpiochip0', offset: 23 });
    expect(parseGpiofind('')).toBeNull();
  });
});

describe('failure classification names the line', () => {
  const a = { chip: 'gpiochip0', offset: 17 };
  it('busy (v1 and v2 wording)', () => {
    for (const msg of ['gpioset: error setting the GPIO line values: Device or resource busy', "gpioset: unable to request lines on chip '/dev/gpiochip0': Device or resource busy"]) {
      const e = classifyGpiodFailure('gpioset', a, msg);
      expect(e.code).toBe('HAL_DRIVER_ERROR');
      expect(e.message).toMatch(/^GPIO line 17 on gpiochip0 is busy/);
    }
  });
  it('missing chip and missing line', () => {
    expect(classifyGpiodFailure('gpioget', { chip: 'gpiochip9', offset: 1 }, "gpioget: cannot find GPIO chip character device 'gpiochip9'").message).toMatch(/GPIO chip gpiochip9 not found/);
    expect(classifyGpiodFailure('gpioget', { chip: 'gpiochip0', offset: 99 }, "gpioget: offset 99 is out of range on chip 'gpiochip0'").message).toMatch(/GPIO line 99 on gpiochip0 does not exist/);
    expect(classifyGpiodFailure('gpiomon', { name: 'DOORBELL' }, "gpiomon: cannot find line 'DOORBELL'").message).toMatch(/GPIO line "DOORBELL" does not exist/);
  });
  it('permission problem points at the gpio group', () => {
    expect(classifyGpiodFailure('gpioset', a, 'gpioset: unable to open gpiochip0: Permission denied').message).toMatch(/"gpio" group/);
  });
});
