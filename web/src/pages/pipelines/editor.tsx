// Defines or edits a pipeline: a form (name, defaults, ordered steps with
// owner, prompt template, format, timeout, retries, review steps) or the
// same definition as YAML text. Every save adds a version on the server.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote } from '../../components/error_note';
import { Icon } from '../../components/icons';
import { PageHeader } from '../../components/layout';
import { ApiError } from '../../lib/api';
import { t } from '../../lib/i18n';
import { navigate } from '../../lib/router';
import { currentUser } from '../../lib/session';
import { links, OUTPUT_FORMATS, pipelinesApi, type Definition, type Pipeline } from './api';
import { toYaml } from './yaml';

// Form state keeps numbers as text so an empty field means "the default".
interface StepForm {
  key: number;
  name: string;
  review: boolean;
  owner: string;
  prompt: string;
  output_format: string; // '' = the pipeline's
  task_timeout: string;
  auto_retry: string;
  max_tokens: string;
  temperature: string;
  preset: string;
  extraParams: Record<string, unknown>; // params the form has no field for, kept as they were
}

interface PipelineForm {
  name: string;
  description: string;
  items: 'document' | 'page';
  output_format: string;
  task_timeout: string;
  auto_retry: string;
  steps: StepForm[];
}

let nextKey = 1;

function newStep(review: boolean, owner: string): StepForm {
  return { key: nextKey++, name: review ? 'review' : '', review, owner, prompt: '', output_format: '', task_timeout: '',
    auto_retry: '', max_tokens: '', temperature: '', preset: '', extraParams: {} };
}

function fromDefinition(d: Definition): PipelineForm {
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return {
    name: d.name, description: d.description ?? '', items: d.items ?? 'document', output_format: d.output_format ?? '',
    task_timeout: str(d.task_timeout), auto_retry: str(d.auto_retry),
    steps: d.steps.map((s) => {
      const { max_tokens, temperature, ...rest } = (s.params ?? {}) as Record<string, unknown>;
      return { key: nextKey++, name: s.name, review: s.type === 'review', owner: s.owner, prompt: s.prompt ?? '',
        output_format: s.output_format ?? '', task_timeout: str(s.task_timeout), auto_retry: str(s.auto_retry),
        max_tokens: str(max_tokens), temperature: str(temperature), preset: s.preset ?? '', extraParams: rest };
    }),
  };
}

// A number field: empty is left out (the default applies); anything else is
// sent as typed so the server's message names the field when it is wrong.
function num(v: string): number | string | undefined {
  const s = v.trim();
  if (!s) return undefined;
  return Number.isFinite(Number(s)) ? Number(s) : s;
}

function retry(v: string): number | boolean | string | undefined {
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === 'false') return s === 'true';
  return num(v);
}

function toDefinition(f: PipelineForm): Definition {
  const def: Record<string, unknown> = { name: f.name.trim(), description: f.description, items: f.items };
  if (f.output_format) def.output_format = f.output_format;
  if (num(f.task_timeout) !== undefined) def.task_timeout = num(f.task_timeout);
  if (retry(f.auto_retry) !== undefined) def.auto_retry = retry(f.auto_retry);
  def.steps = f.steps.map((s) => {
    const step: Record<string, unknown> = { name: s.name.trim(), type: s.review ? 'review' : 'generate', owner: s.owner.trim() };
    if (!s.review) {
      step.prompt = s.prompt;
      const params: Record<string, unknown> = { ...s.extraParams };
      if (num(s.max_tokens) !== undefined) params.max_tokens = num(s.max_tokens);
      if (num(s.temperature) !== undefined) params.temperature = num(s.temperature);
      step.params = params;
      if (s.preset.trim()) step.preset = s.preset.trim();
    }
    if (s.output_format) step.output_format = s.output_format;
    if (num(s.task_timeout) !== undefined) step.task_timeout = num(s.task_timeout);
    if (retry(s.auto_retry) !== undefined) step.auto_retry = retry(s.auto_retry);
    return step;
  });
  return def as unknown as Definition;
}

// "steps[1].owner: no member 'bob'" -> 1, so the error shows on that step too.
function stepOfError(e: unknown): number | null {
  if (!(e instanceof ApiError)) return null;
  const m = /steps\[(\d+)\]/.exec(e.body.message ?? '');
  return m ? Number(m[1]) : null;
}

