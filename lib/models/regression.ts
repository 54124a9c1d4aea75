/**
 * Whether a student's stored metrics mark its round as a regression (the guard in
 * lib/rounds/run.ts): such a student neither ranks the queue nor is fine-tuned by the next round.
 */
export function isRegression(metrics: string | null): boolean {
  if (!metrics) return false;
  try {
    return Boolean((JSON.parse(metrics) as { regression?: { flagged?: boolean } }).regression?.flagged);
  } catch {
    return false;
  }
}
