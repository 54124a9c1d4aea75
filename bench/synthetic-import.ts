/**
 * Synthetic import files for the import benchmark and the large-import test: short
 * Chinese/English-ish texts, an ISO time, a gold label and one teacher's probabilities.
 * Deterministic (seeded), and written in 1 MiB pieces so that generating a million rows
 * does not itself need the whole file in memory.
 */

import { closeSync, openSync, writeSync } from 'node:fs';

export interface SyntheticOptions {
  rows: number;
  labels?: string[];
  teacher?: string;
  seed?: number;
  format?: 'csv' | 'jsonl';
}

/** mulberry32: a small, fast, seedable PRNG (Math.random cannot be seeded). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'ta', 'shu', 've', 'no', 'qi', 'dan', 'por', 'el', 'sa', 'tri', 'um', 'bex'];
const HANZI = '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坐集编宝谈府拉黑且随格尽剑讲布杀微怕母调局根曾准团段终乐切级克精哪官示冷域读';

export function syntheticLine(i: number, rand: () => number, labels: string[], teacher: string, format: 'csv' | 'jsonl'): string {
  const words: string[] = [];
  const n = 4 + Math.floor(rand() * 10);
  for (let w = 0; w < n; w++) {
    if (rand() < 0.5) {
      let s = '';
      const len = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < len; k++) s += HANZI[Math.floor(rand() * HANZI.length)];
      words.push(s);
    } else {
      let s = '';
      const len = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < len; k++) s += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
      words.push(s);
    }
  }
  const text = words.join(rand() < 0.5 ? ' ' : '');
  const p = new Array(labels.length).fill(0).map(() => rand() + 0.01);
  const sum = p.reduce((a, b) => a + b, 0);
  const probs = p.map((x) => Math.round((x / sum) * 1e4) / 1e4);
  probs[probs.length - 1] = Math.round((1 - probs.slice(0, -1).reduce((a, b) => a + b, 0)) * 1e4) / 1e4;
  const label = labels[Math.floor(rand() * labels.length)];
  const time = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString();
  if (format === 'jsonl') return JSON.stringify({ id: `s${i}`, text, time, label, teachers: { [teacher]: probs } });
  return `s${i},${text},${time},${label},${probs.join(';')}`;
}

/** Writes `rows` rows (plus a header for CSV) to `path`. */
export function writeSyntheticImport(path: string, options: SyntheticOptions): void {
  const labels = options.labels ?? ['safe', 'offensive'];
  const teacher = options.teacher ?? 'bert';
  const format = options.format ?? 'csv';
  const rand = prng(options.seed ?? 42);
  const fd = openSync(path, 'w');
  try {
    let buf = format === 'csv' ? `id,text,time,label,probs:${teacher}\n` : '';
    for (let i = 0; i < options.rows; i++) {
      buf += syntheticLine(i, rand, labels, teacher, format) + '\n';
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
}
