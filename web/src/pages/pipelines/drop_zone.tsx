// The inputs of a new run: files dropped on the zone or picked, each uploaded
// at once (POST /api/v1/files) and listed with its state or its error.
import { useRef, useState } from 'preact/hooks';
import { Icon } from '../../components/icons';
import { ApiError, describeError } from '../../lib/api';
import { formatBytes, t } from '../../lib/i18n';
import type { FileInfo } from '../workspace/types';
import { pipelinesApi } from './api';

export interface RunInput {
  key: number;
  name: string;
  size: number;
  previewUrl: string | null; // images: a local object URL
  state: 'uploading' | 'ready' | 'error';
  file?: FileInfo;
  error?: unknown;
}

const ACCEPT = 'image/png,image/jpeg,image/webp,image/gif,image/bmp,application/pdf';
let nextKey = 1;

export function DropZone({ inputs, setInputs, disabled }: {
  inputs: RunInput[];
  setInputs: (fn: (xs: RunInput[]) => RunInput[]) => void;
  disabled: boolean;
}) {
  const [over, setOver] = useState(false);
  const picker = useRef<HTMLInputElement>(null);

  function add(files: Iterable<File>) {
    for (const f of files) {
      const key = nextKey++;
      const previewUrl = f.type.startsWith('image/') ? URL.createObjectURL(f) : null;
      setInputs((xs) => [...xs, { key, name: f.name, size: f.size, previewUrl, state: 'uploading' }]);
      pipelinesApi.upload(f).then(
        (file) => setInputs((xs) => xs.map((x) => (x.key === key ? { ...x, state: 'ready', file } : x))),
        (error) => setInputs((xs) => xs.map((x) => (x.key === key ? { ...x, state: 'error', error } : x))),
      );
    }
  }

  return (
    <div class="stack">
      <div class={`pipe-drop ${over ? 'over' : ''} ${disabled ? 'disabled' : ''}`} data-test="run-drop"
        role="button" tabIndex={0} aria-label={t('pipe.drop_label')}
        onClick={() => !disabled && picker.current?.click()}
        onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && !disabled && picker.current?.click()}
        onDragOver={(e) => {
          if (disabled || !e.dataTransfer?.types.includes('Files')) return;
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          if (!disabled && e.dataTransfer?.files.length) add(Array.from(e.dataTransfer.files));
        }}>
        <Icon name="file" size={28} />
        <div><strong>{t('pipe.drop_title')}</strong></div>
        <div class="muted small">{t('pipe.drop_hint')}</div>
        <input ref={picker} type="file" accept={ACCEPT} multiple hidden data-test="run-file-input"
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            if (input.files) add(Array.from(input.files));
            input.value = '';
          }} />
      </div>
      {inputs.length > 0 && (
        <ul class="attachments" data-test="run-inputs">
          {inputs.map((a) => (
            <li key={a.key} class={`attachment ${a.state}`} data-state={a.state}>
              {a.previewUrl && a.state !== 'error' ? <img src={a.previewUrl} alt={a.name} /> : <div class="pdf-icon"><Icon name="file" size={24} /></div>}
              <div class="attachment-meta">
                <div class="attachment-name" title={a.name}>{a.name}</div>
                <div class="muted small">
                  {a.state === 'uploading' && t('chat.uploading')}
                  {a.state === 'ready' && a.file && (a.file.kind === 'pdf' ? t('chat.pages', { n: a.file.pages }) : `${a.file.width}×${a.file.height}`)}
                </div>
                {a.state === 'error' && (
                  <div class="error-inline" role="alert">
                    {describeError(a.error)}
                    {a.error instanceof ApiError && a.error.code === 'too_large' ? ` (${formatBytes(a.size)})` : ''}
                  </div>
                )}
              </div>
              <button type="button" class="btn ghost icon-btn" aria-label={t('common.remove')}
                onClick={() => {
                  if (a.previewUrl) URL.revokeObjectURL(a.previewUrl);
                  setInputs((xs) => xs.filter((x) => x.key !== a.key));
                }}>
                <Icon name="x" size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
