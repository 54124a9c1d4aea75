/**
 * Student and training configurations, validated with zod (they arrive from the console, the
 * REST API and the CLI). Defaults are the ones measured to train well on COLD at the speed the
 * product promises on a 2-core box; the numbers behind them are in the ML engine report
 * (see lib/ml/README.md).
 */
import { z } from 'zod';

const kernelSizes = z
  .array(z.number().int().min(1).max(9))
  .min(1)
  .max(6)
  .refine((ks) => new Set(ks).size === ks.length, 'kernel sizes must be distinct');

/**
 * Kim (2014) TextCNN: embedding → parallel 1-D convolutions → ReLU → max over time → dropout → dense.
 * Default: the lean shape measured on COLD (test accuracy 0.797/0.798 over two seeds, ≈ 2,000
 * training examples per CPU-second on tfjs wasm) — as accurate as the classic 128-dim,
 * 3×100-filter (3/4/5) model (0.799, ≈ 450/s), which spends 4× the compute on the same data.
 */
export const textCnnConfigSchema = z
  .object({
    arch: z.literal('textcnn'),
    embeddingDim: z.number().int().min(8).max(1024).default(48),
    kernelSizes: kernelSizes.default([1, 2, 3]),
    filters: z.number().int().min(4).max(1024).default(64),
    dropout: z.number().min(0).max(0.9).default(0.5),
    maxLen: z.number().int().min(1).max(2048).default(128),
  })
  .strict();

/**
 * eBay-style BertBiLSTM student: embedding → BiLSTM (stacked `layers` times) → max and mean
 * pooling over time → dropout → dense.
 */
export const biLstmConfigSchema = z
  .object({
    arch: z.literal('bilstm'),
    embeddingDim: z.number().int().min(8).max(1024).default(64),
    hiddenSize: z.number().int().min(4).max(1024).default(64),
    layers: z.number().int().min(1).max(4).default(1),
    dropout: z.number().min(0).max(0.9).default(0.3),
    maxLen: z.number().int().min(1).max(2048).default(128),
  })
  .strict();

const orders = z
  .array(z.number().int().min(1).max(8))
  .max(8)
  .refine((os) => new Set(os).size === os.length, 'orders must be distinct');

/**
 * The n-gram student (fastText's family, trained like a TF-IDF logistic regression): the hashed
 * word and character n-grams of a text (lib/ml/ngram.ts), each weighted by its inverse document
 * frequency and L2-normalised, then either one weight per class and n-gram (`embeddingDim` 0: a
 * linear model, as accurate as TF-IDF + logistic regression) or an `embeddingDim`-wide bag of
 * n-gram embeddings followed by a dense layer (fastText's shape, a smaller table for many
 * classes). Trained in plain TypeScript with AdaGrad and iterate averaging, not tfjs.
 */
export const ngramConfigSchema = z
  .object({
    arch: z.literal('ngram'),
    /** Token n-gram orders (a Chinese character is a token). */
    wordOrders: orders.default([1, 2]),
    /** Character n-gram orders inside tokens of two or more characters (English subwords). */
    charOrders: orders.default([2, 3, 4]),
    /** Hash space of the n-grams. */
    buckets: z.number().int().min(1024).max(2 ** 31).default(1 << 22),
    /** An n-gram seen in fewer training texts gets no weight. */
    minCount: z.number().int().min(1).max(1000).default(2),
    /** Rows of the n-gram table at most. */
    maxFeatures: z.number().int().min(16).max(20_000_000).default(1_000_000),
    /** 0: linear (one weight per class and n-gram); > 0: width of the n-gram embeddings. */
    embeddingDim: z.number().int().min(0).max(1024).default(0),
    /** With embeddingDim > 0: 'relu' puts a ReLU between the bag and the dense layer (a one-hidden-layer network on TF-IDF). */
    activation: z.enum(['none', 'relu']).default('none'),
    /**
     * With embeddingDim > 0: also the linear model's term (one weight per class and n-gram) added
     * to the bag's logits — logits = linear(x) + W·bag(x) + b, the two shapes trained as one model.
     * Absent means false (configs and checkpoints from before it stay as they were).
     */
    linear: z.boolean().optional(),
    /** Distinct n-grams per text at most (the first ones of the text are kept). */
    maxLen: z.number().int().min(1).max(8192).default(1024),
  })
  .strict()
  .refine((c) => c.wordOrders.length + c.charOrders.length > 0, 'an n-gram student needs word or character orders')
  .refine((c) => !c.linear || c.embeddingDim > 0, 'linear: true adds a linear term to a bag: it needs embeddingDim > 0')
  .refine((c) => !c.linear || c.activation === 'none', 'linear: true takes no activation');

