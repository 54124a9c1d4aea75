// AssemblyScript (not TypeScript): the fused BiLSTM kernels, compiled to wasm with 128-bit SIMD by
// scripts/build-wasm.mjs (npm's `assemblyscript`, at install time) into lstm.wasm beside this file.
// lib/ml/lstm-fused.ts lays the buffers out in the module's memory and calls these; every pointer
// is a byte offset into that memory, every stride and size is in floats.
//
// Why: the tfjs forward of a BiLSTM is a dozen tfjs ops per time step forward and as many backward
// (≈ 1,000 dispatches per batch at COLD's lengths), and its recurrent matrix was block-diagonal
// (half of its multiply-adds were by zeros). Here a time step is one GEMM per direction plus one
// pass over the gates.

// ---- GEMM: out[r, 0:N] (+)= Σ_k inp[r, k] · w[k, 0:N] ------------------------------------------
// Two rows at a time (they share every load of w), 16 columns per block (4 × f32x4 accumulators per
// row: 8 accumulators, 2 broadcasts and a load of w stay within the 16 xmm registers V8 uses).
// Column blocks outermost, so that the K × 16 block of w stays in L1 while the rows stream by.
// The broadcasts are v128.load32_splat (one vbroadcastss from memory, where f32x4.splat of a load
// is a load and a shuffle) and the k loop runs on the x pointer alone: 10–25 % more GFLOP/s on
// every shape the BiLSTM uses (2-core AMD EPYC), same additions in the same order.

export function gemm(out: usize, outStride: i32, accumulate: i32, inp: usize, inStride: i32, w: usize, wStride: i32, K: i32, N: i32, rows: i32): void {
  const N16 = N & ~15;
  for (let n = 0; n < N16; n += 16) {
    let r = 0;
    for (; r + 1 < rows; r += 2) {
      const o0 = out + (<usize>(r * outStride + n) << 2);
      const o1 = o0 + (<usize>outStride << 2);
      let a0: v128, a1: v128, a2: v128, a3: v128, b0: v128, b1: v128, b2: v128, b3: v128;
      if (accumulate) {
        a0 = v128.load(o0); a1 = v128.load(o0, 16); a2 = v128.load(o0, 32); a3 = v128.load(o0, 48);
        b0 = v128.load(o1); b1 = v128.load(o1, 16); b2 = v128.load(o1, 32); b3 = v128.load(o1, 48);
      } else {
        a0 = f32x4.splat(0); a1 = a0; a2 = a0; a3 = a0; b0 = a0; b1 = a0; b2 = a0; b3 = a0;
      }
      let x0 = inp + (<usize>(r * inStride) << 2);
      const x1 = <usize>inStride << 2;
      const xEnd = x0 + (<usize>K << 2);
      let wp = w + (<usize>n << 2);
      const wStep = <usize>wStride << 2;
      while (x0 < xEnd) {
        const s0 = v128.load32_splat(x0);
        const s1 = v128.load32_splat(x0 + x1);
        let v = v128.load(wp);
        a0 = f32x4.add(a0, f32x4.mul(s0, v)); b0 = f32x4.add(b0, f32x4.mul(s1, v));
        v = v128.load(wp, 16);
        a1 = f32x4.add(a1, f32x4.mul(s0, v)); b1 = f32x4.add(b1, f32x4.mul(s1, v));
        v = v128.load(wp, 32);
        a2 = f32x4.add(a2, f32x4.mul(s0, v)); b2 = f32x4.add(b2, f32x4.mul(s1, v));
        v = v128.load(wp, 48);
        a3 = f32x4.add(a3, f32x4.mul(s0, v)); b3 = f32x4.add(b3, f32x4.mul(s1, v));
        x0 += 4; wp += wStep;
      }
      v128.store(o0, a0); v128.store(o0, a1, 16); v128.store(o0, a2, 32); v128.store(o0, a3, 48);
      v128.store(o1, b0); v128.store(o1, b1, 16); v128.store(o1, b2, 32); v128.store(o1, b3, 48);
    }
    if (r < rows) {
      const o0 = out + (<usize>(r * outStride + n) << 2);
      let a0: v128, a1: v128, a2: v128, a3: v128;
      if (accumulate) {
        a0 = v128.load(o0); a1 = v128.load(o0, 16); a2 = v128.load(o0, 32); a3 = v128.load(o0, 48);
      } else {
        a0 = f32x4.splat(0); a1 = a0; a2 = a0; a3 = a0;
      }
      let x0 = inp + (<usize>(r * inStride) << 2);
      const xEnd = x0 + (<usize>K << 2);
      let wp = w + (<usize>n << 2);
      const wStep = <usize>wStride << 2;
      while (x0 < xEnd) {
        const s0 = v128.load32_splat(x0);
        a0 = f32x4.add(a0, f32x4.mul(s0, v128.load(wp)));
        a1 = f32x4.add(a1, f32x4.mul(s0, v128.load(wp, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s0, v128.load(wp, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s0, v128.load(wp, 48)));
        x0 += 4; wp += wStep;
      }
      v128.store(o0, a0); v128.store(o0, a1, 16); v128.store(o0, a2, 32); v128.store(o0, a3, 48);
    }
  }
  // Columns past the last block of 16: four at a time, then one at a time.
  for (let n = N16; n < N; ) {
    const four = n + 4 <= N;
    for (let r = 0; r < rows; r++) {
      const o0 = out + (<usize>(r * outStride + n) << 2);
      let x0 = inp + (<usize>(r * inStride) << 2);
      let wp = w + (<usize>n << 2);
      const wStep = <usize>wStride << 2;
      if (four) {
        let a0 = accumulate ? v128.load(o0) : f32x4.splat(0);
        for (let k = 0; k < K; k++) {
          a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(x0)), v128.load(wp)));
          x0 += 4; wp += wStep;
        }
        v128.store(o0, a0);
      } else {
        let a: f32 = accumulate ? load<f32>(o0) : 0;
        for (let k = 0; k < K; k++) {
          a += load<f32>(x0) * load<f32>(wp);
          x0 += 4; wp += wStep;
        }
        store<f32>(o0, a);
      }
    }
    n += four ? 4 : 1;
  }
}

