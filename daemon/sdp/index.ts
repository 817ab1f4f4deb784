/** SDP offer/answer for portier's one audio stream (RFC 3264, RFC 4566, RFC 4733, RFC 7587). */
export { createOffer, nextOffer, holdOffer, resumeOffer } from './offer.js';
export { createAnswer } from './answer.js';
export { parseAnswer } from './parse-answer.js';
export { answerDirection, holdDirection, reverse, isNullAddress } from './direction.js';
export { parseFmtp } from './media-format.js';
export type * from './types.js';
