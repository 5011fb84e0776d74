package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class DebianVersionTest {
  @Test
  void ordersAsDpkgDoes() {
    List<String> ascending = List.of("1.0~rc1", "1.0", "1.0-1", "1.0-1+b1", "1.0-2", "1.0a", "1.1",
        "6.1.140-1", "6.1.192-2", "6.1.192-3", "6.10.1-1", "1:0.1");
    for (int i = 0; i < ascending.size(); i++) {
      for (int j = 0; j < ascending.size(); j++) {
        assertEquals(Integer.signum(Integer.compare(i, j)),
            Integer.signum(DebianVersion.compare(ascending.get(i), ascending.get(j))),
            ascending.get(i) + " vs " + ascending.get(j));
      }
    }
    assertEquals(0, DebianVersion.compare("1.01", "1.1"));
    assertEquals(0, DebianVersion.compare("0:1.0", "1.0"));
  }
}