// ---- Activations ----------------------------------------------------------------------------
// exp on f32x4: e^x = 2^n · e^r with n = round(x / ln 2), r = x − n·ln 2 (Cody–Waite, two parts),
// e^r by its Taylor polynomial to degree 7 (|r| ≤ 0.35: truncation ≤ 2e-8 relative).
// The clamp is pmin/pmax (one minps/maxps each; wasm's min/max cost ~7 instructions each to order
// NaN and −0, which a clamp to non-zero bounds never needs: same results for every non-NaN x), and
// n is rounded by adding 1.5·2²³ (round to nearest even, as f32x4.nearest; |n| ≤ 127), whose bits
// are then 0x4B400000 + n: the exponent without trunc_sat's saturation fix-ups. Bit-identical to
// min/max, nearest and trunc_sat for every non-NaN input.

// @ts-ignore: decorator
@inline function exp4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const tm = f32x4.add(f32x4.mul(x, f32x4.splat(1.4426950408889634)), f32x4.splat(12582912.0));
  const n = f32x4.sub(tm, f32x4.splat(12582912.0));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693145751953125)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(1.428606765330187e-6)));
  let p = f32x4.splat(1.0 / 5040.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 720.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(tm, i32x4.splat(127 - 0x4B400000)), 23);
  return f32x4.mul(p, scale);
}

// @ts-ignore: decorator
@inline function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

// tanh x = 2·sigmoid(2x) − 1 (absolute error ~1e-7).
// @ts-ignore: decorator
@inline function tanh4(x: v128): v128 {
  return f32x4.sub(f32x4.mul(f32x4.splat(2.0), sigmoid4(f32x4.add(x, x))), f32x4.splat(1.0));
}

