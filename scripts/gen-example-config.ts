// Writes config/portier.example.toml from the schema: `npm run example-config`.
import { writeFileSync } from 'node:fs';
import { exampleToml } from '../config/describe.js';

writeFileSync(new URL('../config/portier.example.toml', import.meta.url), exampleToml());
console.log('wrote config/portier.example.toml');
