// Admin monitoring: the numbers of /api/v1/resources now, and charts of
// engine use, tokens/s, queue lengths and memory per member, live (polled
// here) or for the last hour/day/week (kept by the server).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Chart, color, type Series } from '../components/chart';
import { ErrorNote } from '../components/error_note';
import { PageHeader } from '../components/layout';
import { api } from '../lib/api';
import { formatBytes, formatTime, t } from '../lib/i18n';

interface MemberRow {
  member: string;
  running: number;
  queued: number;
  kv_bytes: number;
  kv_cached_bytes: number;
  kv_budget_bytes: number;
}

interface Resources {
  gpu_usage: number | null;
  active_users: number;
  memory_allocated: Record<string, number>;
  device: string;
  engine_usage: number;
  tokens_per_second: number;
  decode_tokens_per_second: number;
  running_tasks: number;
  queue_length: number;
  kv_used_bytes: number;
  kv_capacity_bytes: number;
  members: MemberRow[];
  policy: string;
  max_users: number;
  at: number;
}

// One point of a chart, from either source.
interface Point {
  at: number;
  usage: number;
  tps: number;
  decode_tps: number;
  running: number;
  queued: number;
  memory: Record<string, number>;
}

type Range = 'live' | 'hour' | 'day' | 'week';
const RANGES: Range[] = ['live', 'hour', 'day', 'week'];
const LIVE_POINTS = 300;
const POLL_MS = 2000;

function fromResources(r: Resources): Point {
  return {
    at: r.at,
    usage: r.gpu_usage ?? r.engine_usage,
    tps: r.tokens_per_second,
    decode_tps: r.decode_tokens_per_second,
    running: r.running_tasks,
    queued: r.queue_length,
    memory: r.memory_allocated,
  };
}

interface HistoryPoint {
  at: number;
  engine_usage: number;
  tokens_per_second: number;
  decode_tokens_per_second: number;
  running_tasks: number;
  queue_length: number;
  memory_allocated: Record<string, number>;
}

function fromHistory(p: HistoryPoint): Point {
  return {
    at: p.at,
    usage: p.engine_usage,
    tps: p.tokens_per_second,
    decode_tps: p.decode_tokens_per_second,
    running: p.running_tasks,
    queued: p.queue_length,
    memory: p.memory_allocated,
  };
}

function Stat({ label, value, sub, test }: { label: string; value: string; sub?: string; test?: string }) {
  return (
    <div class="stat card" data-test={test}>
      <div class="stat-value">{value}</div>
      <div class="muted">{label}</div>
      {sub && <div class="muted small">{sub}</div>}
    </div>
  );
}

