// English and Simplified Chinese. The browser's language picks the first
// choice; the switch in the navigation overrides it and is remembered.
import { createStore, useStore } from './store';
import { messages, type Lang } from './messages';

const STORAGE_KEY = 'teamvl.lang';

function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const l of langs) {
    const low = (l || '').toLowerCase();
    if (low.startsWith('zh')) return 'zh-CN';
    if (low.startsWith('en')) return 'en';
  }
  return 'en';
}

export const lang = createStore<Lang>(initialLang());
document.documentElement.lang = lang.get();

export function setLang(l: Lang): void {
  localStorage.setItem(STORAGE_KEY, l);
  document.documentElement.lang = l;
  lang.set(l);
}

// t('chat.queued', {position: 3}) -> "Queued: position 3". Unknown keys fall
// back to English, then to the key itself, so a missing string is visible.
export function t(key: string, vars?: Record<string, string | number>): string {
  const l = lang.get();
  let s = messages[l][key] ?? messages.en[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

// Re-renders the caller when the language changes.
export function useLang(): Lang {
  return useStore(lang);
}

export function formatTime(unix: number | null | undefined): string {
  if (!unix) return '—';
  return new Date(unix * 1000).toLocaleString(lang.get());
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t('unit.seconds', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('unit.minutes', { m, s: s % 60 });
  return t('unit.hours', { h: Math.floor(m / 60), m: m % 60 });
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
