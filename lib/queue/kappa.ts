/**
 * Inter-annotator agreement, pure. Ratings are (item, annotator, label) triples; only items
 * rated by two or more annotators (the overlapped ones) say anything about agreement.
 */

export interface Rating {
  itemId: number;
  annotator: string;
  label: string;
}

/** Kappa from observed and chance agreement; when chance agreement is total (one label used by everyone) agreement is perfect or nothing. */
export function kappa(po: number, pe: number): number {
  if (pe >= 1) return po >= 1 ? 1 : 0;
  return (po - pe) / (1 - pe);
}

function byItem(ratings: Rating[]): Map<number, Map<string, string>> {
  const items = new Map<number, Map<string, string>>();
  for (const r of ratings) {
    let m = items.get(r.itemId);
    if (!m) items.set(r.itemId, (m = new Map()));
    m.set(r.annotator, r.label);
  }
  return items;
}

/**
 * Cohen's kappa of two annotators over the items both rated:
 * po = share of those items with the same label, pe = Σ_label pA(label)·pB(label) from each
 * annotator's own label distribution on those items. null when they share no item.
 */
export function cohenKappa(ratings: Rating[], a: string, b: string): { items: number; agreement: number; kappa: number } | null {
  const pairs: [string, string][] = [];
  for (const m of byItem(ratings).values()) {
    const la = m.get(a);
    const lb = m.get(b);
    if (la !== undefined && lb !== undefined) pairs.push([la, lb]);
  }
  if (!pairs.length) return null;
  const n = pairs.length;
  const ca = new Map<string, number>();
  const cb = new Map<string, number>();
  let same = 0;
  for (const [la, lb] of pairs) {
    if (la === lb) same++;
    ca.set(la, (ca.get(la) ?? 0) + 1);
    cb.set(lb, (cb.get(lb) ?? 0) + 1);
  }
  let pe = 0;
  for (const [label, x] of ca) pe += (x / n) * ((cb.get(label) ?? 0) / n);
  const po = same / n;
  return { items: n, agreement: po, kappa: kappa(po, pe) };
}

/**
 * Fleiss' kappa over items with ≥ 2 ratings, in the form that allows a varying number of raters
 * per item: P_i = (Σ_j n_ij² − n_i) / (n_i (n_i − 1)), P̄ = mean P_i,
 * p_j = Σ_i n_ij / Σ_i n_i, P̄e = Σ_j p_j². null when no item has two ratings.
 */
export function fleissKappa(ratings: Rating[]): { items: number; agreement: number; kappa: number } | null {
  let sumP = 0;
  let items = 0;
  let totalRatings = 0;
  const perLabel = new Map<string, number>();
  for (const m of byItem(ratings).values()) {
    const ni = m.size;
    if (ni < 2) continue;
    const counts = new Map<string, number>();
    for (const l of m.values()) counts.set(l, (counts.get(l) ?? 0) + 1);
    let sq = 0;
    for (const [l, c] of counts) {
      sq += c * c;
      perLabel.set(l, (perLabel.get(l) ?? 0) + c);
    }
    sumP += (sq - ni) / (ni * (ni - 1));
    totalRatings += ni;
    items++;
  }
  if (!items) return null;
  let pe = 0;
  for (const c of perLabel.values()) pe += (c / totalRatings) ** 2;
  const po = sumP / items;
  return { items, agreement: po, kappa: kappa(po, pe) };
}

export interface PairAgreement {
  a: string;
  b: string;
  items: number;
  agreement: number;
  kappa: number;
}

export interface AgreementSummary {
  /** Items rated by two or more annotators. */
  items: number;
  /** Annotators with at least one rating on such an item. */
  annotators: number;
  /** Mean over overlapped items of the share of agreeing annotator pairs (Fleiss' P̄). */
  percentAgreement: number | null;
  /** Exactly two annotators: their Cohen's kappa. */
  cohenKappa: number | null;
  /** Three or more annotators: Fleiss' kappa. */
  fleissKappa: number | null;
  pairs: PairAgreement[];
}

export function summarizeAgreement(ratings: Rating[]): AgreementSummary {
  const items = byItem(ratings);
  const overlapped: Rating[] = [];
  for (const [itemId, m] of items) if (m.size >= 2) for (const [annotator, label] of m) overlapped.push({ itemId, annotator, label });
  const annotators = [...new Set(overlapped.map((r) => r.annotator))].sort();
  const fleiss = fleissKappa(overlapped);
  const pairs: PairAgreement[] = [];
  for (let i = 0; i < annotators.length; i++) {
    for (let j = i + 1; j < annotators.length; j++) {
      const c = cohenKappa(overlapped, annotators[i], annotators[j]);
      if (c) pairs.push({ a: annotators[i], b: annotators[j], ...c });
    }
  }
  return {
    items: fleiss?.items ?? 0,
    annotators: annotators.length,
    percentAgreement: fleiss ? fleiss.agreement : null,
    cohenKappa: annotators.length === 2 && pairs.length ? pairs[0].kappa : null,
    fleissKappa: annotators.length >= 3 && fleiss ? fleiss.kappa : null,
    pairs,
  };
}
