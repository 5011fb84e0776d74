package dev.linux.env.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linux.env.fs.FileTreeSink;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;

class LayerApplierTest {

  private static final String LAYER = "layer sha256:0123456789ab";

  private final RecordingSink sink = new RecordingSink();

  private long apply(byte[] tar) throws IOException {
    return new LayerApplier(sink, LayerApplier.Whiteouts.APPLY).apply(new ByteArrayInputStream(tar), LAYER);
  }

  @Test
  void appliesAllEntryTypes() throws IOException {
    TarBuilder b = new TarBuilder().dir("etc", 0755).file("etc/hosts", 0644, "127.0.0.1 localhost\n")
        .symlink("etc/localtime", "/usr/share/zoneinfo/UTC").hardLink("etc/hosts2", "etc/hosts");
    TarArchiveEntry chr = new TarArchiveEntry("dev/null", TarConstants.LF_CHR);
    chr.setDevMajor(1);
    chr.setDevMinor(3);
    chr.setMode(0666);
    TarArchiveEntry blk = new TarArchiveEntry("dev/vda", TarConstants.LF_BLK);
    blk.setDevMajor(254);
    blk.setDevMinor(0);
    blk.setMode(0660);
    blk.setGroupId(6);
    TarArchiveEntry fifo = new TarArchiveEntry("run/initctl", TarConstants.LF_FIFO);
    fifo.setMode(0600);
    TarArchiveEntry owned = new TarArchiveEntry("home/user/.profile", TarConstants.LF_NORMAL);
    owned.setIds(1000, 1001);
    owned.setMode(04755);
    owned.setModTime(java.util.Date.from(Instant.parse("2023-05-06T07:08:09Z")));
    owned.setSize(2);
    b.add(chr, null).add(blk, null).add(fifo, null).add(owned, "hi".getBytes(StandardCharsets.UTF_8));
    assertEquals(8, apply(b.build()));

    assertEquals(RecordingSink.Kind.DIRECTORY, sink.get("/etc").kind);
    assertEquals(0755, sink.get("/etc").meta.permissions());
    assertEquals("127.0.0.1 localhost\n", sink.get("/etc/hosts").text());
    assertEquals("/usr/share/zoneinfo/UTC", sink.get("/etc/localtime").target);
    assertSame(sink.get("/etc/hosts"), sink.get("/etc/hosts2"), "hard link shares the inode");
    RecordingSink.Node dev = sink.get("/dev/null");
    assertEquals(FileTreeSink.SpecialType.CHARACTER_DEVICE, dev.specialType);
    assertEquals(1, dev.major);
    assertEquals(3, dev.minor);
    assertEquals(0666, dev.meta.permissions());
    assertEquals(FileTreeSink.SpecialType.BLOCK_DEVICE, sink.get("/dev/vda").specialType);
    assertEquals(254, sink.get("/dev/vda").major);
    assertEquals(6, sink.get("/dev/vda").meta.gid());
    assertEquals(FileTreeSink.SpecialType.FIFO, sink.get("/run/initctl").specialType);
    RecordingSink.Node profile = sink.get("/home/user/.profile");
    assertEquals(1000, profile.meta.uid());
    assertEquals(1001, profile.meta.gid());
    assertEquals(04755, profile.meta.permissions());
    assertEquals(Instant.parse("2023-05-06T07:08:09Z"), profile.meta.mtime());
  }

