'use client';
import { useState } from 'react';
import { api } from '@/components/api';

const EXAMPLE = JSON.stringify(
  {
    slug: 'moderation',
    name: 'Content moderation',
    description: '',
    phases: [
      { key: 'offensive', name: 'Offensive?', labels: ['safe', 'offensive'], threshold: 0.5, positiveLabel: 'offensive' },
      { key: 'topic', name: 'Topic', labels: ['race', 'region', 'gender'], dependsOn: { phase: 'offensive', label: 'offensive' } },
    ],
  },
  null,
  2,
);

export function CreateTaskForm() {
  const [spec, setSpec] = useState(EXAMPLE);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    let body: unknown;
    try {
      body = JSON.parse(spec);
    } catch (err) {
      setError(`The spec is not valid JSON: ${(err as Error).message}`);
      return;
    }
    setBusy(true);
    try {
      const { task } = await api<{ task: { id: number } }>('/api/tasks', { body });
      window.location.assign(`/tasks/${task.id}`);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  }
  return (
    <details className="card mt-6 p-4">
      <summary className="cursor-pointer font-medium">New task</summary>
      <form onSubmit={submit} className="mt-3 space-y-2">
        <p className="text-zinc-500">A task is a JSON spec: phases with their labels, an optional threshold for binary phases, and an optional dependency on an earlier phase&apos;s label.</p>
        <textarea className="input h-72 w-full font-mono text-xs" value={spec} onChange={(e) => setSpec(e.target.value)} aria-label="Task spec" spellCheck={false} />
        {error && <p role="alert" className="text-red-600">{error}</p>}
        <button className="btn btn-primary" disabled={busy}>{busy ? 'Creating…' : 'Create task'}</button>
      </form>
    </details>
  );
}
