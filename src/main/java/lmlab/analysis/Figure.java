package lmlab.analysis;

import java.math.BigInteger;

/**
 * One figure of an analysis: the closed form and its exact value.
 *
 * @param key identifies the row across compared configurations ("parameters", "flops@1024")
 * @param label what is counted, for people
 * @param unit "parameters", "bytes" or "FLOPs"
 */
public record Figure(String key, String label, String unit, ClosedForm expression, BigInteger value) {}
