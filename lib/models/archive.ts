import { readFileSync } from 'node:fs';
import { tarGz } from './tar.ts';
import { join } from 'node:path';
import type { Db } from '../db/client.ts';
import { INPUT_NAME, OUTPUT_NAME } from '../ml/onnx.ts';
import { TOKENIZER_NAME, tokenizerClassRuns } from '../ml/tokenizer.ts';
import { getModelOrThrow, modelFile } from './registry.ts';

/** The usage examples shipped in every download (kept as real files so that they can be run and tested here). */
const EXAMPLE_DIR = join(process.cwd(), 'lib', 'models', 'example');

/**
 * One archive with everything needed to serve the student elsewhere: model.onnx, vocab.json,
 * config.json (labels, decision rule, input/output names, maxLen, version), tokenizer.json (the
 * tokenizer's Unicode classes), the model card, and Node and Python examples that reproduce
 * the console's predictions.
 */
export async function modelArchive(db: Db, modelId: number): Promise<{ filename: string; data: Buffer }> {
  const model = await getModelOrThrow(db, modelId);
  const [onnx, vocab, storedConfig, card] = await Promise.all([
    modelFile(db, model, 'student.onnx'),
    modelFile(db, model, 'vocab.json'),
    modelFile(db, model, 'config.json'),
    modelFile(db, model, 'model-card.md').catch(() => Buffer.from(`# Student model ${model.version}\n`)),
  ]);
  const stored = JSON.parse(storedConfig.toString('utf8')) as { labels: string[]; threshold: number | null; positiveLabel: string | null; student: { maxLen: number } };
  const config = {
    ...stored,
    version: model.version,
    modelId: model.id,
    phaseId: model.phaseId,
    maxLen: stored.student.maxLen,
    input: INPUT_NAME,
    output: OUTPUT_NAME,
    tokenizer: TOKENIZER_NAME,
    decision: stored.labels.length === 2 && stored.threshold != null ? `P(${stored.positiveLabel ?? stored.labels[1]}) >= ${stored.threshold}` : 'argmax',
  };
  const tokenizer = { name: TOKENIZER_NAME, classNames: { 1: 'space', 2: 'word', 3: 'char', 4: 'emoji', 5: 'mark', 6: 'regional', 7: 'digit' }, classes: tokenizerClassRuns() };
  const dir = `distillery-${model.version}`;
  const readme = `# ${model.version} — ${model.phaseName}

Files: model.onnx (opset 13; input \`${INPUT_NAME}\` int64 [batch, seq], 0 = padding; output \`${OUTPUT_NAME}\` float32 [batch, ${stored.labels.length}]),
vocab.json, config.json (labels ${stored.labels.join(', ')}; decision ${config.decision}; maxLen ${config.maxLen}), tokenizer.json, model-card.md.

Node:   npm install onnxruntime-node && node predict.mjs "some text"
Python: pip install onnxruntime numpy && python3 predict.py "some text"

Both print the label, the probabilities and the model version, as the console's predict API does.
`;
  const data = tarGz([
    { name: `${dir}/model.onnx`, data: onnx },
    { name: `${dir}/vocab.json`, data: vocab },
    { name: `${dir}/config.json`, data: JSON.stringify(config, null, 2) + '\n' },
    { name: `${dir}/tokenizer.json`, data: JSON.stringify(tokenizer) + '\n' },
    { name: `${dir}/model-card.md`, data: card },
    { name: `${dir}/predict.mjs`, data: readFileSync(join(EXAMPLE_DIR, 'predict.mjs')) },
    { name: `${dir}/predict.py`, data: readFileSync(join(EXAMPLE_DIR, 'predict.py')) },
    { name: `${dir}/README.md`, data: readme },
  ]);
  return { filename: `${dir}.tar.gz`, data };
}
