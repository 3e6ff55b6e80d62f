// Members: add (temporary password shown once), role, disable, reset
// password, and each member's quota overrides.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { api } from '../../lib/api';
import { formatTime, t } from '../../lib/i18n';
import { currentUser, type User } from '../../lib/session';
import { QuotaEditor } from './quota_editor';

export function Members() {
  const me = currentUser()!;
  const [users, setUsers] = useState<User[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [rowError, setRowError] = useState<{ id: number; error: unknown } | null>(null);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState('member');
  const [created, setCreated] = useState<{ username: string; password: string } | null>(null);
  const [addError, setAddError] = useState<unknown>(null);
  const [quotaFor, setQuotaFor] = useState<number | null>(null);

  async function reload() {
    try {
      setUsers((await api.get<{ users: User[] }>('/api/v1/admin/users')).users);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    void reload();
  }, []);

  async function add(e: Event) {
    e.preventDefault();
    setAddError(null);
    try {
      const r = await api.post<{ user: User; temporary_password: string }>('/api/v1/admin/users', { username: username.trim(), role });
      setCreated({ username: r.user.username, password: r.temporary_password });
      setUsername('');
      await reload();
    } catch (err) {
      setAddError(err);
    }
  }

  async function patch(u: User, body: Partial<User>) {
    setRowError(null);
    try {
      await api.patch(`/api/v1/admin/users/${u.id}`, body);
      await reload();
    } catch (err) {
      setRowError({ id: u.id, error: err });
    }
  }

  async function resetPassword(u: User) {
    setRowError(null);
    try {
      const r = await api.post<{ temporary_password: string }>(`/api/v1/admin/users/${u.id}/reset-password`);
      setCreated({ username: u.username, password: r.temporary_password });
    } catch (err) {
      setRowError({ id: u.id, error: err });
    }
  }

  return (
    <div class="stack">
      <section class="card">
        <h2>{t('admin.add_member')}</h2>
        <form class="row wrap" onSubmit={add} data-test="add-member">
          <input name="new_username" placeholder={t('admin.username_or_email')} value={username} required
            onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
          <select name="new_role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
            <option value="member">{t('role.member')}</option>
            <option value="viewer">{t('role.viewer')}</option>
            <option value="admin">{t('role.admin')}</option>
          </select>
          <button class="btn primary" type="submit">{t('admin.add')}</button>
        </form>
        <ErrorNote error={addError} />
        {created && (
          <div class="secret-box" data-test="temp-password">
            <div>{t('admin.temp_password_for', { name: created.username })}</div>
            <code class="secret" data-test="temp-password-value">{created.password}</code>
            <div class="muted small">{t('admin.temp_password_note')}</div>
            <button class="btn ghost small" onClick={() => navigator.clipboard?.writeText(created.password)}>{t('common.copy')}</button>
            <button class="btn ghost small" onClick={() => setCreated(null)}>{t('common.dismiss')}</button>
          </div>
        )}
      </section>
      <section class="card">
        <h2>{t('admin.members')}</h2>
        <ErrorNote error={error} />
        <div class="table-wrap">
          <table class="table" data-test="members">
            <thead>
              <tr><th>{t('field.username')}</th><th>{t('admin.role')}</th><th>{t('admin.status')}</th><th>{t('admin.created')}</th><th /></tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <Fragment key={u.id}>
                  <tr data-user={u.username}>
                    <td>
                      <div>{u.display_name || u.username}</div>
                      {u.display_name && <div class="muted small">{u.username}</div>}
                    </td>
                    <td>
                      <select value={u.role} aria-label={t('admin.role')} disabled={u.id === me.id}
                        onChange={(e) => patch(u, { role: (e.target as HTMLSelectElement).value as User['role'] })}>
                        <option value="admin">{t('role.admin')}</option>
                        <option value="member">{t('role.member')}</option>
                        <option value="viewer">{t('role.viewer')}</option>
                      </select>
                    </td>
                    <td>
                      {u.disabled ? <span class="badge red">{t('admin.disabled')}</span> : <span class="badge green">{t('admin.active')}</span>}
                      {u.must_change_password && <span class="badge">{t('admin.temp_password')}</span>}
                    </td>
                    <td class="muted small">{formatTime(u.created_at)}</td>
                    <td class="actions">
                      <button class="btn ghost small" data-test="edit-quota" onClick={() => setQuotaFor(quotaFor === u.id ? null : u.id)}>{t('admin.quota')}</button>
                      <button class="btn ghost small" onClick={() => resetPassword(u)}>{t('admin.reset_password')}</button>
                      {u.id !== me.id && (
                        <button class="btn ghost small" onClick={() => patch(u, { disabled: !u.disabled })}>
                          {u.disabled ? t('admin.enable') : t('admin.disable')}
                        </button>
                      )}
                    </td>
                  </tr>
                  {rowError?.id === u.id && (
                    <tr><td colSpan={5}><ErrorNote error={rowError.error} /></td></tr>
                  )}
                  {quotaFor === u.id && (
                    <tr class="sub-row"><td colSpan={5}><QuotaEditor user={u} /></td></tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
