package dev.linux.env.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortsFileTest {

  @TempDir Path dir;

  @Test
  void rowsRoundTripAndAMissingFileIsEmpty() throws Exception {
    assertEquals(List.of(), PortsFile.read(dir));
    List<ForwardedPort> rows = List.of(
        new ForwardedPort("tcp", 80, "127.77.0.1", 80, ForwardedPort.State.FORWARDED, ""),
        new ForwardedPort("tcp", 80, "127.0.0.1", 80, ForwardedPort.State.TAKEN, "Could not set up\thost forwarding"),
        ForwardedPort.unforwarded("udp", 53, ForwardedPort.State.LOOPBACK_ONLY));
    PortsFile.write(dir, rows);
    List<ForwardedPort> read = PortsFile.read(dir);
    assertEquals(rows.get(0), read.get(0));
    assertEquals("Could not set up host forwarding", read.get(1).detail());
    assertEquals(rows.get(2), read.get(2));
    Files.writeString(dir.resolve(PortsFile.NAME), "garbage\ntcp\tx\t\t0\tFORWARDED\t\n");
    assertEquals(List.of(), PortsFile.read(dir));
    PortsFile.delete(dir);
    assertEquals(List.of(), PortsFile.read(dir));
  }
}
