// Team settings (name, content visibility in the team view) and the model
// being served. Replacing the model is an operator action at start-up.
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { api } from '../../lib/api';
import { formatTime, t } from '../../lib/i18n';

interface Settings {
  team_name: string;
  show_content_in_team_view: boolean;
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
    </section>
  );
}