// Scalar tails (H not a multiple of 4) use the same formulas through lane 0.
// @ts-ignore: decorator
@inline function sigmoid1(x: f32): f32 {
  return f32x4.extract_lane(sigmoid4(f32x4.splat(x)), 0);
}
// @ts-ignore: decorator
@inline function tanh1(x: f32): f32 {
  return f32x4.extract_lane(tanh4(f32x4.splat(x)), 0);
}

/** In place: sigmoid on n floats (tests compare it with Math). */
export function sigmoidInPlace(p: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(p + (<usize>j << 2), sigmoid4(v128.load(p + (<usize>j << 2))));
  for (; j < n; j++) store<f32>(p + (<usize>j << 2), sigmoid1(load<f32>(p + (<usize>j << 2))));
}

/** In place: tanh on n floats. */
export function tanhInPlace(p: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(p + (<usize>j << 2), tanh4(v128.load(p + (<usize>j << 2))));
  for (; j < n; j++) store<f32>(p + (<usize>j << 2), tanh1(load<f32>(p + (<usize>j << 2))));
}

// ---- One direction of an LSTM layer, forward ---------------------------------------------------
// g: [L, b, 4H] pre-activations (input projection + bias) on entry, activations on exit, gates in
//    ONNX order i, o, f, c~ (sigmoid on i, o, f; tanh on c~).
// r: [H, 4H] recurrent weights. c, tc: [L, b, H] cell state and tanh(cell state).
// h: [L, b, ·] hidden states at row stride hStride (2H: both directions interleaved per row).
export function lstmForward(L: i32, b: i32, H: i32, g: usize, r: usize, c: usize, tc: usize, h: usize, hStride: i32): void {
  const G = 4 * H;
  for (let t = 0; t < L; t++) {
    const gt = g + (<usize>(t * b * G) << 2);
    if (t > 0) gemm(gt, G, 1, h + (<usize>((t - 1) * b * hStride) << 2), hStride, r, G, H, G, b);
    for (let i = 0; i < b; i++) {
      const gi = gt + (<usize>(i * G) << 2);
      const ci = c + (<usize>((t * b + i) * H) << 2);
      const cp = c + (<usize>(((t - 1) * b + i) * H) << 2);
      const tci = tc + (<usize>((t * b + i) * H) << 2);
      const hi = h + (<usize>((t * b + i) * hStride) << 2);
      const H4 = H & ~3;
      let k = 0;
      for (; k < H4; k += 4) {
        const o = <usize>k << 2;
        const ig = sigmoid4(v128.load(gi + o));
        const og = sigmoid4(v128.load(gi + o + (<usize>H << 2)));
        const fg = sigmoid4(v128.load(gi + o + (<usize>(2 * H) << 2)));
        const cg = tanh4(v128.load(gi + o + (<usize>(3 * H) << 2)));
        v128.store(gi + o, ig);
        v128.store(gi + o + (<usize>H << 2), og);
        v128.store(gi + o + (<usize>(2 * H) << 2), fg);
        v128.store(gi + o + (<usize>(3 * H) << 2), cg);
        let cv = f32x4.mul(ig, cg);
        if (t > 0) cv = f32x4.add(cv, f32x4.mul(fg, v128.load(cp + o)));
        const tv = tanh4(cv);
        v128.store(ci + o, cv);
        v128.store(tci + o, tv);
        v128.store(hi + o, f32x4.mul(og, tv));
      }
      for (; k < H; k++) {
        const o = <usize>k << 2;
        const ig = sigmoid1(load<f32>(gi + o));
        const og = sigmoid1(load<f32>(gi + o + (<usize>H << 2)));
        const fg = sigmoid1(load<f32>(gi + o + (<usize>(2 * H) << 2)));
        const cg = tanh1(load<f32>(gi + o + (<usize>(3 * H) << 2)));
        store<f32>(gi + o, ig);
        store<f32>(gi + o + (<usize>H << 2), og);
        store<f32>(gi + o + (<usize>(2 * H) << 2), fg);
        store<f32>(gi + o + (<usize>(3 * H) << 2), cg);
        let cv = ig * cg;
        if (t > 0) cv += fg * load<f32>(cp + o);
        const tv = tanh1(cv);
        store<f32>(ci + o, cv);
        store<f32>(tci + o, tv);
        store<f32>(hi + o, og * tv);
      }
    }
  }
}

