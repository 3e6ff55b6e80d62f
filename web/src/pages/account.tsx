// The member's own account: usage against quotas, API keys, password.
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../components/error_note';
import { PageHeader } from '../components/layout';
import { PasswordForm } from '../components/password_form';
import { api } from '../lib/api';
import { formatDuration, formatTime, t } from '../lib/i18n';
import { currentUser } from '../lib/session';

export interface ApiKey {
  id: number;
  user_id: number;
  name: string;
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  call_count: number;
  revoked_at: number | null;
  expires_at: number | null;
  rotated_to: number | null;
  state: 'active' | 'rotating' | 'expired' | 'revoked';
}

const STATE_COLOR: Record<ApiKey['state'], string> = { active: 'green', rotating: 'orange', expired: '', revoked: 'red' };

export function KeyState({ k }: { k: ApiKey }) {
  return <span class={`badge ${STATE_COLOR[k.state]}`}>{t(`keys.state_${k.state}`)}</span>;
}

interface Usage {
  today: { day: string; inferences: number; input_tokens: number; output_tokens: number; images: number; compute_seconds: number };
  quota: Record<string, number | null>;
  resets_at: number;
}

function Meter({ label, used, limit }: { label: string; used: number; limit: number | null | undefined }) {
  const unlimited = !limit;
  const pct = unlimited ? 0 : Math.min(100, (100 * used) / limit!);
  return (
    <div class="meter">
      <div class="meter-head"><span>{label}</span><span class="muted">{unlimited ? `${used} / ${t('admin.unlimited')}` : `${used} / ${limit}`}</span></div>
      <div class={`progress ${pct >= 100 ? 'full' : pct > 80 ? 'high' : ''}`}><div style={{ width: `${pct}%` }} /></div>
    </div>
  );
}

function UsageCard() {
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Usage>('/api/v1/usage').then(setUsage, setError);
  }, []);
  return (
    <section class="card">
      <h2>{t('account.usage')}</h2>
      <ErrorNote error={error} />
      {usage && (
        <div class="stack" data-test="usage">
          <Meter label={t('quota.inferences_per_day')} used={usage.today.inferences} limit={usage.quota.inferences_per_day} />
          <Meter label={t('quota.tokens_per_day')} used={usage.today.input_tokens + usage.today.output_tokens} limit={usage.quota.tokens_per_day} />
          <dl class="facts">
            <dt>{t('account.images')}</dt><dd>{usage.today.images}</dd>
            <dt>{t('account.compute')}</dt><dd>{formatDuration(usage.today.compute_seconds)}</dd>
            <dt>{t('quota.max_concurrent')}</dt><dd>{usage.quota.max_concurrent ?? '—'}</dd>
            <dt>{t('quota.memory_budget_gib')}</dt><dd>{usage.quota.memory_budget_gib ?? '—'} GiB</dd>
            <dt>{t('account.resets')}</dt><dd>{formatTime(usage.resets_at)}</dd>
          </dl>
        </div>
      )}
    </section>
  );
}

function KeysCard() {
  const canWrite = currentUser()?.role !== 'viewer';
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function reload() {
    try {
      setKeys((await api.get<{ keys: ApiKey[] }>('/api/v1/keys')).keys);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    void reload();
  }, []);

  async function act(fn: () => Promise<void>) {
    setError(null);
    try {
      await fn();
      await reload();
    } catch (e) {
      setError(e);
    }
  }

  const create = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      const body: Record<string, unknown> = { name: name.trim() };
      if (days.trim()) body.expires_in_days = Number(days);
      const r = await api.post<{ key: ApiKey; secret: string }>('/api/v1/keys', body);
      setSecret({ name: r.key.name, secret: r.secret });
      setCopied(false);
      setName('');
      setDays('');
    });
  };

  const rotate = (k: ApiKey) =>
    act(async () => {
      const r = await api.post<{ key: ApiKey; secret: string }>(`/api/v1/keys/${k.id}/rotate`, {});
      setSecret({ name: r.key.name, secret: r.secret });
      setCopied(false);
    });

  const revoke = (k: ApiKey) => {
    if (confirm(t('keys.revoke_confirm', { name: k.name }))) void act(() => api.del(`/api/v1/keys/${k.id}`));
  };

  return (
    <section class="card">
      <h2>{t('account.keys')}</h2>
      <p class="muted small">{t('keys.intro')}</p>
      {canWrite && (
        <form class="row wrap" onSubmit={create} data-test="create-key">
          <input name="key_name" placeholder={t('keys.name')} value={name} required maxLength={100}
            onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <input name="expires_in_days" type="number" min="1" placeholder={t('keys.expires_days')} value={days} class="short"
            onInput={(e) => setDays((e.target as HTMLInputElement).value)} />
          <button class="btn primary" type="submit">{t('keys.create')}</button>
        </form>
      )}
      {secret && (
        <div class="secret-box" data-test="key-secret">
          <div>{t('keys.shown_once', { name: secret.name })}</div>
          <code class="secret">{secret.secret}</code>
          <div class="row">
            <button class="btn small" onClick={() => navigator.clipboard?.writeText(secret.secret).then(() => setCopied(true))}>
              {copied ? t('common.copied') : t('common.copy')}
            </button>
            <button class="btn ghost small" onClick={() => setSecret(null)}>{t('common.dismiss')}</button>
          </div>
        </div>
      )}
      <ErrorNote error={error} />
      {keys.length === 0 ? (
        <p class="muted">{t('keys.none')}</p>
      ) : (
        <div class="table-wrap">
          <table class="table" data-test="keys">
            <thead>
              <tr><th>{t('keys.name')}</th><th>{t('keys.prefix')}</th><th>{t('keys.state')}</th><th>{t('keys.created')}</th><th>{t('keys.last_used')}</th><th>{t('keys.expires')}</th><th>{t('keys.calls')}</th><th /></tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td><code>{k.prefix}</code></td>
                  <td><KeyState k={k} /></td>
                  <td class="muted small">{formatTime(k.created_at)}</td>
                  <td class="muted small">{formatTime(k.last_used_at)}</td>
                  <td class="muted small">{formatTime(k.expires_at)}</td>
                  <td>{k.call_count}</td>
                  <td class="actions">
                    {canWrite && k.state === 'active' && <button class="btn ghost small" onClick={() => rotate(k)}>{t('keys.rotate')}</button>}
                    {canWrite && k.state !== 'revoked' && k.state !== 'expired' && (
                      <button class="btn ghost small danger-text" onClick={() => revoke(k)}>{t('keys.revoke')}</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export default function Account() {
  const user = currentUser()!;
  const [changed, setChanged] = useState(false);
  return (
    <div class="page">
      <PageHeader title={t('nav.account')} subtitle={`${user.username} · ${t(`role.${user.role}`)}`} />
      <div class="grid-2">
        <UsageCard />
        <section class="card">
          <h2>{t('account.change_password')}</h2>
          <PasswordForm onDone={() => setChanged(true)} />
          {changed && <div class="ok-note">{t('account.password_changed')}</div>}
        </section>
      </div>
      <KeysCard />
    </div>
  );
}
