export type * from './types.js';
export { parseMessage } from './parser.js';
export { serializeMessage, serializeHead } from './serializer.js';
export { parseUri, formatUri, unescapeUriPart, type Parsed } from './uri.js';
export { parseNameAddr, formatNameAddr, splitList, parseHeaderParams, formatHeaderParams, quote } from './name-addr.js';
export { parseVia, formatVia } from './via.js';
export { canonicalHeaderName, SINGLE_VALUE_HEADERS, LIST_HEADERS } from './header-names.js';
export {
  getHeader, getHeaders, getNameAddrs, setHeader, addHeader, removeHeader, createRequest, createResponse,
  buildRejectResponse, newBranch, newTag, newCallId, reasonPhrase,
  type CreateRequestOptions, type CreateResponseOptions, type HeaderInput,
} from './message-helpers.js';
export { checkRequest, type CheckOptions, type CheckRejection } from './validate.js';
export { StreamFramer, type StreamFramerOptions, type FramerOutput } from './stream-framer.js';
export {
  parseChallenge, pickChallenge, parseCredentials, formatCredentials, formatChallenge, digestResponse, verifyDigest,
  DigestClient, buildCredentials, type CredentialOptions, type DigestAlgorithm, type DigestChallenge, type DigestCredentials, type DigestInput, type AuthorizeRequest,
} from './digest.js';
export { runSipCheck, type SipCheckResult } from './sip-check.js';
