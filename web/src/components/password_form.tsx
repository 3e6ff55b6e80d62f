// Current + new password; used by the forced change and the Account page.
import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { t } from '../lib/i18n';
import { ErrorNote } from './error_note';

export function PasswordForm({ onDone }: { onDone: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (next !== confirm) return setError(new Error(t('account.mismatch')));
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/v1/auth/password', { current_password: current, new_password: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="form" onSubmit={submit} data-test="password-form">
      <label>
        {t('account.current_password')}
        <input name="current_password" type="password" value={current} required autoComplete="current-password"
          onInput={(e) => setCurrent((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        {t('account.new_password')}
        <input name="new_password" type="password" value={next} required minLength={8} autoComplete="new-password"
          onInput={(e) => setNext((e.target as HTMLInputElement).value)} />
        <small class="muted">{t('account.password_rule')}</small>
      </label>
      <label>
        {t('field.password_confirm')}
        <input name="confirm_password" type="password" value={confirm} required minLength={8} autoComplete="new-password"
          onInput={(e) => setConfirm((e.target as HTMLInputElement).value)} />
      </label>
      <ErrorNote error={error} />
      <button class="btn primary" type="submit" disabled={busy}>{t('account.change_password')}</button>
    </form>
  );
}
