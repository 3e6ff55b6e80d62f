// The member's current parameters, remembered in this browser per member.
import { DEFAULT_PARAMS, type Params } from './types';

const key = (userId: number) => `teamvl.params.${userId}`;

export function loadParams(userId: number): Params {
  try {
    const raw = localStorage.getItem(key(userId));
    if (raw) return { ...DEFAULT_PARAMS, ...JSON.parse(raw) };
  } catch {
    // A broken entry is ignored.
  }
  return { ...DEFAULT_PARAMS };
}

export function saveParams(userId: number, p: Params): void {
  localStorage.setItem(key(userId), JSON.stringify(p));
}

// Only the fields a preset or a task may carry.
export function fromPreset(current: Params, preset: Record<string, unknown>): Params {
  const out = { ...current };
  for (const k of Object.keys(DEFAULT_PARAMS) as (keyof Params)[]) {
    const v = preset[k];
    if (typeof v === 'number') out[k] = v;
  }
  return out;
}
