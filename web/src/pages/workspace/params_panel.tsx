// Temperature, top-p, max tokens and image size, with named presets.
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { api } from '../../lib/api';
import { t } from '../../lib/i18n';
import { fromPreset } from './params';
import type { Params, Preset } from './types';

interface FieldDef {
  key: keyof Params;
  min: number;
  max: number;
  step: number;
}

const FIELDS: FieldDef[] = [
  { key: 'temperature', min: 0, max: 2, step: 0.05 },
  { key: 'top_p', min: 0, max: 1, step: 0.01 },
  { key: 'max_tokens', min: 1, max: 8192, step: 1 },
  { key: 'max_image_side', min: 32, max: 4096, step: 32 },
];

export function ParamsPanel({ params, onChange, canWrite }: { params: Params; onChange: (p: Params) => void; canWrite: boolean }) {
  const [presets, setPresets] = useState<Preset[]>([]);
  const [selected, setSelected] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');

  async function reload() {
    try {
      setPresets((await api.get<{ presets: Preset[] }>('/api/v1/presets')).presets);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    void reload();
  }, []);

  function apply(id: string) {
    setSelected(id);
    const p = presets.find((x) => String(x.id) === id);
    if (p) {
      onChange(fromPreset(params, p.params));
      setNotice(t('params.applied', { name: p.name }));
    }
  }

  async function save(e: Event) {
    e.preventDefault();
    setError(null);
    setNotice('');
    const existing = presets.find((p) => p.name === name.trim());
    try {
      if (existing) await api.put(`/api/v1/presets/${existing.id}`, { params });
      else await api.post('/api/v1/presets', { name: name.trim(), params });
      setNotice(t('params.saved', { name: name.trim() }));
      setName('');
      await reload();
    } catch (err) {
      setError(err);
    }
  }

  async function remove() {
    if (!selected) return;
    setError(null);
    try {
      await api.del(`/api/v1/presets/${selected}`);
      setSelected('');
      await reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <aside class="params card" data-test="params-panel">
      <h2>{t('params.title')}</h2>
      {FIELDS.map((f) => (
        <label class="param" key={f.key}>
          <span class="param-head">
            <span>{t(`params.${f.key}`)}</span>
            <input type="number" class="param-num" min={f.min} max={f.max} step={f.step} value={params[f.key]} name={f.key}
              onChange={(e) => {
                const v = Number((e.target as HTMLInputElement).value);
                if (Number.isFinite(v)) onChange({ ...params, [f.key]: Math.min(f.max, Math.max(f.min, v)) });
              }} />
          </span>
          <input type="range" min={f.min} max={f.max} step={f.step} value={params[f.key]} aria-label={t(`params.${f.key}`)}
            onInput={(e) => onChange({ ...params, [f.key]: Number((e.target as HTMLInputElement).value) })} />
        </label>
      ))}
      <div class="presets">
        <h3>{t('params.presets')}</h3>
        <div class="row">
          <select value={selected} onChange={(e) => apply((e.target as HTMLSelectElement).value)} aria-label={t('params.presets')} data-test="preset-select">
            <option value="">{presets.length ? t('params.choose') : t('params.none')}</option>
            {presets.map((p) => (
              <option key={p.id} value={String(p.id)}>{p.name}</option>
            ))}
          </select>
          <button class="btn ghost small" disabled={!selected || !canWrite} onClick={remove}>{t('common.delete')}</button>
        </div>
        {canWrite && (
          <form class="row" onSubmit={save}>
            <input placeholder={t('params.preset_name')} value={name} maxLength={100} required name="preset_name"
              onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            <button class="btn small" type="submit">{t('common.save')}</button>
          </form>
        )}
        {notice && <div class="ok-note">{notice}</div>}
        <ErrorNote error={error} />
      </div>
    </aside>
  );
}
