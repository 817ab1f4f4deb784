/**
 * Config of the door's devices: buttons (with their call plans), relays, inputs, LEDs and doors.
 */
import { z } from 'zod';
import { describeKey as key, headerSafeString } from './schema-fields.js';

const id = key(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1-32 of a-z, 0-9, _ and -, starting with a letter or digit'), {
  description: 'identifier used by the API, the panel and other sections',
  example: '"front"',
});

const gpioLine = {
  chip: key(z.string().min(1).optional(), {
    description: 'gpiod: GPIO chip (number, gpiochipN or path)',
    example: '"gpiochip0"',
  }),
  line: key(z.union([z.number().int().min(0).max(1023), z.string().min(1)]).optional(), {
    description: 'gpiod: line offset or line name',
    example: '17',
  }),
  active_low: key(z.boolean().default(false), { description: 'gpiod: the line is active when low' }),
};

const driver = key(z.string().min(1).default('sim'), { description: 'driver: gpiod (Linux GPIO through the libgpiod tools) or sim' });

export const buttonSchema = z.strictObject({
  id,
  driver,
  ...gpioLine,
  bias: key(z.enum(['pull-up', 'pull-down', 'disabled', 'as-is']).default('as-is'), {
    description: 'gpiod: line bias: pull-up, pull-down, disabled or as-is',
  }),
  debounce_ms: key(z.number().int().min(0).max(1000).default(30), { description: 'ignore edges closer than this', unit: 'ms' }),
  long_press_ms: key(z.number().int().min(100).max(60000).default(2000), {
    description: 'held this long counts as a long press',
    unit: 'ms',
  }),
  call: key(z.array(headerSafeString.min(1)).default([]), {
    description: 'call targets: extensions at the registrar ("100") or SIP URIs',
    example: '["100", "sip:200@192.0.2.10"]',
  }),
  mode: key(z.enum(['parallel', 'sequential']).default('parallel'), {
    description: 'parallel: ring all, first answer wins; sequential: one after another',
  }),
});

export const relaySchema = z.strictObject({
  id,
  driver,
  ...gpioLine,
  pulse_ms: key(z.number().int().min(50).max(60000).default(3000), { description: 'how long a pulse holds the relay on', unit: 'ms' }),
});

export const inputSchema = z.strictObject({
  id,
  driver,
  ...gpioLine,
  bias: key(z.enum(['pull-up', 'pull-down', 'disabled', 'as-is']).default('as-is'), {
    description: 'gpiod: line bias: pull-up, pull-down, disabled or as-is',
  }),
  debounce_ms: key(z.number().int().min(0).max(1000).default(30), { description: 'ignore edges closer than this', unit: 'ms' }),
});

export const ledSchema = z.strictObject({ id, driver, ...gpioLine });

export const doorSchema = z.strictObject({
  relay: key(z.string().min(1), { description: 'id of the relay that opens this door', example: '"front"' }),
  codes: key(z.array(z.string().regex(/^[0-9*]{4,16}$/, 'must be 4-16 digits (0-9, *)')).default([]), {
    description: 'door codes keyed by DTMF during a call',
    example: '["4711"]',
  }),
  terminator: key(z.enum(['#', '*', '']).default('#'), { description: 'key that ends a code ("" for none: timeout only)' }),
  digit_timeout_ms: key(z.number().int().min(500).max(30000).default(3000), {
    description: 'a code also ends when no digit came for this long',
    unit: 'ms',
  }),
  contact: key(z.string().optional(), {
    description: 'id of an input that reports the door open (contact closed = door shut)',
    example: '"door-contact"',
  }),
  held_open_s: key(z.number().int().min(5).max(86400).default(120), {
    description: 'report "door held open" after this long',
    unit: 's',
  }),
});

export const deviceSchemas = {
  buttons: key(z.array(buttonSchema).default([]), { description: 'door buttons ([[buttons]] tables)' }),
  relays: key(z.array(relaySchema).default([]), { description: 'relays ([[relays]] tables)' }),
  inputs: key(z.array(inputSchema).default([]), { description: 'inputs such as a door contact ([[inputs]] tables)' }),
  leds: key(z.array(ledSchema).default([]), { description: 'LEDs ([[leds]] tables)' }),
  doors: key(z.array(doorSchema).default([]), { description: 'doors and their codes ([[doors]] tables)' }),
};