// ---- One direction of an LSTM layer, backward through time ------------------------------------
// g: the forward's activations on entry, dL/d(pre-activations) on exit ([L, b, 4H]).
// dy: [L, b, ·] dL/dh from above at row stride dyStride. rt: [4H, H] transposed recurrent weights.
// dh, dc: [b, H] scratch.
//   dh_t = dy_t + dz_{t+1}·Rᵀ,  dc_t = dh_t·o·(1 − tanh²c_t) + dc_{t+1}·f_{t+1}
//   dz = [dc·c~·i(1−i), dh·tanh c·o(1−o), dc·c_{t−1}·f(1−f), dc·i·(1−c~²)]
export function lstmBackward(L: i32, b: i32, H: i32, g: usize, c: usize, tc: usize, rt: usize, dy: usize, dyStride: i32, dh: usize, dc: usize): void {
  const G = 4 * H;
  memory.fill(dh, 0, <usize>(b * H) << 2);
  memory.fill(dc, 0, <usize>(b * H) << 2);
  const one = f32x4.splat(1.0);
  const H4 = H & ~3;
  for (let t = L - 1; t >= 0; t--) {
    const gt = g + (<usize>(t * b * G) << 2);
    for (let i = 0; i < b; i++) {
      const gi = gt + (<usize>(i * G) << 2);
      const cp = c + (<usize>(((t - 1) * b + i) * H) << 2);
      const tci = tc + (<usize>((t * b + i) * H) << 2);
      const dyi = dy + (<usize>((t * b + i) * dyStride) << 2);
      const dhi = dh + (<usize>(i * H) << 2);
      const dci = dc + (<usize>(i * H) << 2);
      let k = 0;
      for (; k < H4; k += 4) {
        const o = <usize>k << 2;
        const ig = v128.load(gi + o);
        const og = v128.load(gi + o + (<usize>H << 2));
        const fg = v128.load(gi + o + (<usize>(2 * H) << 2));
        const cg = v128.load(gi + o + (<usize>(3 * H) << 2));
        const tv = v128.load(tci + o);
        const dhv = f32x4.add(v128.load(dyi + o), v128.load(dhi + o));
        const dcv = f32x4.add(f32x4.mul(f32x4.mul(dhv, og), f32x4.sub(one, f32x4.mul(tv, tv))), v128.load(dci + o));
        const cpv = t > 0 ? v128.load(cp + o) : f32x4.splat(0);
        v128.store(gi + o, f32x4.mul(f32x4.mul(dcv, cg), f32x4.mul(ig, f32x4.sub(one, ig))));
        v128.store(gi + o + (<usize>H << 2), f32x4.mul(f32x4.mul(dhv, tv), f32x4.mul(og, f32x4.sub(one, og))));
        v128.store(gi + o + (<usize>(2 * H) << 2), f32x4.mul(f32x4.mul(dcv, cpv), f32x4.mul(fg, f32x4.sub(one, fg))));
        v128.store(gi + o + (<usize>(3 * H) << 2), f32x4.mul(f32x4.mul(dcv, ig), f32x4.sub(one, f32x4.mul(cg, cg))));
        v128.store(dci + o, f32x4.mul(dcv, fg));
      }
      for (; k < H; k++) {
        const o = <usize>k << 2;
        const ig = load<f32>(gi + o);
        const og = load<f32>(gi + o + (<usize>H << 2));
        const fg = load<f32>(gi + o + (<usize>(2 * H) << 2));
        const cg = load<f32>(gi + o + (<usize>(3 * H) << 2));
        const tv = load<f32>(tci + o);
        const dhv = load<f32>(dyi + o) + load<f32>(dhi + o);
        const dcv = dhv * og * (1 - tv * tv) + load<f32>(dci + o);
        const cpv: f32 = t > 0 ? load<f32>(cp + o) : 0;
        store<f32>(gi + o, dcv * cg * (ig * (1 - ig)));
        store<f32>(gi + o + (<usize>H << 2), dhv * tv * (og * (1 - og)));
        store<f32>(gi + o + (<usize>(2 * H) << 2), dcv * cpv * (fg * (1 - fg)));
        store<f32>(gi + o + (<usize>(3 * H) << 2), dcv * ig * (1 - cg * cg));
        store<f32>(dci + o, dcv * fg);
      }
    }
    if (t > 0) gemm(dh, H, 0, gt, G, rt, H, G, H, b);
  }
}

