// Small pieces shared by the pipeline views: state badges, the chain of
// steps, and a step's output rendered by its format.
import { Markdown } from '../../components/markdown';
import { t } from '../../lib/i18n';
import type { StepDef } from './api';

const COLOR: Record<string, string> = {
  done: 'green', failed: 'red', cancelled: 'red', timed_out: 'red', invalid_output: 'red',
  running: 'blue', awaiting_review: 'orange', paused: 'orange',
};

// Run, item, step and attempt states share one badge (unknown states show as they are).
export function StateBadge({ state, testId }: { state: string; testId?: string }) {
  const key = `pipe.state_${state}`;
  const label = t(key);
  return <span class={`badge ${COLOR[state] ?? ''}`} data-state={state} data-test={testId}>{label === key ? state : label}</span>;
}

export function RunStateBadge({ state }: { state: string }) {
  return <StateBadge state={state} testId="run-state" />;
}

export function StepChain({ steps }: { steps: StepDef[] }) {
  return (
    <ol class="pipe-chain" data-test="step-chain">
      {steps.map((s, i) => (
        <li key={i} class={s.type === 'review' ? 'review' : ''}>
          <div class="pipe-chain-name">{i + 1}. {s.name}</div>
          <div class="muted small">{s.type === 'review' ? t('pipe.review_by', { who: s.owner }) : s.owner}</div>
          {s.prompt && <div class="pipe-chain-prompt small" title={s.prompt}>{s.prompt}</div>}
        </li>
      ))}
    </ol>
  );
}

// Markdown and text read as Markdown (raw HTML stays text); HTML and JSON
// show as fenced source: the shared-storage link opens the real document.
export function StepOutput({ text, format }: { text: string; format?: string }) {
  const fenced = format === 'json' || format === 'html' ? '```' + format + '\n' + text.replace(/```/g, '`\u200b``') + '\n```' : text;
  return <Markdown text={fenced} />;
}
