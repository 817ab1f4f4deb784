import { describe, expect, it } from 'vitest';
import {
  DigestClient, buildCredentials, digestResponse, formatChallenge, parseChallenge, parseCredentials, pickChallenge, verifyDigest,
} from '../../daemon/sip/digest.js';

// RFC 7616 3.9.1
const RFC7616 = {
  username: 'Mufasa', password: 'Circle of Life', realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', uri: '/dir/index.html', method: 'GET',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
};

describe('digest authentication', () => {
  it('computes the RFC 7616 3.9.1 MD5 and SHA-256 responses', () => {
    const base = { ...RFC7616, qop: 'auth' as const, nc: '00000001' };
    expect(digestResponse({ ...base, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse({ ...base, algorithm: 'SHA-256' })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('computes the RFC 2617 3.5 response', () => {
    expect(digestResponse({
      algorithm: 'MD5', username: 'Mufasa', password: 'Circle Of Life', realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html', qop: 'auth', nc: '00000001',
      cnonce: '0a4f113b',
    })).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('parses the RFC 7616 3.9.1 challenges, with the qop list and algorithm', () => {
    const r = parseChallenge(`Digest
       realm="http-auth@example.org",
       qop="auth, auth-int",
       algorithm=SHA-256,
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`.replace(/\n/g, ' '));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      realm: 'http-auth@example.org', algorithm: 'SHA-256', qop: ['auth', 'auth-int'], stale: false,
      nonce: RFC7616.nonce, opaque: RFC7616.opaque,
    });
  });

  it('answers a challenge like the RFC 7616 example (SHA-256) with the given cnonce', () => {
    const ch = parseChallenge(`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="${RFC7616.nonce}", opaque="${RFC7616.opaque}"`);
    if (!ch.ok) throw new Error(ch.reason);
    const client = new DigestClient('Mufasa', 'Circle of Life', { cnonce: () => RFC7616.cnonce });
    const value = client.authorize(ch.value, { method: 'GET', uri: '/dir/index.html' });
    const cred = parseCredentials(value);
    if (!cred.ok) throw new Error(cred.reason);
    expect(cred.value).toMatchObject({
      username: 'Mufasa', realm: 'http-auth@example.org', uri: '/dir/index.html', algorithm: 'SHA-256', qop: 'auth',
      nc: '00000001', cnonce: RFC7616.cnonce, opaque: RFC7616.opaque,
      response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    });
    expect(value).toMatch(/qop=auth, nc=00000001/);
  });

  it('builds RFC 2617 3.5 credentials statelessly with an explicit cnonce and nc', () => {
    const ch = parseChallenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    if (!ch.ok) throw new Error(ch.reason);
    expect(buildCredentials(ch.value, { method: 'GET', uri: '/dir/index.html', username: 'Mufasa', password: 'Circle Of Life', cnonce: '0a4f113b', nc: 1 }))
      .toBe('Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001');
  });

  it('refuses a challenge that offers only an unknown qop', () => {
    const ch = parseChallenge('Digest realm="r", nonce="n", qop="auth-conf"');
    if (!ch.ok) throw new Error(ch.reason);
    expect(() => new DigestClient('u', 'p').authorize(ch.value, { method: 'REGISTER', uri: 'sip:r' })).toThrow(/qop/);
  });

  it('counts nc up per nonce and restarts at 1 for a new nonce', () => {
    const client = new DigestClient('alice', 'pw', { cnonce: () => 'c' });
    const ch = (nonce: string) => {
      const r = parseChallenge(`Digest realm="pbx", nonce="${nonce}", qop="auth"`);
      if (!r.ok) throw new Error(r.reason);
      return r.value;
    };
    const nc = (v: string) => (parseCredentials(v) as { ok: true; value: { nc?: string } }).value.nc;
    expect(nc(client.authorize(ch('n1'), { method: 'REGISTER', uri: 'sip:pbx' }))).toBe('00000001');
    expect(nc(client.authorize(ch('n1'), { method: 'INVITE', uri: 'sip:100@pbx' }))).toBe('00000002');
    expect(nc(client.authorize(ch('n2'), { method: 'INVITE', uri: 'sip:100@pbx' }))).toBe('00000001');
  });

  it('answers a challenge without qop the RFC 2069 way (no cnonce, no nc) and the server accepts it', () => {
    const r = parseChallenge('Digest realm="asterisk",nonce="1a2b3c"');
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.algorithm).toBe('MD5');
    const value = new DigestClient('100', 'pw100').authorize(r.value, { method: 'REGISTER', uri: 'sip:127.0.0.1' });
    expect(value).not.toMatch(/cnonce|nc=|qop/);
    expect(verifyDigest(value, { method: 'REGISTER', password: 'pw100', realm: 'asterisk', nonce: '1a2b3c' })).toBe(true);
  });

  it('verifies credentials and refuses a wrong password, method, realm or nonce', () => {
    const challenge = formatChallenge({ realm: '127.0.0.1', nonce: 'abc', qop: ['auth'], algorithm: 'SHA-256' });
    const ch = parseChallenge(challenge);
    if (!ch.ok) throw new Error(ch.reason);
    const value = new DigestClient('200', 'secret').authorize(ch.value, { method: 'INVITE', uri: 'sip:100@127.0.0.1' });
    expect(verifyDigest(value, { method: 'INVITE', password: 'secret', realm: '127.0.0.1', nonce: 'abc' })).toBe(true);
    expect(verifyDigest(value, { method: 'INVITE', password: 'wrong' })).toBe(false);
    expect(verifyDigest(value, { method: 'BYE', password: 'secret' })).toBe(false);
    expect(verifyDigest(value, { method: 'INVITE', password: 'secret', realm: 'other' })).toBe(false);
    expect(verifyDigest(value, { method: 'INVITE', password: 'secret', nonce: 'stale' })).toBe(false);
  });

  it('supports -sess algorithms and qop=auth-int over the body', () => {
    const ch = parseChallenge('Digest realm="r", nonce="n", algorithm=MD5-sess, qop="auth-int"');
    if (!ch.ok) throw new Error(ch.reason);
    const body = new TextEncoder().encode('v=0\r\n');
    const value = new DigestClient('u', 'p').authorize(ch.value, { method: 'INVITE', uri: 'sip:x@r', body });
    expect(value).toMatch(/algorithm=MD5-sess/);
    expect(value).toMatch(/qop=auth-int/);
    expect(verifyDigest(value, { method: 'INVITE', password: 'p', body })).toBe(true);
    expect(verifyDigest(value, { method: 'INVITE', password: 'p', body: new Uint8Array([1]) })).toBe(false);
  });

  it('reads stale=true and picks the strongest of several challenges', () => {
    const md5 = 'Digest realm="r", nonce="n1", stale=TRUE';
    const sha = 'Digest realm="r", nonce="n2", algorithm=SHA-256';
    expect(parseChallenge(md5)).toMatchObject({ ok: true, value: { stale: true } });
    expect(pickChallenge([md5, sha])?.nonce).toBe('n2');
    expect(pickChallenge(['Basic realm="x"'])).toBeUndefined();
  });

  it('rejects other schemes, unknown algorithms and malformed challenges with a reason', () => {
    expect(parseChallenge('Basic realm="x"')).toMatchObject({ ok: false, reason: expect.stringMatching(/scheme "Basic"/) });
    expect(parseChallenge('Digest realm="x", nonce="n", algorithm=SHA-1')).toMatchObject({ ok: false, reason: expect.stringMatching(/SHA-1/) });
    expect(parseChallenge('Digest realm="x').ok).toBe(false);
    expect(parseChallenge('Digest realm="x", nonce="n", algorithm=__proto__').ok).toBe(false);
    expect(verifyDigest('Digest username="u", realm="r", nonce="n", uri="sip:r", response="00", algorithm=constructor', { method: 'REGISTER', password: 'p' })).toBe(false);
    expect(parseChallenge('Digest nonce="n"')).toMatchObject({ ok: false, reason: expect.stringMatching(/realm/) });
    expect(parseCredentials('NoOneKnowsThisScheme opaque-data=here').ok).toBe(false);
  });

  it('refuses to write a username containing CR/LF (no header injection)', () => {
    const ch = parseChallenge('Digest realm="r", nonce="n"');
    if (!ch.ok) throw new Error(ch.reason);
    expect(() => new DigestClient('a\r\nX-Evil: 1', 'p').authorize(ch.value, { method: 'REGISTER', uri: 'sip:r' }))
      .toThrow(/CR or LF/);
  });
});
