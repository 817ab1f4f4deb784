/** Offers and answers shaped like those of real peers (baresip, Asterisk, FRITZ!Box, a WebRTC-ish phone). */
export const CRLF = '\r\n';
export const sdp = (...lines: string[]): string => lines.join(CRLF) + CRLF;

export const baresipOffer = sdp(
  'v=0',
  'o=- 1964118375 2070307446 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 10010 RTP/AVP 0 8 9 96 101',
  'b=AS:95',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 stereo=1;sprop-stereo=1;useinbandfec=1',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:20',
  'a=sendrecv',
  'a=rtcp:10011',
);

export const asteriskOffer = sdp(
  'v=0',
  'o=- 1234 1234 IN IP4 192.168.178.2',
  's=Asterisk',
  'c=IN IP4 192.168.178.2',
  't=0 0',
  'm=audio 12000 RTP/AVP 8 0 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:150',
  'a=sendrecv',
);

export const opusOnlyOffer = sdp(
  'v=0',
  'o=- 5 5 IN IP6 2001:db8::7',
  's=-',
  'c=IN IP6 2001:db8::7',
  't=0 0',
  'm=audio 6000 RTP/AVP 109 100 101',
  'a=rtpmap:109 opus/48000/2',
  'a=fmtp:109 maxplaybackrate=24000;useinbandfec=1',
  'a=rtpmap:100 telephone-event/48000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:100 0-16',
);

export const withVideo = sdp(
  'v=0',
  'o=- 9 9 IN IP4 10.0.0.9',
  's=-',
  'c=IN IP4 10.0.0.9',
  't=0 0',
  'm=video 7000 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'm=audio 7002 RTP/AVP 0',
);