  @Test
  void paxLongNamesLinksBigIdsFractionalTimesAndXattrs() throws IOException {
    String longName = "usr/share/" + "deep/".repeat(60) + "file-with-a-long-name.txt";
    String longTarget = "/opt/" + "t".repeat(300);
    TarBuilder b = new TarBuilder();
    TarArchiveEntry file = new TarArchiveEntry(longName, TarConstants.LF_NORMAL);
    file.setSize(3);
    file.setMode(0640);
    file.setIds(3_000_000, 2_500_000);
    file.addPaxHeader("mtime", "1700000000.5");
    file.addPaxHeader("SCHILY.xattr.user.comment", "héllo");
    b.add(file, "abc".getBytes(StandardCharsets.UTF_8));
    b.symlink("link-with-long-target", longTarget);
    b.file("caf\u00e9/\u00fcnicode", 0644, "x");
    apply(b.build());

    RecordingSink.Node node = sink.get("/" + longName);
    assertNotNull(node, "long PAX path");
    assertEquals("abc", node.text());
    assertEquals(3_000_000, node.meta.uid());
    assertEquals(2_500_000, node.meta.gid());
    assertEquals(Instant.ofEpochSecond(1_700_000_000L, 500_000_000), node.meta.mtime());
    assertArrayEquals("héllo".getBytes(StandardCharsets.UTF_8), node.meta.xattrs().get("user.comment"));
    assertEquals(longTarget, sink.get("/link-with-long-target").target);
    assertNotNull(sink.get("/caf\u00e9/\u00fcnicode"));
  }

  @Test
  void gnuLongNamesAndBase256Numbers() throws IOException {
    String longName = "gnu/" + "n".repeat(150);
    TarBuilder b = TarBuilder.gnu();
    TarArchiveEntry file = new TarArchiveEntry(longName, TarConstants.LF_NORMAL);
    file.setSize(1);
    file.setIds(5_000_000, 7);
    b.add(file, new byte[] {'z'});
    b.hardLink("gnu/" + "h".repeat(120), longName);
    byte[] tar = b.build();
    apply(tar);
    assertEquals(5_000_000, sink.get("/" + longName).meta.uid());
    assertSame(sink.get("/" + longName), sink.get("/gnu/" + "h".repeat(120)));
  }

  /** A PAX record "LEN key=value\n" with raw bytes as value. */
  private static byte[] paxRecord(String key, byte[] value) {
    byte[] body = (key + "=").getBytes(StandardCharsets.UTF_8);
    int length = body.length + value.length + 2;
    length += String.valueOf(length + String.valueOf(length).length()).length();
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    record.writeBytes((length + " ").getBytes(StandardCharsets.US_ASCII));
    record.writeBytes(body);
    record.writeBytes(value);
    record.write('\n');
    assertEquals(length, record.size());
    return record.toByteArray();
  }

