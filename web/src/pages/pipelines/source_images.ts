// Which of the caller's files show an item's source. The run gives each step
// owner (reviewers too) their own copies of the item's page images, but the
// item names only the starter's upload, so they are found by what the server
// names them: "<folder>-p<N>.png" for PDF pages, the file's own name for an
// image (see server/pipelines/run_control.cpp).
import { ApiError } from '../../lib/api';
import type { FileInfo } from '../workspace/types';
import { pipelinesApi, type RunItem } from './api';

export interface SourceImage {
  id: number;
  label: string;
}

// The server's folder name of an upload: the name without its extension,
// bytes other than [A-Za-z0-9_-] as '_', at most 60 bytes.
export function folderName(name: string): string {
  const dot = name.lastIndexOf('.');
  const stem = dot <= 0 ? name : name.slice(0, dot);
  let out = '';
  for (const b of new TextEncoder().encode(stem)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : '_';
  }
  return (out || 'item').slice(0, 60);
}

async function mine(id: number): Promise<boolean> {
  try {
    await pipelinesApi.fileInfo(id);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw e;
  }
}

export async function sourceImages(item: RunItem): Promise<SourceImage[]> {
  // A step this member owns that took the images names them directly.
  for (const s of item.steps) {
    const ids = s.file_ids ?? [];
    if (ids.length && (await mine(ids[0]!))) return ids.map((id, k) => ({ id, label: pageLabel(k + 1, ids.length) }));
  }
  const { source } = item;
  if (source.kind !== 'pdf' && source.file_id && (await mine(source.file_id)))
    return [{ id: source.file_id, label: source.file_name }];
  // Otherwise the copies made for this member, newest first.
  const files: FileInfo[] = await pipelinesApi.myFiles();
  const byName = (n: string) => files.find((f) => f.name === n && f.kind === 'image');
  if (source.kind !== 'pdf') {
    const f = byName(source.file_name);
    return f ? [{ id: f.id, label: source.file_name }] : [];
  }
  const base = folderName(source.file_name);
  // An item of one page of a PDF ("manual.pdf p3") has that page only.
  const one = /\sp(\d+)$/.exec(item.name);
  const pages = one && source.pages === 1 ? [Number(one[1])] : Array.from({ length: source.pages }, (_, k) => k + 1);
  const out: SourceImage[] = [];
  for (const p of pages) {
    const f = byName(`${base}-p${p}.png`);
    if (f) out.push({ id: f.id, label: pageLabel(p, source.pages > 1 ? source.pages : 0) });
  }
  return out;
}

function pageLabel(n: number, of: number): string {
  return of > 1 ? `${n} / ${of}` : `${n}`;
}
