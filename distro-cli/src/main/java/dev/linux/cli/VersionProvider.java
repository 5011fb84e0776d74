package dev.linux.cli;

import picocli.CommandLine;

/** Reports the version recorded in the jar manifest, or the development version. */
final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = Main.class.getPackage().getImplementationVersion();
    return new String[] {"linux " + (version == null ? "0.1.0-dev" : version)};
  }
}
