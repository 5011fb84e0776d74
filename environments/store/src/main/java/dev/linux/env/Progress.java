package dev.linux.env;

/** Where long operations report what they are doing; the CLI renders it, tests may record it. */
public interface Progress {

  /** A one-line message for the user (e.g. which accelerator was chosen and why). */
  void notice(String message);

  /** {@code done} of {@code total} units (bytes) of a named task; {@code total} is 0 if unknown. */
  void progress(String task, long done, long total);

  /** Reports nothing. */
  Progress SILENT =
      new Progress() {
        @Override
        public void notice(String message) {}

        @Override
        public void progress(String task, long done, long total) {}
      };
}
