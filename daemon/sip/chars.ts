/**
 * Character classes of the RFC 3261 section 25.1 grammar, as lookup tables over ASCII, so the
 * parsers scan strings without regular expressions (no backtracking on hot paths).
 */

export const C_TOKEN = 1; // alphanum - . ! % * _ + ` ' ~
export const C_UNRESERVED = 2; // alphanum - _ . ! ~ * ' ( )
export const C_USER = 4; // unreserved / user-unreserved (& = + $ , ; ? /)
export const C_PASSWORD = 8; // unreserved / & = + $ ,
export const C_PARAM = 16; // unreserved / param-unreserved ([ ] / : & + $)
export const C_HNV = 32; // unreserved / hnv-unreserved ([ ] / ? : + $)
export const C_WORD = 64; // callid word: token chars and ( ) < > : \ " / [ ] ? { }
export const C_HOST = 128; // alphanum - . _ (hostname; '_' tolerated) plus ':' '[' ']' for IPv6

const TABLE = new Uint8Array(128);

function add(flag: number, chars: string): void {
  for (let i = 0; i < chars.length; i++) TABLE[chars.charCodeAt(i)] |= flag;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MARK = "-_.!~*'()";
add(C_TOKEN, ALNUM + "-.!%*_+`'~");
add(C_UNRESERVED | C_USER | C_PASSWORD | C_PARAM | C_HNV, ALNUM + MARK);
add(C_USER, '&=+$,;?/');
add(C_PASSWORD, '&=+$,');
add(C_PARAM, '[]/:&+$');
add(C_HNV, '[]/?:+$');
add(C_WORD, ALNUM + "-.!%*_+`'~" + '()<>:\\"/[]?{}');
add(C_HOST, ALNUM + '-._');

export function isClass(code: number, flag: number): boolean {
  return code < 128 && (TABLE[code] & flag) !== 0;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** true when every character of s is in the class or is a valid %HH escape (when escapes allowed) */
export function allOf(s: string, flag: number, escapes = true): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && (TABLE[c] & flag) !== 0) continue;
    // '%' is in the token and word classes; elsewhere it must start a %HH escape
    if (c === 37 && escapes) {
      if (i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
        i += 2;
        continue;
      }
      return false;
    }
    return false;
  }
  return true;
}

export function isToken(s: string): boolean {
  return s.length > 0 && allOf(s, C_TOKEN, false);
}

/** percent-encode every character of s outside the class (UTF-8 for non-ASCII); keeps valid escapes */
export function escapeTo(s: string, flag: number): string {
  if (allOf(s, flag)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && (TABLE[c] & flag) !== 0) {
      out += s[i];
    } else if (c === 37 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      out += s.slice(i, i + 3);
      i += 2;
    } else {
      const cp = s.codePointAt(i) ?? c;
      if (cp > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) {
        out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
      }
    }
  }
  return out;
}

const CR_LF_NUL = /[\r\n\0]/;

/** CR, LF or NUL: never allowed in anything the serializer writes (header injection) */
export function hasCrLfNul(s: string): boolean {
  return CR_LF_NUL.test(s);
}

export function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * obj[key] = value, also for the key "__proto__" (which a plain assignment would treat as the
 * prototype): parameter names come from the network.
 */
export function setKey<T>(obj: Record<string, T>, key: string, value: NoInfer<T>): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