export function PipelineEditor({ id }: { id: number | null }) {
  const me = currentUser()!;
  const [pipeline, setPipeline] = useState<Pipeline | null>(null);
  const [form, setForm] = useState<PipelineForm | null>(id === null
    ? { name: '', description: '', items: 'document', output_format: '', task_timeout: '', auto_retry: '', steps: [newStep(false, me.username)] }
    : null);
  const [mode, setMode] = useState<'form' | 'yaml'>('form');
  const [yaml, setYaml] = useState('');
  const yamlStart = useRef('');
  const [members, setMembers] = useState<string[] | null>(null);
  const [known, setKnown] = useState<string[]>([]);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (id !== null)
      pipelinesApi.get(id).then((p) => {
        setPipeline(p);
        setForm(fromDefinition(p.definition));
      }, setLoadError);
    // Owners are picked from the team's directory; if it cannot be read, the
    // username is typed, with the names in the team's pipelines as suggestions.
    pipelinesApi.members().then(setMembers, () => {
      setMembers(null);
      pipelinesApi.list().then((ps) => setKnown([...new Set([me.username, ...ps.flatMap((p) => [p.owner, ...p.definition.steps.map((s) => s.owner)])])].sort()), () => {});
    });
  }, [id]);

  if (loadError) return <div class="page"><ErrorNote error={loadError} /></div>;
  if (!form) return <div class="loading">{t('common.loading')}</div>;

  const set = (patch: Partial<PipelineForm>) => setForm({ ...form, ...patch });
  const setStep = (i: number, patch: Partial<StepForm>) =>
    set({ steps: form.steps.map((s, k) => (k === i ? { ...s, ...patch } : s)) });
  const move = (i: number, by: number) => {
    const steps = [...form.steps];
    const [s] = steps.splice(i, 1);
    steps.splice(i + by, 0, s!);
    set({ steps });
  };

  function switchMode(next: 'form' | 'yaml') {
    if (next === mode) return;
    if (next === 'yaml') {
      const text = toYaml(toDefinition(form!));
      yamlStart.current = text;
      setYaml(text);
    } else if (yaml !== yamlStart.current && !window.confirm(t('pipe.yaml_discard'))) {
      return;
    }
    setError(null);
    setMode(next);
  }

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = mode === 'yaml' ? { yaml } : toDefinition(form!);
      const saved = id === null ? await pipelinesApi.create(body) : await pipelinesApi.update(id, body);
      navigate(links.pipeline(saved.id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const errStep = stepOfError(error);
  const ownerList = members ?? [];

  return (
    <div class="page">
      <PageHeader title={id === null ? t('pipe.new_title') : t('pipe.edit_title', { name: pipeline?.name ?? '' })}
        subtitle={pipeline ? t('pipe.edit_subtitle', { v: pipeline.version }) : t('pipe.new_subtitle')}>
        <div class="segmented" role="tablist">
          <button type="button" class={mode === 'form' ? 'active' : ''} data-test="mode-form" onClick={() => switchMode('form')}>{t('pipe.mode_form')}</button>
          <button type="button" class={mode === 'yaml' ? 'active' : ''} data-test="mode-yaml" onClick={() => switchMode('yaml')}>{t('pipe.mode_yaml')}</button>
        </div>
      </PageHeader>
      <form class="stack" onSubmit={save} data-test="pipeline-form">
        {mode === 'yaml' ? (
          <section class="card form">
            <label>
              {t('pipe.yaml_label')}
              <textarea class="pipe-yaml" rows={24} spellcheck={false} value={yaml} data-test="pipeline-yaml"
                onInput={(e) => setYaml((e.target as HTMLTextAreaElement).value)} />
              <small class="muted">{t('pipe.yaml_hint')}</small>
            </label>
          </section>
        ) : (
          <>
            <section class="card form">
              <h2>{t('pipe.general')}</h2>
              <div class="pipe-fields">
                <label>
                  {t('pipe.name')}
                  <input name="pipeline_name" value={form.name} required maxLength={64} pattern="[A-Za-z0-9._\-]+"
                    placeholder="manuals" onInput={(e) => set({ name: (e.target as HTMLInputElement).value })} />
                  <small class="muted">{t('pipe.name_hint')}</small>
                </label>
                <label>
                  {t('pipe.items')}
                  <select name="items" value={form.items} onChange={(e) => set({ items: (e.target as HTMLSelectElement).value as 'document' | 'page' })}>
                    <option value="document">{t('pipe.items_document')}</option>
                    <option value="page">{t('pipe.items_page')}</option>
                  </select>
                </label>
              </div>
              <label>
                {t('pipe.description')}
                <input name="description" value={form.description} onInput={(e) => set({ description: (e.target as HTMLInputElement).value })} />
              </label>
              <div class="pipe-fields">
                <label>
                  {t('pipe.output_format')}
                  <FormatSelect value={form.output_format} onChange={(v) => set({ output_format: v })} defaultLabel={t('pipe.team_default')} name="output_format" />
                </label>
                <label>
                  {t('pipe.task_timeout')}
                  <input name="task_timeout" inputMode="numeric" value={form.task_timeout} placeholder={t('pipe.team_default')}
                    onInput={(e) => set({ task_timeout: (e.target as HTMLInputElement).value })} />
                </label>
                <label>
                  {t('pipe.auto_retry')}
                  <input name="auto_retry" value={form.auto_retry} placeholder={t('pipe.team_default')}
                    onInput={(e) => set({ auto_retry: (e.target as HTMLInputElement).value })} />
                </label>
              </div>
              <small class="muted">{t('pipe.defaults_hint')}</small>
            </section>

            <section class="stack" data-test="steps">
              {form.steps.map((s, i) => (
                <StepCard key={s.key} step={s} index={i} count={form.steps.length} owners={ownerList} canList={members !== null}
                  error={errStep === i ? error : null}
                  onChange={(patch) => setStep(i, patch)} onMove={(by) => move(i, by)}
                  onRemove={() => set({ steps: form.steps.filter((_, k) => k !== i) })} />
              ))}
              <div class="row wrap">
                <button type="button" class="btn" data-test="add-step" onClick={() => set({ steps: [...form.steps, newStep(false, me.username)] })}>
                  <Icon name="plus" /> {t('pipe.add_step')}
                </button>
                <button type="button" class="btn" data-test="add-review" onClick={() => set({ steps: [...form.steps, newStep(true, '')] })}>
                  <Icon name="plus" /> {t('pipe.add_review')}
                </button>
              </div>
            </section>
          </>
        )}
        <datalist id="pipe-members">{(members ?? known).map((m) => <option key={m} value={m} />)}</datalist>
        <ErrorNote error={error} testId="pipeline-error" />
        <div class="row">
          <button class="btn primary" type="submit" disabled={busy} data-test="save-pipeline">{id === null ? t('pipe.create') : t('pipe.save_version')}</button>
          <button class="btn ghost" type="button" onClick={() => navigate(id === null ? links.list() : links.pipeline(id))}>{t('pipe.cancel')}</button>
        </div>
      </form>
    </div>
  );
}

function FormatSelect({ value, onChange, defaultLabel, name }: { value: string; onChange: (v: string) => void; defaultLabel: string; name: string }) {
  return (
    <select name={name} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      <option value="">{defaultLabel}</option>
      {OUTPUT_FORMATS.map((f) => <option key={f} value={f}>{t(`pipe.format_${f}`)}</option>)}
    </select>
  );
}

interface StepProps {
  step: StepForm;
  index: number;
  count: number;
  owners: string[];
  canList: boolean;
  error: unknown;
  onChange: (patch: Partial<StepForm>) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
}

function StepCard({ step, index, count, owners, canList, error, onChange, onMove, onRemove }: StepProps) {
  const prompt = useRef<HTMLTextAreaElement>(null);
  // Inserts a placeholder where the cursor is.
  function insert(token: string) {
    const el = prompt.current;
    const at = el ? el.selectionStart : step.prompt.length;
    onChange({ prompt: step.prompt.slice(0, at) + token + step.prompt.slice(el ? el.selectionEnd : at) });
    requestAnimationFrame(() => el?.focus());
  }
  const ownerInput = canList && owners.length > 0 ? (
    <select name="owner" value={step.owner} required onChange={(e) => onChange({ owner: (e.target as HTMLSelectElement).value })}>
      <option value="" disabled>{t('pipe.pick_owner')}</option>
      {!owners.includes(step.owner) && step.owner && <option value={step.owner}>{step.owner}</option>}
      {owners.map((o) => <option key={o} value={o}>{o}</option>)}
    </select>
  ) : (
    <input name="owner" value={step.owner} required list="pipe-members" placeholder={t('pipe.owner_placeholder')}
      onInput={(e) => onChange({ owner: (e.target as HTMLInputElement).value })} />
  );
  return (
    <div class={`card form pipe-step ${step.review ? 'review' : ''}`} data-test="step" data-index={index}>
      <div class="pipe-step-head">
        <span class="pipe-step-no">{index + 1}</span>
        <strong>{step.review ? t('pipe.review_step') : t('pipe.generate_step')}</strong>
        <span class="grow" />
        <label class="check small">
          <input type="checkbox" name="review" checked={step.review} onChange={(e) => onChange({ review: (e.target as HTMLInputElement).checked })} />
          {t('pipe.is_review')}
        </label>
        <button type="button" class="btn ghost small" disabled={index === 0} onClick={() => onMove(-1)} aria-label={t('pipe.move_up')} title={t('pipe.move_up')}>↑</button>
        <button type="button" class="btn ghost small" disabled={index === count - 1} onClick={() => onMove(1)} aria-label={t('pipe.move_down')} title={t('pipe.move_down')}>↓</button>
        <button type="button" class="btn ghost icon-btn" onClick={onRemove} disabled={count === 1} aria-label={t('pipe.remove_step')} title={t('pipe.remove_step')}>
          <Icon name="trash" size={16} />
        </button>
      </div>
      <div class="pipe-fields">
        <label>
          {t('pipe.step_name')}
          <input name="step_name" value={step.name} required maxLength={64} placeholder={step.review ? 'review' : 'describe'}
            onInput={(e) => onChange({ name: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          {step.review ? t('pipe.reviewer') : t('pipe.owner')}
          {ownerInput}
          {!canList && <small class="muted">{t('pipe.owner_hint')}</small>}
        </label>
      </div>
      {!step.review && (
        <label>
          {t('pipe.prompt')}
          <textarea ref={prompt} name="prompt" rows={3} value={step.prompt} required
            placeholder={index === 0 ? t('pipe.prompt_placeholder_first') : t('pipe.prompt_placeholder_next')}
            onInput={(e) => onChange({ prompt: (e.target as HTMLTextAreaElement).value })} />
          <span class="row wrap pipe-tokens">
            {['{{input}}', '{{file}}', '{{item}}'].map((tok) => (
              <button type="button" key={tok} class="btn ghost small" onClick={() => insert(tok)} disabled={tok === '{{input}}' && index === 0}>
                <code>{tok}</code>
              </button>
            ))}
          </span>
          <small class="muted">{t('pipe.prompt_help')}</small>
        </label>
      )}
      {step.review && <p class="muted small">{t('pipe.review_help')}</p>}
      <div class="pipe-fields">
        <label>
          {t('pipe.output_format')}
          <FormatSelect value={step.output_format} onChange={(v) => onChange({ output_format: v })} defaultLabel={t('pipe.pipeline_default')} name="step_output_format" />
        </label>
        <label>
          {t('pipe.task_timeout')}
          <input name="step_task_timeout" inputMode="numeric" value={step.task_timeout} placeholder={t('pipe.pipeline_default')}
            onInput={(e) => onChange({ task_timeout: (e.target as HTMLInputElement).value })} />
        </label>
        <label>
          {t('pipe.auto_retry')}
          <input name="step_auto_retry" value={step.auto_retry} placeholder={t('pipe.pipeline_default')}
            onInput={(e) => onChange({ auto_retry: (e.target as HTMLInputElement).value })} />
        </label>
        {!step.review && (
          <>
            <label>
              {t('params.max_tokens')}
              <input name="max_tokens" inputMode="numeric" value={step.max_tokens} placeholder={t('pipe.preset_default')}
                onInput={(e) => onChange({ max_tokens: (e.target as HTMLInputElement).value })} />
            </label>
            <label>
              {t('params.temperature')}
              <input name="temperature" inputMode="decimal" value={step.temperature} placeholder={t('pipe.preset_default')}
                onInput={(e) => onChange({ temperature: (e.target as HTMLInputElement).value })} />
            </label>
            <label>
              {t('pipe.preset')}
              <input name="preset" value={step.preset} placeholder={t('pipe.preset_none')}
                onInput={(e) => onChange({ preset: (e.target as HTMLInputElement).value })} />
            </label>
          </>
        )}
      </div>
      <ErrorNote error={error} testId="step-error" />
    </div>
  );
}
