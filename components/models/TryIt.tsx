'use client';
import { useEffect, useRef, useState } from 'react';
import { vocabFromJSON, type FeatureVocab } from '@/lib/ml/features.ts';
import { decide } from '@/lib/tasks/phase.ts';
import { api } from '@/components/api';

interface Props {
  phaseId: number;
  modelId: number;
  version: string;
  labels: string[];
  threshold: number | null;
  positiveLabel: string | null;
  maxLen: number;
}

interface Result {
  label: string;
  probs: number[];
  ms: number;
}
interface ServerAnswer {
  modelVersion: string;
  results: { label: string; probs: Record<string, number>; modelVersion: string }[];
}

type Session = { run: (feeds: Record<string, unknown>) => Promise<Record<string, { data: Float32Array }>> };
type Ort = { env: { wasm: { wasmPaths: unknown; numThreads: number } }; InferenceSession: { create: (b: Uint8Array) => Promise<Session> }; Tensor: new (type: string, data: BigInt64Array, dims: number[]) => unknown };

/**
 * The deployed student in the page: onnxruntime-web (wasm from /ort/, served by this console)
 * runs student.onnx on the text tokenised with the model's own vocabulary, and the same text is
 * sent to the predict API so that the two answers can be compared.
 */
export function TryIt(p: Props) {
  const [status, setStatus] = useState('loading the model…');
  const [text, setText] = useState('');
  const [local, setLocal] = useState<Result | null>(null);
  const [server, setServer] = useState<{ answer: ServerAnswer; ms: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<{ ort: Ort; session: Session; vocab: FeatureVocab } | null>(null);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const ort = (await import('onnxruntime-web/wasm')) as unknown as Ort;
      ort.env.wasm.wasmPaths = { wasm: '/ort/ort-wasm-simd-threaded.wasm', mjs: '/ort/ort-wasm-simd-threaded.mjs' };
      ort.env.wasm.numThreads = 1; // no cross-origin isolation here, so no wasm threads
      const [onnx, vocabJson] = await Promise.all([
        fetch(`/api/models/${p.modelId}/files/student.onnx`).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`student.onnx: ${r.status}`)))),
        fetch(`/api/models/${p.modelId}/files/vocab.json`).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`vocab.json: ${r.status}`)))),
      ]);
      const session = await ort.InferenceSession.create(new Uint8Array(onnx));
      if (cancelled) return;
      ref.current = { ort, session, vocab: vocabFromJSON(vocabJson) };
      setStatus('ready');
    })().catch((e: Error) => setError(`could not load the model in the browser: ${e.message}`));
    return () => {
      cancelled = true;
    };
  }, [p.modelId]);

  const run = async () => {
    if (!ref.current) return;
    setError(null);
    const { ort, session, vocab } = ref.current;
    try {
      const t0 = performance.now();
      const ids = vocab.encode(text, p.maxLen);
      const data = BigInt64Array.from(ids, (x) => BigInt(x));
      const out = await session.run({ input_ids: new ort.Tensor('int64', data, [1, ids.length]) });
      const probs = Float32Array.from(out.probs.data);
      const ms = performance.now() - t0;
      const label = p.labels[decide({ labels: p.labels, threshold: p.threshold, positiveLabel: p.positiveLabel }, probs)[0]];
      setLocal({ label, probs: Array.from(probs), ms });
      const s0 = performance.now();
      const answer = await api<ServerAnswer>(`/api/v1/phases/${p.phaseId}/predict`, { body: { texts: [text] } });
      setServer({ answer, ms: performance.now() - s0 });
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const srv = server?.answer.results[0];
  const diff = local && srv ? Math.max(...p.labels.map((l, i) => Math.abs(local.probs[i] - srv.probs[l]))) : null;
  return (
    <div>
      <p className="mb-2 text-sm text-zinc-500">Model {p.version} · onnxruntime-web in this page: <span data-testid="tryit-status">{status}</span></p>
      <textarea className="input mb-2 h-24 w-full" value={text} onChange={(e) => setText(e.target.value)} placeholder="Type a text…" data-testid="tryit-text" />
      <button className="btn btn-primary" disabled={status !== 'ready'} onClick={run} data-testid="tryit-run">Run</button>
      {error && <p className="mt-2 text-red-700" role="alert">{error}</p>}
      {local && (
        <table className="data mt-4" data-testid="tryit-result">
          <thead><tr><th>Label</th>{p.labels.map((l) => <th key={l} className="num">{l}</th>)}<th className="num">Latency</th><th>Version</th></tr></thead>
          <tbody>
            <tr data-testid="tryit-browser"><td>browser: <b data-testid="browser-label">{local.label}</b></td>{local.probs.map((x, i) => <td key={i} className="num" data-testid={`browser-p-${p.labels[i]}`}>{x.toFixed(6)}</td>)}<td className="num" data-testid="browser-ms">{local.ms.toFixed(2)} ms</td><td>{p.version}</td></tr>
            {srv && <tr data-testid="tryit-server"><td>server: <b data-testid="server-label">{srv.label}</b></td>{p.labels.map((l) => <td key={l} className="num" data-testid={`server-p-${l}`}>{srv.probs[l].toFixed(6)}</td>)}<td className="num">{server!.ms.toFixed(1)} ms (HTTP)</td><td>{srv.modelVersion}</td></tr>}
          </tbody>
        </table>
      )}
      {diff != null && (
        <p className="mt-2 text-sm" data-testid="tryit-diff" data-diff={diff}>
          largest difference browser vs server: {diff.toExponential(2)} {srv!.modelVersion !== p.version ? `(the server answered with ${srv!.modelVersion})` : diff <= 1e-4 ? '— same answer' : '— DIFFERENT'}
        </p>
      )}
    </div>
  );
}
