/**
 * Config of the product logic: call policy, door codes, the event log, and the embedded demo flat.
 */
import { z } from 'zod';
import { describeKey as key, headerSafeString } from './schema-fields.js';

export const intercomSchema = z.strictObject({
  ring_timeout_s: key(z.number().int().min(5).max(600).default(45), {
    description: 'give up a call nobody answered after this long',
    unit: 's',
  }),
  sequential_ring_s: key(z.number().int().min(3).max(300).default(15), {
    description: 'in a sequential plan, ring each target this long before the next',
    unit: 's',
  }),
  max_call_s: key(z.number().int().min(10).max(86400).default(300), { description: 'hang up a call after this long', unit: 's' }),
  warning_s: key(z.number().int().min(0).max(120).default(10), {
    description: 'play a warning tone this long before max_call_s ends the call (0: none)',
    unit: 's',
  }),
  press_while_ringing: key(z.enum(['ignore', 'cancel']).default('ignore'), {
    description: 'a button press while the call rings: ignore, or cancel the call',
  }),
  press_during_call: key(z.enum(['ignore', 'hangup']).default('ignore'), {
    description: 'a button press during a call: ignore, or hang up',
  }),
  ringback: key(z.boolean().default(true), {
    description: "play a ringback tone on the door's speaker while ringing (the PBX's early media wins when it sends some)",
  }),
  answer_delay_ms: key(z.number().int().min(0).max(60000).default(500), {
    description: 'auto-answer allowed incoming calls after this delay',
    unit: 'ms',
  }),
  allowed_callers: key(z.array(headerSafeString.min(1)).default([]), {
    description: 'caller URIs (or user parts) allowed to call the door; empty: any call that came through the registrar',
  }),
  code_max_failures: key(z.number().int().min(1).max(100).default(5), {
    description: 'wrong door codes in a row before codes are refused for a while',
  }),
  code_lockout_s: key(z.number().int().min(1).max(86400).default(60), {
    description: 'how long codes are refused after too many wrong ones (doubles on each repeat)',
    unit: 's',
  }),
  hangup_after_open_s: key(z.number().int().min(0).max(600).default(0), {
    description: 'hang up this long after a code opened the door (0: leave the call up)',
    unit: 's',
  }),
  event_log_max_bytes: key(z.number().int().min(4096).max(104857600).default(1048576), {
    description: 'rotate the event log when it grows past this size',
    unit: 'bytes',
  }),
  event_log_files: key(z.number().int().min(1).max(20).default(3), { description: 'rotated event log files kept' }),
});

export const demoSchema = z.strictObject({
  flat: key(z.boolean().default(false), {
    description: 'run the embedded demo "flat" phone on loopback and call it from the buttons (the built-in demo sets this)',
  }),
  flat_answer_ms: key(z.number().int().min(0).max(60000).default(2000), { description: 'the demo flat answers after this long', unit: 'ms' }),
  flat_tone_hz: key(z.number().int().min(100).max(4000).default(600), { description: 'tone the demo flat sends', unit: 'Hz' }),
});
