/**
 * `portier sip-check FILE...`: is each file, taken as one UDP datagram, a well-formed SIP message?
 * Well-formed means the RFC 3261 grammar holds for the start line and the headers the stack reads,
 * single-value headers appear once, the mandatory headers are there, and Content-Length frames
 * the body (parseMessage's verdict). Whether a UA would then accept the request (416, 420 ...) is
 * not part of this check.
 */
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../util/errors.js';
import { parseMessage } from './parser.js';

export interface SipCheckResult {
  lines: string[];
  exitCode: number;
}

export async function runSipCheck(files: string[]): Promise<SipCheckResult> {
  const lines: string[] = [];
  let allAccepted = true;
  for (const file of files) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      lines.push(`${file}: reject: cannot read the file (${errorMessage(err)})`);
      allAccepted = false;
      continue;
    }
    const r = parseMessage(data);
    if (r.ok) {
      lines.push(`${file}: accept`);
    } else {
      lines.push(`${file}: reject: ${r.reason}`);
      allAccepted = false;
    }
  }
  return { lines, exitCode: allAccepted ? 0 : 1 };
}
