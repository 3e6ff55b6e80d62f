// Files uploaded as soon as they are picked, dropped or pasted (POST
// /api/v1/files), each listed with a preview and its state, or the server's
// reason when it was refused. Shared by the chat composer and the Pipelines
// run form.
import { api, ApiError, describeError } from '../lib/api';
import { formatBytes, t } from '../lib/i18n';
import type { FileInfo } from '../pages/workspace/types';
import { Icon } from './icons';

export interface Upload {
  key: number;
  name: string;
  size: number;
  previewUrl: string | null; // images: a local object URL
  state: 'uploading' | 'ready' | 'error';
  file?: FileInfo;
  error?: unknown;
}

type SetUploads = (fn: (xs: Upload[]) => Upload[]) => void;

// What the server accepts (it sniffs the real type; this only filters the picker).
export const UPLOAD_ACCEPT = 'image/png,image/jpeg,image/webp,image/gif,image/bmp,application/pdf';
let nextKey = 1;

// Lists each file at once and uploads it; its entry follows the upload.
export function addUploads(files: Iterable<File>, setItems: SetUploads): void {
  for (const f of files) {
    const key = nextKey++;
    const name = f.name || 'pasted.png'; // pasted images have no name
    const previewUrl = f.type.startsWith('image/') ? URL.createObjectURL(f) : null;
    const update = (patch: Partial<Upload>) => setItems((xs) => xs.map((x) => (x.key === key ? { ...x, ...patch } : x)));
    setItems((xs) => [...xs, { key, name, size: f.size, previewUrl, state: 'uploading' }]);
    api
      .upload<{ file: FileInfo }>(`/api/v1/files?name=${encodeURIComponent(name)}`, f)
      .then((r) => update({ state: 'ready', file: r.file }), (e) => update({ state: 'error', error: e }));
  }
}

export function removeUpload(key: number, setItems: SetUploads): void {
  setItems((xs) => {
    const gone = xs.find((x) => x.key === key);
    if (gone?.previewUrl) URL.revokeObjectURL(gone.previewUrl);
    return xs.filter((x) => x.key !== key);
  });
}

// The server's reason, plus this file's size when it was too large.
function uploadError(a: Upload): string {
  const text = describeError(a.error);
  return a.error instanceof ApiError && a.error.code === 'too_large' ? `${text} (${formatBytes(a.size)})` : text;
}

export function UploadList({ items, setItems, testId, iconSize = 28 }: {
  items: Upload[];
  setItems: SetUploads;
  testId: string;
  iconSize?: number;
}) {
  if (items.length === 0) return null;
  return (
    <ul class="attachments" data-test={testId}>
      {items.map((a) => (
        <li key={a.key} class={`attachment ${a.state}`} data-state={a.state}>
          {a.previewUrl && a.state !== 'error' ? <img src={a.previewUrl} alt={a.name} /> : <div class="pdf-icon"><Icon name="file" size={iconSize} /></div>}
          <div class="attachment-meta">
            <div class="attachment-name" title={a.name}>{a.name}</div>
            <div class="muted small">
              {a.state === 'uploading' && t('chat.uploading')}
              {a.state === 'ready' && a.file && (a.file.kind === 'pdf' ? t('chat.pages', { n: a.file.pages }) : `${a.file.width}×${a.file.height}`)}
            </div>
            {a.state === 'error' && <div class="error-inline" role="alert">{uploadError(a)}</div>}
          </div>
          <button type="button" class="btn ghost icon-btn" aria-label={t('common.remove')} onClick={() => removeUpload(a.key, setItems)}>
            <Icon name="x" size={14} />
          </button>
        </li>
      ))}
    </ul>
  );
}
