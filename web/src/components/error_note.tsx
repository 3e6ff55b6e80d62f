// An API error shown next to what caused it.
import { describeError } from '../lib/api';

export function ErrorNote({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null;
  return (
    <div class="error-note" role="alert" data-test={testId ?? 'error'}>
      {describeError(error)}
    </div>
  );
}
