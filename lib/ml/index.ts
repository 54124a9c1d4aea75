/** Public API of the ML engine (no database here; the worker wires it to jobs and rounds). */
export { initBackend, type BackendName } from './backend.ts';
export {
  parseStudentConfig,
  parseTrainConfig,
  studentConfigSchema,
  trainConfigSchema,
  DEFAULT_TEXTCNN,
  DEFAULT_BILSTM,
  DEFAULT_TRAIN,
  type StudentConfig,
  type StudentConfigInput,
  type TrainConfig,
  type TrainConfigInput,
  type TextCnnConfig,
  type BiLstmConfig,
} from './config.ts';
export { Vocab, tokenize, packIds, PAD_ID, OOV_ID, type PackedIds, type VocabJSON } from './tokenizer.ts';
export { distillationLoss, combineTeachers, prepareDistillationTargets, type DistillTargets, type LossSettings } from './loss.ts';
export { softmaxRows, argmaxRows } from './math.ts';
export {
  confusionMatrix,
  classificationReport,
  accuracy,
  macroF1,
  predictLabels,
  decideWithThreshold,
  disagreement,
  type ClassificationReport,
  type ClassScores,
  type Disagreement,
} from './metrics.ts';
export { initWeights, predictProbs, type StudentWeights, type TensorData } from './model.ts';
export {
  trainStudent,
  encodeCheckpoint,
  decodeCheckpoint,
  weightsFromCheckpoint,
  type TrainStudentOptions,
  type TrainResult,
  type TrainData,
  type TrainProgress,
  type TrainCheckpoint,
  type EpochSummary,
} from './train.ts';
export { exportOnnx, readOnnxMetadata, type ExportOptions } from './onnx.ts';
export { TfjsStudent } from './student.ts';
export { OnnxStudent, type OnnxStudentOptions, type PredictOptions } from './inference.ts';
export { studentModelVersion, teacherModelVersion, parseTeacherModelVersion, type Prediction, type Predictor } from './predictor.ts';
