/**
 * A one-time login link for a panel on loopback (`panel.login_link`, set by the built-in demo): at
 * start the panel makes one random token and logs `http://HOST:PORT/login?once=TOKEN`; opening it
 * once gives that browser a session, after which the token is spent. It is the newcomer's way into
 * the demo's panel, which has no password: nothing else can log in there.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export class LoginLink {
  private token: string | null;

  constructor(random: (n: number) => Buffer = randomBytes) {
    this.token = random(18).toString('base64url');
  }

  /** The link for a panel reached at `origin` (http://127.0.0.1:8080), or null once it was used. */
  url(origin: string): string | null {
    return this.token ? `${origin}/login?once=${this.token}` : null;
  }

  /** True once, for the right token; spends it. */
  consume(candidate: string): boolean {
    if (!this.token) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
    this.token = null;
    return true;
  }

  get spent(): boolean {
    return this.token === null;
  }
}
