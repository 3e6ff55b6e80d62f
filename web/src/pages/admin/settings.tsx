// Team settings (name, content visibility in the team view), the model
// being served and its defaults for every task (temperature, top-p, max
// tokens, image size, system prompt). Replacing the model itself is an
// operator action at start-up.
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { api } from '../../lib/api';
import { formatTime, t } from '../../lib/i18n';

interface ModelDefaults {
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  max_image_side?: number | null;
  system_prompt?: string | null;
}

interface Settings {
  team_name: string;
  show_content_in_team_view: boolean;
  model_defaults: ModelDefaults;
}

const DEFAULT_FIELDS: { name: keyof ModelDefaults; step?: string; min?: number; max?: number }[] = [
  { name: 'temperature', step: '0.05', min: 0, max: 2 },
  { name: 'top_p', step: '0.05', min: 0, max: 1 },
  { name: 'max_tokens', step: '1', min: 1, max: 32768 },
  { name: 'max_image_side', step: '1', min: 32, max: 4096 },
];

// Generation defaults every task starts from; a member's own parameters win.
function ModelDefaultsForm() {
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  const load = (d: ModelDefaults) =>
    setValues(Object.fromEntries(Object.entries(d ?? {}).map(([k, v]) => [k, v == null ? '' : String(v)])));
  useEffect(() => {
    api.get<{ settings: Settings }>('/api/v1/admin/settings').then((r) => load(r.settings.model_defaults), setError);
  }, []);
  async function save(e: Event) {
    e.preventDefault();
    setError(null);
    setSaved('');
    const body: ModelDefaults = {};
    for (const f of DEFAULT_FIELDS) if ((values[f.name] ?? '') !== '') (body as Record<string, number>)[f.name] = Number(values[f.name]);
    if ((values.system_prompt ?? '').trim()) body.system_prompt = values.system_prompt;
    try {
      const r = await api.patch<{ settings: Settings }>('/api/v1/admin/settings', { model_defaults: body });
      load(r.settings.model_defaults);
      setSaved(t('admin.settings_saved'));
    } catch (err) {
      setError(err);
    }
  }
  const set = (k: string) => (e: Event) => setValues({ ...values, [k]: (e.target as HTMLInputElement).value });
  return (
    <form class="form" onSubmit={save} data-test="model-defaults">
      <h3>{t('admin.model_defaults')}</h3>
      <p class="muted small">{t('admin.model_defaults_hint')}</p>
      <div class="row wrap">
        {DEFAULT_FIELDS.map((f) => (
          <label key={f.name}>
            {t(`admin.default_${f.name}`)}
            <input name={f.name} type="number" step={f.step} min={f.min} max={f.max} value={values[f.name] ?? ''}
              placeholder={t('admin.default_unset')} onInput={set(f.name)} />
          </label>
        ))}
      </div>
      <label>
        {t('admin.default_system_prompt')}
        <textarea name="system_prompt" rows={2} maxLength={8000} value={values.system_prompt ?? ''} onInput={set('system_prompt')} />
      </label>
      <div class="row end"><button class="btn small" type="submit">{t('common.save')}</button></div>
      {saved && <div class="ok-note">{saved}</div>}
      <ErrorNote error={error} />
    </form>
  );
}

interface ModelEntry {
  id: string;
  description: string;
  created: number;
  demo: boolean;
  note?: string;
}

interface Resources {
  policy: string;
  max_users: number;
  gpu_mem_per_user_gib: number;
  device: string;
}

export function TeamSettings() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');

  useEffect(() => {
    api.get<{ settings: Settings }>('/api/v1/admin/settings').then((r) => {
      setSettings(r.settings);
      setName(r.settings.team_name);
    }, setError);
  }, []);

  async function save(patch: Partial<Settings>) {
    setError(null);
    setSaved('');
    try {
      const r = await api.patch<{ settings: Settings }>('/api/v1/admin/settings', patch);
      setSettings(r.settings);
      setSaved(t('admin.settings_saved'));
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section class="card">
      <h2>{t('admin.team_settings')}</h2>
      {settings && (
        <div class="form">
          <form class="row end" onSubmit={(e) => { e.preventDefault(); void save({ team_name: name }); }}>
            <label class="grow">
              {t('admin.team_name')}
              <input name="team_name" value={name} maxLength={100} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </label>
            <button class="btn small" type="submit">{t('common.save')}</button>
          </form>
          <label class="check">
            <input type="checkbox" checked={settings.show_content_in_team_view} data-test="show-content"
              onChange={(e) => save({ show_content_in_team_view: (e.target as HTMLInputElement).checked })} />
            <span>
              {t('admin.show_content')}
              <small class="muted block">{t('admin.show_content_hint')}</small>
            </span>
          </label>
        </div>
      )}
      {saved && <div class="ok-note">{saved}</div>}
      <ErrorNote error={error} />
    </section>
  );
}

export function ModelSettings() {
  const [model, setModel] = useState<ModelEntry | null>(null);
  const [res, setRes] = useState<Resources | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<{ data: ModelEntry[] }>('/v1/models').then((r) => setModel(r.data[0] ?? null), setError);
    api.get<Resources>('/api/v1/resources').then(setRes, setError);
  }, []);
  return (
    <section class="card">
      <h2>{t('admin.model')}</h2>
      <ErrorNote error={error} />
      {model && (
        <dl class="facts">
          <dt>{t('admin.model_id')}</dt><dd><code>{model.id}</code> {model.demo && <span class="badge orange">{t('admin.demo')}</span>}</dd>
          <dt>{t('admin.model_desc')}</dt><dd>{model.description}</dd>
          <dt>{t('admin.loaded_at')}</dt><dd>{formatTime(model.created)}</dd>
          {res && <><dt>{t('admin.device')}</dt><dd>{res.device}</dd>
            <dt>{t('admin.policy')}</dt><dd>{res.policy}</dd>
            <dt>MAX_USERS</dt><dd>{res.max_users}</dd>
            <dt>GPU_MEM_PER_USER</dt><dd>{res.gpu_mem_per_user_gib} GiB</dd></>}
        </dl>
      )}
      {model?.note && <p class="warn-note">{model.note}</p>}
      <p class="muted small">{t('admin.model_hint')}</p>
      <ModelDefaultsForm />
    </section>
  );
}
