package dev.linux.env;

import dev.linux.env.image.DebianBootstrap;
import dev.linux.env.image.ImageException;
import dev.linux.env.image.ImageRef;
import dev.linux.env.image.OciImage;
import dev.linux.env.image.OciLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns what the user typed after {@code --image} into an image to write: an OCI layout on disk
 * ({@code oci:DIR[:TAG]}), or a name in the local image store. The default image is bootstrapped
 * into the store from this machine's package sources the first time it is needed.
 */
final class ImageResolver {

  /** An image ready to be written, with the name recorded for the environment. */
  record ResolvedImage(OciImage image, String displayName) {}

  private final LinuxHome home;
  private final Progress progress;

  ImageResolver(LinuxHome home, Progress progress) {
    this.home = home;
    this.progress = progress;
  }

  ResolvedImage resolve(String reference) {
    try {
      if (reference.equals(CreateOptions.DEFAULT_IMAGE_ALIAS)) {
        return defaultImage();
      }
      ImageRef ref = ImageRef.parse(reference);
      return switch (ref.transport()) {
        case OCI -> fromLayout(ref, Path.of(ref.path()), ref.tag(), ref.toString());
        case REGISTRY -> fromStore(ref);
        default -> throw new EnvException(
            EnvException.Code.INVALID_ARGUMENT,
            "image '" + reference + "': " + ref.transport().prefix() + " images are not supported yet; use oci:DIR[:TAG]");
      };
    } catch (IllegalArgumentException | ImageException e) {
      throw new EnvException(EnvException.Code.INVALID_ARGUMENT, e.getMessage(), e);
    } catch (IOException e) {
      throw new EnvException(EnvException.Code.IO, "image '" + reference + "': " + e.getMessage(), e);
    }
  }

  private ResolvedImage defaultImage() throws IOException {
    DebianBootstrap bootstrap = DebianBootstrap.forThisHost();
    String tag = bootstrap.tag();
    Path store = home.images();
    if (!hasTag(store, tag)) {
      progress.notice("Bootstrapping the default image " + tag + " from this machine's package sources (a few minutes, once)...");
      Files.createDirectories(store);
      bootstrap.bootstrap(store);
      progress.notice("Stored " + tag + " in the local image store.");
    }
    return fromLayout(null, store, tag, tag);
  }

  private ResolvedImage fromStore(ImageRef ref) {
    Path store = home.images();
    String tag = ref.familiarName();
    if (!hasTag(store, tag)) {
      throw new EnvException(
          EnvException.Code.NOT_FOUND,
          "image '" + tag + "' is not in the local image store (images can come from oci:DIR[:TAG]; "
              + "the default is " + CreateOptions.DEFAULT_IMAGE_ALIAS + ")");
    }
    return fromLayout(ref, store, tag, tag);
  }

  private static ResolvedImage fromLayout(ImageRef ref, Path dir, String tag, String displayName) {
    if (!Files.isDirectory(dir)) {
      throw new EnvException(EnvException.Code.NOT_FOUND, "image '" + displayName + "': no such directory: " + dir);
    }
    OciLayout layout = OciLayout.open(dir.toAbsolutePath());
    return new ResolvedImage(layout.image(tag), displayName);
  }

  private static boolean hasTag(Path store, String tag) {
    return Files.isRegularFile(store.resolve("index.json")) && OciLayout.open(store).hasTag(tag);
  }
}
