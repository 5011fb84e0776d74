package dev.linux.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.junit.jupiter.api.Assumptions;

/**
 * Every check of {@link NetworkIT}, with the CLI and its daemon running as an ordinary user
 * (created for the purpose when the tests run as root), which is how people run it: user-mode
 * networking and its forwards need no privilege.
 */
class NonRootNetworkIT extends NetworkIT {

  static final String USER = "linux-net-it";

  @Override
  String user() {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "creates a user: needs root");
    try {
      if (TestResources.host("id", "-u", USER).exit() != 0) {
        var add = TestResources.host("useradd", "--create-home", "--shell", "/bin/sh", USER);
        assertEquals(0, add.exit(), add.toString());
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return USER;
  }
}
