// The message box: text, attachments by drag-and-drop, paste or picker (each
// uploaded at once and previewed), send and stop.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { Icon } from '../../components/icons';
import { addUploads, UPLOAD_ACCEPT, UploadList, type Upload } from '../../components/uploads';
import { t } from '../../lib/i18n';
import type { FileInfo } from './types';

interface Props {
  busy: boolean; // a turn is in flight: show stop instead of send
  disabled: boolean;
  error: unknown;
  onSend: (text: string, files: FileInfo[]) => Promise<boolean>;
  onStop: () => void;
  dropTarget: HTMLElement | null;
}

export function Composer({ busy, disabled, error, onSend, onStop, dropTarget }: Props) {
  const [text, setText] = useState('');
  const [items, setItems] = useState<Upload[]>([]);
  const [dragging, setDragging] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const itemsRef = useRef(items);
  itemsRef.current = items;

  const add = (files: Iterable<File>) => addUploads(files, setItems);

  // Drag-and-drop anywhere over the chat.
  useEffect(() => {
    const el = dropTarget;
    if (!el) return;
    const over = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (e.target === el || !el.contains(e.relatedTarget as Node)) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      setDragging(false);
      if (e.dataTransfer?.files.length) add(e.dataTransfer.files);
    };
    el.addEventListener('dragover', over);
    el.addEventListener('dragleave', leave);
    el.addEventListener('drop', drop);
    return () => {
      el.removeEventListener('dragover', over);
      el.removeEventListener('dragleave', leave);
      el.removeEventListener('drop', drop);
    };
  }, [dropTarget]);

  const uploading = items.some((x) => x.state === 'uploading');
  const ready = items.filter((x) => x.state === 'ready').map((x) => x.file!);
  const canSend = !disabled && !busy && !uploading && (text.trim().length > 0 || ready.length > 0);

  async function send() {
    if (!canSend) return;
    const ok = await onSend(text.trim(), ready);
    if (ok) {
      itemsRef.current.forEach((x) => x.previewUrl && URL.revokeObjectURL(x.previewUrl));
      setItems([]);
      setText('');
    }
  }

  return (
    <div class={`composer ${dragging ? 'dragging' : ''}`}>
      {dragging && <div class="drop-overlay">{t('chat.drop_here')}</div>}
      <UploadList items={items} setItems={setItems} testId="attachments" />
      <div class="composer-row">
        <button class="btn ghost icon-btn" title={t('chat.attach')} aria-label={t('chat.attach')} disabled={disabled}
          onClick={() => picker.current?.click()}>
          <Icon name="attach" />
        </button>
        <input ref={picker} type="file" accept={UPLOAD_ACCEPT} multiple hidden data-test="file-input"
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            if (input.files) add(Array.from(input.files));
            input.value = '';
          }} />
        <textarea rows={2} value={text} placeholder={disabled ? t('chat.read_only') : t('chat.placeholder')} disabled={disabled}
          data-test="prompt" aria-label={t('chat.placeholder')}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          onPaste={(e) => {
            const files = Array.from(e.clipboardData?.files ?? []);
            if (files.length) {
              e.preventDefault();
              add(files);
            }
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void send();
            }
          }} />
        {busy ? (
          <button class="btn danger" onClick={onStop} data-test="stop"><Icon name="stop" /> {t('chat.stop')}</button>
        ) : (
          <button class="btn primary" disabled={!canSend} onClick={() => void send()} data-test="send"><Icon name="send" /> {t('chat.send')}</button>
        )}
      </div>
      <ErrorNote error={error} testId="chat-error" />
      <div class="muted small hint">{t('chat.hint')}</div>
    </div>
  );
}
