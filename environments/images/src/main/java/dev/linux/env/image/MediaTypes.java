package dev.linux.env.image;

import java.util.Set;

/** The media types of the OCI image specification and of Docker's image manifest v2 schema 2. */
public final class MediaTypes {

  public static final String OCI_LAYOUT_VERSION = "1.0.0";

  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  public static final String OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String OCI_LAYER_TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
  public static final String OCI_LAYER_NONDISTRIBUTABLE_TAR = "application/vnd.oci.image.layer.nondistributable.v1.tar";
  public static final String OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
  public static final String OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  public static final String DOCKER_LAYER_TAR_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
  public static final String DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";
  public static final String DOCKER_FOREIGN_LAYER_TAR_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

  /** Annotation naming a manifest in an image layout's {@code index.json}. */
  public static final String REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

  static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
  static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
  static final Set<String> CONFIGS = Set.of(OCI_CONFIG, DOCKER_CONFIG);

  private MediaTypes() {}

  /**
   * How a layer of the given media type is compressed.
   *
   * @throws ImageException if the media type is not a layer type this project knows
   */
  public static Compression layerCompression(String mediaType) {
    return switch (mediaType == null ? "" : mediaType) {
      case OCI_LAYER_TAR, OCI_LAYER_NONDISTRIBUTABLE_TAR, DOCKER_LAYER_TAR -> Compression.NONE;
      case OCI_LAYER_TAR_GZIP, OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP, DOCKER_LAYER_TAR_GZIP,
          DOCKER_FOREIGN_LAYER_TAR_GZIP -> Compression.GZIP;
      case OCI_LAYER_TAR_ZSTD, OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD -> Compression.ZSTD;
      default -> throw new ImageException("unsupported layer media type '" + mediaType + "'");
    };
  }
}
