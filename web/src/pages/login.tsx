// Sign-in form.
import { useState } from 'preact/hooks';
import { AuthFrame } from '../components/auth_frame';
import { ErrorNote } from '../components/error_note';
import { t } from '../lib/i18n';
import { login } from '../lib/session';

export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username, password);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthFrame title={t('login.title')} subtitle={t('login.subtitle')}>
      <form class="form" onSubmit={submit} data-test="login-form">
        <label>
          {t('field.username')}
          <input name="username" value={username} required autoComplete="username" autoFocus
            onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {t('field.password')}
          <input name="password" type="password" value={password} required autoComplete="current-password"
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        <ErrorNote error={error} />
        <button class="btn primary" type="submit" disabled={busy}>{t('login.submit')}</button>
      </form>
    </AuthFrame>
  );
}
