package lmlab.serve;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import lmlab.decode.structured.TokenTrie;

/**
 * A test double for the model (tests only; {@code lmlab serve} itself never serves it): 256
 * byte tokens and one end-of-sequence id, a "chat template" of role-prefixed lines, and a
 * seeded generator that draws letters (or, under a structured constraint, any allowed token)
 * with a configurable delay per step, counting every decoded step.
 */
final class ByteGenerator implements Generator {
  static final int EOS = 256;
  static final byte[] LETTERS = "abcdefghij ".getBytes(StandardCharsets.US_ASCII);
  final AtomicLong steps = new AtomicLong();
  final AtomicLong active = new AtomicLong();
  private final String name;
  private final int maxModelLen;
  volatile long delayMillis;
  private final byte[][] bytes = new byte[257][];
  private final TokenTrie trie;

  ByteGenerator(String name, int maxModelLen, long delayMillis) {
    this.name = name;
    this.maxModelLen = maxModelLen;
    this.delayMillis = delayMillis;
    for (int i = 0; i < 256; i++) bytes[i] = new byte[] {(byte) i};
    bytes[EOS] = null;
    trie = new TokenTrie(bytes);
  }

  @Override public String name() { return name; }
  @Override public int maxModelLen() { return maxModelLen; }
  @Override public int vocabSize() { return 257; }

  @Override
  public int[] encodeText(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[b.length];
    for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xFF;
    return ids;
  }

  @Override
  public int[] encodeChat(List<ChatTurn> messages) {
    StringBuilder s = new StringBuilder();
    for (ChatTurn m : messages) s.append(m.role()).append(": ").append(m.content()).append('\n');
    return encodeText(s.append("assistant: ").toString());
  }

  @Override public byte[] tokenBytes(int id) { return id == EOS ? new byte[0] : bytes[id]; }
  @Override public boolean isEndOfSequence(int id) { return id == EOS; }
  @Override public int[] endOfSequenceIds() { return new int[] {EOS}; }
  @Override public TokenTrie structuredTrie() { return trie; }
  @Override public byte[][] structuredTokenBytes() { return bytes; }

  @Override
  public void generate(Request r, TokenSink sink) throws InterruptedException {
    SplittableRandom rnd = new SplittableRandom(r.sampling().seed());
    active.incrementAndGet();
    try {
      for (int t = 0; t < r.maxTokens(); t++) {
        if (delayMillis > 0) Thread.sleep(delayMillis);
        steps.incrementAndGet();
        int id;
        if (r.constraint() != null) {
          BitSet allowed = r.constraint().allowed();
          id = allowed.nextSetBit(0);
          for (int k = rnd.nextInt(allowed.cardinality()); k > 0; k--) id = allowed.nextSetBit(id + 1);
          r.constraint().accept(id);
        } else {
          id = LETTERS[rnd.nextInt(LETTERS.length)] & 0xFF;
        }
        float lp = (float) Math.log(1.0 / LETTERS.length);
        int[] top = new int[r.topLogprobs()];
        float[] topLp = new float[r.topLogprobs()];
        for (int i = 0; i < top.length; i++) {
          top[i] = LETTERS[i] & 0xFF;
          topLp[i] = lp;
        }
        if (!sink.accept(new Token(id, lp, top, topLp))) return;
        if (r.constraint() != null && r.constraint().finished()) return;
        if (id == EOS) return;
      }
    } finally {
      active.decrementAndGet();
    }
  }
}
