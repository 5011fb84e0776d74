package dev.linux.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelProvisionerTest {
  private static final String OLD = "6.1.0-56-cloud-amd64";
  private static final String NEW = "6.1.0-57-cloud-amd64";

  @TempDir Path data;
  @TempDir Path etcApt;
  private final List<String> progress = new ArrayList<>();
  private final FakeArchive archive = new FakeArchive();
  private final List<String> verified = new ArrayList<>();
  private Instant now = Instant.parse("2026-01-10T10:00:00Z");

  /** bookworm has the old kernel, bookworm-security the new one (as on a real Debian host). */
  @BeforeEach
  void publish() throws Exception {
    archive.suite("bookworm", "amd64",
        archive.deb("linux-image-cloud-amd64", "6.1.140-1", "linux-image-" + OLD + " (= 6.1.140-1)",
            "pool/main/l/linux-signed-amd64/meta_6.1.140-1_amd64.deb", new byte[10])
        + archive.deb("linux-image-" + OLD, "6.1.140-1", "kmod, linux-base (>= 4.3~)",
            "pool/main/l/linux-signed-amd64/old_amd64.deb", FakeArchive.kernelDeb(OLD))
        + archive.deb("linux-image-amd64", "6.1.140-1", "linux-image-6.1.0-56-amd64",
            "pool/main/l/generic.deb", new byte[10])
        + archive.deb("bash", "5.2", "", "pool/main/b/bash.deb", new byte[10]));
    archive.suite("bookworm-security", "amd64",
        archive.deb("linux-image-cloud-amd64", "6.1.192-3", "linux-image-" + NEW + " (= 6.1.192-3)",
            "pool/updates/meta.deb", new byte[10])
        + archive.deb("linux-image-" + NEW, "6.1.192-3", "kmod",
            "pool/updates/main/l/linux-signed-amd64/new_amd64.deb", FakeArchive.kernelDeb(NEW)));
    Files.writeString(etcApt.resolve("sources.list"), """
        deb http://archive.test/debian bookworm main
        deb http://archive.test/debian bookworm-security main
        deb-src http://archive.test/debian bookworm main
        """);
  }

  private KernelProvisioner provisioner(Architecture arch, Optional<String> configured) {
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    return new KernelProvisioner(data, progress::add, arch, configured, etcApt, archive,
        (source, file, sig) -> verified.add(source.suite()), clock);
  }

  private KernelProvisioner provisioner() {
    return provisioner(Architecture.X86_64, Optional.empty());
  }

  @Test
  void downloadsTheNewestCloudKernelOfAllSuitesAndMovesItIntoPlace() throws Exception {
    GuestKernel k = provisioner().ensureDistributionKernel();
    assertEquals(NEW, k.version());
    assertEquals(data.resolve("kernels/" + NEW + "/vmlinuz"), k.vmlinuz());
    assertEquals("kernel " + NEW, Files.readString(k.vmlinuz()));
    assertTrue(Files.isRegularFile(k.modulesDir().resolve("kernel/drivers/virtio/virtio.ko")));
    assertEquals(List.of("bookworm", "bookworm-security"), verified, "each Release signature checked");
    assertTrue(archive.requests.contains(URI.create(FakeArchive.BASE + "pool/updates/main/l/linux-signed-amd64/new_amd64.deb")));
    assertTrue(progress.contains("guest kernel " + NEW + " ready"), progress.toString());
    assertTrue(progress.stream().anyMatch(l -> l.startsWith("downloading linux-image-" + NEW + " 6.1.192-3 (")),
        progress.toString());
    try (var left = Files.list(data.resolve("kernels"))) {
      assertEquals(List.of(".checked-amd64", NEW), left.map(p -> p.getFileName().toString()).sorted().toList(),
          "no staging directories left");
    }
  }

  @Test
  void theArchiveIsAskedAtMostOnceADay() throws Exception {
    provisioner().ensureDistributionKernel();
    archive.requests.clear();
    now = now.plusSeconds(3600);
    assertEquals(NEW, provisioner().ensureDistributionKernel().version());
    assertEquals(List.of(), archive.requests, "no network within a day");
    now = now.plus(KernelProvisioner.CHECK_INTERVAL);
    assertEquals(NEW, provisioner().ensureDistributionKernel().version());
    assertTrue(archive.requests.size() >= 4, "indexes read again");
    assertTrue(archive.requests.stream().noneMatch(u -> u.getPath().endsWith(".deb")), "present kernel not downloaded");
  }

  @Test
  void unreachableArchiveFallsBackToTheProvisionedKernelWithANotice() throws Exception {
    provisioner().ensureDistributionKernel();
    now = now.plus(KernelProvisioner.CHECK_INTERVAL).plusSeconds(1);
    archive.unreachable = true;
    progress.clear();
    assertEquals(NEW, provisioner().ensureDistributionKernel().version());
    assertEquals(1, progress.size());
    assertTrue(progress.get(0).startsWith("using guest kernel " + NEW + " (cannot read the package archive"), progress.get(0));
  }

  @Test
  void corruptedDownloadIsRefusedAndLeavesNothing() throws Exception {
    URI deb = URI.create(FakeArchive.BASE + "pool/updates/main/l/linux-signed-amd64/new_amd64.deb");
    byte[] bytes = archive.files.get(deb).clone();
    bytes[bytes.length / 2] ^= 1;
    archive.files.put(deb, bytes);
    var e = assertThrows(IOException.class, () -> provisioner().ensureDistributionKernel());
    assertTrue(e.getMessage().startsWith("linux-image-" + NEW + ": refusing a corrupted download from " + deb), e.getMessage());
    try (var left = Files.list(data.resolve("kernels"))) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  void corruptedIndexIsRefused() throws Exception {
    URI index = URI.create(FakeArchive.BASE + "dists/bookworm-security/main/binary-amd64/Packages.xz");
    byte[] other = FakeArchive.xz("Package: linux-image-cloud-amd64\nVersion: 9\nDepends: linux-image-evil\n".getBytes());
    archive.files.put(index, other);
    var e = assertThrows(IOException.class, () -> provisioner().ensureDistributionKernel());
    assertTrue(e.getMessage().startsWith(index + ": checksum mismatch"), e.getMessage());
  }

  @Test
  void anIndexReplacedMidUpdateIsReadByItsHash() throws Exception {
    // The Release file names the old index; the plain name already serves a newer one, as an
    // archive (or a caching proxy) in the middle of an update does. The by-hash copy still matches.
    URI index = URI.create(FakeArchive.BASE + "dists/bookworm-security/main/binary-amd64/Packages.xz");
    byte[] listed = archive.files.get(index);
    String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(listed));
    archive.files.put(URI.create(FakeArchive.BASE + "dists/bookworm-security/main/binary-amd64/by-hash/SHA256/" + sha), listed);
    archive.files.put(index, FakeArchive.xz("Package: linux-image-cloud-amd64\nVersion: 9\nDepends: linux-image-newer\n".getBytes()));
    assertEquals(NEW, provisioner().ensureDistributionKernel().version());
  }

  @Test
  void badSignatureIsRefused() {
    KernelProvisioner p = new KernelProvisioner(data, progress::add, Architecture.X86_64, Optional.empty(), etcApt,
        archive, (source, file, sig) -> { throw new IOException(source + ": bad or unknown Release signature"); },
        Clock.systemUTC());
    var e = assertThrows(IOException.class, p::ensureDistributionKernel);
    assertTrue(e.getMessage().endsWith("bad or unknown Release signature"), e.getMessage());
  }

  @Test
  void withoutSourcesTheErrorNamesTheSetting() throws Exception {
    Files.delete(etcApt.resolve("sources.list"));
    var e = assertThrows(IOException.class, () -> provisioner().ensureDistributionKernel());
    assertTrue(e.getMessage().contains("set kernelArchive in linux.conf (or LINUX_KERNEL_ARCHIVE)"), e.getMessage());
  }

  @Test
  void theConfiguredArchiveWinsOverAptSources() throws Exception {
    Files.writeString(etcApt.resolve("sources.list"), "deb http://ubuntu.test/ubuntu noble main\n");
    GuestKernel k = provisioner(Architecture.X86_64, Optional.of(FakeArchive.BASE + " bookworm")).ensureDistributionKernel();
    assertEquals(OLD, k.version());
    assertTrue(archive.requests.stream().noneMatch(u -> u.getHost().equals("ubuntu.test")));
  }

  @Test
  void anArchiveWithoutTheKernelNamesTheSetting() {
    var e = assertThrows(IOException.class,
        () -> provisioner(Architecture.AARCH64, Optional.empty()).ensureDistributionKernel());
    assertTrue(e.getMessage().startsWith("no linux-image-cloud-arm64 or linux-image-arm64 in"), e.getMessage());
    assertTrue(e.getMessage().contains("set kernelArchive"), e.getMessage());
  }

  @Test
  void archiveSettingIsUriAndOptionalSuite() throws Exception {
    assertEquals("https://m.test/debian/ stable",
        KernelProvisioner.parseArchiveSetting("https://m.test/debian").toString());
    assertEquals("file:/srv/debian/ trixie", KernelProvisioner.parseArchiveSetting(" file:/srv/debian  trixie ").toString());
    var e = assertThrows(IOException.class, () -> KernelProvisioner.parseArchiveSetting("mirror.example.org/debian"));
    assertTrue(e.getMessage().startsWith("kernelArchive must be 'URI [SUITE]'"), e.getMessage());
  }

  @Test
  void metaPackagesPerArchitecture() {
    assertEquals(List.of("linux-image-cloud-amd64", "linux-image-amd64"), provisioner().metaPackages());
    assertEquals(List.of("linux-image-cloud-arm64", "linux-image-arm64"),
        provisioner(Architecture.AARCH64, Optional.empty()).metaPackages());
    assertEquals("6.1.0-9-arm64", KernelProvisioner.versionOf("linux-image-6.1.0-9-arm64-unsigned"));
  }

  @Test
  void configuredKernelIsChecked() throws Exception {
    Path vmlinuz = Files.writeString(data.resolve("vmlinuz"), "k");
    Path modules = Files.createDirectories(data.resolve("6.9.0-test"));
    GuestKernel k = GuestKernel.configured(vmlinuz, modules);
    assertEquals("6.9.0-test", k.version());
    assertThrows(IllegalArgumentException.class, () -> GuestKernel.configured(data.resolve("nope"), modules));
  }
}
