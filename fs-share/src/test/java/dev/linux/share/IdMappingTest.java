package dev.linux.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdMappingTest {
  @Test
  void ownIdMapsToItselfAndTheRestToSubordinateIds() {
    IdMapping m = IdMapping.forUser(1000, List.of(new IdMapping.Range(100000, 65536)));
    assertEquals("0 100000 1000 1000 1000 1 1001 101000 64536", m.argument());
  }

  @Test
  void ownIdBeyondTheRangesIsAppended() {
    IdMapping m = IdMapping.forUser(200000, List.of(new IdMapping.Range(100000, 10), new IdMapping.Range(300000, 5)));
    assertEquals("0 100000 10 10 300000 5 200000 200000 1", m.argument());
  }

  @Test
  void rangesSplitAroundTheOwnId() {
    IdMapping m = IdMapping.forUser(3, List.of(new IdMapping.Range(500, 2), new IdMapping.Range(900, 4)));
    assertEquals("0 500 2 2 900 1 3 3 1 4 901 3", m.argument());
  }

  @Test
  void subordinateRangesByNameOrId() {
    String text = "alice:100000:65536\n#bob:1:2\nbob:165536:65536\n1001:300000:10\nbad:x:1\nalice:0:0\n";
    assertEquals(List.of(new IdMapping.Range(100000, 65536)), IdMapping.subordinateRanges(text, "alice", 1000));
    assertEquals(
        List.of(new IdMapping.Range(165536, 65536), new IdMapping.Range(300000, 10)),
        IdMapping.subordinateRanges(text, "bob", 1001));
    assertEquals(List.of(), IdMapping.subordinateRanges(text, "carol", 1002));
  }

  @Test
  void noSubordinateIdsIsOneLineNamingTheFix() {
    HostUser carol = new HostUser("carol", 1002, 1002);
    IOException e =
        assertThrows(IOException.class, () -> carol.namespaceArguments("alice:100000:65536\n", "", true));
    assertTrue(e.getMessage().contains("/etc/subuid has none for carol"), e.getMessage());
    assertTrue(e.getMessage().contains("usermod --add-subuids 100000-165535 --add-subgids 100000-165535 carol"));
    assertTrue(!e.getMessage().contains("\n"));
    IOException noTool = assertThrows(IOException.class, () -> carol.namespaceArguments("", "", false));
    assertTrue(noTool.getMessage().contains("install the package uidmap"), noTool.getMessage());
    assertThrows(IllegalArgumentException.class, () -> IdMapping.forUser(5, List.of()));
  }

  @Test
  void namespaceArgumentsForBothMaps() throws Exception {
    HostUser u = new HostUser("u", 1000, 1001);
    assertEquals(
        List.of("-uidmap", "0 100000 1000 1000 1000 1 1001 101000 64536",
            "-gidmap", "0 200000 1001 1001 1001 1 1002 201001 64535"),
        u.namespaceArguments("u:100000:65536\n", "u:200000:65536\n", true));
  }
}