// ---- Helpers -----------------------------------------------------------------------------------

/** dst[r, 0:width] = src[idx[r]·srcStride + 0:width] + bias[0:width] for r < n (idx: i32). */
export function gatherRows(dst: usize, dstStride: i32, src: usize, srcStride: i32, idx: usize, n: i32, width: i32, bias: usize): void {
  for (let r = 0; r < n; r++) {
    const s = src + (<usize>(load<i32>(idx + (<usize>r << 2)) * srcStride) << 2);
    const d = dst + (<usize>(r * dstStride) << 2);
    let k = 0;
    for (; k + 4 <= width; k += 4) v128.store(d + (<usize>k << 2), f32x4.add(v128.load(s + (<usize>k << 2)), v128.load(bias + (<usize>k << 2))));
    for (; k < width; k++) store<f32>(d + (<usize>k << 2), load<f32>(s + (<usize>k << 2)) + load<f32>(bias + (<usize>k << 2)));
  }
}

/** dst[idx[r]·dstStride + 0:width] += src[r, 0:width] for r < n, in order of r (idx < 0: skipped). */
export function scatterAddRows(dst: usize, dstStride: i32, src: usize, srcStride: i32, idx: usize, n: i32, width: i32): void {
  for (let r = 0; r < n; r++) {
    const j = load<i32>(idx + (<usize>r << 2));
    if (j < 0) continue;
    const d = dst + (<usize>(j * dstStride) << 2);
    const s = src + (<usize>(r * srcStride) << 2);
    let k = 0;
    for (; k + 4 <= width; k += 4) v128.store(d + (<usize>k << 2), f32x4.add(v128.load(d + (<usize>k << 2)), v128.load(s + (<usize>k << 2))));
    for (; k < width; k++) store<f32>(d + (<usize>k << 2), load<f32>(d + (<usize>k << 2)) + load<f32>(s + (<usize>k << 2)));
  }
}

/** dst[0:width] = Σ_r src[r·srcStride + 0:width], rows added in order from +0 (the bias gradient). */
export function sumRows(dst: usize, src: usize, srcStride: i32, rows: i32, width: i32): void {
  memory.fill(dst, 0, <usize>width << 2);
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * srcStride) << 2);
    let k = 0;
    for (; k + 4 <= width; k += 4) v128.store(dst + (<usize>k << 2), f32x4.add(v128.load(dst + (<usize>k << 2)), v128.load(s + (<usize>k << 2))));
    for (; k < width; k++) store<f32>(dst + (<usize>k << 2), load<f32>(dst + (<usize>k << 2)) + load<f32>(s + (<usize>k << 2)));
  }
}

