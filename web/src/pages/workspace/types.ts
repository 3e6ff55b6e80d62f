// Shapes of the workspace API (docs/api.md, "Workspace").
export interface ChatSession {
  id: number;
  title: string;
  created_at: number;
  updated_at: number;
}

export interface ChatMessage {
  id: number;
  session_id: number;
  role: 'system' | 'user' | 'assistant';
  content: string;
  file_ids: number[];
  task_id: number | null;
  created_at: number;
}

export interface FileInfo {
  id: number;
  name: string;
  mime: string;
  kind: 'image' | 'pdf';
  size_bytes: number;
  width: number;
  height: number;
  pages: number;
}

export interface Params {
  temperature: number;
  top_p: number;
  max_tokens: number;
  max_image_side: number;
}

export interface Preset {
  id: number;
  name: string;
  params: Partial<Params> & Record<string, unknown>;
}

export const DEFAULT_PARAMS: Params = { temperature: 0.7, top_p: 0.9, max_tokens: 512, max_image_side: 768 };
