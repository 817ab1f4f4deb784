/**
 * Constant tables of ITU-T G.722 (09/2012), 64 kbit/s mode 1, as listed in the recommendation's
 * block descriptions (QUANTL, INVQAL, INVQBL, LOGSCL, SCALEL, QUANTH, INVQAH, LOGSCH, QMF).
 */

/** QMF coefficients h0..h11 (the filter is symmetric: h(23-i) = h(i)); Table 11/G.722 order
 * interleaved as the even/odd polyphase halves use them. */
export const QMF_COEFFS: readonly number[] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

/** QUANTL decision levels (Q6 in the recommendation), scaled by 2^-12 against DETL. */
export const Q6_LEVELS: readonly number[] = [
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023,
  1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0,
];

/** QUANTL 6-bit codes for negative (ILN) and positive (ILP) differences, per interval index. */
export const ILN: readonly number[] = [
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9,
  8, 7, 6, 5, 4, 0,
];
export const ILP: readonly number[] = [
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37,
  36, 35, 34, 33, 32, 0,
];

/** LOGSCL: 4-bit code -> magnitude index (RIL -> IL4), then the log scale factor multipliers WL. */
export const RL42: readonly number[] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
export const WL: readonly number[] = [-60, -30, 58, 172, 334, 538, 1198, 3042];

/** SCALEL/SCALEH: antilog table ILB (2^(i/32) in Q11). */
export const ILB: readonly number[] = [
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896,
  2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/** INVQAL: 4-bit inverse quantiser outputs (QQ4 with sign, Q13 against DETL). */
export const QM4: readonly number[] = [
  0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
];

/** INVQBL mode 1: 6-bit inverse quantiser outputs (QQ6 with sign). */
export const QM6: readonly number[] = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360,
  -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032,
  -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576,
  7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728,
  432, 136, -432, -136,
];

/** QUANTH: 2-bit codes for a negative (IHN) and positive (IHP) difference by magnitude index 1..2. */
export const IHN: readonly number[] = [0, 1, 0];
export const IHP: readonly number[] = [0, 3, 2];
/** QUANTH decision level (Q2 = 564, scaled by 2^-12 against DETH). */
export const Q2_LEVEL = 564;

/** INVQAH: 2-bit inverse quantiser outputs; LOGSCH: code -> magnitude index and multipliers WH. */
export const QM2: readonly number[] = [-7408, -1616, 7408, 1616];
export const RH2: readonly number[] = [2, 1, 2, 1];
export const WH: readonly number[] = [0, -214, 798];