  @Test
  void rawPaxRecordsBinaryXattrsAndNanosecondTimes() throws IOException {
    byte[] capability = {1, 0, 0, 2, (byte) 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    ByteArrayOutputStream records = new ByteArrayOutputStream();
    records.writeBytes(paxRecord("SCHILY.xattr.security.capability", capability));
    records.writeBytes(paxRecord("mtime", "1700000000.123456789".getBytes(StandardCharsets.US_ASCII)));
    records.writeBytes(paxRecord("atime", "-1.25".getBytes(StandardCharsets.US_ASCII)));
    records.writeBytes(paxRecord("LIBARCHIVE.xattr.user.b64", "AAEC".getBytes(StandardCharsets.US_ASCII)));
    records.writeBytes(paxRecord("uid", "4294967295".getBytes(StandardCharsets.US_ASCII)));
    TarBuilder b = new TarBuilder();
    TarArchiveEntry pax = new TarArchiveEntry("./PaxHeaders/newuidmap", TarConstants.LF_PAX_EXTENDED_HEADER_LC);
    pax.setSize(records.size());
    b.add(pax, records.toByteArray());
    TarArchiveEntry file = new TarArchiveEntry("usr/bin/newuidmap", TarConstants.LF_NORMAL);
    file.setModTime(java.util.Date.from(Instant.EPOCH)); // whole seconds: commons-compress adds no PAX mtime
    file.setSize(3);
    b.add(file, "ELF".getBytes(StandardCharsets.US_ASCII));
    apply(b.build());
    RecordingSink.Node node = sink.get("/usr/bin/newuidmap");
    assertArrayEquals(capability, node.meta.xattrs().get("security.capability"));
    assertArrayEquals(new byte[] {0, 1, 2}, node.meta.xattrs().get("user.b64"));
    assertEquals(Instant.ofEpochSecond(1_700_000_000L, 123_456_789), node.meta.mtime());
    assertEquals(Instant.ofEpochSecond(-2, 750_000_000), node.meta.atime());
    assertEquals(4294967295L, node.meta.uid());
  }

  @Test
  void whiteoutsRemoveAndOpaqueDirectoriesClear() throws IOException {
    apply(new TarBuilder().dir("a", 0755).file("a/x", 0644, "x").file("a/y", 0644, "y")
        .dir("b", 0755).file("b/old", 0644, "old").dir("b/sub", 0755).file("b/sub/deep", 0644, "d")
        .file("keep", 0644, "k").build());
    apply(new TarBuilder().file("a/.wh.x", 0644, "").dir("b", 0700).file("b/.wh..wh..opq", 0644, "")
        .file("b/new", 0644, "new").file(".wh.keep", 0644, "").file(".wh..wh.plnk", 0644, "").build());
    assertNull(sink.get("/a/x"));
    assertNotNull(sink.get("/a/y"));
    assertNull(sink.get("/a/.wh.x"), "whiteout markers are not files");
    assertNull(sink.get("/b/old"));
    assertNull(sink.get("/b/sub/deep"));
    assertEquals("new", sink.get("/b/new").text());
    assertEquals(0700, sink.get("/b").meta.permissions());
    assertNull(sink.get("/keep"));
    assertNull(sink.get("/.wh..wh.plnk"));
  }

  @Test
  void opaqueAfterSiblingsIsDetectedAndHandledWhiteoutsFirst() throws IOException {
    apply(new TarBuilder().file("d/lower", 0644, "lower").build());
    byte[] layer = new TarBuilder().file("d/upper", 0644, "upper").file("d/.wh..wh..opq", 0644, "").build();
    LayerApplier applier = new LayerApplier(sink, LayerApplier.Whiteouts.APPLY);
    assertThrows(LayerApplier.OutOfOrderWhiteout.class, () -> applier.apply(new ByteArrayInputStream(layer), LAYER));
    applier.applyWhiteoutsFirst(new ByteArrayInputStream(layer), new ByteArrayInputStream(layer), LAYER);
    assertNull(sink.get("/d/lower"));
    assertEquals("upper", sink.get("/d/upper").text());
  }

  @Test
  void whiteoutAfterEntriesOfItsOwnLayerHidesOnlyLowerLayers() throws IOException {
    // Found by UmociComparisonIT: the OCI spec (and umoci) let a whiteout hide lower layers only.
    apply(new TarBuilder().file("d/lower", 0644, "lower").file("f", 0644, "lower f").build());
    byte[] layer = new TarBuilder().file("d/upper", 0644, "upper").file(".wh.d", 0644, "")
        .file("f", 0644, "upper f").file(".wh.f", 0644, "").build();
    LayerApplier applier = new LayerApplier(sink, LayerApplier.Whiteouts.APPLY);
    assertThrows(LayerApplier.OutOfOrderWhiteout.class, () -> applier.apply(new ByteArrayInputStream(layer), LAYER));
    applier.applyWhiteoutsFirst(new ByteArrayInputStream(layer), new ByteArrayInputStream(layer), LAYER);
    assertNull(sink.get("/d/lower"));
    assertEquals("upper", sink.get("/d/upper").text());
    assertEquals("upper f", sink.get("/f").text());
  }

  @Test
  void rejectsEntriesEscapingTheRoot() throws IOException {
    TarArchiveEntry evil = new TarArchiveEntry("../../etc/passwd", TarConstants.LF_NORMAL, true);
    evil.setSize(0);
    byte[] tar = new TarBuilder().add(evil, new byte[0]).build();
    ImageException e = assertThrows(ImageException.class, () -> apply(tar));
    assertEquals(LAYER + ": entry '../../etc/passwd' escapes the root", e.getMessage());

    TarArchiveEntry sneaky = new TarArchiveEntry("a/../../x", TarConstants.LF_DIR, true);
    byte[] tar2 = new TarBuilder().add(sneaky, null).build();
    assertTrue(assertThrows(ImageException.class, () -> apply(tar2)).getMessage().contains("escapes the root"));
  }

  @Test
  void hardLinkTargetsAreRelativeToTheRoot() throws IOException {
    apply(new TarBuilder().file("etc/passwd", 0644, "root").hardLink("copy", "/etc/passwd")
        .hardLink("etc/dotted", "./etc/../etc/passwd").build());
    assertSame(sink.get("/etc/passwd"), sink.get("/copy"));
    assertSame(sink.get("/etc/passwd"), sink.get("/etc/dotted"));

    byte[] escaping = new TarBuilder().hardLink("x", "../../etc/shadow").build();
    assertEquals(LAYER + ": entry 'x' escapes the root (link target '../../etc/shadow')",
        assertThrows(ImageException.class, () -> apply(escaping)).getMessage());
  }

  @Test
  void symlinkTargetsAreVerbatim() throws IOException {
    apply(new TarBuilder().symlink("up", "../../../../etc").symlink("abs", "/etc/passwd").build());
    assertEquals("../../../../etc", sink.get("/up").target);
    assertEquals("/etc/passwd", sink.get("/abs").target);
  }

  @Test
  void truncatedArchiveIsRejected() throws IOException {
    byte[] tar = new TarBuilder().file("big", 0644, "x".repeat(5000)).file("next", 0644, "n").build();
    byte[] cut = Arrays.copyOf(tar, 512 + 2000);
    ImageException e = assertThrows(ImageException.class, () -> apply(cut));
    assertTrue(e.getMessage().startsWith(LAYER + " is truncated"), e.getMessage());
    assertTrue(e.getMessage().contains("'big'"), e.getMessage());

    byte[] halfHeader = Arrays.copyOf(tar, 512 + 5120 + 100);
    assertTrue(assertThrows(ImageException.class, () -> apply(halfHeader)).getMessage().contains("truncated"));
  }

  @Test
  void corruptHeaderIsRejected() throws IOException {
    byte[] tar = new TarBuilder().file("f", 0644, "x").build();
    tar[0] = 'g';
    assertTrue(assertThrows(ImageException.class, () -> apply(tar)).getMessage().contains("checksum"));
  }

  @Test
  void rootfsTarballsKeepWhiteoutNamesAndMayBeCompressed() throws IOException {
    byte[] tar = new TarBuilder().dir("./", 0755).file("./etc/.wh.x", 0644, "plain").file("./bin/sh", 0755, "#!").build();
    RecordingSink rootfs = new RecordingSink();
    RootfsTarball.apply(new ByteArrayInputStream(TarBuilder.gzip(tar)), "tarball test.tar.gz", rootfs);
    assertEquals("plain", rootfs.get("/etc/.wh.x").text());
    assertEquals("#!", rootfs.get("/bin/sh").text());

    byte[] xz = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0, 1, 2};
    assertTrue(assertThrows(Exception.class,
            () -> RootfsTarball.apply(new ByteArrayInputStream(xz), "tarball t.tar.xz", rootfs)).getMessage()
        .startsWith("tarball t.tar.xz is corrupt"));

    java.io.ByteArrayOutputStream xzOut = new java.io.ByteArrayOutputStream();
    try (var out = new org.tukaani.xz.XZOutputStream(xzOut, new org.tukaani.xz.LZMA2Options())) {
      out.write(tar);
    }
    RecordingSink fromXz = new RecordingSink();
    RootfsTarball.apply(new ByteArrayInputStream(xzOut.toByteArray()), "tarball t.tar.xz", fromXz);
    assertEquals("#!", fromXz.get("/bin/sh").text());

    RecordingSink fromZstd = new RecordingSink();
    RootfsTarball.apply(new ByteArrayInputStream(com.github.luben.zstd.Zstd.compress(tar)), "tarball t.tar.zst", fromZstd);
    assertEquals("plain", fromZstd.get("/etc/.wh.x").text());
  }

  @Test
  void compressionDetection() {
    assertEquals(Compression.GZIP, Compression.detect(new byte[] {0x1f, (byte) 0x8b}, 2));
    assertEquals(Compression.ZSTD, Compression.detect(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}, 4));
    assertEquals(Compression.BZIP2, Compression.detect("BZh9".getBytes(StandardCharsets.US_ASCII), 4));
    assertEquals(Compression.NONE, Compression.detect("etc/".getBytes(StandardCharsets.US_ASCII), 4));
  }
}
