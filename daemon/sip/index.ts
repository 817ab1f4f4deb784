export type * from './types.js';
export { parseMessage } from './parser.js';
export { serializeMessage, serializeHead } from './serializer.js';
export { parseUri, formatUri, unescapeUriPart, type Parsed } from './uri.js';
export { parseNameAddr, formatNameAddr, splitList, parseHeaderParams, formatHeaderParams, quote } from './name-addr.js';
export { parseVia, formatVia } from './via.js';
export { canonicalHeaderName, SINGLE_VALUE_HEADERS, LIST_HEADERS } from './header-names.js';
