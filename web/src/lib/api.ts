// The JSON API client: cookie session plus the CSRF header on writes, and
// errors turned into readable text (quota: when it resets; too large: the limit).
import { formatTime, lang, t } from './i18n';

let csrfToken = '';
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token ?? '';
}

export interface ApiErrorBody {
  code: string;
  message: string;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
    readonly retryAfter: number | null = null,
  ) {
    super(body.message);
  }
  get code(): string {
    return this.body.code;
  }
}

async function parseError(res: Response): Promise<ApiError> {
  const retry = res.headers.get('Retry-After');
  let body: ApiErrorBody = { code: `http_${res.status}`, message: res.statusText || `HTTP ${res.status}` };
  try {
    const j = await res.json();
    if (j && typeof j.error === 'object') body = j.error;
  } catch {
    // Not JSON (e.g. a proxy's page): keep the status line.
  }
  if (res.status === 413 && body.code.startsWith('http_')) body = { code: 'too_large', message: '' };
  return new ApiError(res.status, body, retry ? Number(retry) : null);
}

async function request<T>(method: string, path: string, body?: unknown, raw?: Blob, headers?: Record<string, string>): Promise<T> {
  const h: Record<string, string> = { ...(headers ?? {}) };
  if (method !== 'GET' && csrfToken) h['X-CSRF-Token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (raw) {
    payload = raw;
    h['Content-Type'] = raw.type || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers: h, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, { code: 'network', message: '' });
  }
  if (!res.ok) {
    const err = await parseError(res);
    if (res.status === 401 && !path.startsWith('/api/v1/auth/')) onUnauthenticated?.();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('Content-Type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

// Set by the app: a 401 on a normal call means the session ended.
let onUnauthenticated: (() => void) | undefined;
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
  upload: <T>(path: string, file: Blob) => request<T>('POST', path, undefined, file),
};

// The text shown next to whatever caused an error.
export function describeError(e: unknown): string {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
  const b = e.body;
  switch (b.code) {
    case 'network':
      return t('err.network');
    case 'quota_exceeded': {
      const resets = typeof b.resets_at === 'number' ? formatTime(b.resets_at) : null;
      const base = t('err.quota', { quota: t(`quota.${String(b.quota)}`), used: String(b.used), limit: String(b.limit) });
      return resets ? `${base} ${t('err.quota_resets', { when: resets })}` : base;
    }
    case 'too_large':
      return b.message ? `${t('err.too_large')} ${b.message}` : t('err.body_too_large');
    case 'too_many_attempts':
      return t('err.too_many_attempts', { s: e.retryAfter ?? '?' });
    case 'invalid_credentials':
      return t('err.invalid_credentials');
    case 'account_disabled':
      return t('err.account_disabled');
    case 'invalid_setup_token':
      return t('err.invalid_setup_token');
    case 'setup_closed':
      return t('err.setup_closed');
    case 'permission_denied':
      return b.message || t('err.permission_denied');
    case 'unsupported_file_type':
      // English: the server's own sentence says it all; otherwise translate the gist and keep the detail.
      if (!b.message) return t('err.unsupported_file');
      return lang.get() === 'en' ? b.message[0].toUpperCase() + b.message.slice(1) : `${t('err.unsupported_file')}（${b.message}）`;
    default:
      return b.message || t('err.unknown', { status: e.status });
  }
}
