/**
 * The two HTML documents the panel serves: the login page (all an unauthenticated visitor sees) and
 * the shell the live view's script (web/app.ts) fills in. Rendered on the server; every dynamic value
 * is escaped. No inline script or style, so the Content-Security-Policy can forbid both.
 */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const ICON =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="6" y="3" width="20" height="26" rx="4" fill="#2f6f5e"/><circle cx="16" cy="12" r="4" fill="#fff"/><rect x="11" y="20" width="10" height="3" rx="1.5" fill="#fff"/></svg>',
  );

function head(title: string, cssVersion: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="${ICON}">
<link rel="stylesheet" href="/assets/app.css?v=${escapeHtml(cssVersion)}">
</head>`;
}

export interface LoginPageOptions {
  cssVersion: string;
  /** no panel.password_hash configured: explain how to set one instead of showing a form */
  noPassword: boolean;
  /** `panel.login_link` is on: the way in is the link in the log */
  loginLink?: boolean;
  error?: string;
  retryAfterS?: number;
}

export function loginPage(o: LoginPageOptions): string {
  const error = o.error ? `<p class="alert" role="alert" id="login-error">${escapeHtml(o.error)}</p>` : '';
  const body = o.noPassword && o.loginLink
    ? `<h1>Open the login link</h1>
${error}
<p>This demo panel has no password. portier printed a one-time login link when it started; open it
in this browser:</p>
<pre><code>panel: log in once at http://127.0.0.1:8080/login?once=…</code></pre>
<p>For a panel with a password, run <code>portier hash-password</code> and put the line it prints into
the config file as <code>panel.password_hash</code>.</p>`
    : o.noPassword
    ? `<h1>Set a panel password</h1>
<p>This panel has no password yet, so nobody can log in. On the device, run</p>
<pre><code>portier hash-password</code></pre>
<p>type the password twice, and put the line it prints into the config file:</p>
<pre><code>[panel]
password_hash = "scrypt$…"</code></pre>
<p>then restart portier. Until a password is set the panel stays on the loopback address.</p>`
    : `<h1>Log in</h1>
${error}
<form method="post" action="/login" class="login-form">
<input type="text" name="username" autocomplete="username" value="portier" hidden>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus${o.retryAfterS ? ' disabled' : ''}>
<button type="submit" class="primary"${o.retryAfterS ? ' disabled' : ''}>Log in</button>
</form>`;
  return `${head('portier — log in', o.cssVersion)}
<body class="login">
<main class="login-card">
<div class="brand"><span class="brand-mark" aria-hidden="true"></span>portier</div>
${body}
</main>
</body>
</html>
`;
}

export interface AppPageOptions {
  cssVersion: string;
  jsVersion: string;
  assetsMissing: boolean;
}

export function appPage(o: AppPageOptions): string {
  const missing = o.assetsMissing
    ? `<p class="alert" role="alert">The panel's web assets are not built. Run <code>npm run build</code> (or <code>node scripts/build-web.mjs</code>) and reload.</p>`
    : '';
  return `${head('portier', o.cssVersion)}
<body>
<header class="topbar">
<div class="brand"><span class="brand-mark" aria-hidden="true"></span>portier</div>
<span id="conn" class="conn conn-connecting" role="status" aria-live="polite">Connecting…</span>
<form method="post" action="/logout"><button type="submit" class="ghost" id="logout">Log out</button></form>
</header>
${missing}
<section id="phone" class="phone" role="region" aria-label="Door call" aria-live="assertive" hidden></section>
<main id="app" class="grid" aria-busy="true"></main>
<div id="toast" class="toast" role="status" aria-live="polite" hidden></div>
<script type="module" src="/assets/app.js?v=${escapeHtml(o.jsVersion)}"></script>
</body>
</html>
`;
}
