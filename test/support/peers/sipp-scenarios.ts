/**
 * Generated sipp scenarios (for what a fixed XML file cannot express, like a digit string):
 * a UAC call that sends DTMF as SIP INFO (application/dtmf-relay), one INFO per digit.
 */
import { writeFileSync } from 'node:fs';

export interface InfoDtmfScenarioOptions {
  /** DTMF digits, one INFO each (0-9 * # A-D). */
  digits: string;
  /** Expect a 407 first and repeat the INVITE with [authentication] (calls through the lab proxy). */
  auth?: boolean;
  /** Pause after the ACK before the first INFO (ms). */
  leadMs?: number;
  /** Pause between INFOs (ms). */
  gapMs?: number;
  /** Signal duration put in each INFO body (ms). */
  durationMs?: number;
  /** play_pcap_audio file (in sipp's cwd) started right after the ACK. */
  pcap?: string;
}

const SDP = `v=0
      o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=ptime:20
      a=sendrecv`;

function invite(cseq: number, withAuth: boolean): string {
  return `  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTagD[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: ${cseq} INVITE
      Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
${withAuth ? '      [authentication]\n' : ''}      Max-Forwards: 70
      User-Agent: portier-lab-sipp
      Content-Type: application/sdp
      Content-Length: [len]

      ${SDP}

    ]]>
  </send>
`;
}

function inDialog(method: string, cseq: number, extra = '', body = ''): string {
  return `  <send${method === 'ACK' ? '' : ' retrans="500"'}>
    <![CDATA[

      ${method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTagD[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      [routes]
      Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
${extra}      Content-Length: [len]
${body ? `\n      ${body.split('\n').join('\n      ')}\n` : ''}
    ]]>
  </send>
`;
}

/** The scenario XML. Keys: -s callee, -key caller <user>; with auth also -au/-ap. Ends with BYE after -d ms. */
export function infoDtmfScenario(o: InfoDtmfScenarioOptions): string {
  for (const d of o.digits) if (!/^[0-9*#A-Da-d]$/.test(d)) throw new Error(`not a DTMF digit: '${d}'`);
  const parts: string[] = ['<?xml version="1.0" encoding="ISO-8859-1" ?>', '<!DOCTYPE scenario SYSTEM "sipp.dtd">', `<scenario name="uac call with SIP INFO dtmf ${o.digits}">`];
  let cseq = 1;
  parts.push(invite(cseq, false));
  parts.push('  <recv response="100" optional="true"/>');
  if (o.auth) {
    parts.push('  <recv response="407" auth="true"/>');
    // ACK for the 407 reuses the INVITE's branch (RFC 3261 17.1.1.3): three elements back.
    parts.push(`  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
      From: <sip:[caller]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTagD[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: ${cseq} ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
`);
    cseq++;
    parts.push(invite(cseq, true));
    parts.push('  <recv response="100" optional="true"/>');
  }
  parts.push('  <recv response="180" optional="true"/>', '  <recv response="183" optional="true"/>', '  <recv response="200" rtd="true" rrs="true"/>');
  parts.push(inDialog('ACK', cseq));
  if (o.pcap) parts.push(`  <nop><action><exec play_pcap_audio="${o.pcap}"/></action></nop>`);
  parts.push(`  <pause milliseconds="${o.leadMs ?? 500}"/>`);
  for (const d of o.digits) {
    cseq++;
    parts.push(inDialog('INFO', cseq, '      Content-Type: application/dtmf-relay\n', `Signal=${d}\nDuration=${o.durationMs ?? 160}`));
    parts.push('  <recv response="200"/>');
    parts.push(`  <pause milliseconds="${o.gapMs ?? 200}"/>`);
  }
  parts.push('  <pause/>');
  cseq++;
  parts.push(inDialog('BYE', cseq));
  parts.push('  <recv response="200" crlf="true"/>');
  parts.push('</scenario>', '');
  return parts.join('\n');
}

export function writeInfoDtmfScenario(path: string, o: InfoDtmfScenarioOptions): string {
  writeFileSync(path, infoDtmfScenario(o));
  return path;
}