/** dst[c, r] = src[r·srcStride + c] for r < rows, c < cols (dst row stride = rows). */
export function transpose(dst: usize, src: usize, srcStride: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * srcStride) << 2);
    for (let c = 0; c < cols; c++) store<f32>(dst + (<usize>(c * rows + r) << 2), load<f32>(s + (<usize>c << 2)));
  }
}

// ---- Pooling over time -------------------------------------------------------------------------
// h: [L, b, ·] at row stride hStride, W features per row; lengths: i32 [b].
// feat: [b, 2W] = max over each text's own steps | their mean; argmax: i32 [b, W], the first step of each max.
export function poolForward(h: usize, hStride: i32, b: i32, W: i32, lengths: usize, feat: usize, argmax: usize): void {
  for (let i = 0; i < b; i++) {
    const n = load<i32>(lengths + (<usize>i << 2));
    const inv = f32x4.splat(<f32>1.0 / <f32>n);
    const fi = feat + (<usize>(i * 2 * W) << 2);
    const ai = argmax + (<usize>(i * W) << 2);
    const rowStep = <usize>(b * hStride) << 2;
    let j = 0;
    for (; j + 4 <= W; j += 4) {
      let p = h + (<usize>(i * hStride + j) << 2);
      let best = v128.load(p);
      let sum = best;
      let at = i32x4.splat(0);
      for (let t = 1; t < n; t++) {
        p += rowStep;
        const v = v128.load(p);
        sum = f32x4.add(sum, v);
        const gt = f32x4.gt(v, best);
        best = v128.bitselect(v, best, gt);
        at = v128.bitselect(i32x4.splat(t), at, gt);
      }
      v128.store(fi + (<usize>j << 2), best);
      v128.store(fi + (<usize>(W + j) << 2), f32x4.mul(sum, inv));
      v128.store(ai + (<usize>j << 2), at);
    }
    for (; j < W; j++) {
      let p = h + (<usize>(i * hStride + j) << 2);
      let best = load<f32>(p);
      let sum = best;
      let at = 0;
      for (let t = 1; t < n; t++) {
        p += rowStep;
        const v = load<f32>(p);
        sum += v;
        if (v > best) {
          best = v;
          at = t;
        }
      }
      store<f32>(fi + (<usize>j << 2), best);
      store<f32>(fi + (<usize>(W + j) << 2), sum * (<f32>1.0 / <f32>n));
      store<i32>(ai + (<usize>j << 2), at);
    }
  }
}

// dy [L, b, ·] (row stride dyStride, W used per row) = the pooling's gradient: dFeat [b, 2W] (max | mean).
// Rows past a text's end stay zero.
export function poolBackward(dy: usize, dyStride: i32, L: i32, b: i32, W: i32, lengths: usize, dFeat: usize, argmax: usize): void {
  memory.fill(dy, 0, <usize>(L * b * dyStride) << 2);
  const rowStep = <usize>(b * dyStride) << 2;
  for (let i = 0; i < b; i++) {
    const n = load<i32>(lengths + (<usize>i << 2));
    const inv = <f32>1.0 / <f32>n;
    const gi = dFeat + (<usize>(i * 2 * W) << 2);
    let j = 0;
    for (; j + 4 <= W; j += 4) {
      const g = f32x4.mul(v128.load(gi + (<usize>(W + j) << 2)), f32x4.splat(inv));
      let p = dy + (<usize>(i * dyStride + j) << 2);
      for (let t = 0; t < n; t++) {
        v128.store(p, g);
        p += rowStep;
      }
    }
    for (; j < W; j++) {
      const g = load<f32>(gi + (<usize>(W + j) << 2)) * inv;
      let p = dy + (<usize>(i * dyStride + j) << 2);
      for (let t = 0; t < n; t++) {
        store<f32>(p, g);
        p += rowStep;
      }
    }
    for (j = 0; j < W; j++) {
      const t = load<i32>(argmax + (<usize>(i * W + j) << 2));
      const p = dy + (<usize>((t * b + i) * dyStride + j) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(gi + (<usize>j << 2)));
    }
  }
}
