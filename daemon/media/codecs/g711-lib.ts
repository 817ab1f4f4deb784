/**
 * `alawmulaw` is a CommonJS/UMD package: under Node's ESM loader its exports sit on `default`,
 * under a CommonJS transform (tsx from a .cts context, bundlers) they may sit on the namespace.
 */
import * as ns from 'alawmulaw';

type Lib = typeof ns;
const lib: Lib = (ns as unknown as { default?: Lib }).default ?? ns;

export const { alaw, mulaw } = lib;
