/** The page's controls: calls to the HTTP API with the session cookie. */
export interface ApiAnswer {
  ok: boolean;
  status: number;
  error?: string;
  body?: Record<string, unknown>;
}

async function post(path: string, body: unknown = {}): Promise<ApiAnswer> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, error: 'the daemon did not answer' };
  }
  let json: Record<string, unknown> = {};
  try {
    json = (await res.json()) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return { ok: res.ok, status: res.status, error: typeof json.error === 'string' ? json.error : res.ok ? undefined : `HTTP ${res.status}`, body: json };
}

const enc = encodeURIComponent;

export const pressButton = (id: string) => post(`/api/buttons/${enc(id)}/press`);
export const hangUp = (callId?: string) => post('/api/calls/hangup', callId ? { id: callId } : {});

/** Opens a door through the intercom; falls back to pulsing its relay while the door endpoint is missing. */
export async function openDoor(relay: string): Promise<ApiAnswer> {
  const a = await post(`/api/doors/${enc(relay)}/open`);
  if (a.status === 404 && /^no such endpoint/.test(a.error ?? '')) return post(`/api/relays/${enc(relay)}/pulse`);
  return a;
}
