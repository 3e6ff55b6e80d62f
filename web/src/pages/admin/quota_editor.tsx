// One member's quota overrides; an empty field falls back to the team default.
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { api } from '../../lib/api';
import { t } from '../../lib/i18n';
import type { User } from '../../lib/session';

const FIELDS = ['inferences_per_day', 'tokens_per_day', 'max_concurrent', 'memory_budget_gib', 'priority_ceiling'] as const;
type Field = (typeof FIELDS)[number];
type Quota = Partial<Record<Field, number | null>>;

export function QuotaEditor({ user }: { user: User }) {
  const [overrides, setOverrides] = useState<Quota>({});
  const [effective, setEffective] = useState<Quota>({});
  const [draft, setDraft] = useState<Record<Field, string>>({} as Record<Field, string>);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [loaded, setLoaded] = useState(false);

  function take(r: { overrides: Quota; effective: Quota }) {
    setOverrides(r.overrides);
    setEffective(r.effective);
    const d = {} as Record<Field, string>;
    for (const f of FIELDS) d[f] = r.overrides[f] == null ? '' : String(r.overrides[f]);
    setDraft(d);
    setLoaded(true);
  }

  useEffect(() => {
    api.get<{ overrides: Quota; effective: Quota }>(`/api/v1/admin/users/${user.id}/quota`).then(take, setError);
  }, [user.id]);

  async function save(e: Event) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const body: Quota = {};
    for (const f of FIELDS) {
      const v = (draft[f] ?? '').trim();
      const before = overrides[f] == null ? '' : String(overrides[f]);
      if (v === before) continue;
      body[f] = v === '' ? null : Number(v);
    }
    try {
      take(await api.put(`/api/v1/admin/users/${user.id}/quota`, body));
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  }

  // Editing before the current values arrive would lose the edit.
  if (!loaded) return error ? <ErrorNote error={error} /> : <div class="muted small">{t('common.loading')}</div>;
  return (
    <form class="quota-editor" onSubmit={save} data-test="quota-editor">
      <div class="quota-grid">
        {FIELDS.map((f) => (
          <label key={f}>
            {t(`quota.${f}`)}
            <input name={f} type="number" step={f === 'memory_budget_gib' ? '0.5' : '1'} min="0" value={draft[f] ?? ''}
              placeholder={t('admin.default_is', { v: effective[f] == null || effective[f] === 0 ? t('admin.unlimited') : String(effective[f]) })}
              onInput={(e) => setDraft({ ...draft, [f]: (e.target as HTMLInputElement).value })} />
          </label>
        ))}
      </div>
      <div class="row">
        <button class="btn primary small" type="submit" data-test="save-quota">{t('common.save')}</button>
        {saved && <span class="ok-note" data-test="quota-saved">{t('admin.quota_saved')}</span>}
        <span class="muted small">{t('admin.quota_hint')}</span>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}