export default function Monitor() {
  const [range, setRange] = useState<Range>('live');
  const [now, setNow] = useState<Resources | null>(null);
  const [live, setLive] = useState<Point[]>([]);
  const [history, setHistory] = useState<Point[]>([]);
  const [error, setError] = useState<unknown>(null);

  // The live numbers are polled whatever the range: the tiles always show now.
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const r = await api.get<Resources>('/api/v1/resources');
        if (stopped) return;
        setNow(r);
        setLive((xs) => [...xs, fromResources(r)].slice(-LIVE_POINTS));
        setError(null);
      } catch (e) {
        if (!stopped) setError(e);
      }
    };
    void poll();
    const id = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(id);
    };
  }, []);

  useEffect(() => {
    if (range === 'live') return;
    let stopped = false;
    const load = () =>
      api.get<{ points: HistoryPoint[] }>(`/api/v1/metrics/history?range=${range}`).then(
        (r) => !stopped && setHistory(r.points.map(fromHistory)),
        (e) => !stopped && setError(e),
      );
    void load();
    const id = setInterval(load, 30000);
    return () => {
      stopped = true;
      clearInterval(id);
    };
  }, [range]);

  const points = range === 'live' ? live : history;
  const charts = useMemo(() => {
    const times = points.map((p) => p.at);
    const members = [...new Set(points.flatMap((p) => Object.keys(p.memory)))].sort();
    // Memory comes in GiB; small amounts read better in MiB.
    const maxGib = Math.max(0, ...points.flatMap((p) => Object.values(p.memory)));
    const memScale = maxGib >= 1 ? 1 : 1024;
    const memory: Series[] = members.map((m, i) => ({ label: m, color: color(i), values: points.map((p) => (p.memory[m] ?? 0) * memScale) }));
    return {
      times,
      usage: [{ label: t('monitor.engine_usage'), color: color(0), values: points.map((p) => p.usage) }],
      tps: [
        { label: t('monitor.tps_total'), color: color(0), values: points.map((p) => p.tps) },
        { label: t('monitor.tps_decode'), color: color(1), values: points.map((p) => p.decode_tps) },
      ],
      queue: [
        { label: t('monitor.running'), color: color(1), values: points.map((p) => p.running) },
        { label: t('monitor.queued'), color: color(2), values: points.map((p) => p.queued) },
      ],
      memory,
      memUnit: memScale === 1 ? ' GiB' : ' MiB',
    };
  }, [points]);

  return (
    <div class="page">
      <PageHeader title={t('nav.monitor')} subtitle={now ? t('monitor.subtitle', { device: now.device, policy: now.policy, at: formatTime(now.at) }) : undefined}>
        <div class="segmented" role="tablist">
          {RANGES.map((r) => (
            <button key={r} role="tab" aria-selected={r === range} class={r === range ? 'active' : ''} data-range={r} onClick={() => setRange(r)}>
              {t(`monitor.range_${r}`)}
            </button>
          ))}
        </div>
      </PageHeader>
      <ErrorNote error={error} />
      {now && (
        <div class="stats-row">
          <Stat test="stat-usage" label={now.gpu_usage == null ? t('monitor.engine_usage') : t('monitor.gpu_usage')}
            value={`${(now.gpu_usage ?? now.engine_usage).toFixed(1)}%`} sub={now.gpu_usage == null ? t('monitor.no_gpu') : undefined} />
          <Stat label={t('monitor.active_users')} value={`${now.active_users} / ${now.max_users}`} />
          <Stat label={t('monitor.tps')} value={now.tokens_per_second.toFixed(1)} sub={t('monitor.decode_sub', { n: now.decode_tokens_per_second.toFixed(1) })} />
          <Stat label={t('monitor.tasks')} value={`${now.running_tasks} / ${now.queue_length}`} sub={t('monitor.tasks_sub')} />
          <Stat label={t('monitor.kv')} value={formatBytes(now.kv_used_bytes)} sub={t('monitor.of', { total: formatBytes(now.kv_capacity_bytes) })} />
        </div>
      )}
      <div class="charts">
        <Chart title={t('monitor.chart_usage')} times={charts.times} series={charts.usage} unit="%" yMax={100} />
        <Chart title={t('monitor.chart_tps')} times={charts.times} series={charts.tps} />
        <Chart title={t('monitor.chart_queue')} times={charts.times} series={charts.queue} />
        <Chart title={t('monitor.chart_memory')} times={charts.times} series={charts.memory} unit={charts.memUnit} />
      </div>
      {now && (
        <section class="card">
          <h2>{t('monitor.members')}</h2>
          {now.members.length === 0 ? (
            <p class="muted">{t('monitor.no_members')}</p>
          ) : (
            <div class="table-wrap">
              <table class="table" data-test="monitor-members">
                <thead>
                  <tr><th>{t('team.member')}</th><th>{t('monitor.running')}</th><th>{t('monitor.queued')}</th><th>{t('monitor.kv_held')}</th><th>{t('monitor.kv_cached')}</th><th>{t('monitor.kv_budget')}</th></tr>
                </thead>
                <tbody>
                  {now.members.map((m) => (
                    <tr key={m.member}>
                      <td>{m.member}</td><td>{m.running}</td><td>{m.queued}</td>
                      <td>{formatBytes(m.kv_bytes)}</td><td>{formatBytes(m.kv_cached_bytes)}</td><td>{formatBytes(m.kv_budget_bytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p class="muted small">{t('monitor.api_hint')}</p>
        </section>
      )}
    </div>
  );
}
