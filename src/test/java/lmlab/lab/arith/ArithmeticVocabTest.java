package lmlab.lab.arith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ArithmeticVocabTest {
  @Test
  void numbersThenOperatorsEqualsBosEosAndPadLast() {
    ArithmeticVocab v = ArithmeticVocab.of(ArithmeticConfig.defaults());
    assertThat(v.size()).isEqualTo(39);
    assertThat(v.names().subList(0, 3)).containsExactly("0", "1", "2");
    assertThat(v.names().subList(30, 39)).containsExactly("30", "+", "-", "*", "/", "=", "BOS", "EOS", "PAD");
    assertThat(v.operator(Operator.PLUS)).isEqualTo(31);
    assertThat(v.operator(Operator.DIVIDE)).isEqualTo(34);
    assertThat(v.eq()).isEqualTo(35);
    assertThat(v.bos()).isEqualTo(36);
    assertThat(v.eos()).isEqualTo(37);
    assertThat(v.pad()).isEqualTo(38);
  }

  @Test
  void nIsTheLargerOfPAndQ() {
    assertThat(ArithmeticVocab.of(ArithmeticConfig.builder().p(3).build()).names())
        .containsExactly("0", "1", "2", "+", "-", "*", "/", "=", "BOS", "EOS", "PAD");
    assertThat(ArithmeticVocab.of(ArithmeticConfig.builder().p(3).q(5).build()).size()).isEqualTo(13);
    assertThat(ArithmeticVocab.of(ArithmeticConfig.builder().p(6).q(5).build()).size()).isEqualTo(14);
  }

  @Test
  void encodesAndDecodesReadableSequences() {
    ArithmeticVocab v = new ArithmeticVocab(31);
    int[] ids = v.encode("BOS 3 + 5 = 8 EOS");
    assertThat(ids).containsExactly(36, 3, 31, 5, 35, 8, 37);
    assertThat(v.decode(ids)).isEqualTo("BOS 3 + 5 = 8 EOS");
    assertThat(v.decode(v.encode("  BOS 30 / 2   = 15 EOS PAD PAD "))).isEqualTo("BOS 30 / 2 = 15 EOS PAD PAD");
    assertThat(v.encode("")).isEmpty();
    assertThat(v.id("×")).isEqualTo(33);
  }

  @Test
  void rejectsUnknownTokensAndIds() {
    ArithmeticVocab v = new ArithmeticVocab(31);
    assertThatThrownBy(() -> v.encode("BOS 31 + 1")).hasMessageContaining("number 31 is not in the vocabulary 0..30");
    assertThatThrownBy(() -> v.encode("BOS x2")).hasMessageContaining("unknown token 'x2'");
    assertThatThrownBy(() -> v.name(39)).hasMessageContaining("token id 39 is out of range 0..38");
    assertThatThrownBy(() -> v.name(-1)).hasMessageContaining("out of range");
  }
}
