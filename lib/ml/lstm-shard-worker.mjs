// Entry of a BiLSTM training thread (lib/ml/lstm-parallel.ts): a worker thread starts without the
// TypeScript loader of its parent, so it registers tsx before loading the shard's code.
import { register } from 'tsx/esm/api';

register();
await import('./lstm-shard.ts');
