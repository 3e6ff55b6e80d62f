// Every member's API keys; admins may revoke any of them.
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { api } from '../../lib/api';
import { formatTime, t } from '../../lib/i18n';
import type { User } from '../../lib/session';
import { KeyState, type ApiKey } from '../account';

export function AllKeys() {
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [names, setNames] = useState<Map<number, string>>(new Map());
  const [error, setError] = useState<unknown>(null);

  async function reload() {
    try {
      const [k, u] = await Promise.all([
        api.get<{ keys: ApiKey[] }>('/api/v1/admin/keys'),
        api.get<{ users: User[] }>('/api/v1/admin/users'),
      ]);
      setKeys(k.keys);
      setNames(new Map(u.users.map((x) => [x.id, x.username])));
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    void reload();
  }, []);

  async function revoke(k: ApiKey) {
    if (!confirm(t('keys.revoke_confirm', { name: k.name }))) return;
    setError(null);
    try {
      await api.del(`/api/v1/admin/keys/${k.id}`);
      await reload();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section class="card">
      <h2>{t('admin.keys')}</h2>
      <ErrorNote error={error} />
      {keys.length === 0 ? (
        <p class="muted">{t('keys.none_team')}</p>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr><th>{t('keys.owner')}</th><th>{t('keys.name')}</th><th>{t('keys.prefix')}</th><th>{t('keys.state')}</th><th>{t('keys.last_used')}</th><th>{t('keys.calls')}</th><th /></tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>{names.get(k.user_id) ?? `#${k.user_id}`}</td>
                  <td>{k.name}</td>
                  <td><code>{k.prefix}</code></td>
                  <td><KeyState k={k} /></td>
                  <td class="muted small">{formatTime(k.last_used_at)}</td>
                  <td>{k.call_count}</td>
                  <td>{k.state !== 'revoked' && k.state !== 'expired' && <button class="btn ghost small danger-text" onClick={() => revoke(k)}>{t('keys.revoke')}</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
