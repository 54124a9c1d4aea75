import { writeFileSync } from 'node:fs';
import type { Db } from '../db/client.ts';
import { listModels, getModelOrThrow, modelFile, modelHistory } from '../models/registry.ts';
import { approveModel, deployModel, rejectModel, rollback, promoteCanary } from '../models/deploy.ts';
import { modelArchive } from '../models/archive.ts';
import { PredictService } from '../serving/predict.ts';
import { isLane } from '../serving/batcher.ts';
import { int, str, UsageError, type Args } from './args.ts';
import { leadByEmail } from './context.ts';

export const MODEL_USAGE = `
  models [--phase ID] [--json]                     the registry: students with status, metrics, where they serve
  model list [--phase ID] [--json]                 (same)
  model show --model ID [--json]                   one student with its model card and history
  model approve|reject --model ID --user EMAIL [--note TEXT]
  model deploy --model ID --user EMAIL [--note TEXT] [--canary SHARE | --shadow]
                                                   switch the phase's live model (or start a canary at SHARE, e.g. 0.1)
  model rollback --phase ID --user EMAIL [--note TEXT]   back to the previously deployed model
  model promote --phase ID --user EMAIL            the canary becomes live
  model download --model ID [--out FILE.tar.gz]    model.onnx, vocab, config, tokenizer, model card, examples
  predict --phase ID [--priority high|normal|low] "text" …   label, probabilities and model version per text
`;

interface Io {
  out: (line: string) => void;
}

const lead = (db: Db, email: string) => leadByEmail(db, email, 'approving and deploying');

const f3 = (x: number | null) => (x == null ? '—' : x.toFixed(3));

/** `model …`, `models` and `predict`: returns null when the command is not one of these. */
export async function runModelCommand(args: Args, db: Db, io: Io, print: (data: unknown, human: () => string) => void, table: (rows: Record<string, unknown>[]) => string): Promise<number | null> {
  const [cmd, sub] = args.positionals;
  if (cmd === 'models' || (cmd === 'model' && sub === 'list')) {
    const models = await listModels(db, { phaseId: int(args, 'phase', false) });
    print(models, () => table(models.map((m) => ({ id: m.id, version: m.version, phase: m.phaseName, arch: m.arch, status: m.status, serving: m.serving ? `${m.serving.kind}${m.serving.kind === 'canary' ? ` ${m.serving.share}` : ''}` : '', 'F1 vs teacher': f3(m.metrics.macroF1VsTeacher), 'F1 vs human': f3(m.metrics.macroF1VsHuman) }))));
    return 0;
  }
  if (cmd === 'predict') {
    const phaseId = int(args, 'phase')!;
    const texts = args.positionals.slice(1);
    if (!texts.length) throw new UsageError('predict needs at least one text');
    const priority = str(args, 'priority', false) ?? 'normal';
    if (!isLane(priority)) throw new UsageError('--priority must be high, normal or low');
    const service = new PredictService(db);
    try {
      const out = await service.predict(phaseId, texts, { lane: priority });
      print(out, () => out.results.map((r, i) => `${r.label}\t${Object.entries(r.probs).map(([l, p]) => `${l}=${p.toFixed(4)}`).join(' ')}\t${r.modelVersion}\t${texts[i]}`).join('\n'));
    } finally {
      await service.close();
    }
    return 0;
  }
  if (cmd !== 'model') return null;
  const note = str(args, 'note', false);
  switch (sub) {
    case 'show': {
      const model = await getModelOrThrow(db, int(args, 'model')!);
      const card = await modelFile(db, model, 'model-card.md').then((b) => b.toString('utf8')).catch(() => '');
      const history = await modelHistory(db, model.id);
      print({ model, card, history }, () => `${model.version} (model ${model.id}) · ${model.status}${model.serving ? ` · serving ${model.serving.kind}` : ''}\n\n${card}\n${table(history.map((h) => ({ at: h.at.toISOString(), by: h.by, action: h.action, note: h.note ?? '' })))}`);
      return 0;
    }
    case 'approve':
    case 'reject': {
      const actor = await lead(db, str(args, 'user')!);
      const r = await (sub === 'approve' ? approveModel : rejectModel)(db, { modelId: int(args, 'model')!, actor, note });
      print(r, () => `model ${r.id}: ${r.status}`);
      return 0;
    }
    case 'deploy': {
      const actor = await lead(db, str(args, 'user')!);
      const canary = str(args, 'canary', false);
      const kind = args.flags.shadow === true ? 'shadow' : canary ? 'canary' : 'live';
      const share = canary ? Number(canary) : undefined;
      if (canary && !(share! > 0 && share! <= 1)) throw new UsageError('--canary takes a share in (0, 1], e.g. 0.1');
      const r = await deployModel(db, { modelId: int(args, 'model')!, actor, note, kind, share });
      print(r, () => `${r.version} is ${r.kind === 'live' ? 'live' : r.kind === 'canary' ? `canary at ${Math.round(r.share * 100)} %` : 'in shadow'} for phase ${r.phaseId}`);
      return 0;
    }
    case 'rollback': {
      const actor = await lead(db, str(args, 'user')!);
      const r = await rollback(db, { phaseId: int(args, 'phase')!, actor, note });
      print(r, () => `rolled back model ${r.rolledBackModelId}; ${r.version} (model ${r.modelId}) is live`);
      return 0;
    }
    case 'promote': {
      const actor = await lead(db, str(args, 'user')!);
      const r = await promoteCanary(db, { phaseId: int(args, 'phase')!, actor, note });
      print(r, () => `${r.version} (model ${r.modelId}) is live`);
      return 0;
    }
    case 'download': {
      const { filename, data } = await modelArchive(db, int(args, 'model')!);
      const out = str(args, 'out', false) ?? filename;
      writeFileSync(out, data);
      print({ file: out, bytes: data.length }, () => `wrote ${out} (${data.length} bytes)`);
      return 0;
    }
    default:
      throw new UsageError(`unknown: model ${sub ?? ''}`);
  }
}
