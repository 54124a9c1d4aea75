/**
 * What turns a text into a student's input ids: a token vocabulary (TextCNN, BiLSTM) or an
 * n-gram table (the n-gram student). Both answer `encode`/`encodeAll`/`toJSON` and `size`, and
 * travel as vocab.json; `vocabFromJSON` reads either. Browser-safe.
 */
import type { StudentConfig } from './config.ts';
import { NgramVocab, type NgramVocabJSON } from './ngram.ts';
import { Vocab, type VocabJSON } from './tokenizer.ts';

export type FeatureVocab = Vocab | NgramVocab;
export type FeatureVocabJSON = VocabJSON | NgramVocabJSON;

export function vocabFromJSON(json: FeatureVocabJSON | string): FeatureVocab {
  const v = typeof json === 'string' ? (JSON.parse(json) as FeatureVocabJSON) : json;
  return v.format === 'distillery-ngram-vocab' ? NgramVocab.fromJSON(v) : Vocab.fromJSON(v);
}

/** The vocabulary a student of this config is trained with, built from its training texts. */
export function buildVocab(config: StudentConfig, texts: readonly string[]): FeatureVocab {
  if (config.arch === 'ngram') return NgramVocab.build(texts, config, { minCount: config.minCount, maxSize: config.maxFeatures });
  return Vocab.build(texts);
}
