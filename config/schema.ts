/**
 * The one config schema (architecture rule 7). Every key: type, default, unit, description.
 * Unknown keys are errors: every object is strict, so a typo is reported, never ignored.
 * config/portier.example.toml documents every key; test/config checks the two agree.
 */
import { z } from 'zod';
import { describeKey as key, headerSafeString, hostPort, portRange, sipUriString } from './schema-fields.js';
import { deviceSchemas } from './schema-devices.js';
import { demoSchema, intercomSchema } from './schema-intercom.js';

const secretSuffixes = (name: string, what: string) => ({
  [`${name}_env`]: key(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(), {
    description: `name of an environment variable holding the ${what} (instead of ${name})`,
    example: `"PORTIER_${name.toUpperCase()}"`,
  }),
  [`${name}_file`]: key(z.string().min(1).optional(), {
    description: `path of a file holding the ${what} (instead of ${name}); trailing newline ignored`,
    example: `"/etc/portier/${name}"`,
  }),
});

export const sipSchema = z.strictObject({
  registrar: key(sipUriString.optional(), {
    description: 'SIP URI of the registrar (the PBX). Absent: no registration, direct calls only',
    example: '"sip:192.0.2.10:5060"',
  }),
  outbound_proxy: key(sipUriString.optional(), {
    description: 'SIP URI every request is sent through when set',
    example: '"sip:192.0.2.10:5060"',
  }),
  user: key(headerSafeString.min(1).max(64).default('door'), { description: 'SIP user name (and auth user) of the door' }),
  auth_user: key(headerSafeString.max(64).optional(), {
    description: 'authentication user when it differs from user (some PBXes)',
    example: '"620"',
  }),
  password: key(headerSafeString.max(256).optional(), {
    description: 'SIP digest password (prefer password_env or password_file)',
    example: '"secret"',
    secret: true,
  }),
  ...secretSuffixes('password', 'SIP password'),
  display_name: key(headerSafeString.max(64).default('Door'), { description: 'display name in From of calls portier places' }),
  domain: key(headerSafeString.max(253).optional(), {
    description: 'SIP domain of the account; default: the registrar host',
    example: '"fritz.box"',
  }),
  transport: key(z.enum(['udp', 'tcp', 'tls']).default('udp'), { description: 'transport to the registrar: udp, tcp or tls' }),
  listen: key(hostPort(true).default('0.0.0.0:5060'), {
    description: 'local address and port for SIP (port 0: any free port)',
  }),
  tls_cert_file: key(z.string().min(1).optional(), {
    description: 'tls: PEM certificate presented to the PBX (needed to take calls over TLS)',
    example: '"/etc/portier/tls/cert.pem"',
  }),
  tls_key_file: key(z.string().min(1).optional(), { description: 'tls: PEM private key of tls_cert_file', example: '"/etc/portier/tls/key.pem"' }),
  tls_ca_file: key(z.string().min(1).optional(), {
    description: "tls: PEM CA bundle that signs the PBX's certificate (default: the system's CAs)",
    example: '"/etc/portier/tls/pbx-ca.pem"',
  }),
  tls_verify: key(z.boolean().default(true), { description: "tls: check the PBX's certificate and name" }),
  expires: key(z.number().int().min(60).max(86400).default(600), { description: 'registration lifetime asked for', unit: 's' }),
  t1_ms: key(z.number().int().min(50).max(10000).default(500), { description: 'RFC 3261 T1: round-trip estimate', unit: 'ms' }),
  t2_ms: key(z.number().int().min(500).max(60000).default(4000), { description: 'RFC 3261 T2: maximum retransmit interval', unit: 'ms' }),
  t4_ms: key(z.number().int().min(500).max(60000).default(5000), { description: 'RFC 3261 T4: maximum time a message stays in the network', unit: 'ms' }),
  keepalive: key(z.enum(['off', 'crlf', 'options']).default('crlf'), {
    description: 'NAT keep-alive toward the registrar: off, crlf (CRLF on streams and UDP) or options (OPTIONS on UDP)',
  }),
  keepalive_interval_s: key(z.number().int().min(5).max(3600).default(30), { description: 'keep-alive interval', unit: 's' }),
  allowed_sources: key(z.array(headerSafeString.min(1)).default([]), {
    description: 'extra hosts or CIDRs (IPv4/IPv6) whose INVITEs are taken besides the registrar',
  }),
  allow_direct_calls: key(z.boolean().default(false), {
    description: 'take INVITEs from any address (off: only the registrar and allowed_sources; others get 403)',
  }),
  rate_limit_per_s: key(z.number().int().min(1).max(100000).default(50), {
    description: 'requests per second taken from one source address; the excess is dropped and counted',
    unit: '1/s',
  }),
  session_expires_s: key(z.number().int().min(90).max(86400).default(1800), {
    description: 'RFC 4028 session interval asked for in calls',
    unit: 's',
  }),
  max_message_bytes: key(z.number().int().min(1500).max(1048576).default(65535), {
    description: 'largest SIP message accepted',
    unit: 'bytes',
  }),
});

