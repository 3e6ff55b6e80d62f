// Shapes and calls of the relay-pipeline API (docs/api.md, "Relay pipelines
// and shared storage"). The page's components call only these helpers.
import { api } from '../../lib/api';
import type { FileInfo } from '../workspace/types';

export type OutputFormat = 'markdown' | 'html' | 'json' | 'text';
export const OUTPUT_FORMATS: OutputFormat[] = ['markdown', 'html', 'json', 'text'];

export interface StepDef {
  name: string;
  type?: 'generate' | 'review';
  owner: string;
  prompt?: string;
  params?: Record<string, unknown>;
  preset?: string;
  output_format?: OutputFormat;
  task_timeout?: number;
  auto_retry?: number | boolean;
}

export interface Definition {
  name: string;
  description?: string;
  items?: 'document' | 'page';
  output_format?: OutputFormat;
  task_timeout?: number;
  auto_retry?: number | boolean;
  steps: StepDef[];
}

export interface Pipeline {
  id: number;
  name: string;
  owner_id: number;
  owner: string;
  version: number;
  created_at: number;
  updated_at: number;
  definition: Definition;
  definition_version?: number;
}

export interface PipelineVersion {
  version: number;
  created_by: string;
  created_at: number;
  definition: Definition;
}

export interface Attempt {
  task_id: number;
  state: string;
  engine_attempts?: number;
  engine_retries?: string[];
  error?: { code: string; message: string };
}

export interface ReviewRecord {
  by: string;
  action: 'approve' | 'send_back';
  edited?: boolean;
  comment?: string;
}

export interface StepProgress {
  name: string;
  type: 'generate' | 'review';
  owner: string;
  state: string; // pending, running, awaiting_review, done, failed, cancelled
  prompt?: string;
  file_ids?: number[];
  output?: string;
  shared_path?: string;
  attempts?: Attempt[];
  input?: string;
  reviews?: ReviewRecord[];
  comment?: string;
  error?: string;
  waiting?: string;  // why its next task waits (the owner's quota)
}

export interface RunItem {
  id: number;
  position: number;
  name: string;
  folder: string;
  state: string;
  step_index: number;
  step: string | null;
  task_id: number | null;
  source: { file_id: number; file_name: string; kind: string; pages: number };
  steps: StepProgress[];
  updated_at: number;
  run_id?: number;   // in /api/v1/reviews
  pipeline?: string; // in /api/v1/reviews
}

export interface Run {
  id: number;
  pipeline_id: number;
  version: number;
  started_by: string;
  state: 'running' | 'paused' | 'done' | 'failed' | 'cancelled';
  error: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  shared_path?: string;
  progress?: { items: number; by_state: Record<string, number> };
  items?: RunItem[];
}

export interface SharedEntry {
  path: string;
  type: 'file' | 'dir';
  size_bytes: number;
  modified_at: number;
}

export const ENDED = new Set(['done', 'failed', 'cancelled']);

export const pipelinesApi = {
  list: async () => (await api.get<{ pipelines: Pipeline[] }>('/api/v1/pipelines')).pipelines,
  get: async (id: number) => (await api.get<{ pipeline: Pipeline }>(`/api/v1/pipelines/${id}`)).pipeline,
  getVersion: async (id: number, version: number) =>
    (await api.get<{ pipeline: Pipeline }>(`/api/v1/pipelines/${id}?version=${version}`)).pipeline,
  versions: async (id: number) => (await api.get<{ versions: PipelineVersion[] }>(`/api/v1/pipelines/${id}/versions`)).versions,
  // `body` is a definition or {yaml: "..."}.
  create: async (body: Definition | { yaml: string }) => (await api.post<{ pipeline: Pipeline }>('/api/v1/pipelines', body)).pipeline,
  update: async (id: number, body: Definition | { yaml: string }) =>
    (await api.put<{ pipeline: Pipeline }>(`/api/v1/pipelines/${id}`, body)).pipeline,
  remove: (id: number) => api.del<void>(`/api/v1/pipelines/${id}`),
  runs: async (id: number) => (await api.get<{ runs: Run[] }>(`/api/v1/pipelines/${id}/runs`)).runs,
  startRun: async (id: number, fileIds: number[]) =>
    (await api.post<{ run: Run; events: string }>(`/api/v1/pipelines/${id}/runs`, { file_ids: fileIds })).run,
  run: async (id: number) => (await api.get<{ run: Run }>(`/api/v1/runs/${id}`)).run,
  control: async (id: number, verb: 'pause' | 'resume' | 'cancel') => (await api.post<{ run: Run }>(`/api/v1/runs/${id}/${verb}`)).run,
  reviews: async () => (await api.get<{ reviews: RunItem[] }>('/api/v1/reviews')).reviews,
  review: async (runId: number, itemId: number, body: { action: 'approve'; text?: string } | { action: 'send_back'; comment: string }) =>
    (await api.post<{ item: RunItem }>(`/api/v1/runs/${runId}/items/${itemId}/review`, body)).item,
  fileInfo: async (id: number) => (await api.get<{ file: FileInfo }>(`/api/v1/files/${id}`)).file,
  myFiles: async () => (await api.get<{ files: FileInfo[] }>('/api/v1/files')).files,
  shared: async (dir: string) =>
    (await api.get<{ path: string; entries: SharedEntry[] }>(`/api/v1/shared?path=${encodeURIComponent(dir)}&recursive=1`)).entries,
  // Who can own a step or review one: the team's directory (enabled, not viewers).
  members: async () =>
    (await api.get<{ members: { username: string; role: string }[] }>('/api/v1/members')).members
      .filter((u) => u.role !== 'viewer')
      .map((u) => u.username),
};

export function sharedUrl(path: string): string {
  return `/api/v1/shared/content?path=${encodeURIComponent(path)}`;
}

// Where a page's links point: the page keeps its state in the query string
// (the registry gives it the single path /pipelines).
export const links = {
  list: () => '/pipelines',
  pipeline: (id: number) => `/pipelines?p=${id}`,
  edit: (id: number | 'new') => `/pipelines?edit=${id}`,
  run: (id: number) => `/pipelines?run=${id}`,
  review: (runId: number, itemId: number) => `/pipelines?run=${runId}&review=${itemId}`,
};
