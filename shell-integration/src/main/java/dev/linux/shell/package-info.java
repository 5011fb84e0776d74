/**
 * How host terminals and pipes meet guest processes: {@link dev.linux.shell.InlineRun} for
 * commands whose stdio are pipes or files, {@link dev.linux.shell.InteractiveSession} for a shell
 * on a guest pty driven from the host terminal in raw mode.
 */
package dev.linux.shell;
