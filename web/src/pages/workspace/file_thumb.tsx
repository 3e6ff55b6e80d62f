// A stored upload shown in a message: the image itself, or a PDF chip.
import { useEffect, useState } from 'preact/hooks';
import { Icon } from '../../components/icons';
import { api } from '../../lib/api';
import { t } from '../../lib/i18n';
import type { FileInfo } from './types';

const cache = new Map<number, Promise<FileInfo | null>>();

function fileInfo(id: number): Promise<FileInfo | null> {
  if (!cache.has(id))
    cache.set(id, api.get<{ file: FileInfo }>(`/api/v1/files/${id}`).then((r) => r.file, () => null));
  return cache.get(id)!;
}

export function FileThumb({ id }: { id: number }) {
  const [info, setInfo] = useState<FileInfo | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    fileInfo(id).then((f) => live && setInfo(f));
    return () => {
      live = false;
    };
  }, [id]);
  const url = `/api/v1/files/${id}/content`;
  if (info === null) return <span class="file-chip muted">{t('chat.file_gone')}</span>;
  if (info?.kind === 'pdf')
    return (
      <a class="file-chip" href={url} target="_blank" rel="noopener">
        <Icon name="file" /> {info.name} · {t('chat.pages', { n: info.pages })}
      </a>
    );
  return (
    <a href={url} target="_blank" rel="noopener" class="thumb-link">
      <img class="thumb" src={url} alt={info?.name ?? ''} loading="lazy" />
    </a>
  );
}
