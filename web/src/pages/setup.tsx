// First start: create the team's admin with the one-time token from the log.
import { useState } from 'preact/hooks';
import { AuthFrame } from '../components/auth_frame';
import { ErrorNote } from '../components/error_note';
import { api } from '../lib/api';
import { t } from '../lib/i18n';
import { navigate } from '../lib/router';
import { login } from '../lib/session';

export function SetupPage() {
  const [token, setToken] = useState(new URLSearchParams(window.location.search).get('token') ?? '');
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (password !== confirm) return setError(new Error(t('account.mismatch')));
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/v1/setup', { token: token.trim(), username, password, display_name: displayName || undefined });
      await login(username, password);
      navigate('/', true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthFrame title={t('setup.title')} subtitle={t('setup.subtitle')}>
      <form class="form" onSubmit={submit} data-test="setup-form">
        <label>
          {t('setup.token')}
          <input name="token" value={token} required autoComplete="off" spellcheck={false}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
          <small class="muted">{t('setup.token_hint')}</small>
        </label>
        <label>
          {t('field.username')}
          <input name="username" value={username} required autoComplete="username"
            onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {t('field.display_name')}
          <input name="display_name" value={displayName}
            onInput={(e) => setDisplayName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {t('field.password')}
          <input name="password" type="password" value={password} required minLength={8} autoComplete="new-password"
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {t('field.password_confirm')}
          <input name="confirm" type="password" value={confirm} required minLength={8} autoComplete="new-password"
            onInput={(e) => setConfirm((e.target as HTMLInputElement).value)} />
        </label>
        <ErrorNote error={error} />
        <button class="btn primary" type="submit" disabled={busy}>{t('setup.submit')}</button>
      </form>
    </AuthFrame>
  );
}
