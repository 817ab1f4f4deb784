#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * The `portier` executable (package.json bin). The subcommands live in cli/commands.ts.
 */
import { main } from './cli/commands.js';

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`portier: unhandled rejection: ${(reason as Error)?.stack ?? reason}\n`);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`portier: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
