// Who is signed in. Boot asks the server whether setup is still open, then
// who we are; every page reads `me` from here.
import { api, setCsrfToken, setUnauthenticatedHandler } from './api';
import { createStore } from './store';

export interface User {
  id: number;
  username: string;
  display_name: string;
  role: 'admin' | 'member' | 'viewer';
  must_change_password: boolean;
  disabled: boolean;
  created_at: number;
  updated_at: number;
}

export type AuthState =
  | { kind: 'loading' }
  | { kind: 'setup' }
  | { kind: 'signed_out' }
  | { kind: 'signed_in'; user: User }
  | { kind: 'unreachable'; error: unknown };

export const auth = createStore<AuthState>({ kind: 'loading' });

setUnauthenticatedHandler(() => {
  if (auth.get().kind === 'signed_in') auth.set({ kind: 'signed_out' });
});

export async function boot(): Promise<void> {
  try {
    const setup = await api.get<{ setup_required: boolean }>('/api/v1/setup');
    if (setup.setup_required) {
      auth.set({ kind: 'setup' });
      return;
    }
    await refreshMe();
  } catch (error) {
    auth.set({ kind: 'unreachable', error });
  }
}

export async function refreshMe(): Promise<void> {
  try {
    const me = await api.get<{ user: User; csrf_token?: string }>('/api/v1/auth/me');
    setCsrfToken(me.csrf_token);
    auth.set({ kind: 'signed_in', user: me.user });
  } catch {
    auth.set({ kind: 'signed_out' });
  }
}

export async function login(username: string, password: string): Promise<void> {
  const r = await api.post<{ user: User; csrf_token: string }>('/api/v1/auth/login', { username, password });
  setCsrfToken(r.csrf_token);
  auth.set({ kind: 'signed_in', user: r.user });
}

export async function logout(): Promise<void> {
  try {
    await api.post('/api/v1/auth/logout');
  } finally {
    setCsrfToken('');
    auth.set({ kind: 'signed_out' });
  }
}

export function currentUser(): User | null {
  const a = auth.get();
  return a.kind === 'signed_in' ? a.user : null;
}