export const studentConfigSchema = z.discriminatedUnion('arch', [textCnnConfigSchema, biLstmConfigSchema, ngramConfigSchema]);

export const trainConfigSchema = z
  .object({
    /** Default by architecture: 3 for the tfjs students, 8 for the n-gram student (rounds cap it at ROUND_EPOCHS and stop early). */
    epochs: z.number().int().min(1).max(1000).optional(),
    /** Default by architecture (ARCH_TRAIN_DEFAULTS): 64 for the tfjs students, 1 for the n-gram student. */
    batchSize: z.number().int().min(1).max(4096).optional(),
    /** Default by architecture: 2e-3 (Adam) for the tfjs students, 0.1 (AdaGrad) for the n-gram student. */
    learningRate: z.number().positive().max(10).optional(),
    /** Distillation temperature applied to both teacher and student logits in the soft term. */
    temperature: z.number().positive().max(100).default(2),
    /** Weight of the soft (teacher) term where an example also has a hard label; see lib/ml/loss.ts. */
    alpha: z.number().min(0).max(1).default(0.5),
    /** 'kl': Hinton et al.; 'mse': squared error between student logits and teacher log-probs (Tang et al. 2019). */
    loss: z.enum(['kl', 'mse']).default('kl'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    /** Clip the global gradient norm (0 = off). Guards against the rare huge step on 5×-weighted human labels. */
    clipNorm: z.number().min(0).default(5),
    /**
     * Threads that train data-parallel shares: the n-gram student's shares of each epoch, merged
     * four times an epoch (lib/ml/ngram-parallel.ts; default DISTILLERY_TRAIN_THREADS, else 1: a
     * second thread measured slower), the one-layer BiLSTM's shares of each batch
     * (lib/ml/lstm-parallel.ts; default DISTILLERY_TRAIN_THREADS, else up to two, one per core).
     * The model depends on it, so a resumed run keeps its own.
     */
    threads: z.number().int().min(1).max(16).optional(),
  })
  .strict();

/**
 * Training settings whose good value depends on the student: a network trained with Adam on
 * batches of 64, or a linear n-gram model trained with AdaGrad one example at a time (the
 * n-gram values were chosen on a validation slice of COLD and Banking77 train, see lib/ml/README.md).
 */
export const ARCH_TRAIN_DEFAULTS: Record<StudentConfig['arch'], { epochs: number; batchSize: number; learningRate: number }> = {
  textcnn: { epochs: 3, batchSize: 64, learningRate: 2e-3 },
  bilstm: { epochs: 3, batchSize: 64, learningRate: 2e-3 },
  ngram: { epochs: 8, batchSize: 1, learningRate: 0.1 },
};

export type TextCnnConfig = z.infer<typeof textCnnConfigSchema>;
export type NgramConfig = z.infer<typeof ngramConfigSchema>;
/** The students trained with tfjs (lib/ml/model.ts, lib/ml/train.ts). */
export type TfjsStudentConfig = TextCnnConfig | BiLstmConfig;
export type BiLstmConfig = z.infer<typeof biLstmConfigSchema>;
export type StudentConfig = z.infer<typeof studentConfigSchema>;
/** A training config with every value resolved (the architecture's defaults filled in). */
export type TrainConfig = z.infer<typeof trainConfigSchema> & { epochs: number; batchSize: number; learningRate: number };
export type StudentConfigInput = z.input<typeof studentConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

/** Validates a student config and fills in defaults; `{ arch: 'textcnn' }` gives the default TextCNN. */
export function parseStudentConfig(input: StudentConfigInput | unknown): StudentConfig {
  return studentConfigSchema.parse(input);
}

/** Validates a training config and fills in the defaults, those of `arch` where they depend on it. */
export function parseTrainConfig(input: TrainConfigInput | unknown = {}, arch: StudentConfig['arch'] = 'textcnn'): TrainConfig {
  const t = trainConfigSchema.parse(input ?? {});
  const d = ARCH_TRAIN_DEFAULTS[arch];
  return { ...t, epochs: t.epochs ?? d.epochs, batchSize: t.batchSize ?? d.batchSize, learningRate: t.learningRate ?? d.learningRate };
}

export const DEFAULT_TEXTCNN: TextCnnConfig = textCnnConfigSchema.parse({ arch: 'textcnn' });
export const DEFAULT_BILSTM: BiLstmConfig = biLstmConfigSchema.parse({ arch: 'bilstm' });
export const DEFAULT_NGRAM: NgramConfig = ngramConfigSchema.parse({ arch: 'ngram' });
export const DEFAULT_TRAIN: TrainConfig = parseTrainConfig({});
