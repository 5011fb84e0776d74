package dev.linux.env;

import dev.linux.vm.EnvironmentInfo;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything known about one environment ({@code linux inspect}).
 *
 * @param status the record, state, pid and disk usage
 * @param directory its persistent directory
 * @param consoleLog its console log
 * @param kernel the kernel image its VM booted, while running
 * @param accelerator QEMU's accelerator ({@code kvm}, {@code tcg}, ...), while running
 * @param guest what its guest agent reports (wsl.conf settings and problems), while running and
 *     answering
 */
public record EnvironmentInspection(
    EnvironmentStatus status,
    Path directory,
    Path consoleLog,
    Optional<String> kernel,
    Optional<String> accelerator,
    Optional<EnvironmentInfo> guest) {}