export const mediaSchema = z.strictObject({
  codecs: key(z.array(z.enum(['pcmu', 'pcma', 'g722', 'opus'])).min(1).default(['g722', 'pcmu', 'pcma', 'opus']), {
    description: 'codecs in order of preference: pcmu, pcma, g722, opus',
  }),
  rtp_ports: key(portRange.default('20000-20100'), { description: 'UDP port range for RTP (even) and RTCP (odd)' }),
  rtp_timeout_s: key(z.number().int().min(0).max(3600).default(30), {
    description: 'hang up a call when no RTP arrived for this long (0: never)',
    unit: 's',
  }),
  jitter_min_ms: key(z.number().int().min(0).max(1000).default(20), { description: 'lowest jitter-buffer delay', unit: 'ms' }),
  jitter_max_ms: key(z.number().int().min(20).max(2000).default(400), { description: 'highest jitter-buffer delay', unit: 'ms' }),
  dtmf_info: key(z.boolean().default(true), { description: 'accept DTMF sent as SIP INFO besides RFC 4733 telephone-events' }),
});

export const audioSchema = z.strictObject({
  capture: key(z.string().min(1).default('silence'), {
    description: 'microphone driver: alsa:DEVICE (alsa:default, alsa:plughw:1,0), silence, tone:HZ, wav:PATH',
  }),
  playback: key(z.string().min(1).default('null'), { description: 'speaker driver: alsa:DEVICE, null, wav:PATH' }),
  sample_rate: key(z.union([z.literal(8000), z.literal(16000), z.literal(48000)]).default(16000), {
    description: 'PCM rate between the HAL and the media engine: 8000, 16000 or 48000',
    unit: 'Hz',
  }),
});

export const panelSchema = z.strictObject({
  listen: key(hostPort(true).default('127.0.0.1:8080'), {
    description: 'address of the HTTP API and web panel; keep it on loopback unless a password is set',
  }),
  token: key(z.string().min(16, 'must be at least 16 characters').optional(), {
    description: 'API bearer token (Authorization: Bearer TOKEN); absent: the API needs a panel session',
    example: '"change-me-to-a-long-random-string"',
    secret: true,
  }),
  ...secretSuffixes('token', 'API token'),
  password_hash: key(z.string().regex(/^scrypt\$/, 'must be a hash made by `portier hash-password`').optional(), {
    description: 'panel password as a scrypt hash from `portier hash-password`',
    example: '"scrypt$..."',
    secret: true,
  }),
  ...secretSuffixes('password_hash', 'panel password hash'),
  tls_cert: key(z.string().min(1).optional(), {
    description:
      'PEM certificate for HTTPS on panel.listen (browsers give the microphone only to secure pages; the installer makes a self-signed one)',
    example: '"/etc/portier/panel.crt"',
  }),
  tls_key: key(z.string().min(1).optional(), { description: 'PEM private key for panel.tls_cert', example: '"/etc/portier/panel.key"' }),
  login_link: key(z.boolean().default(false), {
    description:
      'log a one-time login link for the panel at each start (loopback panels only; the built-in demo sets it, so a newcomer gets in without a password)',
  }),
});

export const webrtcSchema = z.strictObject({
  ports: key(portRange.default('20200-20300'), {
    description: 'UDP ports the browser phone (`"panel"` in a call list) uses for ICE, WebRTC\'s media transport',
  }),
  ice_servers: key(z.array(z.string().regex(/^(stun|turns?):\S+$/, 'must be a stun: or turn: URL')).max(8).default([]), {
    description: 'STUN/TURN URLs for panels reached over a VPN or from outside the LAN; none are needed on the LAN',
    example: '["stun:192.0.2.1:3478"]',
  }),
});

export const logSchema = z.strictObject({
  level: key(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'), { description: 'log level' }),
});

export const configSchema = z.strictObject({
  state_dir: key(z.string().min(1).optional(), {
    description: 'directory for the event log and other state; default $STATE_DIRECTORY, else ~/.local/state/portier',
    example: '"/var/lib/portier"',
  }),
  log: logSchema.prefault({}),
  sip: sipSchema.prefault({}),
  media: mediaSchema.prefault({}),
  audio: audioSchema.prefault({}),
  panel: panelSchema.prefault({}),
  webrtc: webrtcSchema.prefault({}),
  intercom: intercomSchema.prefault({}),
  demo: demoSchema.prefault({}),
  ...deviceSchemas,
});

export type Config = z.infer<typeof configSchema>;
