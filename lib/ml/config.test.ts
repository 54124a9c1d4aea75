import { describe, expect, it } from 'vitest';
import { DEFAULT_TEXTCNN, DEFAULT_TRAIN, parseStudentConfig, parseTrainConfig } from './config.ts';

describe('student and training configs', () => {
  it('fills defaults from the architecture alone', () => {
    expect(parseStudentConfig({ arch: 'textcnn' })).toEqual(DEFAULT_TEXTCNN);
    expect(parseStudentConfig({ arch: 'bilstm', hiddenSize: 32 })).toMatchObject({ arch: 'bilstm', hiddenSize: 32, layers: 1, embeddingDim: 64 });
    expect(parseTrainConfig()).toEqual(DEFAULT_TRAIN);
    expect(parseTrainConfig({ loss: 'mse', alpha: 0.2 })).toMatchObject({ loss: 'mse', alpha: 0.2, temperature: 2 });
  });

  it('rejects what would not train', () => {
    expect(() => parseStudentConfig({ arch: 'textcnn', kernelSizes: [3, 3] })).toThrow();
    expect(() => parseStudentConfig({ arch: 'textcnn', dropout: 1 })).toThrow();
    expect(() => parseStudentConfig({ arch: 'transformer' })).toThrow();
    expect(() => parseStudentConfig({ arch: 'bilstm', hidden: 64 })).toThrow(); // unknown key (typo) is an error, not ignored
    expect(() => parseTrainConfig({ temperature: 0 })).toThrow();
    expect(() => parseTrainConfig({ alpha: 1.5 })).toThrow();
    expect(() => parseTrainConfig({ loss: 'ce' })).toThrow();
  });
});
