// The inputs of a new run: files dropped on the zone or picked, each uploaded
// at once (POST /api/v1/files) and listed with its state or its error.
import { useRef, useState } from 'preact/hooks';
import { Icon } from '../../components/icons';
import { addUploads, UPLOAD_ACCEPT, UploadList, type Upload } from '../../components/uploads';
import { t } from '../../lib/i18n';

export type RunInput = Upload;

export function DropZone({ inputs, setInputs, disabled }: {
  inputs: RunInput[];
  setInputs: (fn: (xs: RunInput[]) => RunInput[]) => void;
  disabled: boolean;
}) {
  const [over, setOver] = useState(false);
  const picker = useRef<HTMLInputElement>(null);

  const add = (files: Iterable<File>) => addUploads(files, setInputs);

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
        <input ref={picker} type="file" accept={UPLOAD_ACCEPT} multiple hidden data-test="run-file-input"
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            if (input.files) add(Array.from(input.files));
            input.value = '';
          }} />
      </div>
      <UploadList items={inputs} setItems={setInputs} testId="run-inputs" iconSize={24} />
    </div>
  );
}
