/**
 * The panel's live view: renders the daemon's status from the WebSocket feed (snapshot, then deltas)
 * and drives the controls. Built by scripts/build-web.mjs into dist/web/app.js.
 */
import { LiveConnection, type ConnState } from './connection.mjs';
import { hangUp, openDoor, pressButton, type ApiAnswer } from './controls.mjs';
import { byId, fill, fmtDuration, fmtTime, h } from './dom.mjs';
import { JitterGraph } from './graph.mjs';
import { PanelPhoneUi } from './phone.mjs';
import { applyMessage, buttonIds, codeLock, currentCall, devices, doors, eventView, levelFraction, registration, type CallView, type Status } from './model.mjs';

const state: { status: Status; events: unknown[]; receivedAt: number } = { status: {}, events: [], receivedAt: 0 };
const confirming = new Set<string>();
const busy = new Set<string>();
let graph: JitterGraph | null = null;
let lastCumulative: { id: string; lost: number; late: number } | null = null;
let lastCallId: string | null = null;

function badge(text: string, tone: 'ok' | 'warn' | 'bad' | 'idle' | 'info', id?: string): HTMLElement {
  return h('span', { class: `badge badge-${tone}`, id }, text);
}

function card(id: string, title: string, ...body: (Node | null)[]): HTMLElement {
  return h('section', { class: 'card', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...body);
}

function toast(text: string, bad = false): void {
  const el = byId('toast');
  el.textContent = text;
  el.className = `toast${bad ? ' toast-bad' : ''}`;
  el.hidden = false;
  window.clearTimeout(Number(el.dataset.timer));
  el.dataset.timer = String(window.setTimeout(() => (el.hidden = true), 4000));
}

async function act(key: string, run: () => Promise<ApiAnswer>, done: string): Promise<void> {
  if (busy.has(key)) return;
  busy.add(key);
  render();
  const a = await run();
  busy.delete(key);
  toast(a.ok ? done : `Failed: ${a.error ?? 'unknown error'}`, !a.ok);
  render();
}

function skeleton(): void {
  const canvas = h('canvas', { id: 'jitter-graph', class: 'graph', role: 'img', 'aria-label': 'jitter buffer depth and packet loss over time' });
  graph = new JitterGraph(canvas);
  fill(
    byId('app'),
    card('card-sip', 'Phone line', h('div', { id: 'sip-body' })),
    card(
      'card-call',
      'Call',
      h('div', { id: 'call-body' }),
      h(
        'div',
        { class: 'meters' },
        h('span', { class: 'meter-label' }, 'In'),
        h('div', { class: 'meter' }, h('div', { class: 'meter-fill', id: 'level-in' })),
        h('span', { class: 'meter-label' }, 'Out'),
        h('div', { class: 'meter' }, h('div', { class: 'meter-fill', id: 'level-out' })),
      ),
      h('div', { class: 'graph-wrap' }, canvas, h('p', { class: 'graph-legend', id: 'jitter-legend' })),
      h('div', { class: 'actions', id: 'call-actions' }),
    ),
    card('card-doors', 'Doors', h('ul', { class: 'rows', id: 'door-list' })),
    card('card-devices', 'Inputs and outputs', h('ul', { class: 'rows', id: 'device-list' })),
    card('card-events', 'Recent events', h('ol', { class: 'events', id: 'event-list' })),
  );
  byId('app').removeAttribute('aria-busy');
}

function renderSip(): void {
  const r = registration(state.status);
  const tone = r.state === 'registered' ? 'ok' : /fail|error|reject/.test(r.state) ? 'bad' : r.state === 'registering' ? 'warn' : 'idle';
  fill(
    byId('sip-body'),
    h('p', { class: 'row-main' }, badge(r.state, tone, 'sip-state')),
    h('p', { class: 'muted', id: 'sip-server' }, r.server ? `Registrar ${r.server}` : 'No registrar configured'),
    r.detail ? h('p', { class: 'muted' }, r.detail) : null,
  );
}

function callTone(c: CallView): 'ok' | 'warn' | 'idle' | 'info' {
  if (c.state === 'connected' || c.state === 'confirmed') return 'ok';
  if (!c.active) return 'idle';
  return c.state === 'ringing' || c.state === 'calling' || c.state === 'early' ? 'warn' : 'info';
}

function duration(c: CallView): string {
  if (c.durationS === null) return '';
  const extra = c.active && c.state === 'connected' ? (Date.now() - state.receivedAt) / 1000 : 0;
  return fmtDuration(c.durationS + extra);
}

function renderCall(): void {
  const c = currentCall(state.status);
  const body = byId('call-body');
  if (!c) {
    fill(body, h('p', { class: 'row-main' }, badge('no call', 'idle', 'call-state')), h('p', { class: 'muted' }, 'Press a button below to test a ring.'));
  } else {
    const facts: [string, string][] = [
      ['Peer', c.peer || '—'],
      ['Direction', c.direction || '—'],
      ['Codec', c.codec || '—'],
    ];
    if (c.endReason) facts.push(['Ended', c.endReason]);
    fill(
      body,
      h('p', { class: 'row-main' }, badge(c.state, callTone(c), 'call-state'), h('span', { class: 'duration', id: 'call-duration' }, duration(c))),
      h('dl', { class: 'facts' }, facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    );
  }
  byId('level-in').style.width = `${Math.round(levelFraction(c?.active ? c.levels.in : null) * 100)}%`;
  byId('level-out').style.width = `${Math.round(levelFraction(c?.active ? c.levels.out : null) * 100)}%`;
  const j = c?.jitter;
  byId('jitter-legend').textContent = j
    ? [
        `Buffer ${j.depthMs ?? '—'} ms${j.depthFrames !== null ? ` (${j.depthFrames} frame${j.depthFrames === 1 ? '' : 's'})` : ''}`,
        j.jitterMs !== null ? `jitter ${j.jitterMs} ms` : '',
        j.lossPct !== null ? `loss ${j.lossPct}%` : '',
        `concealed ${j.lost ?? 0}`,
        `late ${j.late ?? 0}`,
      ]
        .filter(Boolean)
        .join(' · ')
    : c?.active
      ? 'No jitter figures for this call yet.'
      : graph && graph.length > 0
        ? 'Jitter buffer of the last call.'
        : 'The jitter graph fills during a call.';
  const actions = byId('call-actions');
  fill(
    actions,
    h('button', { class: 'danger', id: 'hangup', disabled: !c?.active || busy.has('hangup'), onclick: () => act('hangup', () => hangUp(c?.id), 'Hung up') }, 'Hang up'),
    buttonIds(state.status).map((id) =>
      h(
        'button',
        { class: 'secondary', id: `press-${id}`, disabled: busy.has(`press-${id}`), onclick: () => act(`press-${id}`, () => pressButton(id), `Test ring: button "${id}" pressed`) },
        `Test ring (${id})`,
      ),
    ),
  );
  if (c?.id !== lastCallId) {
    lastCallId = c?.id ?? null;
    lastCumulative = null;
    if (c?.active) graph?.clear();
  }
}

/** One graph sample a second while a call is active (loss and late as increments of the totals). */
function sampleGraph(): void {
  const c = currentCall(state.status);
  if (!c?.active || !c.jitter || !graph) return;
  const lost = c.jitter.lost ?? 0;
  const late = c.jitter.late ?? 0;
  const prev = lastCumulative?.id === c.id ? lastCumulative : null;
  graph.push({
    depthMs: c.jitter.depthMs,
    lost: prev && lost >= prev.lost ? lost - prev.lost : 0,
    late: prev && late >= prev.late ? late - prev.late : 0,
  });
  lastCumulative = { id: c.id, lost, late };
}

/** The confirmation step: focus moves to its button; unanswered, it goes away after 10 s. */
function askToOpen(relay: string): void {
  confirming.add(relay);
  renderDoors();
  document.getElementById(`door-confirm-${relay}`)?.focus();
  window.setTimeout(() => {
    if (confirming.delete(relay)) renderDoors();
  }, 10_000);
}

function renderDoors(): void {
  const list = doors(state.status);
  const lock = codeLock(state.status);
  fill(
    byId('door-list'),
    lock.locked ? h('li', { class: 'alert', id: 'code-lock' }, `Door codes locked for ${lock.forS} s after ${lock.failures} wrong codes.`) : null,
    list.length === 0 ? h('li', { class: 'muted' }, 'No doors configured.') : null,
    list.map((d) => {
      const key = `door-${d.relay}`;
      const controls = confirming.has(d.relay)
        ? h(
            'div',
            { class: 'confirm', role: 'group', 'aria-label': `confirm opening ${d.relay}` },
            h('span', {}, 'Open the door now?'),
            h('button', { class: 'ghost', id: `door-cancel-${d.relay}`, onclick: () => (confirming.delete(d.relay), render()) }, 'Cancel'),
            h(
              'button',
              {
                class: 'primary',
                id: `door-confirm-${d.relay}`,
                disabled: busy.has(key),
                onclick: () => {
                  confirming.delete(d.relay);
                  void act(key, () => openDoor(d.relay), `Door "${d.relay}" opened`);
                },
              },
              'Open',
            ),
          )
        : h('button', { class: 'primary', id: `door-open-${d.relay}`, disabled: busy.has(key), onclick: () => askToOpen(d.relay) }, 'Open door…');
      return h(
        'li',
        { class: 'row' },
        h('div', { class: 'row-main' }, h('strong', {}, d.relay), badge(d.open ? 'open' : 'locked', d.open ? 'warn' : 'idle', `door-state-${d.relay}`)),
        d.contact ? h('p', { class: 'muted' }, `Contact ${d.contact}: ${d.contactOpen === null ? 'unknown' : d.contactOpen ? 'open' : 'closed'}`) : null,
        controls,
      );
    }),
  );
}

function renderDevices(): void {
  const kinds = { button: 'Button', relay: 'Relay', input: 'Input', led: 'LED' } as const;
  const list = devices(state.status);
  fill(
    byId('device-list'),
    list.length === 0 ? h('li', { class: 'muted' }, 'No devices configured.') : null,
    list.map((d) =>
      h(
        'li',
        { class: 'row row-inline' },
        h('span', { class: 'kind' }, kinds[d.kind]),
        h('strong', {}, d.id),
        h('span', { class: 'muted small' }, d.driver),
        badge(d.label, d.on ? 'warn' : 'idle', `${d.kind}-state-${d.id}`),
      ),
    ),
  );
}

function renderEvents(): void {
  const items = [...state.events].reverse().slice(0, 30).map(eventView);
  fill(
    byId('event-list'),
    items.length === 0 ? h('li', { class: 'muted' }, 'Nothing logged since the panel connected.') : null,
    items.map((e) => h('li', { class: `event-${e.type}` }, h('time', {}, fmtTime(e.time)), h('span', {}, e.text))),
  );
}

function render(what: string | null = 'all'): void {
  if (what === 'all' || what === 'snapshot' || what === 'sip') renderSip();
  if (what === 'all' || what === 'snapshot' || what === 'calls' || what === 'media' || what === 'audio' || what === 'buttons') renderCall();
  if (what === 'all' || what === 'snapshot' || what === 'doors' || what === 'relays' || what === 'inputs') renderDoors();
  if (what === 'all' || what === 'snapshot' || ['buttons', 'relays', 'inputs', 'leds'].includes(what ?? '')) renderDevices();
  if (what === 'all' || what === 'snapshot' || what === 'event') renderEvents();
}

/** The daemon's event log (kept across restarts) fills the list; live events append to it. */
async function loadEventLog(): Promise<void> {
  try {
    const res = await fetch('/api/events?limit=30', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return;
    const body = (await res.json()) as { events?: unknown };
    if (!Array.isArray(body.events)) return;
    const logged = [...body.events].reverse(); // newest first -> oldest first
    const lastTime = String((logged[logged.length - 1] as { time?: unknown } | undefined)?.time ?? '');
    const newer = state.events.filter((e) => String((e as { time?: unknown }).time ?? '') > lastTime);
    state.events = [...logged, ...newer].slice(-50);
    renderEvents();
  } catch {
    /* the live events still show */
  }
}

function showConn(s: ConnState): void {
  const el = byId('conn');
  document.body.classList.toggle('stale', s.kind !== 'live');
  if (s.kind === 'live') {
    el.textContent = 'Live';
    el.className = 'conn conn-live';
  } else if (s.kind === 'connecting') {
    el.textContent = 'Connecting…';
    el.className = 'conn conn-connecting';
  } else {
    el.textContent = `Disconnected · retry in ${Math.max(1, Math.round(s.retryInMs / 1000))} s`;
    el.title = 'The daemon does not answer; the page reconnects by itself.';
    el.className = 'conn conn-down';
  }
}

function main(): void {
  skeleton();
  render();
  let phone: PanelPhoneUi | null = null;
  const conn = new LiveConnection({
    onMessage(msg) {
      if ((msg as { type?: unknown }).type === 'phone') return phone?.onMessage(msg as Record<string, unknown>);
      const what = applyMessage(state, msg);
      if (what === 'snapshot') void loadEventLog();
      if (what === 'calls' || what === 'snapshot') state.receivedAt = Date.now();
      if (what) render(what);
    },
    onState: (s) => {
      showConn(s);
      if (s.kind === 'disconnected') phone?.onDisconnected();
    },
    onLoggedOut: () => location.reload(),
  });
  phone = new PanelPhoneUi(byId('phone'), (m) => conn.send(m), () => doors(state.status)[0]?.relay ?? null, toast);
  conn.start();
  window.setInterval(() => {
    sampleGraph();
    const c = currentCall(state.status);
    const el = document.getElementById('call-duration');
    if (el && c) el.textContent = duration(c);
  }, 1000);
  window.addEventListener('resize', () => graph?.draw());
}

main();
