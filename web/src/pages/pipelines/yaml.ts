// Writes a pipeline definition as YAML for the editor's text mode and the
// version view. Only what definitions hold: mappings, lists, strings,
// numbers, booleans. Strings that could read as another type are quoted
// (the server keeps quoted scalars as strings); JSON string syntax is valid
// YAML, so quoting is JSON.stringify.
type Value = string | number | boolean | null | undefined | Value[] | { [k: string]: Value };

const PLAIN = /^[A-Za-z_][A-Za-z0-9 _.@/()-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~)$/i;

function scalar(s: string, indent: string): string {
  if (s.includes('\n') && !/^\s/.test(s) && !/\s$/.test(s) && !s.includes('\t'))
    return `|-\n${s.split('\n').map((l) => (l ? indent + '  ' + l : '')).join('\n')}`;
  if (PLAIN.test(s) && !RESERVED.test(s) && !s.endsWith(' ') && !s.includes(' #') && !s.includes(': ')) return s;
  return JSON.stringify(s);
}

// A nested block follows on the next line; a scalar after one space.
function sep(text: string): string {
  return text.startsWith('\n') ? text : ' ' + text;
}

function emit(v: Value, indent: string): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return scalar(v, indent);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '\n' + v.map((x) => `${indent}- ${emitItem(x, indent + '  ')}`).join('\n');
  }
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  if (keys.length === 0) return '{}';
  return '\n' + keys.map((k) => `${indent}${k}:${sep(emit(v[k], indent + '  '))}`).join('\n');
}

// A list entry: a mapping starts on the dash's line.
function emitItem(v: Value, indent: string): string {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    if (keys.length === 0) return '{}';
    return keys.map((k, i) => `${i === 0 ? '' : indent}${k}:${sep(emit(v[k], indent + '  '))}`).join('\n');
  }
  return emit(v, indent);
}

export function toYaml(def: object): string {
  return emit(def as Value, '').replace(/^\n/, '') + '\n';
}
