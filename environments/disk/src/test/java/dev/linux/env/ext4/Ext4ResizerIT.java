package dev.linux.env.ext4;

import static dev.linux.env.ext4.Ext4WriterIT.assertClean;
import static dev.linux.env.ext4.Ext4WriterIT.run;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** e2fsck judges grown images; as root, the kernel mounts them and reports the new size. */
class Ext4ResizerIT {
  @TempDir Path dir;

  @Test
  void grownImagesAreCleanAndTheKernelSeesTheNewSize() throws Exception {
    Path img = dir.resolve("grow.img");
    Map<String, byte[]> files = Ext4ResizerTest.populate(img, 256L << 20);
    assertClean(img);
    for (long size : new long[] {2L << 30, 10L << 30}) {
      Ext4Resizer.grow(img, size);
      assertClean(img);
      Ext4ResizerTest.assertIntact(img, files, size);
      String header = run("dumpe2fs", "-h", img.toString()).output();
      assertTrue(header.contains("Block count:              " + size / 4096), header);
    }
    if (!run("id", "-u").output().trim().equals("0")) {
      System.err.println("not root: skipping the mount check of the grown image");
      return;
    }
    try (Ext4MountIT.Mount m = Ext4MountIT.Mount.of(img, dir.resolve("mnt"))) {
      String df = Ext4MountIT.sh("df", "-B1", "--output=size", m.point().toString());
      long size = Long.parseLong(df.lines().skip(1).findFirst().orElseThrow().trim());
      assertTrue(size > 9L << 30 && size <= 10L << 30, "df reports " + size);
      assertEquals(files.get("/big").length + "",
          Ext4MountIT.sh("stat", "-c", "%s", m.point().resolve("big").toString()).trim());
      assertEquals(
          Ext4MountIT.sh("sha256sum", m.point().resolve("dir3/file3").toString()).split(" ")[0],
          java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
              .digest(files.get("/dir3/file3"))));
    }
  }
}
