/**
 * Walks the config schema and lists every key with its description, unit, default and example, so
 * config/portier.example.toml can be generated from the schema (and checked against it in a test).
 */
import type { z } from 'zod';
import type { KeyMeta } from './schema-fields.js';
import { configSchema } from './schema.js';

export interface KeyDoc extends KeyMeta {
  path: string;
  hasDefault: boolean;
  defaultValue?: unknown;
}

export interface SectionDoc {
  /** "" for top-level keys, "sip" for [sip], "buttons" for [[buttons]] */
  name: string;
  array: boolean;
  description?: string;
  keys: KeyDoc[];
}

type AnyDef = { type: string; innerType?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType>; defaultValue?: unknown };

function defOf(s: z.ZodType): AnyDef {
  return (s as unknown as { def: AnyDef }).def;
}

/** Peels optional/default/prefault wrappers, collecting meta and default on the way. */
function unwrap(s: z.ZodType): { core: z.ZodType; meta?: KeyMeta; hasDefault: boolean; defaultValue?: unknown } {
  let meta: KeyMeta | undefined;
  let hasDefault = false;
  let defaultValue: unknown;
  let cur = s;
  for (;;) {
    meta ??= cur.meta() as KeyMeta | undefined;
    const d = defOf(cur);
    if (d.type === 'default' || d.type === 'prefault') {
      if (!hasDefault) {
        hasDefault = true;
        defaultValue = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
      }
      cur = d.innerType!;
    } else if (d.type === 'optional') {
      cur = d.innerType!;
    } else break;
  }
  return { core: cur, meta, hasDefault, defaultValue };
}

function objectKeys(shape: Record<string, z.ZodType>, prefix: string): KeyDoc[] {
  return Object.entries(shape).map(([name, s]) => {
    const u = unwrap(s);
    if (!u.meta?.description) throw new Error(`config key ${prefix}${name} has no description`);
    return { path: `${prefix}${name}`, ...u.meta, hasDefault: u.hasDefault, defaultValue: u.defaultValue };
  });
}

export function describeConfig(): SectionDoc[] {
  const sections: SectionDoc[] = [];
  const top: KeyDoc[] = [];
  for (const [name, s] of Object.entries(configSchema.shape as Record<string, z.ZodType>)) {
    const u = unwrap(s);
    const d = defOf(u.core);
    if (d.type === 'object') {
      sections.push({ name, array: false, keys: objectKeys(d.shape!, '') });
    } else if (d.type === 'array' && defOf(unwrap(d.element!).core).type === 'object') {
      sections.push({ name, array: true, description: u.meta?.description, keys: objectKeys(defOf(unwrap(d.element!).core).shape!, '') });
    } else {
      if (!u.meta?.description) throw new Error(`config key ${name} has no description`);
      top.push({ path: name, ...u.meta, hasDefault: u.hasDefault, defaultValue: u.defaultValue });
    }
  }
  return [{ name: '', array: false, keys: top }, ...sections];
}

function tomlValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  return String(v);
}

/** The text of config/portier.example.toml. */
export function exampleToml(): string {
  const out: string[] = [
    '# portier configuration: every key, its meaning, unit and default.',
    '# Generated from config/schema.ts by `npm run example-config`; a test keeps the two in step.',
    '# Keys left commented out take the default shown. Unknown keys are errors.',
    '',
  ];
  for (const section of describeConfig()) {
    if (section.name) {
      out.push('');
      if (section.description) out.push(`# ${section.description}`);
      out.push(section.array ? `[[${section.name}]]` : `[${section.name}]`);
    }
    for (const k of section.keys) {
      const unit = k.unit ? ` (${k.unit})` : '';
      out.push(`# ${k.description}${unit}`);
      if (section.array && (k.path === 'id' || k.path === 'relay')) {
        out.push(`${k.path} = ${k.example}`);
      } else if (k.hasDefault) {
        out.push(`# ${k.path} = ${tomlValue(k.defaultValue)}`);
      } else {
        out.push(`# ${k.path} = ${k.example ?? '""'}`);
      }
    }
  }
  return out.join('\n') + '\n';
}
